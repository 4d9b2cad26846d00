/**
 * A parser and printer for TL schema text (https://core.telegram.org/mtproto/TL), used by
 * `scripts/extract-tl.ts` and the TL generators. Not a generator itself.
 *
 * A schema is a list of combinators: constructors (before `---functions---`, or after
 * `---types---`) and functions. Each has a name, a 32-bit id, parameters and a result type.
 * Lines without an explicit id (TL's own builtins such as `vector`, and the `tlsBlock*` helper
 * types of the MTProto schema that never go on the wire as objects) are skipped.
 */

/** A TL type as the tables carry it: a name, or a boxed (`Vector`) / bare (`vector`) vector of a type. */
export type TlType = string | readonly ["Vector" | "vector", TlType]

/** One parameter: its TL name, its type, and the flag field + bit that guards it, if any. */
export interface TlParam {
  readonly name: string
  /** `#` for a flags field, `true` for a flag-only boolean, `X` for the generic `!X` query. */
  readonly type: TlType
  readonly flag?: { readonly field: string; readonly bit: number }
}

/** One combinator. */
export interface TlDefinition {
  readonly kind: "constructor" | "function"
  /** `phone.requestCall`, `user`, `rpc_error`. */
  readonly name: string
  /** The unsigned 32-bit id. */
  readonly id: number
  readonly params: ReadonlyArray<TlParam>
  /** The result type: `phone.PhoneCall`, `Vector<int>` is `["Vector", "int"]`, `X` for generic functions. */
  readonly type: TlType
  /** Whether the combinator is generic in `X` (`invokeWithLayer {X:Type} … query:!X = X`). */
  readonly generic: boolean
}

/** A parsed schema with its layer (from a `// LAYER n` line), if it states one. */
export interface TlSchema {
  readonly layer: number | undefined
  readonly definitions: ReadonlyArray<TlDefinition>
}

const parseType = (text: string, where: string): TlType => {
  let t = text
  if (t.startsWith("!")) t = t.slice(1)
  if (t.startsWith("%")) t = t.slice(1)
  const vector = /^([Vv]ector)<(.+)>$/.exec(t)
  if (vector !== null) return [vector[1] as "Vector" | "vector", parseType(vector[2] ?? "", where)]
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$|^#$/.test(t)) throw new Error(`TL: bad type ${text} in ${where}`)
  return t
}

/** The TL text of a type. */
export const typeText = (type: TlType): string =>
  typeof type === "string" ? type : `${type[0]}<${typeText(type[1])}>`

const parseLine = (line: string, kind: TlDefinition["kind"]): TlDefinition | undefined => {
  if (line.startsWith("vector#")) return undefined // TL's builtin vector
  const body = line.replace(/;\s*$/, "").trim()
  const eq = body.lastIndexOf(" = ")
  if (eq < 0) throw new Error(`TL: no result type in ${line}`)
  const left = body.slice(0, eq).trim().split(/\s+/)
  const head = left[0] ?? ""
  const hash = head.indexOf("#")
  if (hash < 0) return undefined // no explicit id: a builtin or a helper type
  const name = head.slice(0, hash)
  const idText = head.slice(hash + 1)
  if (!/^[0-9a-f]{1,8}$/.test(idText)) throw new Error(`TL: bad id in ${line}`)
  let generic = false
  const params: Array<TlParam> = []
  for (const part of left.slice(1)) {
    if (part === "[" || part === "]" || part === "t" || part === "#") return undefined // vector builtin
    const brace = /^\{(\w+):Type\}$/.exec(part)
    if (brace !== null) {
      if (brace[1] !== "X") throw new Error(`TL: unsupported generic ${part} in ${line}`)
      generic = true
      continue
    }
    const colon = part.indexOf(":")
    if (colon < 0) throw new Error(`TL: bad parameter ${part} in ${line}`)
    const pname = part.slice(0, colon)
    let ptype = part.slice(colon + 1)
    let flag: TlParam["flag"]
    const flagged = /^(\w+)\.(\d+)\?(.+)$/.exec(ptype)
    if (flagged !== null) {
      flag = { field: flagged[1] ?? "", bit: Number(flagged[2]) }
      ptype = flagged[3] ?? ""
    }
    params.push(
      flag === undefined
        ? { name: pname, type: parseType(ptype, name) }
        : { name: pname, type: parseType(ptype, name), flag }
    )
  }
  const result = body.slice(eq + 3).trim()
  return { kind, name, id: Number.parseInt(idText, 16) >>> 0, params, type: parseType(result, name), generic }
}

/** Parses TL schema text. */
export const parse = (text: string): TlSchema => {
  let kind: TlDefinition["kind"] = "constructor"
  let layer: number | undefined
  const definitions: Array<TlDefinition> = []
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    const layerLine = /^\/\/\s*LAYER\s+(\d+)/.exec(line)
    if (layerLine !== null) layer = Number(layerLine[1])
    if (line === "" || line.startsWith("//")) continue
    if (line === "---functions---") {
      kind = "function"
      continue
    }
    if (line === "---types---") {
      kind = "constructor"
      continue
    }
    const def = parseLine(line, kind)
    if (def !== undefined) definitions.push(def)
  }
  return { layer, definitions }
}

const hex = (id: number): string => id.toString(16).padStart(8, "0")

const paramText = (p: TlParam): string =>
  `${p.name}:${p.flag === undefined ? "" : `${p.flag.field}.${p.flag.bit}?`}${p.type === "X" ? "!X" : typeText(p.type)}`

/** The TL line of a definition, in the normal form this project ships. */
export const lineOf = (def: TlDefinition): string =>
  [
    `${def.name}#${hex(def.id)}`,
    ...(def.generic ? ["{X:Type}"] : []),
    ...def.params.map(paramText),
    "=",
    `${typeText(def.type)};`
  ].join(" ")

/** Prints definitions as TL text: constructors, then `---functions---` and the functions. */
export const print = (header: ReadonlyArray<string>, definitions: ReadonlyArray<TlDefinition>): string => {
  const constructors = definitions.filter((d) => d.kind === "constructor").map(lineOf)
  const functions = definitions.filter((d) => d.kind === "function").map(lineOf)
  return [...header.map((h) => `// ${h}`), ...constructors, "---functions---", ...functions, ""].join("\n")
}

const crcTable = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

const crc32 = (text: string): number => {
  let crc = 0xffffffff
  for (const byte of new TextEncoder().encode(text)) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * The id TL derives from a combinator's text (CRC32 of its normalised line: no id, `bytes` read
 * as `string`, no `flags.N?true` parameters, no brackets). Official schemas give most ids this
 * way; a few were fixed by hand, so a mismatch is a warning, not an error.
 */
export const derivedId = (def: TlDefinition): number => {
  const params = def.params
    .filter((p) => !(p.flag !== undefined && p.type === "true"))
    .map((p) =>
      paramText(p)
        .replace(/:bytes$/, ":string")
        .replace(/\?bytes$/, "?string")
    )
  const text = [def.name, ...(def.generic ? ["X:Type"] : []), ...params, "=", typeText(def.type)]
    .join(" ")
    .replace(/</g, " ")
    .replace(/>/g, "")
  return crc32(text)
}
