/**
 * Generic mapping between TL objects (`tlCodec.ts`, snake_case, in one layer's schema) and the
 * layer-independent domain model (`@tgphone/core` `Model`, camelCase, `_tag`ged unions). No
 * constructor is written out by hand: the TL side comes from the layer's schema, which model
 * value a TL constructor is from core's generated model table (`Tl.modelType`,
 * `Tl.modelConstructor`), the fields from the target `Schema`'s encoded AST.
 *
 * - A parameter `g_a_hash` is the field `gAHash` (camelCase of the TL name).
 * - A modelled constructor is the variant with its table `_tag` (`phoneCallDiscardReasonBusy` →
 *   `Busy`), or the class its type is modelled as (`user`, `userEmpty` → `User`); a model class
 *   the table does not carry (method params, the hand-written `Updates`) takes the object's
 *   fields as they are, and is written as the constructor of its TL type that has all its fields
 *   and the fewest others (`Updates` → `updates`).
 * - TL → model: `flags.N?true` is a boolean; a field the table marks secret is `Redacted`; a constructor the table does not model goes into
 *   its type's raw variant (`InputPeerRaw`), as the TL object itself; a required boolean the
 *   layer does not carry is `false`.
 * - Model → TL: fields the layer's constructor lacks are dropped; a variant the layer has no
 *   constructor for is sent as the older form Telegram sends instead (the table's fallback,
 *   `Tl.fallbackFor`: `MigrateConferenceCall` reaches layer 198 as `Hangup`), else an optional
 *   field holding it is left out; a required `date` the model does not carry is the server's
 *   clock, other missing scalars are zero.
 *
 * @internal
 */
import * as Tl from "@tgphone/core/Tl"
import { Redacted, Schema, SchemaAST } from "effect"
import { isTlObject, TlError, type TlObject, type TlValue } from "./tlCodec.js"

/** The model's field name of a TL parameter (`g_a_or_b` → `gAOrB`). */
const camel = Tl.fieldName

const resolve = (ast: SchemaAST.AST): SchemaAST.AST => {
  let a = ast
  for (let i = 0; i < 16 && a._tag === "Suspend"; i++) a = a.thunk()
  return a
}

const objectsOf = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.Objects> => {
  const a = resolve(ast)
  if (a._tag === "Objects") return [a]
  if (a._tag === "Union") return a.types.flatMap(objectsOf)
  return []
}

const tagOf = (o: SchemaAST.Objects): string | undefined => {
  const p = o.propertySignatures.find((s) => s.name === "_tag")
  const t = p === undefined ? undefined : resolve(p.type)
  return t?._tag === "Literal" && typeof t.literal === "string" ? t.literal : undefined
}

/**
 * The model variant a TL combinator decodes into, among `variants` (the target's objects):
 * by the model table for a modelled constructor; `"raw"` for a constructor of a modelled type
 * the table leaves out, when the type has a raw variant; the one untagged object otherwise
 * (method params, a class the table does not carry).
 */
const targetOf = (
  def: Tl.Definition,
  variants: ReadonlyArray<SchemaAST.Objects>
): SchemaAST.Objects | "raw" | undefined => {
  const untagged = (): SchemaAST.Objects | undefined => {
    const found = variants.filter((o) => tagOf(o) === undefined)
    return found.length === 1 ? found[0] : undefined
  }
  if (def.kind === "function" || typeof def.type !== "string") return untagged()
  const type = Tl.modelType(def.type)
  if (type === undefined) return untagged()
  const ctor = Tl.modelConstructor(def.name)
  if (ctor === undefined) return type.rawVariant !== undefined ? "raw" : undefined
  return type.kind === "class" ? untagged() : variants.find((o) => tagOf(o) === ctor.tag)
}

const isOptional = (p: SchemaAST.PropertySignature): boolean => p.type.context?.isOptional === true

