/**
 * TL glue for the loopback server: GramJS's generated `Api` classes read requests and write
 * results; the few MTProto service constructors GramJS keeps outside `Api`
 * (`msg_container`, `rpc_result`, `gzip_packed`) are written and read here.
 *
 * Spec: https://core.telegram.org/mtproto/service_messages
 *
 * @internal
 */
import * as Zlib from "node:zlib"
import { Api, extensions, helpers } from "telegram"
import { tlobjects } from "telegram/tl/AllTLObjects.js"

/** GramJS's 64-bit integer type (big-integer), as its generated constructors expect. */
export type Long = Api.long

/** Constructor ids of the service objects handled by hand. */
export const Ids = {
  msgContainer: 0x73f1f8dc,
  rpcResult: 0xf35c6d01,
  gzipPacked: 0x3072cfa1,
  msgsAck: 0x62d6b459,
  vector: 0x1cb5c415,
  boolTrue: 0x997275b5,
  boolFalse: 0xbc799737,
  rpcAnswerUnknown: 0x5e2ad36e,
  destroySessionOk: 0xe22045fc
} as const

/** A native bigint as GramJS's long. */
export const toLong = (value: bigint): Long => helpers.returnBigInt(value)

/** A GramJS long (big-integer) as a native bigint. */
export const fromLong = (value: Long | bigint | number | string): bigint =>
  typeof value === "bigint" ? value : BigInt(value.toString())

/** Anything GramJS's generated classes can serialise. */
export interface TlSerializable {
  getBytes(): Buffer
}

/** What a request may return: a TL object, a Bool, a vector of TL objects, or raw TL bytes. */
export type TlResult = TlSerializable | boolean | ReadonlyArray<TlSerializable> | Uint8Array

const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return b
}

/** TL `bytes`/`string` encoding: a 1- or 4-byte length, the data, zero padding to 4. */
export const serializeBytes = (data: Uint8Array): Buffer => {
  const head =
    data.length < 254
      ? Buffer.from([data.length])
      : Buffer.from([254, data.length & 0xff, (data.length >> 8) & 0xff, (data.length >> 16) & 0xff])
  const pad = (4 - ((head.length + data.length) % 4)) % 4
  return Buffer.concat([head, data, Buffer.alloc(pad)])
}

/** Serialises a result value. */
export const serializeResult = (value: TlResult): Buffer => {
  if (typeof value === "boolean") return int32(value ? Ids.boolTrue : Ids.boolFalse)
  if (value instanceof Uint8Array) return Buffer.from(value)
  if (Array.isArray(value)) {
    const items = value as ReadonlyArray<TlSerializable>
    return Buffer.concat([int32(Ids.vector), int32(items.length), ...items.map((i) => i.getBytes())])
  }
  return (value as TlSerializable).getBytes()
}

/** `rpc_result req_msg_id:long result:Object`. */
export const rpcResult = (reqMsgId: bigint, result: Uint8Array): Buffer => {
  const head = Buffer.alloc(12)
  head.writeUInt32LE(Ids.rpcResult, 0)
  head.writeBigInt64LE(reqMsgId, 4)
  return Buffer.concat([head, result])
}

/** `rpc_error error_code:int error_message:string`. */
export const rpcError = (code: number, message: string): Buffer =>
  new Api.RpcError({ errorCode: code, errorMessage: message }).getBytes()

/** `gzip_packed packed_data:bytes` around `data`. */
export const gzipPacked = (data: Uint8Array): Buffer =>
  Buffer.concat([int32(Ids.gzipPacked), serializeBytes(Zlib.gzipSync(data))])

/** One message inside a container or a plaintext: msg_id, seq_no, length, body. */
export interface RawMessage {
  readonly msgId: bigint
  readonly seqNo: number
  readonly body: Buffer
}

/** `msg_container messages:vector<%Message>`. */
export const msgContainer = (messages: ReadonlyArray<RawMessage>): Buffer => {
  const parts: Array<Buffer> = [int32(Ids.msgContainer), int32(messages.length)]
  for (const m of messages) {
    const h = Buffer.alloc(16)
    h.writeBigInt64LE(m.msgId, 0)
    h.writeInt32LE(m.seqNo, 8)
    h.writeInt32LE(m.body.length, 12)
    parts.push(h, m.body)
  }
  return Buffer.concat(parts)
}

/** Reads the messages of a container body (after its constructor id); `undefined` if malformed. */
export const readContainer = (body: Buffer): Array<RawMessage> | undefined => {
  if (body.length < 8) return undefined
  const count = body.readInt32LE(4)
  if (count < 0 || count > 1024) return undefined
  const out: Array<RawMessage> = []
  let off = 8
  for (let i = 0; i < count; i++) {
    if (off + 16 > body.length) return undefined
    const msgId = body.readBigInt64LE(off)
    const seqNo = body.readInt32LE(off + 8)
    const len = body.readInt32LE(off + 12)
    off += 16
    if (len < 4 || len % 4 !== 0 || off + len > body.length) return undefined
    out.push({ msgId, seqNo, body: body.subarray(off, off + len) })
    off += len
  }
  return out
}

