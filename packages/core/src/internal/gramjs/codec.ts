/**
 * The schema-driven codec between the domain model (`Model.ts`) and the `Api` objects of a
 * GramJS-family client library (GramJS, `telegram` on npm; teleproto, its fork): one codec per
 * backend, made from the backend's `Api` namespace and TL layer by `makeCodec`. What goes on the
 * wire is the backend layer's TL schema (`Tl.schema(layer)`); which model value a TL object is,
 * the generated table (`generated/ModelTable.ts`: each modelled constructor's `_tag` and fields).
 * Field names of the model equal the libraries' camelCase field names.
 *
 * Conventions of the GramJS family that this relies on (checked by the round-trip tests):
 * - longs are written from a `big-integer` (`returnBigInt`) and read back as `big-integer`s;
 *   `int256` likewise, as a signed little-endian number;
 * - bytes are `Buffer`s; flags-true fields read back as `false` when absent; other absent
 *   optional fields read back as `null` or `undefined`;
 * - `getBytes()` derives `flags` from which optional fields are set (a `Bool` `false` still
 *   sets its flag), so fields sharing one flag bit are set together here.
 *
 * A field the model has and the backend's layer lacks decodes as absent (`false` for a flag); a
 * set one fails to encode. A required wire field the model does not carry (a chat's `photo`)
 * is sent as its zero value (`chatPhotoEmpty`, 0, ""). Internal failures are thrown as
 * `CodecError` and caught at the public boundary (`internal/gramjs/rpc.ts`), which turns them
 * into values.
 */
import { Redacted, Schema } from "effect"
import { constructors, types } from "../../generated/ModelTable.js"
import * as Model from "../../Model.js"
import * as Tl from "../../Tl.js"
import { fieldName } from "../tlName.js"

/**
 * A value could not be converted between the domain model and the backend.
 *
 * @since 0.1.0
 * @category errors
 */
export class CodecError extends Schema.TaggedError<CodecError>()("CodecError", {
  direction: Schema.Literals(["encode", "decode"]),
  message: Schema.String
}) {}

const fail = (direction: "encode" | "decode", message: string): never => {
  throw new CodecError({ direction, message })
}

/** One direction pair. Method syntax keeps the parameter bivariant, so codecs fit in tables. */
export interface Codec<D> {
  encode(domain: D): unknown
  decode(wire: unknown): D
}

/** A TL class of the backend's `Api` (`Api.phone.RequestCall`, `Api.PhoneCall`). */
export interface ApiClass {
  readonly className: string
  readonly SUBCLASS_OF_ID?: number
  new (args: never): object
}

/** What a codec needs of a backend: its `Api` namespace, its TL layer, its long constructor. */
export interface Backend {
  /** The library's `Api` namespace object (`import { Api } from "telegram"` or `"teleproto"`). */
  readonly Api: object
  /** The TL layer the library speaks (GramJS 2.26: 198; teleproto 1.229: 229). */
  readonly layer: number
  /** The library's `helpers.returnBigInt` (a native `bigint` → its `big-integer`). */
  readonly returnBigInt: (value: bigint) => unknown
}

const describe = (wire: unknown): string =>
  typeof wire === "object" && wire !== null && "className" in wire
    ? String((wire as { className: unknown }).className)
    : wire === null
      ? "null"
      : typeof wire

/** The backend class name of a TL object, or `undefined` for anything else. */
export const classNameOf = (wire: unknown): string | undefined =>
  typeof wire === "object" && wire !== null && "className" in wire && typeof wire.className === "string"
    ? wire.className
    : undefined

/** `phone.PhoneCall` (a class name) → `phone.phoneCall` (the TL name). */
export const tlNameOfClass = (className: string): string => {
  const dot = className.lastIndexOf(".")
  const last = className.slice(dot + 1)
  return `${className.slice(0, dot + 1)}${last.charAt(0).toLowerCase()}${last.slice(1)}`
}

/** The model's (and GramJS's) camelCase of a TL name. */
const camel = fieldName

/** Per modelled constructor, computed once: its TL field names, camelCase keys and flag keys. */
interface FieldSets {
  readonly modelled: ReadonlySet<string>
  readonly keys: ReadonlyArray<string>
  readonly flags: ReadonlySet<string>
}
const fieldSets = new WeakMap<object, FieldSets>()

