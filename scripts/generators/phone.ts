/**
 * Generates `packages/core/src/generated/Phone.ts`, the thin `Phone.*` functions `Phone.ts`
 * re-exports: one per registry method (`scripts/generators/registry.ts`), named after the TL
 * method, with its input Schema (`<Name>Input`) derived from the method's parameters in the
 * newest layer plus the overlay (`packages/core/src/overlay/phone.ts`), and a JSDoc that gives
 * its summary, "user accounts only", the layers it is in and the errors it can fail with (the
 * catalog's, as the generated error classes name them). The runner they go through is
 * `packages/core/src/internal/phone.ts`.
 */
import { methods as overlay } from "../../packages/core/src/overlay/phone.js"
import { pascalCase } from "./lib/catalog.js"
import { baseType, camel, catalogMethods, methodInLayers, model } from "./lib/model.js"
import type { TlParam } from "./lib/tl.js"

interface FieldOverlay {
  readonly schema?: unknown
  readonly doc?: string
  readonly default?: unknown
  readonly map?: unknown
  readonly from?: string
  readonly minItems?: number
}
interface MethodOverlay {
  readonly summary: string
  readonly category: string
  readonly fields?: Readonly<Record<string, FieldOverlay>>
  readonly example?: string
}

const specOf = (method: string): MethodOverlay => {
  const spec = (overlay as Readonly<Record<string, MethodOverlay>>)[method]
  if (spec === undefined)
    throw new Error(`phone: no overlay for ${method} in packages/core/src/overlay/phone.ts`)
  return spec
}

const inputSchemaOf = (p: TlParam, schemaOf: (t: TlParam["type"]) => string): string => {
  const t = p.type
  const base = baseType(t)
  const named: Readonly<Record<string, string>> = {
    InputUser: "UserRef",
    InputPhoneCall: "PhoneCallRef",
    InputGroupCall: "GroupCallRef",
    DataJSON: "JsonText",
    PhoneCallProtocol: "ProtocolInput"
  }
  const replaced = named[base]
  if (replaced === undefined) return schemaOf(t)
  return typeof t === "string" ? replaced : `Schema.Array(${replaced})`
}

const defaultDoc = (p: TlParam, mode: string): string =>
  mode === "flag" ? `TL \`${p.name}\` (default \`false\`).` : `TL \`${p.name}\`.`