/** Unpacks a `gzip_packed` body (after its constructor id); `undefined` if malformed or too large. */
export const readGzipPacked = (body: Buffer, maxBytes: number): Buffer | undefined => {
  try {
    const reader = new extensions.BinaryReader(body.subarray(4))
    const packed = reader.tgReadBytes()
    return Zlib.gunzipSync(packed, { maxOutputLength: maxBytes })
  } catch {
    return undefined
  }
}

/**
 * What one frame may cost to parse: at most `objects` TL values (objects, vector items that
 * are objects, longs, int128/256s, strings and bytes) in all, nested at most `depth` deep.
 * Shared by every message of a frame (a container's messages draw on one budget).
 */
export interface TlBudget {
  objects: number
  readonly depth: number
}

/** Thrown inside the reader when a budget runs out (caught by {@link readObject}). */
class BudgetExceeded extends Error {}

/** GramJS's reader, counting what it reads against a {@link TlBudget}. */
class BudgetedReader extends extensions.BinaryReader {
  private level = 0
  constructor(
    data: Buffer,
    private readonly budget: TlBudget
  ) {
    super(data)
  }
  private spend(): void {
    if (--this.budget.objects < 0) throw new BudgetExceeded("TL object budget exceeded")
  }
  override tgReadObject(): ReturnType<extensions.BinaryReader["tgReadObject"]> {
    this.spend()
    if (++this.level > this.budget.depth) throw new BudgetExceeded("TL nesting too deep")
    try {
      return super.tgReadObject()
    } finally {
      this.level--
    }
  }
  override readLargeInt(bits: number, signed?: boolean): ReturnType<extensions.BinaryReader["readLargeInt"]> {
    this.spend()
    return super.readLargeInt(bits, signed)
  }
  override tgReadBytes(): Buffer {
    this.spend()
    return super.tgReadBytes()
  }
}

/** Why {@link readObject} found nothing. */
export type ReadFailure = "malformed" | "budget"

/**
 * Reads one TL object with GramJS's reader; a {@link ReadFailure} when the bytes do not
 * parse or cost more than `budget` allows (the reader stops as soon as it runs out).
 */
export const readObjectBudgeted = (
  body: Buffer,
  budget: TlBudget
):
  | { readonly _tag: "Ok"; readonly value: unknown }
  | { readonly _tag: "Fail"; readonly reason: ReadFailure } => {
  try {
    const obj: unknown = new BudgetedReader(body, budget).tgReadObject()
    return obj instanceof Promise ? { _tag: "Fail", reason: "malformed" } : { _tag: "Ok", value: obj }
  } catch (e) {
    return { _tag: "Fail", reason: e instanceof BudgetExceeded ? "budget" : "malformed" }
  }
}

/** Reads one TL object with GramJS's reader; `undefined` when the bytes do not parse. */
export const readObject = (body: Buffer): unknown => {
  try {
    const reader = new extensions.BinaryReader(body)
    const obj: unknown = reader.tgReadObject()
    return obj instanceof Promise ? undefined : obj
  } catch {
    return undefined
  }
}

/** Whether a constructor id names a TL function (a request) GramJS knows. */
export const isRequestConstructor = (id: number): boolean => {
  const clazz = (tlobjects as Record<number, { readonly classType?: string } | undefined>)[id >>> 0]
  return clazz !== undefined && clazz.classType === "request"
}

/** The connection-level wrappers a request may be nested in. */
export interface Unwrapped {
  readonly query: unknown
  readonly layer: number | undefined
  readonly initConnection: Api.InitConnection | undefined
  readonly withoutUpdates: boolean
}

/** Peels `invokeWithLayer`, `initConnection`, `invokeAfterMsg(s)` and `invokeWithoutUpdates`. */
export const unwrap = (request: unknown): Unwrapped => {
  let query = request
  let layer: number | undefined
  let initConnection: Api.InitConnection | undefined
  let withoutUpdates = false
  for (let i = 0; i < 8; i++) {
    if (query instanceof Api.InvokeWithLayer) {
      layer = query.layer
      query = query.query
    } else if (query instanceof Api.InitConnection) {
      initConnection = query
      query = query.query
    } else if (query instanceof Api.InvokeAfterMsg || query instanceof Api.InvokeAfterMsgs) {
      query = query.query
    } else if (query instanceof Api.InvokeWithoutUpdates) {
      withoutUpdates = true
      query = query.query
    } else break
  }
  return { query, layer, initConnection, withoutUpdates }
}

/** The TL name of a request object (`"phone.requestCall"` style is GramJS's `"phone.RequestCall"`). */
export const classNameOf = (obj: unknown): string =>
  typeof obj === "object" && obj !== null && "className" in obj && typeof obj.className === "string"
    ? obj.className
    : "unknown"

/** Whether `obj` is a GramJS request (a TL function) rather than a constructor. */
export const isRequest = (obj: unknown): obj is TlSerializable & { readonly className: string } =>
  typeof obj === "object" && obj !== null && "classType" in obj && obj.classType === "request"
