/**
 * MTProto transports on the server side: TCP Full, Intermediate (`0xeeeeeeee`), Padded
 * Intermediate (`0xdddddddd`) and Abridged (`0xef`). The transport is detected from the
 * first bytes a client sends, as Telegram's servers do.
 *
 * Spec: https://core.telegram.org/mtproto/mtproto-transports
 *
 * @internal
 */
import { randomBytes } from "node:crypto"
import * as Zlib from "node:zlib"

/** The transports the server understands. */
export type TransportKind = "full" | "intermediate" | "padded" | "abridged"

/** One decoded frame, or the reason the byte stream is unusable (the connection must close). */
export type FrameEvent =
  | { readonly _tag: "Frame"; readonly payload: Buffer }
  | { readonly _tag: "Invalid"; readonly reason: string }

const crc32 = (data: Uint8Array): number => Zlib.crc32(data) >>> 0

/**
 * The largest payload a frame may have, decided from its first 8 payload bytes (the
 * auth_key_id) before the rest is buffered: a number of bytes, or `"unknown-key"` for an
 * auth_key_id the server does not know (answered with transport error -404).
 */
export type PayloadLimit = (authKeyId: bigint) => number | "unknown-key"

/** One decoded frame, the reason the byte stream is unusable, or an unknown auth key. */
export type DecodedFrame = FrameEvent | { readonly _tag: "UnknownKey" }

/**
 * Incremental decoder for one connection: append socket chunks, take frames out one at a
 * time. Chunks are kept in a list and joined once a frame (or its header) is complete, so a
 * frame arriving in many small pieces costs linear time.
 */
export class FrameDecoder {
  private chunks: Array<Buffer> = []
  private size = 0
  private kind: TransportKind | undefined = undefined
  private expectedSeq = 0
  private failed = false
  /** Bytes needed before `next` can make progress (0: try now). */
  private need = 0
  private checkedFrame = false

  /** `kind` presets the transport (a client decoding server frames, which carry no tag). */
  constructor(
    readonly maxFrame: number,
    kind?: TransportKind,
    private readonly limit?: PayloadLimit
  ) {
    this.kind = kind
  }

  /** The transport the client chose, once known. */
  get transport(): TransportKind | undefined {
    return this.kind
  }

  /** Bytes received and not yet returned as frames. */
  get buffered(): number {
    return this.size
  }

  /** Appends a chunk (no decoding happens here). */
  append(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return
    this.chunks.push(chunk)
    this.size += chunk.length
  }

  /** Appends a chunk and returns every complete frame (stops at the first invalid one). */
  push(chunk: Buffer): Array<FrameEvent> {
    this.append(chunk)
    const out: Array<FrameEvent> = []
    for (;;) {
      const ev = this.next()
      if (ev === undefined) break
      if (ev._tag === "UnknownKey") {
        out.push(this.invalid("unknown auth_key_id"))
        break
      }
      out.push(ev)
      if (ev._tag === "Invalid") break
    }
    return out
  }

