/**
 * The domain model as the generators see it: the modelled TL types of the newest shipped layer
 * (the closure of the registry's methods and the modelled updates), each with its export name,
 * constructors, `_tag`s and fields, and each field's mode across the shipped layers. Shared by
 * `model.ts` (the Schemas and the codec table), `registry.ts` and `phone.ts`. Not a generator
 * itself.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fieldName } from "../../../packages/core/src/internal/tlName.js"
import {
  externalTypes,
  modelledUpdates,
  types as specs,
  type TypeSpec
} from "../../../packages/core/src/overlay/modelSpec.js"
import { schemas } from "../tl.js"
import { catalogDir, root } from "./catalog.js"
import type { TlDefinition, TlParam, TlType } from "./tl.js"

/** GramJS's (and the model's) camelCase of a TL name: `g_a_hash` → `gAHash`, `p2p_allowed` → `p2pAllowed`. */
export const camel = fieldName

/** `phone.phoneCall` → `PhoneCall` (the namespace dropped, the first letter upper-cased). */
const pascalOf = (name: string): string => {
  const last = name.slice(name.lastIndexOf(".") + 1)
  return last.charAt(0).toUpperCase() + last.slice(1)
}

/** How a field is carried: `req` always, `opt` an optional key, `flag` a `flags.N?true` boolean. */
export type Mode = "req" | "opt" | "flag"

export interface ModelField {
  readonly tl: string
  readonly name: string
  readonly type: TlType
  readonly mode: Mode
  /** A Schema expression replacing the TL type's (from the overlay). */
  readonly schema?: string
  /** Layers (of the shipped ones that have the constructor) lacking this field. */
  readonly missingIn: ReadonlyArray<number>
}

export interface ModelConstructor {
  readonly tl: string
  readonly tag: string
  readonly fields: ReadonlyArray<ModelField>
  readonly raw: boolean
  /** The shipped layers that have the constructor. */
  readonly layers: ReadonlyArray<number>
}

export interface ModelType {
  readonly tl: string
  readonly name: string
  readonly kind: "class" | "union"
  readonly constructors: ReadonlyArray<ModelConstructor>
  readonly rawVariant: string | undefined
  readonly external: boolean
  readonly description: string
  /** Model names this type's fields refer to. */
  readonly uses: ReadonlyArray<string>
}

const PRIMITIVES: Readonly<Record<string, string>> = {
  int: "Int32",
  long: "Long",
  string: "Schema.String",
  bytes: "Bytes",
  Bool: "Schema.Boolean",
  true: "Schema.Boolean",
  int256: "Int256",
  double: "Schema.Finite"
}

export const baseType = (t: TlType): string => (typeof t === "string" ? t : baseType(t[1]))

