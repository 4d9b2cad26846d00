/**
 * The TL schema of every layer tgphone ships (`packages/core/catalog/tl/`, extracted from the
 * client packages by `scripts/extract-tl.ts` and generated into tables by
 * `scripts/generators/tl.ts`), indexed for schema-driven readers and writers such as the
 * loopback server's. Needs neither `telegram` nor `teleproto`.
 *
 * @since 0.1.0
 */
import * as ModelTable from "./generated/ModelTable.js"
import * as Generated from "./generated/Tl.js"
import { fieldName as fieldNameOf } from "./internal/tlName.js"
import type { Row, RowType } from "./internal/tlRow.js"

/**
 * A TL type: a name (`int`, `long`, `bytes`, `string`, `Bool`, `User`, `phone.PhoneCall`, a bare
 * lower-case constructor name such as `future_salt`, `#` for a flags field, `true` for a
 * flag-only boolean, `X` for the generic `!X`), or a boxed (`Vector`) / bare (`vector`) vector.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import type * as Tl from "@tgphone/core/Tl"
 *
 * const users: Tl.Type = ["Vector", "User"]
 */
export type Type = RowType

/**
 * One parameter of a combinator.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * const video = Tl.schema(Tl.newest).byName.get("phone.requestCall")?.params[1]
 * // { name: "video", type: "true", flag: { field: "flags", bit: 0 } }
 */
export interface Param {
  /** The TL (snake_case) name. */
  readonly name: string
  readonly type: Type
  /** The flags field and bit that guard the parameter, when it is optional. */
  readonly flag: { readonly field: string; readonly bit: number } | undefined
}

/**
 * One combinator: a constructor or a function.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * const requestCall = Tl.schema(229).byName.get("phone.requestCall")
 * // requestCall?.id === 0x42ff96ed
 */
export interface Definition {
  readonly kind: "constructor" | "function"
  /** `phone.requestCall`, `user`, `rpc_error`. */
  readonly name: string
  /** The unsigned 32-bit id. */
  readonly id: number
  readonly params: ReadonlyArray<Param>
  /** The type a constructor builds or a function returns. */
  readonly type: Type
  /** Whether it is generic in `X` (`invokeWithLayer {X:Type} layer:int query:!X = X`). */
  readonly generic: boolean
}

/**
 * One layer's schema (API combinators plus MTProto's), indexed.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * const s = Tl.schema(198)
 * const callTypes = s.constructorsOf.get("PhoneCall")?.map((d) => d.name)
 */
export interface Schema {
  /** The API layer. */
  readonly layer: number
  /** Every combinator of the layer and of MTProto, in schema order. */
  readonly definitions: ReadonlyArray<Definition>
  readonly byId: ReadonlyMap<number, Definition>
  readonly byName: ReadonlyMap<string, Definition>
  /** The constructors of each boxed type (`User` → `userEmpty`, `user`). */
  readonly constructorsOf: ReadonlyMap<string, ReadonlyArray<Definition>>
}

const definitionOf = (row: Row): Definition => ({
  kind: row[0] === 1 ? "function" : "constructor",
  id: row[1],
  name: row[2],
  type: row[3],
  params: row[4].map((p) => ({
    name: p[0],
    type: p[1],
    flag: p.length === 4 ? { field: p[2], bit: p[3] } : undefined
  })),
  generic: row.length === 6
})

const definitions: Array<Definition | undefined> = []
const definition = (i: number): Definition => {
  let d = definitions[i]
  if (d === undefined) {
    const row = Generated.rows[i]
    if (row === undefined) throw new Error(`Tl: generated tables are inconsistent (row ${i})`)
    d = definitionOf(row)
    definitions[i] = d
  }
  return d
}

/**
 * The API layers tgphone ships a schema for, ascending.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.layers // [198, 229]
 */
export const layers: ReadonlyArray<number> = Generated.layers.map((l) => l.layer)

/**
 * The newest shipped layer.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.newest // 229
 */
export const newest: number = layers[layers.length - 1] ?? 0

