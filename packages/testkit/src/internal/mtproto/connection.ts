/**
 * One client socket of the loopback server: framing, the per-connection limits, unencrypted
 * handshake messages, decryption, the message layer (salts, sessions, msg_ids, containers,
 * gzip, service messages) and encrypted replies and pushes.
 *
 * Spec: https://core.telegram.org/mtproto/description,
 * https://core.telegram.org/mtproto/service_messages,
 * https://core.telegram.org/mtproto/service_messages_about_messages
 *
 * @internal
 */
import * as NodeCrypto from "node:crypto"
import type * as Net from "node:net"
import { decryptMessage, encryptMessage } from "./crypto.js"
import { FrameDecoder, FrameEncoder } from "./framing.js"
import { Handshake } from "./handshake.js"
import type { KeyEntry, MtprotoServer, SessionState } from "./server.js"
import { gzipPacked, Ids, msgContainer, readContainer, readGzipPacked, rpcResult } from "./tl.js"
import { isFunction, readBoxed, service, type TlBudget, type TlValue } from "./tlCodec.js"

/**
 * The largest unencrypted frame payload: the handshake's messages have known sizes (20-byte
 * header plus `req_pq_multi` 20, `req_DH_params` ≈ 320, `set_client_DH_params` ≈ 380 bytes).
 */
export const maxPlainFrameBytes = 1024

/** Largest body of each handshake constructor a client may send. */
const HANDSHAKE_SIZES: ReadonlyMap<number, number> = new Map([
  [0xbe7e8ef1, 20], // req_pq_multi nonce:int128
  [0x60469778, 20], // req_pq nonce:int128
  [0xd712e4be, 512], // req_DH_params: nonces, p, q, fingerprint, 256-byte encrypted_data
  [0xf5045f1f, 512] // set_client_DH_params: nonces, encrypted client_DH_inner_data
])

export interface Outgoing {
  readonly body: Buffer
  readonly contentRelated: boolean
}

/** Service messages a client may send (besides containers, gzip_packed and msgs_ack, handled first). */
const SERVICE_CONSTRUCTORS: ReadonlySet<number> = new Set([
  0x7abe77ec, // ping
  0xf3427b8c, // ping_delay_disconnect
  0xe7512126, // destroy_session
  0x58e4a740, // rpc_drop_answer
  0xb921bd04, // get_future_salts
  0xda69fb52, // msgs_state_req
  0x7d861a08, // msg_resend_req
  0x9299359f, // http_wait
  0x8cc0d131 // msgs_all_info
])

const MAX_SEEN = 512
const MAX_SESSIONS_PER_KEY = 64

/** One client socket. */
export class Connection {
  private readonly decoder: FrameDecoder
  private encoder: FrameEncoder | undefined
  private lastMsgId = 0n
  private handshake: Handshake | undefined
  private disconnectTimer: ReturnType<typeof setTimeout> | undefined
  private idleTimer: ReturnType<typeof setTimeout> | undefined
  private frameTimer: ReturnType<typeof setTimeout> | undefined
  private pumpScheduled = false
  private counted = 0
  private handshakes = 0
  entry: KeyEntry | undefined
  sessionId: bigint | undefined
  closed = false

  constructor(
    readonly id: number,
    readonly socket: Net.Socket,
    private readonly server: MtprotoServer
  ) {
    const limits = server.options.limits
    this.decoder = new FrameDecoder(server.options.maxFrameBytes, undefined, (keyId) => {
      if (keyId === 0n) return maxPlainFrameBytes
      const entry = server.keys.get(keyId)
      if (entry === undefined) return "unknown-key"
      return entry.userId === undefined
        ? Math.min(limits.maxUnauthorizedFrameBytes, server.options.maxFrameBytes)
        : server.options.maxFrameBytes
    })
    socket.setNoDelay(true)
    this.armIdle()
    socket.on("data", (chunk: Buffer) => this.onData(chunk))
    socket.on("error", () => this.close())
    socket.on("close", () => this.close())
  }

