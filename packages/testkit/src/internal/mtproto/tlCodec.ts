/**
 * A schema-driven TL reader and writer over the schemas `@tgphone/core/Tl` ships (one per API
 * layer, each with MTProto's own combinators). Values are plain: a TL object is
 * `{ _: "phoneCall", id: 1n, g_a_or_b: Uint8Array, … }` with the schema's (snake_case)
 * parameter names; `int`/`double` are numbers, `long` a bigint, `string` a string, `bytes`,
 * `int128` and `int256` `Uint8Array`s, `Bool` and `flags.N?true` booleans, vectors arrays.
 * An absent optional parameter is an absent key.
 *
 * The reader counts what it reads against a {@link TlBudget} and stops as soon as the budget
 * runs out. `invokeWithLayer` switches the rest of its query to the declared layer's schema.
 *
 * Spec: https://core.telegram.org/mtproto/serialize, https://core.telegram.org/mtproto/TL
 *
 * @internal
 */
import * as Tl from "@tgphone/core/Tl"

/** A TL value. */
export type TlValue = number | bigint | string | boolean | Uint8Array | TlObject | ReadonlyArray<TlValue>

/** A TL object: its combinator's name under `_` and its parameters by their TL names. */
export interface TlObject {
  readonly _: string
  readonly [param: string]: TlValue | undefined
}

/** Whether a value is a {@link TlObject}. */
export const isTlObject = (value: unknown): value is TlObject =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  !(value instanceof Uint8Array) &&
  typeof (value as { readonly _?: unknown })._ === "string"

/** A value that does not fit the schema (thrown inside the codec, caught at its boundary). */
export class TlError extends Error {}

/** A read ran out of its {@link TlBudget}. */
export class TlBudgetExceeded extends TlError {}

/**
 * What one frame may cost to parse: at most `objects` TL values (objects, longs,
 * int128/256s, strings and bytes) in all, nested at most `depth` deep. Shared by every
 * message of a frame (a container's messages draw on one budget).
 */
export interface TlBudget {
  objects: number
  readonly depth: number
}

const VECTOR = 0x1cb5c415
const BOOL_TRUE = 0x997275b5
const BOOL_FALSE = 0xbc799737

/**
 * The layer a client declaring `declared` is served in, among `available` (ascending; see
 * docs/loopback.md): that layer when it is there; above the newest, the newest; below the
 * oldest, the oldest; between two, the nearer one (a tie goes to the newer). Not core's
 * `Tl.layerFor` (newest not above), which is the rule for a client library's own codec: why the
 * two differ is in docs/loopback.md ("Why not `Tl.layerFor`").
 */
export const servedLayer = (declared: number, available: ReadonlyArray<number> = Tl.layers): number => {
  const oldest = available[0] ?? Tl.newest
  const newest = available[available.length - 1] ?? Tl.newest
  if (declared >= newest) return newest
  if (declared <= oldest) return oldest
  let best = oldest
  for (const l of available) if (Math.abs(l - declared) <= Math.abs(best - declared)) best = l
  return best
}

/** The schema a declared layer is read and written in (`invokeWithLayer` switches to it). */
export type SchemaResolver = (declared: number) => Tl.Schema

/** The shipped schemas, by {@link servedLayer}. */
export const shippedSchemas: SchemaResolver = (declared) => Tl.schema(servedLayer(declared))

const isBareName = (type: string): boolean => {
  const short = type.slice(type.lastIndexOf(".") + 1)
  const first = short.charAt(0)
  return first !== "" && first === first.toLowerCase() && first !== first.toUpperCase()
}

class Reader {
  private offset = 0
  private level = 0
  constructor(
    private readonly data: Uint8Array,
    private schema: Tl.Schema,
    private readonly budget: TlBudget | undefined,
    private readonly resolve: SchemaResolver
  ) {}

  get remaining(): number {
    return this.data.length - this.offset
  }

  private need(n: number): void {
    if (this.offset + n > this.data.length) throw new TlError("unexpected end of data")
  }

  private spend(): void {
    if (this.budget !== undefined && --this.budget.objects < 0)
      throw new TlBudgetExceeded("TL object budget exceeded")
  }

