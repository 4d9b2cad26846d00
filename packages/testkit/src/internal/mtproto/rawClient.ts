/**
 * A minimal MTProto 2.0 client over `node:net`, for tests of the transports GramJS does
 * not speak (Intermediate, Padded Intermediate) and for fuzzing: raw bytes, frames, and
 * encrypted messages with a known auth key.
 *
 * @internal
 */
import * as Net from "node:net"
import { decryptMessage, encryptMessage } from "./crypto.js"
import { clientTag, FrameDecoder, FrameEncoder, type TransportKind } from "./framing.js"
import { Ids, type RawMessage, readContainer } from "./tl.js"

/** A decrypted server message. */
export interface ServerMessage extends RawMessage {
  readonly salt: bigint
  readonly sessionId: bigint
}

/** A raw client connection. */
export class RawClient {
  private readonly decoder: FrameDecoder
  private readonly encoder: FrameEncoder
  private readonly frames: Array<Buffer> = []
  private waiters: Array<() => void> = []
  private lastMsgId = 0n
  closed = false
  readonly closedPromise: Promise<void>

  private constructor(
    readonly socket: Net.Socket,
    readonly kind: TransportKind
  ) {
    this.decoder = new FrameDecoder(16 * 1024 * 1024, kind)
    this.encoder = new FrameEncoder(kind)
    socket.on("data", (chunk: Buffer) => {
      for (const ev of this.decoder.push(chunk)) if (ev._tag === "Frame") this.frames.push(ev.payload)
      this.wake()
    })
    this.closedPromise = new Promise((resolve) => {
      socket.on("close", () => {
        this.closed = true
        this.wake()
        resolve()
      })
    })
    socket.on("error", () => {})
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** Connects to 127.0.0.1:port; sends the transport's tag unless `sendTag` is false. */
  static connect(port: number, kind: TransportKind, sendTag = true): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = Net.connect(port, "127.0.0.1")
      socket.once("error", reject)
      socket.once("connect", () => {
        socket.off("error", reject)
        const c = new RawClient(socket, kind)
        if (sendTag) socket.write(clientTag(kind))
        resolve(c)
      })
    })
  }

  /** Writes raw bytes (ignores errors: the server may already have closed). */
  writeRaw(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes)
  }

  /** Writes one frame in this client's transport. */
  sendFrame(payload: Uint8Array): void {
    this.writeRaw(this.encoder.encode(payload))
  }

  /** A client msg_id: time-based, ≡ 0 (mod 4), increasing. */
  nextMsgId(): bigint {
    const now = Date.now()
    let id =
      (BigInt(Math.floor(now / 1000)) << 32n) |
      (BigInt(Math.floor(((now % 1000) * 0x100000000) / 1000)) & ~3n)
    if (id <= this.lastMsgId) id = this.lastMsgId + 4n
    this.lastMsgId = id
    return id
  }

  /** Encrypts (x = 0) and sends one message. */
  sendEncrypted(
    authKey: Uint8Array,
    m: {
      readonly salt: bigint
      readonly sessionId: bigint
      readonly msgId: bigint
      readonly seqNo: number
      readonly body: Uint8Array
    }
  ): void {
    const head = Buffer.alloc(32)
    head.writeBigInt64LE(m.salt, 0)
    head.writeBigInt64LE(m.sessionId, 8)
    head.writeBigInt64LE(m.msgId, 16)
    head.writeInt32LE(m.seqNo, 24)
    head.writeInt32LE(m.body.length, 28)
    this.sendFrame(encryptMessage(authKey, Buffer.concat([head, m.body]), 0))
  }

  /** The next frame payload from the server, or `undefined` on close/timeout. */
  async nextFrame(timeoutMs = 5000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs
    while (this.frames.length === 0) {
      if (this.closed || Date.now() >= deadline) return undefined
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()))
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    return this.frames.shift()
  }

  /** The next server message, decrypted (x = 8) and with containers flattened. */
  async nextMessages(authKey: Uint8Array, timeoutMs = 5000): Promise<Array<ServerMessage> | undefined> {
    const frame = await this.nextFrame(timeoutMs)
    if (frame === undefined || frame.length < 24) return undefined
    const dec = decryptMessage(authKey, frame.subarray(8), 8)
    if (dec._tag === "Fail") throw new Error(`cannot decrypt a server message: ${dec.reason}`)
    const p = dec.plaintext
    const salt = p.readBigInt64LE(0)
    const sessionId = p.readBigInt64LE(8)
    const top: RawMessage = {
      msgId: p.readBigInt64LE(16),
      seqNo: p.readInt32LE(24),
      body: p.subarray(32, 32 + p.readInt32LE(28))
    }
    if (top.body.readUInt32LE(0) === Ids.msgContainer) {
      return (readContainer(top.body) ?? []).map((m) => ({ ...m, salt, sessionId }))
    }
    return [{ ...top, salt, sessionId }]
  }

  /** Closes the socket. */
  close(): Promise<void> {
    this.socket.destroy()
    return this.closedPromise
  }
}