  /**
   * Closes this connection (idempotent). `graceful` lets queued bytes (a transport error)
   * reach the client before the socket goes away.
   */
  close(reason?: string, graceful = false): void {
    if (this.closed) return
    if (reason !== undefined) {
      this.server.stats.connectionsClosedForErrors++
      this.server.problem(`connection ${this.id}: ${reason}`)
    }
    this.closed = true
    if (this.disconnectTimer !== undefined) clearTimeout(this.disconnectTimer)
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    if (this.frameTimer !== undefined) clearTimeout(this.frameTimer)
    this.server.bufferedBytes -= this.counted
    this.counted = 0
    this.server.connections.delete(this)
    if (graceful) {
      this.socket.end()
      setTimeout(() => this.socket.destroy(), 1000).unref()
    } else {
      this.socket.destroy()
    }
  }

  /** The idle deadline restarts with every complete frame, never with single bytes. */
  private armIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => this.close("idle timeout"), this.server.options.idleTimeoutMs)
    this.idleTimer.unref()
  }

  /** Keeps the server-wide count of buffered bytes and the frame deadline in step with the decoder. */
  private account(): void {
    const now = this.decoder.buffered
    this.server.bufferedBytes += now - this.counted
    this.counted = now
    if (now === 0) {
      if (this.frameTimer !== undefined) clearTimeout(this.frameTimer)
      this.frameTimer = undefined
    } else if (this.frameTimer === undefined) {
      this.frameTimer = setTimeout(
        () => this.close("frame not complete within frameTimeoutMs"),
        this.server.options.limits.frameTimeoutMs
      )
      this.frameTimer.unref()
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.decoder.append(chunk)
    this.account()
    if (this.server.bufferedBytes > this.server.options.limits.maxBufferedBytes) {
      this.close("the server's buffer limit (maxBufferedBytes) is reached")
      return
    }
    this.schedule()
  }

  /**
   * Handles one frame per turn of the event loop, so no connection runs long without the
   * others getting theirs; the socket is paused while frames wait (the rest stays in the
   * kernel's buffers, bounded by TCP flow control).
   */
  private schedule(): void {
    if (this.pumpScheduled || this.closed) return
    this.pumpScheduled = true
    setImmediate(() => {
      this.pumpScheduled = false
      this.pump()
    })
  }

  private pump(): void {
    if (this.closed) return
    let ev: ReturnType<FrameDecoder["next"]>
    try {
      ev = this.decoder.next()
    } catch {
      this.close("transport decoder failure")
      return
    }
    this.account()
    if (ev === undefined) {
      this.socket.resume()
      return
    }
    if (ev._tag === "Invalid") {
      this.close(ev.reason)
      return
    }
    if (this.encoder === undefined) this.encoder = new FrameEncoder(this.decoder.transport ?? "full")
    if (ev._tag === "UnknownKey") {
      this.transportError(-404, "unknown auth_key_id")
      return
    }
    this.armIdle()
    try {
      this.onFrame(ev.payload)
    } catch (e) {
      this.close(`frame handling failed: ${String(e)}`)
      return
    }
    if (this.closed) return
    this.socket.pause()
    this.schedule()
  }

  private writeFrame(payload: Buffer): void {
    if (this.closed || this.encoder === undefined) return
    this.socket.write(this.encoder.encode(payload))
  }

  /** Sends a 4-byte transport error (e.g. -404) and closes. */
  private transportError(code: number, reason: string): void {
    const b = Buffer.alloc(4)
    b.writeInt32LE(code)
    this.writeFrame(b)
    this.server.stats.transportErrorsSent++
    this.close(reason, true)
  }

  /** A new server msg_id: time-based, ≡ residue (mod 4), strictly increasing on this connection. */
  nextMsgId(residue: 1 | 3): bigint {
    const now = Date.now()
    let id =
      (BigInt(Math.floor(now / 1000)) << 32n) |
      (BigInt(Math.floor(((now % 1000) * 0x100000000) / 1000)) & ~3n)
    id = (id & ~3n) | BigInt(residue)
    if (id <= this.lastMsgId) id = (((this.lastMsgId >> 2n) + 1n) << 2n) | BigInt(residue)
    this.lastMsgId = id
    return id
  }

  private onFrame(payload: Buffer): void {
    if (payload.length === 4) {
      this.close("client sent a transport error")
      return
    }
    if (payload.length < 8) {
      this.close("frame shorter than auth_key_id")
      return
    }
    const keyId = payload.readBigInt64LE(0)
    if (keyId === 0n) {
      this.onPlain(payload)
      return
    }
    const entry = this.server.keys.get(keyId)
    if (entry === undefined) {
      this.transportError(-404, "unknown auth_key_id")
      return
    }
    const dec = decryptMessage(entry.key, payload.subarray(8), 0)
    if (dec._tag === "Fail") {
      this.close(`undecryptable message (${dec.reason})`)
      return
    }
    const p = dec.plaintext
    if (p.length < 32) {
      this.close("plaintext too short")
      return
    }
    const salt = p.readBigInt64LE(0)
    const sessionId = p.readBigInt64LE(8)
    const msgId = p.readBigInt64LE(16)
    const seqNo = p.readInt32LE(24)
    const len = p.readInt32LE(28)
    const padding = p.length - 32 - len
    if (len < 4 || len % 4 !== 0 || padding < 12 || padding > 1024) {
      this.close(`bad message length ${len}`)
      return
    }
    const body = p.subarray(32, 32 + len)
    this.entry = entry
    this.sessionId = sessionId
    const out: Array<Outgoing> = []
    if (this.server.options.strictSalt && salt !== this.server.salt) {
      out.push({ body: this.server.badServerSalt(msgId, seqNo), contentRelated: false })
      this.server.stats.badServerSaltsSent++
      this.flush(sessionId, out)
      return
    }
    const session = sessionOf(entry, sessionId)
    if (!session.created) {
      session.created = true
      this.server.stats.newSessionsCreated++
      out.push({
        body: service({
          _: "new_session_created",
          first_msg_id: msgId,
          unique_id: NodeCrypto.randomBytes(8).readBigInt64LE(0),
          server_salt: this.server.salt
        }),
        contentRelated: true
      })
    }
    const limits = this.server.options.limits
    const budget: TlBudget = { objects: limits.maxTlObjects, depth: limits.maxTlDepth }
    this.onMessage(sessionId, session, msgId, seqNo, body, out, true, budget)
    this.flush(sessionId, out)
  }

  /** Handles one (possibly container or gzip) message. */
  private onMessage(
    sessionId: bigint,
    session: SessionState,
    msgId: bigint,
    seqNo: number,
    body: Buffer,
    out: Array<Outgoing>,
    topLevel: boolean,
    budget: TlBudget
  ): void {
    const badMsg = this.checkMsgId(msgId)
    if (badMsg !== undefined) {
      this.server.stats.badMsgNotificationsSent++
      out.push({
        body: service({
          _: "bad_msg_notification",
          bad_msg_id: msgId,
          bad_msg_seqno: seqNo,
          error_code: badMsg
        }),
        contentRelated: false
      })
      return
    }
    if (session.seen.has(msgId)) return // a duplicate: already handled
    session.seen.add(msgId)
    if (session.seen.size > MAX_SEEN) {
      const first = session.seen.values().next().value
      if (first !== undefined) session.seen.delete(first)
    }
    const ctor = body.readUInt32LE(0)
    if (ctor === Ids.msgContainer) {
      if (!topLevel) {
        this.close("nested container")
        return
      }
      const inner = readContainer(body)
      if (inner === undefined) {
        this.close("malformed container")
        return
      }
      this.server.stats.containersReceived++
      for (const m of inner) {
        if (this.closed) return
        this.onMessage(sessionId, session, m.msgId, m.seqNo, m.body, out, false, budget)
      }
      return
    }
    if (ctor === Ids.gzipPacked) {
      const unpacked = readGzipPacked(body, this.server.options.maxFrameBytes)
      if (unpacked === undefined || unpacked.length < 4 || unpacked.readUInt32LE(0) === Ids.gzipPacked) {
        this.close("malformed gzip_packed")
        return
      }
      this.server.stats.gzipPackedReceived++
      session.seen.delete(msgId)
      this.onMessage(sessionId, session, msgId, seqNo, unpacked, out, false, budget)
      return
    }
    if (ctor === Ids.msgsAck) return
    // what a message may be is decided before it is parsed: a request of the key's layer or a
    // service message
    const entry = this.entry!
    const invalid = (): void => {
      out.push({ body: rpcResult(msgId, rpcError(400, "INPUT_CONSTRUCTOR_INVALID")), contentRelated: true })
      this.server.stats.rpcErrorsSent++
    }
    if (!isFunction(entry.schema, ctor) && !SERVICE_CONSTRUCTORS.has(ctor)) {
      invalid()
      return
    }
    const read = readBoxed(body, entry.schema, budget, this.server.schemaFor)
    if (read._tag === "Fail" && read.reason === "budget") {
      this.close("message exceeds maxTlObjects or maxTlDepth")
      return
    }
    if (read._tag === "Fail") {
      // malformed: answer so the client never waits
      invalid()
      return
    }
    const obj = read.value
    switch (obj._) {
      case "ping":
      case "ping_delay_disconnect": {
        this.server.stats.pings++
        out.push({ body: service({ _: "pong", msg_id: msgId, ping_id: obj.ping_id }), contentRelated: false })
        if (obj._ === "ping_delay_disconnect") {
          if (this.disconnectTimer !== undefined) clearTimeout(this.disconnectTimer)
          const delay = Math.max(1, Number(obj.disconnect_delay)) * 1000
          this.disconnectTimer = setTimeout(() => this.close(), delay)
          this.disconnectTimer.unref()
        }
        return
      }
      case "destroy_session": {
        const target = obj.session_id as bigint
        const known = entry.sessions.delete(target)
        out.push({
          body: service({ _: known ? "destroy_session_ok" : "destroy_session_none", session_id: target }),
          contentRelated: false
        })
        return
      }
      case "get_future_salts":
        out.push({ body: this.server.futureSalts(msgId, Number(obj.num)), contentRelated: false })
        return
      case "msgs_state_req":
        out.push({ body: msgsStateInfo(msgId, obj.msg_ids, session), contentRelated: false })
        return
      // the server keeps no copies of what it sent (a client that lost an answer resends its
      // request, which is answered again), so msg_resend_req has nothing to resend;
      // msgs_all_info is informational and wants no answer; http_wait is only meaningful over
      // HTTP, which the server does not serve
      case "msg_resend_req":
      case "msgs_all_info":
      case "http_wait":
        return
      case "rpc_drop_answer":
        out.push({ body: rpcResult(msgId, service({ _: "rpc_answer_unknown" })), contentRelated: true })
        return
    }
    this.server.stats.requests++
    void this.server.dispatch(entry, this.id, obj).then((reply) => {
      if (this.closed) return
      try {
        this.flush(sessionId, [{ body: rpcResult(msgId, reply), contentRelated: true }])
      } catch (e) {
        this.close(`cannot send a result: ${String(e)}`)
      }
    })
  }

  private checkMsgId(msgId: bigint): number | undefined {
    if (msgId % 4n !== 0n) return 18
    const seconds = Number(msgId >> 32n)
    const now = Date.now() / 1000
    if (seconds < now - 300) return 16
    if (seconds > now + 30) return 17
    return undefined
  }

  /** Encrypts and writes messages of one session (a container when there are several). */
  flush(sessionId: bigint, out: ReadonlyArray<Outgoing>, residue: 1 | 3 = 1): void {
    if (out.length === 0 || this.closed || this.entry === undefined) return
    const entry = this.entry
    const session = sessionOf(entry, sessionId)
    const seqFor = (m: Outgoing): number =>
      m.contentRelated ? 2 * session.contentSent++ + 1 : 2 * session.contentSent
    const gz = (m: Outgoing): Outgoing => {
      if (m.body.length < this.server.options.gzipMinBytes) return m
      const packed = gzipPacked(m.body)
      if (packed.length >= m.body.length && this.server.options.gzipMinBytes > 0) return m
      this.server.stats.gzipPackedSent++
      return { body: packed, contentRelated: m.contentRelated }
    }
    let msgId: bigint
    let seqNo: number
    let body: Buffer
    if (out.length === 1) {
      const m = gz(out[0]!)
      msgId = this.nextMsgId(residue)
      seqNo = seqFor(m)
      body = m.body
    } else {
      const inner = out.map((m0) => {
        const m = gz(m0)
        return { msgId: this.nextMsgId(residue), seqNo: seqFor(m), body: m.body }
      })
      msgId = this.nextMsgId(residue)
      seqNo = 2 * session.contentSent
      body = msgContainer(inner)
    }
    const head = Buffer.alloc(32)
    head.writeBigInt64LE(this.server.salt, 0)
    head.writeBigInt64LE(sessionId, 8)
    head.writeBigInt64LE(msgId, 16)
    head.writeInt32LE(seqNo, 24)
    head.writeInt32LE(body.length, 28)
    this.writeFrame(encryptMessage(entry.key, Buffer.concat([head, body]), 8))
  }

  /** Pushes an `Updates` object to this connection's current session. */
  push(updates: Buffer): boolean {
    if (this.closed || this.sessionId === undefined || this.entry === undefined) return false
    try {
      this.flush(this.sessionId, [{ body: updates, contentRelated: true }], 3)
      return true
    } catch (e) {
      this.close(`cannot push: ${String(e)}`)
      return false
    }
  }

  private onPlain(payload: Buffer): void {
    if (payload.length < 20) {
      this.close("short unencrypted message")
      return
    }
    const msgId = payload.readBigInt64LE(8)
    const len = payload.readInt32LE(16)
    if (len <= 0 || 20 + len > payload.length || msgId % 4n !== 0n) {
      this.close("bad unencrypted message")
      return
    }
    const body = payload.subarray(20, 20 + len)
    // an unauthenticated connection may send only the handshake's constructors, each of known size
    const ctor = len >= 4 ? body.readUInt32LE(0) : 0
    const maxSize = HANDSHAKE_SIZES.get(ctor)
    if (maxSize === undefined || len > maxSize) {
      this.close("unencrypted message is not a handshake step of its size")
      return
    }
    if (ctor === 0xbe7e8ef1 || ctor === 0x60469778) {
      if (++this.handshakes > this.server.options.limits.maxHandshakes) {
        this.close("too many auth-key creations on one connection (maxHandshakes)")
        return
      }
    }
    if (this.handshake === undefined) this.handshake = new Handshake()
    const res = this.handshake.step(body)
    if (res._tag === "Fail") {
      this.close(`handshake: ${res.reason}`)
      return
    }
    if (res._tag === "Done") this.server.addKey(res.authKey, undefined)
    const head = Buffer.alloc(20)
    head.writeBigInt64LE(0n, 0)
    head.writeBigInt64LE(this.nextMsgId(1), 8)
    head.writeInt32LE(res.body.length, 16)
    this.writeFrame(Buffer.concat([head, res.body]))
  }
}

