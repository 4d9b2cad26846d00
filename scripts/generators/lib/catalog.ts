/**
 * Reads the phone.* catalog (`packages/core/catalog/*.tsv`) for the generators. Not a generator
 * itself (`scripts/generate.ts` only loads the `.ts` files directly in `scripts/generators/`).
 */
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

/** Where the catalog lives, relative to the root (for generated-by lines). */
export const catalogDir = "packages/core/catalog"

/** One method row of `phone-methods.tsv`, restricted to what the generators use. */
export interface MethodRow {
  /** TL name, e.g. `phone.requestCall`. */
  readonly name: string
  /** The name without its namespace, e.g. `requestCall`. */
  readonly short: string
  readonly constructorId: string
  /** TL params at layer 198, e.g. `peer:InputPhoneCall g_b:bytes`, or `(none)`. */
  readonly params: string
  readonly resultType: string
  readonly usersOnly: boolean
  /** Documented error types, deduplicated, in catalog order. */
  readonly errorTypes: ReadonlyArray<string>
  readonly summary: string
}

/** One row of `phone-errors.tsv`. */
export interface ErrorRow {
  /** Raw type, e.g. `CALL_PEER_INVALID`, `FLOOD_WAIT_X`. */
  readonly type: string
  /** The documented code (the first one when the doc page gives two). */
  readonly code: number
  /** Every code seen for it, the documented one first. */
  readonly codes: ReadonlyArray<number>
  readonly description: string
  /** The methods that document it (empty for generic rows). */
  readonly methods: ReadonlyArray<string>
  readonly scope: "method" | "generic"
}

const readTsv = (file: string): Array<Record<string, string>> => {
  const text = readFileSync(join(root, catalogDir, file), "utf8")
  const lines = text.split("\n").filter((line) => line.trim() !== "")
  const header = (lines[0] ?? "").split("\t")
  return lines.slice(1).map((line) => {
    const cells = line.split("\t")
    const row: Record<string, string> = {}
    header.forEach((name, i) => {
      row[name] = (cells[i] ?? "").trim()
    })
    return row
  })
}

const cell = (row: Record<string, string>, name: string): string => {
  const value = row[name]
  if (value === undefined) throw new Error(`catalog: missing column ${name}`)
  return value
}

/** The methods the SDK covers: every row (the 43 `phone.*` methods of the newest layer and `messages.getDhConfig`). */
export const methods = (): ReadonlyArray<MethodRow> =>
  readTsv("phone-methods.tsv").map((row) => {
    const name = cell(row, "name")
    const errorTypes: Array<string> = []
    for (const entry of cell(row, "errors").split(" ")) {
      if (entry === "") continue
      const type = entry.slice(entry.indexOf(":") + 1)
      if (!errorTypes.includes(type)) errorTypes.push(type)
    }
    return {
      name,
      short: name.slice(name.indexOf(".") + 1),
      constructorId: cell(row, "constructor_id"),
      params: cell(row, "params"),
      resultType: cell(row, "result_type"),
      usersOnly: cell(row, "bots_can_use") !== "yes",
      errorTypes,
      summary: cell(row, "summary")
    }
  })

const parseCodes = (text: string): Array<number> =>
  text
    .split(/[/ ,]+/)
    .filter((part) => part !== "")
    .map((part) => {
      const n = Number(part)
      if (!Number.isInteger(n)) throw new Error(`catalog: bad error code ${part}`)
      return n
    })

/** Every error row (method-specific and generic). */
export const errors = (): ReadonlyArray<ErrorRow> =>
  readTsv("phone-errors.tsv").map((row) => {
    const codes = parseCodes(cell(row, "code"))
    for (const other of parseCodes(cell(row, "other_codes"))) if (!codes.includes(other)) codes.push(other)
    const scope = cell(row, "scope")
    if (scope !== "method" && scope !== "generic") throw new Error(`catalog: bad scope ${scope}`)
    return {
      type: cell(row, "type"),
      code: codes[0] ?? 500,
      codes,
      description: cell(row, "description"),
      methods: scope === "method" ? cell(row, "methods").split(" ") : [],
      scope
    }
  })

/** `CALL_PEER_INVALID` → `CallPeerInvalid`. */
export const pascalCase = (type: string): string =>
  type
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("")

/** An `_X` family member (`FLOOD_WAIT_X`, `INTERDC_X_CALL_ERROR`): the X is a number on the wire. */
export const isNumberedFamily = (type: string): boolean => type.split("_").includes("X")

/** The wire pattern of a generic row: `FLOOD_WAIT_X` → `^FLOOD_WAIT_(\d+)$`. */
export const wirePattern = (type: string): string =>
  `^${type
    .split("_")
    .map((part) => (part === "X" ? "(\\d+)" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("_")}$`