/** Per TL combinator, computed once: the camelCase names of its parameters and of its `true` flags. */
interface ParamSets {
  readonly keys: ReadonlySet<string>
  readonly flags: ReadonlySet<string>
}
const paramSets = new WeakMap<Tl.Definition, ParamSets>()
const paramSetsOf = (def: Tl.Definition): ParamSets => {
  let sets = paramSets.get(def)
  if (sets === undefined) {
    sets = {
      keys: new Set(def.params.map((p) => camel(p.name))),
      flags: new Set(def.params.filter((p) => p.type === "true").map((p) => camel(p.name)))
    }
    paramSets.set(def, sets)
  }
  return sets
}
const fieldSetsOf = (ctor: (typeof constructors)[string]): FieldSets => {
  let sets = fieldSets.get(ctor)
  if (sets === undefined) {
    sets = {
      modelled: new Set(ctor.fields.map((f) => f[0])),
      keys: ctor.fields.map((f) => camel(f[0])),
      flags: new Set(ctor.fields.filter((f) => f[1] === "f").map((f) => camel(f[0])))
    }
    fieldSets.set(ctor, sets)
  }
  return sets
}

/** Whether a backend `Update` object is one the model carries. */
export const isModelledUpdate = (wire: unknown): boolean => {
  const name = classNameOf(wire)
  return name !== undefined && constructors[tlNameOfClass(name)]?.type === "Update"
}

// ---------------------------------------------------------------------------------------------
// primitives
// ---------------------------------------------------------------------------------------------

const MIN_LONG = -(2n ** 63n)
const MAX_LONG = 2n ** 63n - 1n

const bigOf = (wire: unknown): bigint | undefined => {
  if (typeof wire === "bigint") return wire
  if (typeof wire === "number" && Number.isSafeInteger(wire)) return BigInt(wire)
  if (typeof wire === "string" && /^-?\d+$/.test(wire)) return BigInt(wire)
  if (typeof wire === "object" && wire !== null && "value" in wire && typeof wire.value === "bigint")
    return wire.value
  if (typeof wire === "object" && wire !== null && typeof wire.toString === "function") {
    const text = wire.toString()
    if (/^-?\d+$/.test(text)) return BigInt(text)
  }
  return undefined
}

/** A backend long (big-integer, bigint, number or decimal string) as a native `bigint`. */
export const toBigInt = (wire: unknown): bigint => {
  const value = bigOf(wire)
  if (value === undefined) return fail("decode", `expected a long, got ${describe(wire)}`)
  if (value < MIN_LONG || value > MAX_LONG) return fail("decode", `long out of range: ${value}`)
  return value
}

