/**
 * Framing of MTProto's message layer that no schema describes (`msg_container`, `rpc_result`,
 * `gzip_packed`, `message`), and GramJS helpers for what the server and its tests exchange
 * with GramJS: its 64-bit integers and its reader (the handshake's MTProto objects, and tests
 * that read the server's answers as a GramJS client would). API-layer objects are read and
 * written by the schema-driven codec (`tlCodec.ts`).
 *
 * Spec: https://core.telegram.org/mtproto/service_messages
 *
 * @internal
 */
import * as Zlib from "node:zlib"
import type { Api } from "telegram"
import { extensions, helpers } from "telegram"
import { readValue, serviceSchema } from "./tlCodec.js"

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

/** `rpc_result req_msg_id:long result:Object`. */
export const rpcResult = (reqMsgId: bigint, result: Uint8Array): Buffer => {
  const head = Buffer.alloc(12)
  head.writeUInt32LE(Ids.rpcResult, 0)
  head.writeBigInt64LE(reqMsgId, 4)
  return Buffer.concat([head, result])
}

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
    const packed = readValue(body.subarray(4), serviceSchema, "bytes")
    if (!(packed instanceof Uint8Array)) return undefined
    return Zlib.gunzipSync(packed, { maxOutputLength: maxBytes })
  } catch {
    return undefined
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