export const outputs = () => {
  const m = model()
  const shipped = m.layers.map((l) => l.layer)
  const blocks: Array<string> = []
  const inputsTable: Array<string> = []
  const used = new Set<string>()
  for (const row of catalogMethods()) {
    const method = row["name"] ?? ""
    const { def, available: fitting } = methodInLayers(method)
    const spec = specOf(method)
    const short = method.slice(method.indexOf(".") + 1)
    const inputName = `${short.charAt(0).toUpperCase()}${short.slice(1)}Input`
    const ref = `spec[${JSON.stringify(method)}]`
    const older = fitting.filter((l) => l.layer !== m.newest)
    const params = def.params.filter((p) => p.type !== "#")
    for (const key of Object.keys(spec.fields ?? {}))
      if (!params.some((p) => camel(p.name) === key))
        throw new Error(
          `phone: the overlay of ${method} names ${key}, which is not a parameter in layer ${m.newest}`
        )
    const inputFields: Array<string> = []
    const paramLines: Array<string> = []
    let resolve: { readonly name: string; readonly vector: boolean } | undefined
    for (const p of params) {
      const name = camel(p.name)
      const f = m.fieldOf(p, older)
      const o = spec.fields?.[name]
      const fieldRef = `${ref}.fields.${name}`
      // the input field
      if (o?.from === undefined) {
        let schema = o?.schema !== undefined ? `${fieldRef}.schema` : inputSchemaOf(p, m.schemaOf)
        if (o?.minItems !== undefined) schema = `${schema}.check(Schema.isMinLength(${o.minItems}))`
        const optional = f.mode !== "req" || o?.default !== undefined
        const doc = o?.doc ?? defaultDoc(p, f.mode)
        inputFields.push(`  /** ${doc} */\n  ${name}: ${optional ? `Schema.optionalKey(${schema})` : schema}`)
        for (const id of schema
          .replace(/Schema\.\w+|spec\[[^\]]*\][\w.]*/g, "")
          .match(/[A-Z][A-Za-z0-9]*/g) ?? [])
          used.add(id)
      }
      // the parameter
      const source = `i.${o?.from ?? name}`
      const base = baseType(p.type)
      let value: string
      if (base === "InputUser") {
        if (resolve !== undefined) throw new Error(`phone: ${method} resolves two user parameters`)
        resolve = { name, vector: typeof p.type !== "string" }
        value = name
      } else if (o?.map !== undefined) value = `${fieldRef}.map(${source})`
      else if (o?.default !== undefined) value = `${source} ?? ${fieldRef}.default`
      else if (f.mode === "flag") value = `${source} ?? false`
      else value = source
      if (base === "DataJSON" && o?.map === undefined) {
        used.add("DataJson")
        value =
          f.mode === "opt" && o?.default === undefined
            ? `${source} === undefined ? undefined : new DataJson({ data: ${source} })`
            : `new DataJson({ data: ${value} })`
      }
      const isOptional = f.mode === "opt" && o?.default === undefined
      paramLines.push(
        isOptional
          ? `    ...present(${JSON.stringify(name)}, ${value})`
          : value === name
            ? `    ${name}`
            : `    ${name}: ${value}`
      )
    }
    // parameters sharing one flag bit are set together (checked on the input, where the caller's
    // field names are), unless the overlay maps them (then the mapping keeps them together)
    const byBit = new Map<string, Array<TlParam>>()
    for (const p of params)
      if (p.flag !== undefined) {
        const key = `${p.flag.field}.${p.flag.bit}`
        byBit.set(key, [...(byBit.get(key) ?? []), p])
      }
    const checks: Array<string> = []
    for (const [bit, group] of byBit) {
      if (group.length < 2) continue
      if (
        group.some(
          (p) =>
            spec.fields?.[camel(p.name)]?.map !== undefined ||
            spec.fields?.[camel(p.name)]?.from !== undefined
        )
      )
        continue
      checks.push(
        `.check(sameFlag(${JSON.stringify(bit)}, ${JSON.stringify(group.map((p) => camel(p.name)))}, ${JSON.stringify(group.filter((p) => p.type === "true").map((p) => camel(p.name)))}))`
      )
    }
    const object = paramLines.length === 0 ? "{}" : `{\n${paramLines.join(",\n")}\n  }`
    const body = `(${object})`
    const build =
      resolve === undefined
        ? `(${paramLines.length === 0 ? "" : "i"}) =>\n  Effect.succeed(${object})`
        : resolve.vector
          ? `(i, rpc) =>\n  Effect.map(\n    Effect.forEach(i.${resolve.name}, (ref) => resolveUser(rpc, ref)),\n    (${resolve.name}) => ${body}\n  )`
          : `(i, rpc) =>\n  Effect.map(resolveUser(rpc, i.${resolve.name}), (${resolve.name}) => ${body})`
    const errors: Array<string> = []
    for (const e of (row["errors"] ?? "").split(" ")) {
      const type = e.slice(e.indexOf(":") + 1)
      if (type !== "" && !errors.includes(pascalCase(type))) errors.push(pascalCase(type))
    }
    const available = fitting.map((l) => l.layer)
    const seen = row["first_seen_layer_tdlib"] ?? ""
    const layersText = `In layer${available.length === 1 ? "" : "s"} ${available.join(", ")} of the shipped ${shipped.join(", ")}${/^\d+$/.test(seen) ? ` (Telegram added the method in layer ${seen})` : ""}; a backend on a layer without it fails with \`MethodNotInLayer\` before anything is sent.`
    const errorsText =
      errors.length === 0
        ? "Telegram documents no method-specific errors for it; it can fail with the generic errors (`Errors.GenericError`), `InvalidInput` and `MethodNotInLayer`."
        : `Can fail with ${errors.map((e) => `\`${e}\``).join(", ")} (documented by Telegram), the generic errors (\`Errors.GenericError\`), \`InvalidInput\`${resolve === undefined ? "" : ", `UserNotFound`"} and \`MethodNotInLayer\`.`
    const rt = `Effect.Effect<MethodResult<${JSON.stringify(method)}>, PhoneError<${JSON.stringify(method)}>, TelegramRpc>`
    const fnDoc = [
      "/**",
      ` * \`${method}\`: ${spec.summary} User accounts only.`,
      " *",
      ` * ${errorsText}`,
      " *",
      ` * ${layersText}`,
      " *",
      ...(spec.example === undefined
        ? []
        : [" * @example", ...spec.example.split("\n").map((l) => ` * ${l}`.trimEnd()), " *"]),
      " * @since 0.1.0",
      ` * @category ${spec.category}`,
      " */"
    ].join("\n")
    const inputDoc = [
      "/**",
      ` * Input of \`${short}\`.`,
      " *",
      " * @since 0.1.0",
      " * @category inputs",
      " */"
    ].join("\n")
    const allOptional = inputFields.every((l) => l.includes("Schema.optionalKey("))
    const makeCall = `make(${JSON.stringify(method)}, ${inputName}, ${build})`
    const fn =
      inputFields.length === 0
        ? `${fnDoc}\nexport const ${short}: () => ${rt} = () => ${short}Impl({})\nconst ${short}Impl = ${makeCall}`
        : allOptional
          ? `${fnDoc}\nexport const ${short}: (input?: ${inputName}) => ${rt} = (input = {}) => ${short}Impl(input)\nconst ${short}Impl = ${makeCall}`
          : `${fnDoc}\nexport const ${short} = ${makeCall}`
    blocks.push(
      [
        inputDoc,
        `export const ${inputName} = Schema.Struct(${inputFields.length === 0 ? "{}" : `{\n${inputFields.join(",\n")}\n}`})${checks.join("")}`,
        "/**",
        ` * The input \`${inputName}\` accepts (the encoded side of its Schema).`,
        " *",
        " * @since 0.1.0",
        " * @category inputs",
        " */",
        `export type ${inputName} = typeof ${inputName}.Encoded`,
        "",
        fn
      ].join("\n")
    )
    inputsTable.push(`  ${JSON.stringify(method)}: ${inputName}`)
  }
  const modelImports = [...used].filter(
    (u) => !["UserRef", "PhoneCallRef", "GroupCallRef", "ProtocolInput", "JsonText", "DataJson"].includes(u)
  )
  const inputImports = ["GroupCallRef", "PhoneCallRef", "ProtocolInput", "UserRef"].filter((u) => used.has(u))
  const contents = [
    "// Generated by scripts/generators/phone.ts from packages/core/catalog/phone-methods.tsv, packages/core/catalog/tl/*.tl and packages/core/src/overlay/phone.ts. Do not edit; run `pnpm generate`.",
    "/**",
    " * The `Phone.*` functions and their input Schemas. Use them through `Phone`.",
    " *",
    " * @since 0.1.0",
    " */",
    'import { Effect, Schema } from "effect"',
    'import type { PhoneError } from "../Errors.js"',
    'import { make, present, resolveUser } from "../internal/phone.js"',
    `import { ${[...new Set([...modelImports, ...(used.has("DataJson") ? ["DataJson"] : [])])].sort().join(", ")} } from "../Model.js"`,
    'import { JsonText, methods as spec } from "../overlay/phone.js"',
    'import { sameFlag } from "../overlay/registry.js"',
    `import { ${inputImports.join(", ")} } from "../overlay/phoneInputs.js"`,
    'import type { MethodResult } from "../RpcMethods.js"',
    'import type { TelegramRpc } from "../TelegramRpc.js"',
    "",
    blocks.join("\n\n"),
    "",
    "/**",
    " * The input schema of every function, keyed by TL method (for tooling: the reference docs are",
    " * generated from it).",
    " *",
    " * @since 0.1.0",
    " * @category inputs",
    " */",
    `export const inputs = {\n${inputsTable.join(",\n")}\n} as const`,
    ""
  ].join("\n")
  return [{ path: "packages/core/src/generated/Phone.ts", contents }]
}