/** Converts a TL value to the encoded side of a model schema (`ast` is that encoded AST). */
const toModelValue = (schema: Tl.Schema, value: TlValue, ast: SchemaAST.AST): unknown => {
  const a = resolve(ast)
  if (Array.isArray(value)) {
    const item = a._tag === "Arrays" ? (a.rest[0] ?? a.elements[0]) : undefined
    return value.map((v) => (item === undefined ? v : toModelValue(schema, v, item)))
  }
  if (!isTlObject(value)) return value
  if (a._tag === "Unknown" || a._tag === "Any") return value
  const def = schema.byName.get(value._)
  if (def === undefined) throw new TlError(`${value._} is not in layer ${schema.layer}`)
  const variants = objectsOf(a)
  const target = targetOf(def, variants)
  if (target === "raw") {
    const raw = Tl.modelType(String(def.type))?.rawVariant
    return { _tag: raw, raw: value }
  }
  if (target === undefined) throw new TlError(`${value._} has no model variant`)
  const out: Record<string, unknown> = {}
  const tag = tagOf(target)
  if (tag !== undefined) out._tag = tag
  const props = new Map(target.propertySignatures.map((p) => [p.name, p] as const))
  const redacted = new Set(
    (def.kind === "constructor" ? Tl.modelConstructor(def.name)?.fields : undefined)
      ?.filter((f) => f.redacted)
      .map((f) => f.name)
  )
  for (const p of def.params) {
    if (p.type === "#") continue
    const key = camel(p.name)
    const prop = props.get(key)
    if (prop === undefined) continue
    const v = value[p.name]
    if (p.type === "true") out[key] = v === true
    else if (v !== undefined) {
      const m = toModelValue(schema, v, prop.type)
      out[key] = redacted.has(p.name) ? Redacted.make(m) : m
    }
  }
  for (const prop of target.propertySignatures) {
    const key = String(prop.name)
    if (key in out || isOptional(prop)) continue
    if (resolve(prop.type)._tag === "Boolean") out[key] = false
  }
  return out
}

/** Per model schema: its encoded AST and its decoder, built once. */
const prepared = new WeakMap<
  Schema.Top,
  {
    readonly ast: SchemaAST.AST
    readonly decode: (input: unknown) => ReturnType<ReturnType<typeof Schema.decodeUnknownExit>>
  }
>()

/**
 * Decodes a TL value into a model value of `target` (a model schema), or fails with the
 * reason. Throws nothing.
 */
export const toModel = <S extends Schema.Top>(
  schema: Tl.Schema,
  value: TlValue,
  target: S
):
  | { readonly _tag: "Ok"; readonly value: S["Type"] }
  | { readonly _tag: "Fail"; readonly message: string } => {
  try {
    let p = prepared.get(target)
    if (p === undefined) {
      p = {
        ast: SchemaAST.toEncoded(target.ast),
        decode: Schema.decodeUnknownExit(target as unknown as Schema.Codec<unknown, unknown>)
      }
      prepared.set(target, p)
    }
    const decoded = p.decode(toModelValue(schema, value, p.ast))
    if (decoded._tag === "Success") return { _tag: "Ok", value: decoded.value as S["Type"] }
    return { _tag: "Fail", message: String(decoded.cause) }
  } catch (e) {
    if (e instanceof TlError) return { _tag: "Fail", message: e.message }
    throw e
  }
}

/** The constructor of a type the model table does not carry: the one with all of `value`'s fields and the fewest others. */
const coveringConstructor = (
  ctors: ReadonlyArray<Tl.Definition>,
  value: object
): Tl.Definition | undefined => {
  const keys = Object.keys(value).filter((k) => k !== "_tag")
  let best: Tl.Definition | undefined
  for (const d of ctors) {
    const names = new Set(d.params.map((p) => camel(p.name)))
    if (keys.every((k) => names.has(k)) && (best === undefined || d.params.length < best.params.length))
      best = d
  }
  return best
}