/**
 * The shipped layer a peer declaring `declared` is served in: that layer when it is shipped,
 * else the newest shipped layer below it, else the oldest shipped layer (a client declaring a
 * higher, unknown layer gets the newest). This is the rule for a client library's codec, which
 * has no classes for what came after its layer; the loopback server picks the nearest layer
 * instead (`docs/loopback.md`).
 *
 * @since 0.1.0
 * @category layers
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.layerFor(230) // 229
 * Tl.layerFor(200) // 198
 */
export const layerFor = (declared: number): number => {
  let best: number | undefined
  for (const l of layers) if (l <= declared) best = l
  return best ?? layers[0] ?? newest
}

/**
 * MTProto's own combinators (`rpc_error`, `pong`, `future_salts`, the handshake…), the same in
 * every layer. `msg_container`, `rpc_result`, `gzip_packed` and `message` are not in the
 * published schema; readers handle them by id (0x73f1f8dc, 0xf35c6d01, 0x3072cfa1).
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * const pong = Tl.mtproto.find((d) => d.name === "pong")
 */
export const mtproto: ReadonlyArray<Definition> = Generated.mtproto.map(definition)

const cache = new Map<number, Schema>()

/**
 * The schema of a shipped layer (API + MTProto), indexed; built on first use. A layer that is
 * not shipped resolves through {@link layerFor}.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * const user = Tl.schema(198).byId.get(0x4b46c37e)?.name // "user"
 */
export const schema = (layer: number): Schema => {
  const resolved = layerFor(layer)
  const cached = cache.get(resolved)
  if (cached !== undefined) return cached
  const entry = Generated.layers.find((l) => l.layer === resolved)
  const defs = [...mtproto, ...(entry?.rows ?? []).map(definition)]
  const byId = new Map<number, Definition>()
  const byName = new Map<string, Definition>()
  const constructorsOf = new Map<string, Array<Definition>>()
  for (const d of defs) {
    byId.set(d.id, d)
    byName.set(d.name, d)
    if (d.kind === "constructor" && typeof d.type === "string") {
      const list = constructorsOf.get(d.type)
      if (list === undefined) constructorsOf.set(d.type, [d])
      else list.push(d)
    }
  }
  const built: Schema = { layer: resolved, definitions: defs, byId, byName, constructorsOf }
  cache.set(resolved, built)
  return built
}

/**
 * What Telegram sends instead of constructor `name` to a client whose layer lacks it, when the
 * model knows a nearest older form (the overlay's choice, `packages/core/src/overlay/modelSpec.ts`):
 * `phoneCallDiscardReasonMigrateConferenceCall` (layer 202 on) reaches a layer-198 client as
 * `phoneCallDiscardReasonHangup`. `undefined` when there is none.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.fallbackFor("phoneCallDiscardReasonMigrateConferenceCall") // "phoneCallDiscardReasonHangup"
 */
export const fallbackFor = (name: string): string | undefined => ModelTable.constructors[name]?.fallback

/**
 * How the domain model (`@tgphone/core` `Model`) carries one TL type, from the generated model
 * table: the `Model` export, whether it is one class (`"class"`: no `_tag`; the first
 * constructor is the one written) or a `_tag`ged union, the modelled constructors (TL names),
 * and the variant an unmodelled constructor travels in as is (`InputPeerRaw`), if any.
 *
 * @since 0.1.0
 * @category model table
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * const reason: Tl.ModelType | undefined = Tl.modelType("PhoneCallDiscardReason")
 * // reason?.model === "DiscardReason"
 */
export interface ModelType {
  /** The TL type (`PhoneCallDiscardReason`). */
  readonly name: string
  /** The `Model` export (`DiscardReason`). */
  readonly model: string
  readonly kind: "class" | "union"
  readonly constructors: ReadonlyArray<string>
  readonly rawVariant: string | undefined
}

/**
 * How the domain model carries one TL constructor, from the generated model table: its TL type,
 * its `_tag`, its modelled fields (TL name; `"r"` always present, `"o"` an optional key, `"f"` a
 * `flags.N?true` boolean; `redacted` when the model holds it `Redacted`), whether decoded values
 * keep the wire object in `raw`, and what a server sends instead to a client whose layer lacks
 * it ({@link fallbackFor}).
 *
 * @since 0.1.0
 * @category model table
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.modelConstructor("phoneCallDiscardReasonBusy")?.tag // "Busy"
 */