  uint(): number {
    this.need(4)
    const d = this.data
    const o = this.offset
    this.offset += 4
    return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0
  }

  int(): number {
    return this.uint() | 0
  }

  long(): bigint {
    this.spend()
    const lo = BigInt(this.uint())
    const hi = BigInt(this.uint())
    return BigInt.asIntN(64, (hi << 32n) | lo)
  }

  double(): number {
    this.need(8)
    const v = Buffer.from(this.data.buffer, this.data.byteOffset + this.offset, 8).readDoubleLE(0)
    this.offset += 8
    return v
  }

  raw(n: number): Uint8Array {
    this.spend()
    this.need(n)
    const out = new Uint8Array(this.data.subarray(this.offset, this.offset + n))
    this.offset += n
    return out
  }

  bytes(): Uint8Array {
    this.spend()
    this.need(1)
    let len = this.data[this.offset]!
    let head = 1
    if (len === 254) {
      this.need(4)
      len =
        this.data[this.offset + 1]! | (this.data[this.offset + 2]! << 8) | (this.data[this.offset + 3]! << 16)
      head = 4
    } else if (len === 255) throw new TlError("bad bytes length")
    const padded = Math.ceil((head + len) / 4) * 4
    this.need(padded)
    const out = new Uint8Array(this.data.subarray(this.offset + head, this.offset + head + len))
    this.offset += padded
    return out
  }

  /** A boxed object of `type` (any type when `undefined`, a function for `!X`). */
  boxed(type: string | undefined): TlObject {
    const id = this.uint()
    const def = this.schema.byId.get(id)
    if (def === undefined) throw new TlError(`unknown constructor 0x${id.toString(16)}`)
    if (type !== undefined && (def.kind !== "constructor" || def.type !== type))
      throw new TlError(`${def.name} is not a ${type}`)
    return this.bare(def)
  }

  bare(def: Tl.Definition): TlObject {
    this.spend()
    if (++this.level > (this.budget?.depth ?? 64)) throw new TlBudgetExceeded("TL nesting too deep")
    const out: Record<string, TlValue> = { _: def.name }
    const flags: Record<string, number> = {}
    for (const p of def.params) {
      if (p.flag !== undefined && (((flags[p.flag.field] ?? 0) >>> p.flag.bit) & 1) === 0) continue
      if (p.type === "#") {
        flags[p.name] = this.uint()
        continue
      }
      if (p.type === "true") {
        out[p.name] = true
        continue
      }
      const value = this.value(p.type)
      out[p.name] = value
      if (def.name === "invokeWithLayer" && p.name === "layer" && typeof value === "number")
        this.schema = this.resolve(value)
    }
    this.level--
    return out as TlObject
  }

  value(type: Tl.Type): TlValue {
    if (typeof type !== "string") {
      if (type[0] === "Vector" && this.uint() !== VECTOR) throw new TlError("expected a vector")
      const n = this.int()
      if (n < 0 || n > this.remaining / 4) throw new TlError(`bad vector length ${n}`)
      const items: Array<TlValue> = []
      for (let i = 0; i < n; i++) items.push(this.value(type[1]))
      return items
    }
    switch (type) {
      case "int":
        return this.int()
      case "long":
        return this.long()
      case "double":
        return this.double()
      case "int128":
        return this.raw(16)
      case "int256":
        return this.raw(32)
      case "bytes":
        return this.bytes()
      case "string":
        return Buffer.from(this.bytes()).toString("utf8")
      case "Bool": {
        const id = this.uint()
        if (id === BOOL_TRUE) return true
        if (id === BOOL_FALSE) return false
        throw new TlError("expected a Bool")
      }
      case "X":
      case "Object":
        return this.boxed(undefined)
    }
    if (isBareName(type)) {
      const def = this.schema.byName.get(type)
      if (def === undefined) throw new TlError(`unknown bare type ${type}`)
      return this.bare(def)
    }
    return this.boxed(type)
  }
}

/** Why {@link readBoxed} found nothing. */
export type ReadFailure = "malformed" | "budget"

/**
 * Reads one boxed TL object in `schema`'s layer; a {@link ReadFailure} when the bytes do not
 * parse or cost more than `budget` allows.
 */