/** 32 little-endian bytes ↔ a signed 256-bit integer. */
const int256FromBytes = (bytes: Uint8Array): bigint => {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0)
  return BigInt.asIntN(256, n)
}
const int256ToBytes = (n: bigint): Uint8Array => {
  let u = BigInt.asUintN(256, n)
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) {
    out[i] = Number(u & 0xffn)
    u >>= 8n
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// the codec
// ---------------------------------------------------------------------------------------------

/** The codec of one backend: model values ↔ its `Api` objects, in its layer. */
export interface SchemaCodec {
  /** The shipped TL layer the backend is served by (`Tl.layerFor(backend.layer)`). */
  readonly layer: number
  readonly schema: Tl.Schema
  /** A model value of TL type `type` → the backend value. */
  readonly encode: (type: Tl.Type, value: unknown) => unknown
  /** A backend value of TL type `type` → the model value. */
  readonly decode: (type: Tl.Type, wire: unknown) => unknown
  /** The backend class of a TL combinator (`phone.requestCall` → `Api.phone.RequestCall`). */
  readonly apiClass: (tlName: string) => ApiClass | undefined
  /** Registry params → the backend request object of `method` in this layer. */
  readonly encodeRequest: (method: string, params: unknown) => object
  /** A backend request object → its TL method name and its params in the model (not yet Schema-checked). */
  readonly decodeRequest: (request: unknown) => {
    readonly method: string
    readonly params: Readonly<Record<string, unknown>>
  }
  /** The result of `method` (model) → the backend value. */
  readonly encodeResult: (method: string, result: unknown) => unknown
  /** The backend value `client.invoke` resolves → the model result of `method`. */
  readonly decodeResult: (method: string, wire: unknown) => unknown
  readonly update: Codec<Model.Update>
  readonly updates: Codec<Model.Updates>
  readonly user: Codec<Model.User>
}

type Params = ReadonlyArray<Tl.Param>

const codecs = new WeakMap<object, Map<number, SchemaCodec>>()

/** The codec of a backend (made once per `Api` object and layer). */
export const makeCodec = (backend: Backend): SchemaCodec => {
  let byLayer = codecs.get(backend.Api)
  if (byLayer === undefined) {
    byLayer = new Map()
    codecs.set(backend.Api, byLayer)
  }
  const cached = byLayer.get(backend.layer)
  if (cached !== undefined) return cached
  const made = build(backend)
  byLayer.set(backend.layer, made)
  return made
}

const build = (backend: Backend): SchemaCodec => {
  const schema = Tl.schema(backend.layer)
  const layer = schema.layer
  const Api = backend.Api as Record<string, unknown>
  const long = backend.returnBigInt

  const classes = new Map<string, ApiClass | undefined>()
  const apiClass = (tlName: string): ApiClass | undefined => {
    if (classes.has(tlName)) return classes.get(tlName)
    const parts = tlName.split(".")
    const last = parts.pop() ?? ""
    let ns: unknown = Api
    for (const p of parts)
      ns = typeof ns === "object" && ns !== null ? (ns as Record<string, unknown>)[p] : undefined
    const found =
      typeof ns === "object" && ns !== null
        ? ((ns as Record<string, unknown>)[`${last.charAt(0).toUpperCase()}${last.slice(1)}`] as
            | ApiClass
            | undefined)
        : undefined
    classes.set(tlName, found)
    return found
  }
  const classOf = (tlName: string, direction: "encode" | "decode"): ApiClass =>
    apiClass(tlName) ?? fail(direction, `${tlName}: the backend has no class for it`)

  const tlNameOf = (wire: unknown): string | undefined => {
    const id = (wire as { CONSTRUCTOR_ID?: unknown } | null)?.CONSTRUCTOR_ID
    if (typeof id === "number") {
      const def = schema.byId.get(id >>> 0)
      if (def !== undefined) return def.name
    }
    const name = classNameOf(wire)
    return name === undefined ? undefined : tlNameOfClass(name)
  }

  const zero = (type: Tl.Type, where: string): unknown => {
    if (typeof type !== "string") return []
    switch (type) {
      case "int":
      case "double":
        return 0
      case "long":
      case "int256":
      case "int128":
        return long(0n)
      case "string":
        return ""
      case "bytes":
        return Buffer.alloc(0)
      case "Bool":
        return false
    }
    const empty = schema.constructorsOf
      .get(type)
      ?.find((d) => d.params.every((p) => p.type === "#" || p.flag !== undefined))
    if (empty === undefined)
      return fail("encode", `${where}: no value for the ${type} the model does not carry`)
    return new (classOf(empty.name, "encode"))({} as never)
  }

  // -- encoding -------------------------------------------------------------------------------

  const encodeArgs = (
    name: string,
    params: Params,
    value: Readonly<Record<string, unknown>>,
    modelled: ReadonlySet<string> | undefined
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    const set = new Set<string>()
    for (const p of params) {
      if (p.type === "#") continue
      const key = camel(p.name)
      let v = modelled === undefined || modelled.has(p.name) ? value[key] : undefined
      if (p.type === "true") {
        if (v === true) {
          out[key] = true
          if (p.flag !== undefined) set.add(`${p.flag.field}.${p.flag.bit}`)
        }
        continue
      }
      if (v === undefined) {
        if (p.flag !== undefined) continue
        if (modelled === undefined || modelled.has(p.name)) return fail("encode", `${name}.${key} is missing`)
        out[key] = zero(p.type, name)
        continue
      }
      if (Redacted.isRedacted(v)) v = Redacted.value(v)
      try {
        out[key] = encode(p.type, v)
      } catch (e) {
        if (e instanceof CodecError) return fail("encode", `${name}.${key}: ${e.message}`)
        throw e
      }
      if (p.flag !== undefined) set.add(`${p.flag.field}.${p.flag.bit}`)
    }
    // a flag bit shared by several fields (`bot:flags.14?true bot_info_version:flags.14?int`):
    // the library sets the bit when one is present and then writes all of them. A field the
    // model does not carry is sent as its zero value; one it carries must be given.
    for (const p of params)
      if (p.flag !== undefined && p.type !== "true" && out[camel(p.name)] === undefined)
        if (set.has(`${p.flag.field}.${p.flag.bit}`)) {
          if (modelled === undefined || modelled.has(p.name))
            return fail(
              "encode",
              `${name}.${camel(p.name)} is missing (it shares ${p.flag.field}.${p.flag.bit} with a field that is set)`
            )
          out[camel(p.name)] = zero(p.type, name)
        }
    return out
  }

  // Results and updates (what a server sends) drop what the backend's layer cannot carry, as a
  // server of that layer would never have it; requests (what a client sends) fail instead.
  let lenient = false
  const leniently = <A>(f: () => A): A => {
    const before = lenient
    lenient = true
    try {
      return f()
    } finally {
      lenient = before
    }
  }

  /** A field the model set that this layer has no place for (a flag counts as set when `true`). */
  const checkCarried = (
    def: Tl.Definition,
    keys: Iterable<string>,
    value: Readonly<Record<string, unknown>>,
    isFlag: (key: string) => boolean
  ) => {
    if (lenient) return
    const carried = paramSetsOf(def).keys
    for (const key of keys) {
      const v = value[key]
      if (v === undefined || (v === false && isFlag(key)) || key === "_tag") continue
      if (!carried.has(key)) fail("encode", `${def.name}.${key} is not in layer ${layer}`)
    }
  }

  const encodeObject = (type: string, value: unknown): unknown => {
    if (typeof value !== "object" || value === null) return fail("encode", `${type}: expected an object`)
    const entry = types[type]
    if (entry === undefined) return fail("encode", `${type} is not modelled`)
    const v = value as Readonly<Record<string, unknown>>
    let ctorName: string | undefined
    if (entry.kind === "class") ctorName = entry.constructors[0]
    else {
      const tag = v["_tag"]
      if (entry.rawVariant !== undefined && tag === entry.rawVariant) {
        const raw = v["raw"]
        const first = apiClass(entry.constructors[0] ?? "")
        const ok =
          typeof raw === "object" &&
          raw !== null &&
          typeof (raw as { getBytes?: unknown }).getBytes === "function" &&
          first !== undefined &&
          (raw as { SUBCLASS_OF_ID?: unknown }).SUBCLASS_OF_ID === first.SUBCLASS_OF_ID
        return ok ? raw : fail("encode", `${entry.rawVariant}.raw is not a backend ${type} object`)
      }
      ctorName = entry.constructors.find((c) => constructors[c]?.tag === tag)
      if (ctorName === undefined) return fail("encode", `${type}: unsupported variant ${String(tag)}`)
    }
    let ctor = constructors[ctorName ?? ""]
    let def = schema.byName.get(ctorName ?? "")
    if (def === undefined && lenient && ctor?.fallback !== undefined) {
      // a variant the layer lacks, sent as the one its clients see instead
      const fallback = ctor.fallback
      ctor = constructors[fallback]
      def = schema.byName.get(fallback)
    }
    if (ctor === undefined || def === undefined)
      return fail("encode", `${type}: ${ctorName} is not in layer ${layer}`)
    const { modelled, keys, flags } = fieldSetsOf(ctor)
    checkCarried(def, keys, v, (key) => flags.has(key))
    return new (classOf(def.name, "encode"))(encodeArgs(def.name, def.params, v, modelled) as never)
  }

  const encode = (type: Tl.Type, value: unknown): unknown => {
    if (typeof type !== "string") {
      const item = type[1]
      return Array.isArray(value)
        ? value.map((x) => encode(item, x))
        : fail("encode", `expected a vector, got ${describe(value)}`)
    }
    switch (type) {
      case "int":
      case "double":
        return typeof value === "number" ? value : fail("encode", `expected a number, got ${describe(value)}`)
      case "long":
        return typeof value === "bigint"
          ? long(value)
          : fail("encode", `expected a bigint, got ${describe(value)}`)
      case "int256":
        return value instanceof Uint8Array && value.length === 32
          ? long(int256FromBytes(value))
          : fail("encode", "expected an int256: 32 bytes")
      case "string":
        return typeof value === "string" ? value : fail("encode", `expected a string, got ${describe(value)}`)
      case "bytes":
        return value instanceof Uint8Array
          ? Buffer.from(value)
          : fail("encode", `expected bytes, got ${describe(value)}`)
      case "Bool":
      case "true":
        return typeof value === "boolean"
          ? value
          : fail("encode", `expected a boolean, got ${describe(value)}`)
      case "Updates":
        return updates.encode(value as Model.Updates)
    }
    return encodeObject(type, value)
  }

  // -- decoding -------------------------------------------------------------------------------

  const decodeField = (p: Tl.Param, wire: unknown): unknown => {
    if (p.type === "true") return wire === true
    if (p.flag !== undefined && (wire === undefined || wire === null)) return undefined
    return decode(p.type, wire)
  }

  const construct = (model: string, props: Record<string, unknown>): unknown => {
    const cls = (Model as unknown as Record<string, unknown>)[model] as
      | (new (
          p: unknown
        ) => unknown)
      | undefined
    if (cls === undefined) return fail("decode", `${model} is not a Model class`)
    try {
      return new cls(props)
    } catch (e) {
      return fail("decode", `${model}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }

  const decodeObject = (type: string, wire: unknown): unknown => {
    const entry = types[type]
    if (entry === undefined) return fail("decode", `${type} is not modelled`)
    const name = tlNameOf(wire)
    const def = name === undefined ? undefined : schema.byName.get(name)
    if (def === undefined || def.kind !== "constructor" || def.type !== type) {
      if (def === undefined && entry.rawVariant === undefined)
        return fail("decode", `expected ${type}, got ${describe(wire)}`)
      if (def !== undefined && def.type !== type)
        return fail("decode", `expected ${type}, got ${describe(wire)}`)
    }
    const ctor = constructors[name ?? ""]
    if (ctor === undefined || ctor.type !== type) {
      if (entry.rawVariant !== undefined) return { _tag: entry.rawVariant, raw: wire }
      return fail("decode", `${type}: unsupported constructor ${describe(wire)}`)
    }
    const w = wire as Record<string, unknown>
    const props: Record<string, unknown> = {}
    for (const [tl, mode, secret] of ctor.fields) {
      const key = camel(tl)
      const p = def?.params.find((q) => q.name === tl)
      if (p === undefined) {
        if (mode === "f") props[key] = false
        else if (mode === "r") return fail("decode", `${name}.${key} is not in layer ${layer}`)
        continue
      }
      try {
        const v = decodeField(p, w[key])
        if (v !== undefined) props[key] = secret === 1 ? Redacted.make(v) : v
        else if (mode === "r") props[key] = decode(p.type, w[key])
      } catch (e) {
        if (e instanceof CodecError) return fail("decode", `${name}.${key}: ${e.message}`)
        throw e
      }
    }
    if (entry.kind === "class") {
      // a merged class (`User`: `user` and `userEmpty`): the primary constructor's flags are `false`
      const primary = constructors[entry.constructors[0] ?? ""]
      if (primary !== undefined && primary !== ctor)
        for (const [tl, mode] of primary.fields)
          if (mode === "f" && !(camel(tl) in props)) props[camel(tl)] = false
      if (ctor.raw === true) props["raw"] = wire
      return construct(entry.model, props)
    }
    if (ctor.raw === true) props["raw"] = wire
    return { _tag: ctor.tag, ...props }
  }

  const decode = (type: Tl.Type, wire: unknown): unknown => {
    if (typeof type !== "string") {
      const item = type[1]
      return Array.isArray(wire)
        ? wire.map((x) => decode(item, x))
        : fail("decode", `expected a vector, got ${describe(wire)}`)
    }
    switch (type) {
      case "int":
        return typeof wire === "number" && Number.isInteger(wire) && wire >= -(2 ** 31) && wire < 2 ** 31
          ? wire
          : fail("decode", `expected an int, got ${describe(wire)}`)
      case "double":
        return typeof wire === "number" ? wire : fail("decode", `expected a double, got ${describe(wire)}`)
      case "long":
        return toBigInt(wire)
      case "int256": {
        const n = bigOf(wire)
        return n === undefined
          ? fail("decode", `expected an int256, got ${describe(wire)}`)
          : int256ToBytes(n)
      }
      case "string":
        return typeof wire === "string" ? wire : fail("decode", `expected a string, got ${describe(wire)}`)
      case "bytes":
        return wire instanceof Uint8Array
          ? new Uint8Array(wire)
          : fail("decode", `expected bytes, got ${describe(wire)}`)
      case "Bool":
      case "true":
        return typeof wire === "boolean" ? wire : fail("decode", `expected a Bool, got ${describe(wire)}`)
      case "Updates":
        return updates.decode(wire)
    }
    return decodeObject(type, wire)
  }

  // -- the curated types ----------------------------------------------------------------------

  const update: Codec<Model.Update> = {
    encode: (d) => leniently(() => encode("Update", d)),
    decode: (w) => decode("Update", w) as Model.Update
  }

  const user: Codec<Model.User> = {
    encode: (d) => encode("User", d),
    decode: (w) => decode("User", w) as Model.User
  }

  /**
   * Any `Updates` (`updates`, `updatesCombined`, `updateShort`, `updatesTooLong`,
   * `updateShort*Message`, `updateShortSentMessage`) or a single `Update`, flattened; updates the
   * model does not carry are dropped.
   */
  const updates: Codec<Model.Updates> = {
    encode: (d) =>
      leniently(
        () =>
          new (classOf("updates", "encode"))({
            // an update the layer has no constructor for never reaches its clients
            updates: d.updates
              .filter((u) => {
                const c = types["Update"]?.constructors.find((n) => constructors[n]?.tag === u._tag)
                return !lenient || (c !== undefined && schema.byName.has(c))
              })
              .map((u) => update.encode(u)),
            users: d.users.map((u) => user.encode(u)),
            chats: d.chats.map((c) => encode("Chat", c)),
            date: 0,
            seq: 0
          } as never)
      ),
    decode: (w) => {
      const name = classNameOf(w)
      const o = w as Record<string, unknown>
      let list: ReadonlyArray<unknown> = []
      let users: ReadonlyArray<unknown> = []
      let chats: ReadonlyArray<unknown> = []
      switch (name) {
        case "Updates":
        case "UpdatesCombined":
          list = Array.isArray(o["updates"])
            ? o["updates"]
            : fail("decode", `${name}.updates is not a vector`)
          users = Array.isArray(o["users"]) ? o["users"] : []
          chats = Array.isArray(o["chats"]) ? o["chats"] : []
          break
        case "UpdateShort":
          list = [o["update"]]
          break
        case "UpdatesTooLong":
        case "UpdateShortMessage":
        case "UpdateShortChatMessage":
        case "UpdateShortSentMessage":
          break
        default:
          if (name?.startsWith("Update") && !name.startsWith("Updates")) list = [w]
          else return fail("decode", `Updates: unsupported constructor ${describe(w)}`)
      }
      return new Model.Updates({
        updates: list.filter(isModelledUpdate).map((u) => update.decode(u)),
        users: users.map((u) => user.decode(u)),
        chats: chats.map((c) => decode("Chat", c) as Model.Chat)
      })
    }
  }

  // -- requests and results -------------------------------------------------------------------

  const newest = Tl.schema(Tl.newest)
  const functionOf = (method: string, direction: "encode" | "decode"): Tl.Definition => {
    const def = schema.byName.get(method)
    return def !== undefined && def.kind === "function"
      ? def
      : fail(direction, `${method} is not in layer ${layer}`)
  }

  const encodeRequest = (method: string, params: unknown): object => {
    const def = functionOf(method, "encode")
    if (typeof params !== "object" || params === null) return fail("encode", `${method}: expected an object`)
    const v = params as Readonly<Record<string, unknown>>
    const flags = paramSetsOf(newest.byName.get(method) ?? def).flags
    checkCarried(def, Object.keys(v), v, (key) => flags.has(key))
    return new (classOf(method, "encode"))(encodeArgs(method, def.params, v, undefined) as never)
  }

  const decodeRequest = (request: unknown) => {
    const name = tlNameOf(request)
    const def = name === undefined ? undefined : schema.byName.get(name)
    if (def === undefined || def.kind !== "function")
      return fail("decode", `not a request of layer ${layer}: ${describe(request)}`)
    const newestParams = newest.byName.get(def.name)?.params ?? []
    const carried = new Set(newestParams.map((p) => p.name))
    const w = request as Record<string, unknown>
    const params: Record<string, unknown> = {}
    // a flag the newest layer has and this one lacks is `false` here
    for (const p of newestParams)
      if (p.type === "true" && !def.params.some((q) => q.name === p.name)) params[camel(p.name)] = false
    for (const p of def.params) {
      if (p.type === "#" || !carried.has(p.name)) continue
      const key = camel(p.name)
      try {
        const v = decodeField(p, w[key])
        if (v !== undefined) params[key] = v
      } catch (e) {
        if (e instanceof CodecError) return fail("decode", `${def.name}.${key}: ${e.message}`)
        throw e
      }
    }
    return { method: def.name, params }
  }

  return {
    layer,
    schema,
    encode,
    decode,
    apiClass,
    encodeRequest,
    decodeRequest,
    encodeResult: (method, result) => leniently(() => encode(functionOf(method, "encode").type, result)),
    decodeResult: (method, wire) => decode(functionOf(method, "decode").type, wire),
    update,
    updates,
    user
  }
}