/** The state of a session of an auth key, created on first use (oldest evicted past a bound). */
export const sessionOf = (entry: KeyEntry, sessionId: bigint): SessionState => {
  let session = entry.sessions.get(sessionId)
  if (session === undefined) {
    if (entry.sessions.size >= MAX_SESSIONS_PER_KEY) {
      const oldest = entry.sessions.keys().next().value
      if (oldest !== undefined) entry.sessions.delete(oldest)
    }
    session = { created: false, contentSent: 0, seen: new Set() }
    entry.sessions.set(sessionId, session)
  }
  return session
}

const rpcError = (code: number, message: string): Buffer =>
  service({ _: "rpc_error", error_code: code, error_message: message })

/**
 * `msgs_state_info req_msg_id:long info:string`, one byte per asked msg_id
 * (service_messages_about_messages): 4 received, 1 too old to know, 3 too new, 2 not received.
 */
const msgsStateInfo = (reqMsgId: bigint, ids: TlValue | undefined, session: SessionState): Buffer => {
  const now = Date.now() / 1000
  const list = Array.isArray(ids) ? (ids as ReadonlyArray<TlValue>) : []
  const info = new Uint8Array(list.length)
  list.forEach((raw, i) => {
    const id = typeof raw === "bigint" ? raw : 0n
    const seconds = Number(id >> 32n)
    info[i] = session.seen.has(id) ? 4 : seconds < now - 300 ? 1 : seconds > now + 30 ? 3 : 2
  })
  return service({ _: "msgs_state_info", req_msg_id: reqMsgId, info })
}