export const readBoxed = (
  data: Uint8Array,
  schema: Tl.Schema,
  budget?: TlBudget,
  resolve: SchemaResolver = shippedSchemas
):
  | { readonly _tag: "Ok"; readonly value: TlObject }
  | { readonly _tag: "Fail"; readonly reason: ReadFailure; readonly message: string } => {
  try {
    return { _tag: "Ok", value: new Reader(data, schema, budget, resolve).boxed(undefined) }
  } catch (e) {
    if (!(e instanceof TlError)) throw e
    return {
      _tag: "Fail",
      reason: e instanceof TlBudgetExceeded ? "budget" : "malformed",
      message: e.message
    }
  }
}

/** Reads a value of a TL type (a result: `Bool`, `Vector<int>`, an object). Throws {@link TlError}. */
export const readValue = (data: Uint8Array, schema: Tl.Schema, type: Tl.Type): TlValue =>
  new Reader(data, schema, undefined, shippedSchemas).value(type)

class Writer {
  private buf = Buffer.alloc(256)
  private length = 0

  constructor(private readonly schema: Tl.Schema) {}

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n))
    this.buf.copy(next, 0, 0, this.length)
    this.buf = next
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length)
  }

  uint(n: number): void {
    this.ensure(4)
    this.buf.writeUInt32LE(n >>> 0, this.length)
    this.length += 4
  }

  int(n: number): void {
    this.ensure(4)
    this.buf.writeInt32LE(n | 0, this.length)
    this.length += 4
  }

  long(n: bigint): void {
    this.ensure(8)
    this.buf.writeBigInt64LE(BigInt.asIntN(64, n), this.length)
    this.length += 8
  }

  rawBytes(data: Uint8Array): void {
    this.ensure(data.length)
    this.buf.set(data, this.length)
    this.length += data.length
  }

  bytes(data: Uint8Array): void {
    const head = data.length < 254 ? 1 : 4
    const padded = Math.ceil((head + data.length) / 4) * 4
    this.ensure(padded)
    if (head === 1) this.buf[this.length] = data.length
    else {
      this.buf[this.length] = 254
      this.buf[this.length + 1] = data.length & 0xff
      this.buf[this.length + 2] = (data.length >> 8) & 0xff
      this.buf[this.length + 3] = (data.length >> 16) & 0xff
    }
    this.buf.set(data, this.length + head)
    this.buf.fill(0, this.length + head + data.length, this.length + padded)
    this.length += padded
  }

  boxed(value: TlObject, type: string | undefined): void {
    const def = this.schema.byName.get(value._)
    if (def === undefined) throw new TlError(`${value._} is not in layer ${this.schema.layer}`)
    if (type !== undefined && def.type !== type) throw new TlError(`${value._} is not a ${type}`)
    this.uint(def.id)
    this.bare(def, value)
  }

  bare(def: Tl.Definition, value: TlObject): void {
    const present = (p: Tl.Param): boolean => {
      const v = value[p.name]
      return p.type === "true" ? v === true : v !== undefined
    }
    for (const p of def.params) {
      if (p.type === "#") {
        let flags = 0
        for (const q of def.params) if (q.flag?.field === p.name && present(q)) flags |= 1 << q.flag.bit
        this.uint(flags)
        continue
      }
      if (p.flag !== undefined) {
        if (p.type === "true" || !present(p)) continue
      }
      const v = value[p.name]
      this.value(p.type, v === undefined ? zero(def, p) : v, `${def.name}.${p.name}`)
    }
  }

  value(type: Tl.Type, v: TlValue, where: string): void {
    if (typeof type !== "string") {
      if (!Array.isArray(v)) throw new TlError(`${where}: expected a vector`)
      if (type[0] === "Vector") this.uint(VECTOR)
      this.int(v.length)
      for (const item of v as ReadonlyArray<TlValue>) this.value(type[1], item, where)
      return
    }
    switch (type) {
      case "int":
        if (typeof v !== "number") throw new TlError(`${where}: expected an int`)
        this.int(v)
        return
      case "long":
        if (typeof v !== "bigint" && typeof v !== "number") throw new TlError(`${where}: expected a long`)
        this.long(BigInt(v))
        return
      case "double": {
        if (typeof v !== "number") throw new TlError(`${where}: expected a double`)
        this.ensure(8)
        this.buf.writeDoubleLE(v, this.length)
        this.length += 8
        return
      }
      case "int128":
      case "int256": {
        const n = type === "int128" ? 16 : 32
        if (!(v instanceof Uint8Array) || v.length !== n) throw new TlError(`${where}: expected ${n} bytes`)
        this.rawBytes(v)
        return
      }
      case "bytes":
      case "string":
        if (typeof v === "string") this.bytes(Buffer.from(v, "utf8"))
        else if (v instanceof Uint8Array) this.bytes(v)
        else throw new TlError(`${where}: expected ${type}`)
        return
      case "Bool":
        if (typeof v !== "boolean") throw new TlError(`${where}: expected a Bool`)
        this.uint(v ? BOOL_TRUE : BOOL_FALSE)
        return
      case "X":
      case "Object":
        if (!isTlObject(v)) throw new TlError(`${where}: expected an object`)
        this.boxed(v, undefined)
        return
    }
    if (!isTlObject(v)) throw new TlError(`${where}: expected a ${type}`)
    if (isBareName(type)) {
      const def = this.schema.byName.get(type)
      if (def === undefined) throw new TlError(`${where}: unknown bare type ${type}`)
      this.bare(def, v)
      return
    }
    this.boxed(v, type)
  }
}