  /** The next complete frame, if any (after an invalid one, never anything again). */
  next(): DecodedFrame | undefined {
    if (this.failed || this.size < this.need || this.size === 0) return undefined
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.size)]
    if (this.kind === undefined && !this.detect()) return undefined
    const ev = this.decode()
    if (ev !== undefined && ev._tag !== "Frame") {
      this.failed = true
      this.chunks = []
      this.size = 0
    }
    return ev
  }

  private get buffer(): Buffer {
    return this.chunks[0] ?? Buffer.alloc(0)
  }

  private consume(n: number): void {
    const b = this.buffer
    this.chunks = n >= b.length ? [] : [b.subarray(n)]
    this.size -= n
    this.need = 0
    this.checkedFrame = false
  }

  private detect(): boolean {
    const b = this.buffer
    if (b.length < 1) return false
    if (b[0] === 0xef) {
      this.kind = "abridged"
      this.consume(1)
      return true
    }
    if (b.length < 4) {
      this.need = 4
      return false
    }
    const tag = b.readUInt32LE(0)
    if (tag === 0xeeeeeeee) {
      this.kind = "intermediate"
      this.consume(4)
    } else if (tag === 0xdddddddd) {
      this.kind = "padded"
      this.consume(4)
    } else {
      this.kind = "full"
    }
    return true
  }

  private invalid(reason: string): FrameEvent {
    return { _tag: "Invalid", reason }
  }

  /**
   * Checks a frame's declared payload length against the limit for its auth_key_id once its
   * first 8 payload bytes are here; `undefined` to go on.
   */
  private checkPayload(b: Buffer, offset: number, length: number): DecodedFrame | "wait" | undefined {
    if (this.limit === undefined || this.checkedFrame) return undefined
    if (length < 8) return undefined
    if (b.length < offset + 8) {
      this.need = offset + 8
      return "wait"
    }
    const limit = this.limit(b.readBigInt64LE(offset))
    if (limit === "unknown-key") return { _tag: "UnknownKey" }
    if (length > limit)
      return this.invalid(`frame of ${length} bytes exceeds the limit of ${limit} for its key`)
    this.checkedFrame = true
    return undefined
  }

  private decode(): DecodedFrame | undefined {
    const b = this.buffer
    switch (this.kind) {
      case "full": {
        if (b.length < 4) {
          this.need = 4
          return undefined
        }
        const len = b.readInt32LE(0)
        if (len < 12 + 4 || len % 4 !== 0) return this.invalid(`bad TCP Full length ${len}`)
        if (len > this.maxFrame + 12) return this.invalid(`frame of ${len} bytes exceeds the limit`)
        const check = this.checkPayload(b, 8, len - 12)
        if (check === "wait") return undefined
        if (check !== undefined) return check
        if (b.length < len) {
          this.need = len
          return undefined
        }
        const seq = b.readInt32LE(4)
        const crc = b.readUInt32LE(len - 4)
        if (crc32(b.subarray(0, len - 4)) !== crc) return this.invalid("bad CRC32")
        if (seq !== this.expectedSeq)
          return this.invalid(`bad TCP Full seq ${seq}, expected ${this.expectedSeq}`)
        this.expectedSeq++
        const payload = Buffer.from(b.subarray(8, len - 4))
        this.consume(len)
        return { _tag: "Frame", payload }
      }
      case "intermediate":
      case "padded": {
        if (b.length < 4) {
          this.need = 4
          return undefined
        }
        const len = b.readUInt32LE(0) & 0x7fffffff // the high bit asks for a quick ack
        if (len < 4) return this.invalid(`bad intermediate length ${len}`)
        if (len > this.maxFrame + 16) return this.invalid(`frame of ${len} bytes exceeds the limit`)
        if (this.kind === "intermediate" && len % 4 !== 0)
          return this.invalid(`bad intermediate length ${len}`)
        const check = this.checkPayload(b, 4, this.kind === "padded" ? Math.max(0, len - 15) : len)
        if (check === "wait") return undefined
        if (check !== undefined) return check
        if (b.length < 4 + len) {
          this.need = 4 + len
          return undefined
        }
        let payload = b.subarray(4, 4 + len)
        if (this.kind === "padded") payload = stripPadding(payload)
        const out = Buffer.from(payload)
        this.consume(4 + len)
        return { _tag: "Frame", payload: out }
      }
      case "abridged": {
        if (b.length < 1) return undefined
        const first = b[0]! & 0x7f // the high bit asks for a quick ack
        let words: number
        let header: number
        if (first < 0x7f) {
          words = first
          header = 1
        } else {
          if (b.length < 4) {
            this.need = 4
            return undefined
          }
          words = b[1]! | (b[2]! << 8) | (b[3]! << 16)
          header = 4
        }
        const len = words * 4
        if (len < 4) return this.invalid("empty abridged frame")
        if (len > this.maxFrame + 16) return this.invalid(`frame of ${len} bytes exceeds the limit`)
        const check = this.checkPayload(b, header, len)
        if (check === "wait") return undefined
        if (check !== undefined) return check
        if (b.length < header + len) {
          this.need = header + len
          return undefined
        }
        const payload = Buffer.from(b.subarray(header, header + len))
        this.consume(header + len)
        return { _tag: "Frame", payload }
      }
      default:
        return undefined
    }
  }
}

/**
 * Padded intermediate appends 0..15 random bytes. MTProto payloads describe their own
 * length: an unencrypted message is 20 bytes of header plus its declared body length, an
 * encrypted one is auth_key_id + msg_key (24 bytes) plus whole 16-byte AES blocks.
 */
const stripPadding = (payload: Buffer): Buffer => {
  if (payload.length >= 20 && payload.readBigInt64LE(0) === 0n) {
    const declared = 20 + payload.readInt32LE(16)
    return declared >= 20 && declared <= payload.length ? payload.subarray(0, declared) : payload
  }
  if (payload.length < 24) return payload
  return payload.subarray(0, 24 + Math.floor((payload.length - 24) / 16) * 16)
}

/** Server-side encoder: wraps payloads in the transport the client chose. */
export class FrameEncoder {
  private seq = 0
  constructor(readonly kind: TransportKind) {}

  encode(payload: Uint8Array): Buffer {
    switch (this.kind) {
      case "full": {
        const len = payload.length + 12
        const out = Buffer.alloc(len)
        out.writeInt32LE(len, 0)
        out.writeInt32LE(this.seq++, 4)
        out.set(payload, 8)
        out.writeUInt32LE(crc32(out.subarray(0, len - 4)), len - 4)
        return out
      }
      case "intermediate": {
        const out = Buffer.alloc(4 + payload.length)
        out.writeUInt32LE(payload.length, 0)
        out.set(payload, 4)
        return out
      }
      case "padded": {
        const pad = randomBytes(Math.floor(Math.random() * 16))
        const out = Buffer.alloc(4 + payload.length + pad.length)
        out.writeUInt32LE(payload.length + pad.length, 0)
        out.set(payload, 4)
        out.set(pad, 4 + payload.length)
        return out
      }
      case "abridged": {
        const words = payload.length >> 2
        if (words < 0x7f) {
          const out = Buffer.alloc(1 + payload.length)
          out[0] = words
          out.set(payload, 1)
          return out
        }
        const out = Buffer.alloc(4 + payload.length)
        out[0] = 0x7f
        out[1] = words & 0xff
        out[2] = (words >> 8) & 0xff
        out[3] = (words >> 16) & 0xff
        out.set(payload, 4)
        return out
      }
    }
  }
}

/** Client-side framing helpers (for tests and raw clients): the initial tag and one frame. */
export const clientTag = (kind: TransportKind): Buffer =>
  kind === "abridged"
    ? Buffer.from([0xef])
    : kind === "intermediate"
      ? Buffer.from([0xee, 0xee, 0xee, 0xee])
      : kind === "padded"
        ? Buffer.from([0xdd, 0xdd, 0xdd, 0xdd])
        : Buffer.alloc(0)