export interface ModelConstructor {
  /** The TL name (`phoneCallDiscardReasonBusy`). */
  readonly name: string
  readonly type: string
  readonly tag: string
  readonly fields: ReadonlyArray<{
    readonly name: string
    readonly mode: "r" | "o" | "f"
    readonly redacted: boolean
  }>
  readonly raw: boolean
  readonly fallback: string | undefined
}

const modelTypes = new Map<string, ModelType>()
const modelConstructors = new Map<string, ModelConstructor>()

/**
 * The model's view of TL type `name` (its TL name: `PhoneCall`, `phone.PhoneCall`), or
 * `undefined` when the model does not carry it (`Bool`, and the hand-written `Updates`).
 *
 * @since 0.1.0
 * @category model table
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.modelType("User")?.constructors // ["user", "userEmpty"]
 */
export const modelType = (name: string): ModelType | undefined => {
  let t = modelTypes.get(name)
  if (t === undefined) {
    const e = Object.hasOwn(ModelTable.types, name) ? ModelTable.types[name] : undefined
    if (e === undefined) return undefined
    t = { name, model: e.model, kind: e.kind, constructors: e.constructors, rawVariant: e.rawVariant }
    modelTypes.set(name, t)
  }
  return t
}

/**
 * The model's view of TL constructor `name` (`phoneCallRequested`, `phone.phoneCall`), or
 * `undefined` when the model does not carry it (`inputPeerUserFromMessage`).
 *
 * @since 0.1.0
 * @category model table
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.modelConstructor("phone.phoneCall")?.tag // "PhoneCall"
 */
export const modelConstructor = (name: string): ModelConstructor | undefined => {
  let c = modelConstructors.get(name)
  if (c === undefined) {
    const e = Object.hasOwn(ModelTable.constructors, name) ? ModelTable.constructors[name] : undefined
    if (e === undefined) return undefined
    c = {
      name,
      type: e.type,
      tag: e.tag,
      fields: e.fields.map((f) => ({ name: f[0], mode: f[1], redacted: f.length === 3 })),
      raw: e.raw === true,
      fallback: e.fallback
    }
    modelConstructors.set(name, c)
  }
  return c
}

/**
 * Every TL constructor the model carries, in the model table's order.
 *
 * @since 0.1.0
 * @category model table
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * const tags = Tl.modelConstructorNames.map((n) => Tl.modelConstructor(n)?.tag)
 */
export const modelConstructorNames: ReadonlyArray<string> = Object.keys(ModelTable.constructors)

/**
 * The model's (and GramJS's) field name of a TL parameter: its camelCase (`g_a_hash` →
 * `gAHash`, `p2p_allowed` → `p2pAllowed`). The one rule the generated model, the codecs and the
 * loopback server's mapping use.
 *
 * @since 0.1.0
 * @category model table
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.fieldName("g_a_or_b") // "gAOrB"
 */
export const fieldName = (tlName: string): string => fieldNameOf(tlName)

let wrapperNames: ReadonlySet<string> | undefined

/**
 * Whether `name` is one of the generic functions that wrap a query (`invokeWithLayer`,
 * `initConnection`, `invokeWithoutUpdates`, `invokeAfterMsg`, …: `query:!X` returning `X`) in
 * some shipped layer. Readers peel these to reach the request inside.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import * as Tl from "@tgphone/core/Tl"
 *
 * Tl.isWrapper("invokeWithLayer") // true
 * Tl.isWrapper("phone.requestCall") // false
 */
export const isWrapper = (name: string): boolean => {
  wrapperNames ??= new Set(
    layers.flatMap((l) =>
      schema(l)
        .definitions.filter(
          (d) =>
            d.kind === "function" && d.generic && d.params.some((p) => p.name === "query" && p.type === "X")
        )
        .map((d) => d.name)
    )
  )
  return wrapperNames.has(name)
}