/** The value of a required scalar or vector parameter a value leaves out. */
const zero = (def: Tl.Definition, p: Tl.Param): TlValue => {
  if (typeof p.type !== "string") return []
  switch (p.type) {
    case "int":
    case "double":
      return 0
    case "long":
      return 0n
    case "string":
      return ""
    case "bytes":
      return new Uint8Array(0)
    case "Bool":
      return false
    case "int128":
      return new Uint8Array(16)
    case "int256":
      return new Uint8Array(32)
  }
  throw new TlError(`${def.name}.${p.name} is missing`)
}

/** Writes a boxed TL object in `schema`'s layer. Throws {@link TlError}. */
export const writeBoxed = (schema: Tl.Schema, value: TlObject): Buffer => {
  const w = new Writer(schema)
  w.boxed(value, undefined)
  return Buffer.from(w.result())
}

/** Writes a value of a TL type (`Bool`, `Vector<int>`, an object…). Throws {@link TlError}. */
export const writeValue = (schema: Tl.Schema, type: Tl.Type, value: TlValue): Buffer => {
  const w = new Writer(schema)
  w.value(type, value, typeof type === "string" ? type : `${type[0]}<…>`)
  return Buffer.from(w.result())
}

/** The MTProto service schema (the same in every layer). */
export const serviceSchema: Tl.Schema = Tl.schema(Tl.newest)

/** Writes an MTProto service object (`pong`, `rpc_error`, `future_salts`, …). */
export const service = (value: TlObject): Buffer => writeBoxed(serviceSchema, value)

/** Whether `id` is a function (a request) of the layer's schema. */
export const isFunction = (schema: Tl.Schema, id: number): boolean => schema.byId.get(id)?.kind === "function"

/** The connection-level wrappers a request may be nested in, removed. */
export interface Unwrapped {
  readonly query: TlObject
  /** The layer `invokeWithLayer` declared, if it was there. */
  readonly layer: number | undefined
  readonly initConnection: TlObject | undefined
  readonly withoutUpdates: boolean
}

/** Peels `invokeWithLayer`, `initConnection` and the other `invoke*` wrappers. */
export const unwrap = (request: TlObject): Unwrapped => {
  let query = request
  let layer: number | undefined
  let initConnection: TlObject | undefined
  let withoutUpdates = false
  for (let i = 0; i < 8; i++) {
    const inner = query.query
    if (!isTlObject(inner)) break
    if (query._ === "invokeWithLayer" && typeof query.layer === "number") layer = query.layer
    else if (query._ === "initConnection") initConnection = query
    else if (query._ === "invokeWithoutUpdates") withoutUpdates = true
    else if (!Tl.isWrapper(query._)) break
    query = inner
  }
  return { query, layer, initConnection, withoutUpdates }
}