/** The catalog's method names, in catalog order (43 `phone.*` and `messages.getDhConfig`). */
export const catalogMethods = (): ReadonlyArray<Record<string, string>> => {
  const [head = "", ...lines] = readFileSync(join(root, catalogDir, "phone-methods.tsv"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
  const names = head.split("\t")
  return lines.map((l) => Object.fromEntries(l.split("\t").map((v, i) => [names[i] ?? "", v.trim()])))
}

export interface Model {
  readonly newest: number
  readonly layers: ReadonlyArray<{
    readonly layer: number
    readonly definitions: ReadonlyArray<TlDefinition>
  }>
  /** Modelled types in dependency order (a type after every type it uses). */
  readonly types: ReadonlyArray<ModelType>
  readonly byTl: ReadonlyMap<string, ModelType>
  /** The Schema expression of a TL type (a field or a parameter). */
  readonly schemaOf: (t: TlType) => string
  /** The mode of a parameter of the newest layer, given the older layers' definitions of the same combinator. */
  readonly fieldOf: (
    p: TlParam,
    older: ReadonlyArray<{ readonly layer: number; readonly def: TlDefinition | undefined }>
  ) => ModelField
}

let cached: Model | undefined

/** The model, computed once per generator run. */
export const model = (): Model => {
  if (cached !== undefined) return cached
  const { layers } = schemas()
  const newestLayer = layers[layers.length - 1]
  if (newestLayer === undefined) throw new Error("model: no TL layer shipped")
  const newest = newestLayer.definitions
  const constructorsOf = (type: string) => newest.filter((d) => d.kind === "constructor" && d.type === type)
  const byName = (defs: ReadonlyArray<TlDefinition>, name: string) => defs.find((d) => d.name === name)

  const fieldOf: Model["fieldOf"] = (p, older) => {
    const missingIn = older
      .filter((o) => o.def !== undefined && !o.def.params.some((q) => q.name === p.name))
      .map((o) => o.layer)
    const mode: Mode =
      p.flag !== undefined && p.type === "true"
        ? "flag"
        : p.flag !== undefined || missingIn.length > 0
          ? "opt"
          : "req"
    return { tl: p.name, name: camel(p.name), type: p.type, mode, missingIn }
  }

  // the closure of the registry's methods and the modelled updates
  const wanted: Array<string> = ["User", "Chat", "Update"]
  for (const row of catalogMethods()) {
    const def = byName(newest, row["name"] ?? "")
    if (def === undefined) throw new Error(`model: ${row["name"]} is not in layer ${newestLayer.layer}`)
    wanted.push(baseType(def.type), ...def.params.map((p) => baseType(p.type)))
  }
  const found = new Map<string, ModelType>()
  const visit = (type: string): void => {
    if (type in PRIMITIVES || type === "#" || type === "X" || found.has(type)) return
    if (type === "Updates") return // hand-written (`overlay/curated.ts`): the flattened form of every Updates constructor
    const spec: TypeSpec | undefined = specs[type]
    const all = type === "Update" ? modelledUpdates.map((n) => byName(newest, n)) : constructorsOf(type)
    if (all.length === 0)
      throw new Error(`model: type ${type} has no constructor in layer ${newestLayer.layer}`)
    const chosen = (spec?.constructors ?? all.map((d) => d?.name ?? "")).map((n) => {
      const d = byName(newest, n)
      if (d === undefined || d.kind !== "constructor") throw new Error(`model: no constructor ${n} (${type})`)
      return d
    })
    const name =
      spec?.name ??
      (type.startsWith("phone.") ? `Phone${pascalOf(type)}` : type.includes(".") ? pascalOf(type) : type)
    const uses = new Set<string>()
    const ctors: Array<ModelConstructor> = chosen.map((d) => {
      const older = layers.slice(0, -1).map((l) => ({ layer: l.layer, def: byName(l.definitions, d.name) }))
      const only = spec?.fields?.[d.name]
      const fields = d.params
        .filter((p) => p.type !== "#" && (only === undefined || only.includes(p.name)))
        .map((p) => {
          const f = fieldOf(p, older)
          const schema = spec?.schemas?.[`${d.name}.${p.name}`]
          const base = baseType(p.type)
          if (!(base in PRIMITIVES)) uses.add(base)
          return schema === undefined ? f : { ...f, schema }
        })
      if (only !== undefined)
        for (const n of only)
          if (!d.params.some((p) => p.name === n)) throw new Error(`model: ${d.name} has no field ${n}`)
      const tagBase = pascalOf(d.name)
      const prefix = spec?.tagPrefix
      const tag = prefix !== undefined && tagBase.startsWith(prefix) ? tagBase.slice(prefix.length) : tagBase
      return {
        tl: d.name,
        tag,
        fields,
        raw: spec?.raw?.includes(d.name) ?? false,
        layers: layers.filter((l) => byName(l.definitions, d.name) !== undefined).map((l) => l.layer)
      }
    })
    const kind =
      spec?.merge === true || (ctors.length === 1 && spec?.rawVariant === undefined) ? "class" : "union"
    const t: ModelType = {
      tl: type,
      name,
      kind,
      constructors: ctors,
      rawVariant: spec?.rawVariant,
      external: externalTypes.includes(type) || spec?.external === true,
      description: spec?.description ?? `\`${chosen.map((c) => c.name).join("` / `")}\`.`,
      uses: []
    }
    found.set(type, t)
    for (const u of uses) visit(u)
    found.set(type, { ...t, uses: [...uses] })
  }
  for (const w of wanted) visit(w)

  // dependency order
  const ordered: Array<ModelType> = []
  const state = new Map<string, "visiting" | "done">()
  const place = (t: ModelType): void => {
    const s = state.get(t.tl)
    if (s === "done") return
    if (s === "visiting")
      throw new Error(`model: ${t.tl} refers to itself (a cycle the generator cannot order)`)
    state.set(t.tl, "visiting")
    for (const u of t.uses) {
      const dep = found.get(u)
      if (dep !== undefined) place(dep)
    }
    state.set(t.tl, "done")
    ordered.push(t)
  }
  for (const t of [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    place(t)

  const schemaOf = (t: TlType): string => {
    if (typeof t !== "string") return `Schema.Array(${schemaOf(t[1])})`
    const prim = PRIMITIVES[t]
    if (prim !== undefined) return prim
    if (t === "Updates") return "Updates"
    const m = found.get(t)
    if (m === undefined) throw new Error(`model: type ${t} is not modelled`)
    return m.name
  }
  cached = {
    newest: newestLayer.layer,
    layers,
    types: ordered,
    byTl: found,
    schemaOf,
    fieldOf
  }
  return cached
}

/**
 * A method of the newest layer and the shipped layers that have it in that shape: the layer has
 * the function and every parameter the layer requires is one the newest layer's carries.
 */
export const methodInLayers = (
  method: string
): {
  readonly def: TlDefinition
  readonly available: ReadonlyArray<{ readonly layer: number; readonly def: TlDefinition }>
} => {
  const m = model()
  const find = (defs: ReadonlyArray<TlDefinition>) =>
    defs.find((d) => d.kind === "function" && d.name === method)
  const def = find(m.layers[m.layers.length - 1]?.definitions ?? [])
  if (def === undefined) throw new Error(`model: ${method} is not in layer ${m.newest}`)
  const carried = new Set(def.params.map((p) => p.name))
  const available = m.layers.flatMap((l) => {
    const d = find(l.definitions)
    return d?.params.every((p) => p.type === "#" || p.flag !== undefined || carried.has(p.name)) === true
      ? [{ layer: l.layer, def: d }]
      : []
  })
  return { def, available }
}