const constructorFor = (schema: Tl.Schema, type: string, value: object): Tl.Definition | undefined => {
  const entry = Tl.modelType(type)
  if (entry === undefined) return coveringConstructor(schema.constructorsOf.get(type) ?? [], value)
  const tag = (value as { readonly _tag?: unknown })._tag
  const name =
    entry.kind === "class"
      ? entry.constructors[0]
      : entry.constructors.find((c) => Tl.modelConstructor(c)?.tag === tag)
  if (name === undefined) return undefined
  const inLayer = (n: string): Tl.Definition | undefined => {
    const d = schema.byName.get(n)
    return d?.kind === "constructor" && d.type === type ? d : undefined
  }
  // a newer constructor this layer lacks: what Telegram sends older clients instead, if anything
  const fallback = Tl.fallbackFor(name)
  return inLayer(name) ?? (fallback === undefined ? undefined : inLayer(fallback))
}

const fromModelObject = (schema: Tl.Schema, def: Tl.Definition, value: object): TlObject => {
  const v = value as Record<string, unknown>
  const out: Record<string, TlValue> = { _: def.name }
  for (const p of def.params) {
    if (p.type === "#") continue
    const field = v[camel(p.name)]
    if (field === undefined || field === null) {
      if (p.flag === undefined) {
        const filler = missing(schema, p)
        if (filler !== undefined) out[p.name] = filler
      }
      continue
    }
    if (p.type === "true") {
      if (field === true) out[p.name] = true
      continue
    }
    try {
      out[p.name] = fromModelValue(schema, p.type, field)
    } catch (e) {
      // an optional field the layer cannot express is left out
      if (!(e instanceof TlError) || p.flag === undefined) throw e
    }
  }
  return out as TlObject
}

/**
 * A required parameter the model does not carry: `date` is the server's clock; an object is
 * its type's empty constructor (`chatPhotoEmpty`); scalars are left to the writer (zero).
 */
const missing = (schema: Tl.Schema, p: Tl.Param): TlValue | undefined => {
  if (p.type === "int" && p.name === "date") return Math.floor(Date.now() / 1000)
  if (typeof p.type !== "string") return undefined
  const empty = schema.constructorsOf
    .get(p.type)
    ?.find((d) => d.name.endsWith("Empty") && d.params.every((q) => q.flag !== undefined || q.type === "#"))
  return empty === undefined ? undefined : { _: empty.name }
}

/** Converts a model value to a TL value of `type` in `schema`'s layer. Throws {@link TlError}. */
export const fromModelValue = (schema: Tl.Schema, type: Tl.Type, value: unknown): TlValue => {
  if (typeof type !== "string") {
    if (!Array.isArray(value)) throw new TlError(`expected an array for ${type[0]}<…>`)
    return value.map((v) => fromModelValue(schema, type[1], v))
  }
  const v = Redacted.isRedacted(value) ? Redacted.value(value) : value
  switch (type) {
    case "int":
    case "double":
      if (typeof v !== "number") throw new TlError(`expected a number for ${type}`)
      return v
    case "long":
      if (typeof v !== "bigint") throw new TlError("expected a bigint for long")
      return v
    case "string":
      if (typeof v !== "string") throw new TlError("expected a string")
      return v
    case "bytes":
    case "int128":
    case "int256":
      if (!(v instanceof Uint8Array)) throw new TlError(`expected a Uint8Array for ${type}`)
      return v
    case "Bool":
    case "true":
      if (typeof v !== "boolean") throw new TlError("expected a boolean")
      return v
  }
  if (typeof v !== "object" || v === null) throw new TlError(`expected an object for ${type}`)
  if (isTlObject(v)) return v
  const raw = (v as { readonly raw?: unknown }).raw
  if (Object.keys(v).length === 2 && isTlObject(raw)) return raw
  const short = type.slice(type.lastIndexOf(".") + 1)
  const def =
    short.charAt(0) === short.charAt(0).toLowerCase()
      ? schema.byName.get(type)
      : constructorFor(schema, type, v)
  if (def === undefined) {
    const tag = (v as { readonly _tag?: unknown })._tag
    throw new TlError(`layer ${schema.layer} has no ${type} constructor for ${String(tag ?? "this value")}`)
  }
  return fromModelObject(schema, def, v)
}
