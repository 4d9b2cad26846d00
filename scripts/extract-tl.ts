/**
 * Extracts the TL schema of each supported layer from the installed client packages into
 * `packages/core/catalog/tl/` (project data that `scripts/generate.ts` reads), or with
 * `--check` fails when a shipped file differs from what the installed packages say.
 *
 * - `api-198.tl`: `telegram@2.26.22` ships its TL text (`tl/apiTl.js`, `LAYER = 198`).
 * - `api-229.tl`: `teleproto@1.229.0` ships no TL text, only its compiled definitions
 *   (`tl/generated/api-definitions.js`: camel-cased names and argument configs); they are
 *   turned back into TL lines. Every line's id is checked against the id derived from its text
 *   (CRC32), so a wrongly restored name or type fails here instead of shipping.
 * - `mtproto.tl`: MTProto's own schema as `telegram` ships it (`tl/schemaTl.js`); it does not
 *   depend on the API layer.
 *
 * Adding a layer: install the client package that speaks it, add its source here, run this
 * script and `pnpm generate`, and read the diff.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { derivedId, parse, print, type TlDefinition, type TlParam, type TlType } from "./generators/lib/tl.js"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outDir = join(root, "packages", "core", "catalog", "tl")
// Resolve the client packages the way @tgphone/core sees them (they are its dev dependencies).
const require = createRequire(join(root, "packages", "core", "package.json"))

const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version

/** teleproto's compiled description of one argument. */
interface ArgConfig {
  readonly isVector: boolean
  readonly isFlag: boolean
  readonly flagName: string | null
  readonly flagIndex: number
  readonly flagIndicator: boolean
  readonly type: string | null
  readonly useVectorId: boolean | null
}

/** teleproto's compiled description of one combinator. */
interface CompiledDefinition {
  readonly name: string
  readonly constructorId: number
  readonly argsConfig: Record<string, ArgConfig>
  readonly result: string
  readonly isFunction: boolean
  readonly namespace?: string
}

/** The schema of layer 198 and MTProto, from `telegram`. */
const fromTelegram = () => {
  const layer = (require("telegram/tl/AllTLObjects.js") as { LAYER: number }).LAYER
  const api = parse(require("telegram/tl/apiTl.js") as string)
  const mtprotoText = require("telegram/tl/schemaTl.js") as string
  const mtproto = parse(mtprotoText)
  // MTProto's id-less helper types (tlsClientHello, tlsBlock*): teleproto compiles them too.
  const idless = new Set(
    mtprotoText
      .split("\n")
      .map((l) => l.trim().split(" ")[0] ?? "")
      .filter((n) => n !== "" && !n.includes("#") && !n.startsWith("-"))
  )
  return { layer, version: versionOf("telegram"), api: api.definitions, mtproto: mtproto.definitions, idless }
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1)
const snake = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** teleproto's definitions turned back into TL, with names restored from a known schema. */
const fromTeleproto = (
  known: ReadonlyArray<TlDefinition>,
  mtprotoIds: ReadonlySet<number>,
  idless: ReadonlySet<string>
) => {
  const layer = (require("teleproto/tl/runtime/registry.js") as { LAYER: number }).LAYER
  const compiled = require("teleproto/tl/generated/api-definitions.js") as ReadonlyArray<CompiledDefinition>
  // GramJS-style camel names lose TL's underscores; the previous layer's names say where they were.
  const fieldNames = new Map<string, string>()
  const camel = (s: string) =>
    s.replace(/([-_][a-z])/g, (g) => g.toUpperCase().replace("-", "").replace("_", ""))
  for (const def of known) for (const p of def.params) fieldNames.set(camel(p.name), p.name)
  const definitions: Array<TlDefinition> = []
  const mismatched: Array<string> = []
  for (const c of compiled) {
    const id = c.constructorId >>> 0
    if (mtprotoIds.has(id)) continue // MTProto's own schema ships separately
    const name = c.namespace === undefined ? lowerFirst(c.name) : `${c.namespace}.${lowerFirst(c.name)}`
    if (idless.has(name)) continue
    let generic = false
    const params: Array<TlParam> = []
    for (const [argName, a] of Object.entries(c.argsConfig)) {
      const pname = fieldNames.get(argName) ?? snake(argName)
      let type: TlType
      if (a.flagIndicator) type = "#"
      else if (a.type === null) throw new Error(`teleproto: ${c.name}.${argName} has no type`)
      else if (a.type === "X") {
        generic = true
        type = "X"
      } else type = a.isVector ? [a.useVectorId === false ? "vector" : "Vector", a.type] : a.type
      params.push(
        a.isFlag && a.flagName !== null
          ? {
              name: pname,
              type,
              flag: { field: fieldNames.get(a.flagName) ?? snake(a.flagName), bit: a.flagIndex }
            }
          : { name: pname, type }
      )
    }
    const vector = /^Vector<(.+)>$/.exec(c.result)
    const type: TlType = vector === null ? c.result : ["Vector", vector[1] ?? ""]
    const def: TlDefinition = {
      kind: c.isFunction ? "function" : "constructor",
      name,
      id,
      params,
      type,
      generic
    }
    if (derivedId(def) !== id) mismatched.push(name)
    definitions.push(def)
  }
  return { layer, version: versionOf("teleproto"), api: definitions, mismatched }
}

const knownIdExceptions = (defs: ReadonlyArray<TlDefinition>): Set<string> =>
  new Set(defs.filter((d) => derivedId(d) !== d.id).map((d) => d.name))

export interface Extracted {
  readonly files: ReadonlyArray<{ readonly name: string; readonly contents: string }>
  /** Lines whose id is not the CRC of their text, per file (upstream's hand-fixed ids). */
  readonly idExceptions: Readonly<Record<string, ReadonlyArray<string>>>
}

/** What the installed packages say, as the files this script writes. */
export const extract = (): Extracted => {
  const telegram = fromTelegram()
  const mtprotoIds = new Set(telegram.mtproto.map((d) => d.id))
  const teleproto = fromTeleproto(telegram.api, mtprotoIds, telegram.idless)
  // A restored line whose id differs from its text is only acceptable where the same line was
  // already an exception upstream (a hand-fixed id); anything else is a restoring bug.
  const exceptions198 = knownIdExceptions(telegram.api)
  const unexplained = teleproto.mismatched.filter((n) => !exceptions198.has(n))
  if (unexplained.length > 0)
    throw new Error(`teleproto: restored TL does not match its ids: ${unexplained.join(", ")}`)
  const note = "Normal form: one combinator a line, constructors then ---functions---. Do not edit."
  return {
    files: [
      {
        name: `api-${telegram.layer}.tl`,
        contents: print(
          [
            `LAYER ${telegram.layer}`,
            `Extracted by scripts/extract-tl.ts from telegram@${telegram.version} (tl/apiTl.js).`,
            note
          ],
          telegram.api
        )
      },
      {
        name: `api-${teleproto.layer}.tl`,
        contents: print(
          [
            `LAYER ${teleproto.layer}`,
            `Extracted by scripts/extract-tl.ts from teleproto@${teleproto.version} (tl/generated/api-definitions.js, restored to TL).`,
            note
          ],
          teleproto.api
        )
      },
      {
        name: "mtproto.tl",
        contents: print(
          [
            `MTProto's own schema. Extracted by scripts/extract-tl.ts from telegram@${telegram.version} (tl/schemaTl.js).`,
            note
          ],
          telegram.mtproto
        )
      }
    ],
    idExceptions: {
      [`api-${telegram.layer}.tl`]: [...exceptions198],
      [`api-${teleproto.layer}.tl`]: teleproto.mismatched
    }
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes("--check")
  const { files, idExceptions } = extract()
  const stale: Array<string> = []
  for (const f of files) {
    const target = join(outDir, f.name)
    let current: string | undefined
    try {
      current = readFileSync(target, "utf8")
    } catch {
      current = undefined
    }
    if (current === f.contents) continue
    if (check) stale.push(f.name)
    else writeFileSync(target, f.contents)
  }
  for (const [file, names] of Object.entries(idExceptions))
    if (names.length > 0)
      console.log(`${file}: ${names.length} ids not derived from their text: ${names.join(", ")}`)
  if (stale.length > 0) {
    console.error(
      `TL files differ from the installed packages (run scripts/extract-tl.ts): ${stale.join(", ")}`
    )
    process.exit(1)
  }
  console.log(check ? "TL files match the installed packages" : `wrote ${files.length} TL files`)
}
