/**
 * The loopback MTProto 2.0 server: a `node:net` listener on 127.0.0.1, one {@link Connection}
 * per socket, accounts keyed by auth key, housekeeping RPCs, and a pluggable handler for
 * everything else. Promise/callback based; `LoopbackServer` wraps it in Effect.
 *
 * Spec: https://core.telegram.org/mtproto/description,
 * https://core.telegram.org/mtproto/service_messages,
 * https://core.telegram.org/mtproto/service_messages_about_messages
 *
 * @internal
 */
import * as NodeCrypto from "node:crypto"
import * as Net from "node:net"
import { Api } from "telegram"
import { authKeyId, decryptMessage, encryptMessage } from "./crypto.js"
import { FrameDecoder, FrameEncoder } from "./framing.js"
import { Handshake, prepareTestRsaKey } from "./handshake.js"
import {
  classNameOf,
  gzipPacked,
  Ids,
  isRequest,
  isRequestConstructor,
  msgContainer,
  readContainer,
  readGzipPacked,
  readObjectBudgeted,
  rpcError,
  rpcResult,
  serializeBytes,
  serializeResult,
  type TlBudget,
  type TlResult,
  type TlSerializable,
  toLong,
  unwrap
} from "./tl.js"

/** A user the server knows. */
export interface Account {
  readonly userId: bigint
  readonly accessHash: bigint
  readonly firstName: string
  readonly lastName?: string | undefined
  readonly username?: string | undefined
  readonly phone?: string | undefined
  readonly bot?: boolean | undefined
}

/** What the handler sees for one request. */
export interface RequestContext {
  /** The signed-in account, or `undefined` for a fresh auth key that has not logged in. */
  readonly account: Account | undefined
  /** The request with its connection wrappers removed (a GramJS `Api` request object). */
  readonly request: TlSerializable & { readonly className: string }
  /** GramJS class name of the request, e.g. `"phone.RequestCall"`. */
  readonly method: string
  readonly connectionId: number
  readonly authKeyId: bigint
}

/** The handler's answer. */
export type HandlerReply =
  | { readonly _tag: "Result"; readonly value: TlResult }
  | { readonly _tag: "Error"; readonly code: number; readonly message: string }
  | { readonly _tag: "Unhandled" }

/** The request handler. */
export type Handler = (context: RequestContext) => Promise<HandlerReply>

/** `call_*_timeout_ms` values of the `Config` the server hands out. */
export interface CallConfig {
  readonly callReceiveTimeoutMs: number
  readonly callRingTimeoutMs: number
  readonly callConnectTimeoutMs: number
  readonly callPacketTimeoutMs: number
}

/** Server options. */
export interface ServerOptions {
  readonly handler: Handler
  readonly callConfig: CallConfig
  /** Largest accepted frame payload in bytes. */
  readonly maxFrameBytes: number
  /** Send `bad_server_salt` for messages whose salt is not the current server salt. */
  readonly strictSalt: boolean
  /** gzip outgoing results and updates whose TL body is at least this long (if it shrinks). */
  readonly gzipMinBytes: number
  /** Close a connection that completes no frame for this long (GramJS pings every 9 s). */
  readonly idleTimeoutMs: number
  /** Resource limits per connection and for the whole server. */
  readonly limits: Limits
  /** Called for every dropped connection or frame (diagnostics, never throws). */
  readonly onProblem?: ((problem: string) => void) | undefined
}

/** What one connection, and all of them together, may cost. */
export interface Limits {
  /** Open connections at most; more are closed on accept. */
  readonly maxConnections: number
  /** Bytes of unfinished frames buffered over all connections; the connection that would pass it is closed. */
  readonly maxBufferedBytes: number
  /** Largest frame payload for an auth key that has not logged in (only login requests are small). */
  readonly maxUnauthorizedFrameBytes: number
  /** Auth-key creations (`req_pq_multi`) one connection may start. */
  readonly maxHandshakes: number
  /** A frame must arrive whole within this many ms of its first byte. */
  readonly frameTimeoutMs: number
  /** TL values (objects, longs, strings, …) one frame may contain. */
  readonly maxTlObjects: number
  /** How deep TL objects may nest. */
  readonly maxTlDepth: number
}

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

/** Counters, for tests and benchmarks. */
export interface Stats {
  connectionsAccepted: number
  connectionsClosedForErrors: number
  transportErrorsSent: number
  badServerSaltsSent: number
  badMsgNotificationsSent: number
  newSessionsCreated: number
  requests: number
  rpcErrorsSent: number
  gzipPackedSent: number
  gzipPackedReceived: number
  containersReceived: number
  pings: number
  updatesPushed: number
  authKeysCreated: number
  connectionsRefused: number
}

const emptyStats = (): Stats => ({
  connectionsAccepted: 0,
  connectionsClosedForErrors: 0,
  transportErrorsSent: 0,
  badServerSaltsSent: 0,
  badMsgNotificationsSent: 0,
  newSessionsCreated: 0,
  requests: 0,
  rpcErrorsSent: 0,
  gzipPackedSent: 0,
  gzipPackedReceived: 0,
  containersReceived: 0,
  pings: 0,
  updatesPushed: 0,
  authKeysCreated: 0,
  connectionsRefused: 0
})

interface SessionState {
  /** Whether `new_session_created` has been sent for it. */
  created: boolean
  /** Content-related messages the server has sent in this session (drives seq_no). */
  contentSent: number
  /** Recently seen client msg_ids (duplicates are ignored). */
  readonly seen: Set<bigint>
}

interface KeyEntry {
  readonly key: Buffer
  readonly id: bigint
  userId: bigint | undefined
  readonly sessions: Map<bigint, SessionState>
}

interface Outgoing {
  readonly body: Buffer
  readonly contentRelated: boolean
}

/** Methods a fresh (not logged-in) auth key may call. */
const UNAUTHORISED_OK = new Set([
  "help.GetConfig",
  "help.GetNearestDc",
  "auth.SendCode",
  "auth.SignIn",
  "auth.ResendCode",
  "auth.CancelCode",
  "auth.LogOut",
  "langpack.GetLangPack",
  "langpack.GetStrings",
  "langpack.GetLanguages"
])

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

/** Normalises a phone number to digits only. */
export const normalisePhone = (phone: string): string => phone.replace(/[^0-9]/g, "")

/** One client socket. */
class Connection {
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
        body: new Api.NewSessionCreated({
          firstMsgId: toLong(msgId),
          uniqueId: toLong(NodeCrypto.randomBytes(8).readBigInt64LE(0)),
          serverSalt: toLong(this.server.salt)
        }).getBytes(),
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
        body: new Api.BadMsgNotification({
          badMsgId: toLong(msgId),
          badMsgSeqno: seqNo,
          errorCode: badMsg
        }).getBytes(),
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
    // what a message may be is decided before it is parsed: a request or a service message
    if (!isRequestConstructor(ctor) && !SERVICE_CONSTRUCTORS.has(ctor)) {
      out.push({ body: rpcResult(msgId, rpcError(400, "INPUT_CONSTRUCTOR_INVALID")), contentRelated: true })
      this.server.stats.rpcErrorsSent++
      return
    }
    const read = readObjectBudgeted(body, budget)
    if (read._tag === "Fail" && read.reason === "budget") {
      this.close("message exceeds maxTlObjects or maxTlDepth")
      return
    }
    const obj = read._tag === "Ok" ? read.value : undefined
    if (obj instanceof Api.Ping) {
      this.server.stats.pings++
      out.push({
        body: new Api.Pong({ msgId: toLong(msgId), pingId: obj.pingId }).getBytes(),
        contentRelated: false
      })
      return
    }
    if (obj instanceof Api.PingDelayDisconnect) {
      this.server.stats.pings++
      out.push({
        body: new Api.Pong({ msgId: toLong(msgId), pingId: obj.pingId }).getBytes(),
        contentRelated: false
      })
      if (this.disconnectTimer !== undefined) clearTimeout(this.disconnectTimer)
      const delay = Math.max(1, obj.disconnectDelay) * 1000
      this.disconnectTimer = setTimeout(() => this.close(), delay)
      this.disconnectTimer.unref()
      return
    }
    if (obj instanceof Api.DestroySession) {
      const target = BigInt(obj.sessionId.toString())
      const known = this.entry?.sessions.delete(target) === true
      out.push({ body: destroySessionAnswer(known, target), contentRelated: false })
      return
    }
    if (obj instanceof Api.GetFutureSalts) {
      out.push({ body: this.server.futureSalts(msgId, obj.num), contentRelated: false })
      return
    }
    if (obj instanceof Api.MsgsStateReq) {
      out.push({ body: msgsStateInfo(msgId, obj.msgIds, session), contentRelated: false })
      return
    }
    // the server keeps no copies of what it sent (a client that lost an answer resends its
    // request, which is answered again), so msg_resend_req has nothing to resend;
    // msgs_all_info is informational and wants no answer
    if (obj instanceof Api.MsgResendReq || obj instanceof Api.MsgsAllInfo) return
    if (obj instanceof Api.HttpWait) return // only meaningful over HTTP, which the server does not serve
    if (obj instanceof Api.RpcDropAnswer) {
      out.push({ body: rpcResult(msgId, u32(Ids.rpcAnswerUnknown)), contentRelated: true })
      return
    }
    if (!isRequest(obj)) {
      // an unknown constructor or a non-request object: answer so the client never waits
      out.push({ body: rpcResult(msgId, rpcError(400, "INPUT_CONSTRUCTOR_INVALID")), contentRelated: true })
      this.server.stats.rpcErrorsSent++
      return
    }
    this.server.stats.requests++
    const entry = this.entry!
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
const sessionOf = (entry: KeyEntry, sessionId: bigint): SessionState => {
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

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return b
}

/** `destroy_session_ok` or, for a session the key does not have, `destroy_session_none`. */
const destroySessionAnswer = (known: boolean, sessionId: bigint): Buffer => {
  const b = Buffer.alloc(12)
  b.writeUInt32LE(known ? Ids.destroySessionOk : 0x62d350c9, 0)
  b.writeBigInt64LE(sessionId, 4)
  return b
}

/**
 * `msgs_state_info req_msg_id:long info:string`, one byte per asked msg_id
 * (service_messages_about_messages): 4 received, 1 too old to know, 3 too new, 2 not received.
 */
const msgsStateInfo = (reqMsgId: bigint, ids: ReadonlyArray<Api.long>, session: SessionState): Buffer => {
  const now = Date.now() / 1000
  const info = Buffer.alloc(ids.length)
  ids.forEach((raw, i) => {
    const id = BigInt(raw.toString())
    const seconds = Number(id >> 32n)
    info[i] = session.seen.has(id) ? 4 : seconds < now - 300 ? 1 : seconds > now + 30 ? 3 : 2
  })
  const head = Buffer.alloc(12)
  head.writeUInt32LE(0x04deb57d, 0)
  head.writeBigInt64LE(reqMsgId, 4)
  return Buffer.concat([head, serializeBytes(info)])
}

/** The loopback server. */
export class MtprotoServer {
  readonly keys = new Map<bigint, KeyEntry>()
  readonly accounts = new Map<bigint, Account>()
  readonly connections = new Set<Connection>()
  /** Every open socket, including ones closing gracefully. */
  private readonly sockets = new Set<Net.Socket>()
  readonly stats: Stats = emptyStats()
  /** Bytes of unfinished frames over all connections. */
  bufferedBytes = 0
  /** Per account: the highest `seq` and latest `date` of the `Updates` pushed to it. */
  private readonly pushed = new Map<bigint, { seq: number; date: number }>()
  readonly loginCodes = new Map<string, { readonly hash: string; readonly code: string }>()
  salt: bigint = NodeCrypto.randomBytes(8).readBigInt64LE(0)
  private readonly listener: Net.Server
  private nextConnectionId = 1
  private boundPort = 0

  constructor(readonly options: ServerOptions) {
    this.listener = Net.createServer((socket) => {
      if (this.connections.size >= options.limits.maxConnections) {
        this.stats.connectionsRefused++
        socket.destroy()
        return
      }
      this.stats.connectionsAccepted++
      this.sockets.add(socket)
      socket.once("close", () => this.sockets.delete(socket))
      this.connections.add(new Connection(this.nextConnectionId++, socket, this))
    })
    this.listener.on("error", (e) => this.problem(`listener: ${String(e)}`))
  }

  /** The port the server listens on (after `listen`). */
  get port(): number {
    return this.boundPort
  }

  /** Starts listening on 127.0.0.1 with an ephemeral port. */
  async listen(): Promise<number> {
    await prepareTestRsaKey()
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e)
      this.listener.once("error", onError)
      this.listener.listen(0, "127.0.0.1", () => {
        this.listener.off("error", onError)
        const addr = this.listener.address()
        this.boundPort = typeof addr === "object" && addr !== null ? addr.port : 0
        resolve(this.boundPort)
      })
    })
  }

  /** Closes every connection and the listener. */
  close(): Promise<void> {
    for (const c of [...this.connections]) c.close()
    for (const socket of [...this.sockets]) socket.destroy()
    return new Promise((resolve) => this.listener.close(() => resolve()))
  }

  problem(text: string): void {
    try {
      this.options.onProblem?.(text)
    } catch {
      // diagnostics must never break the server
    }
  }

  /** Registers an auth key, optionally bound to an account; returns its id. */
  addKey(key: Buffer, userId: bigint | undefined): bigint {
    const id = authKeyId(key)
    if (userId === undefined) this.stats.authKeysCreated++
    this.keys.set(id, { key, id, userId, sessions: new Map() })
    return id
  }

  /** `bad_server_salt` for a message. */
  badServerSalt(msgId: bigint, seqNo: number): Buffer {
    return new Api.BadServerSalt({
      badMsgId: toLong(msgId),
      badMsgSeqno: seqNo,
      errorCode: 48,
      newServerSalt: toLong(this.salt)
    }).getBytes()
  }

  /**
   * `future_salts req_msg_id:long now:int salts:vector<future_salt>` (a bare vector of bare
   * `future_salt valid_since:int valid_until:int salt:long`): the server has one salt at a
   * time, valid for the next `num` (1–64) hours until `rotateSalt` replaces it.
   */
  futureSalts(reqMsgId: bigint, num: number): Buffer {
    const n = Math.max(1, Math.min(64, Math.trunc(num)))
    const now = Math.floor(Date.now() / 1000)
    const b = Buffer.alloc(20 + 16 * n)
    b.writeUInt32LE(0xae500895, 0)
    b.writeBigInt64LE(reqMsgId, 4)
    b.writeInt32LE(now, 12)
    b.writeInt32LE(n, 16)
    for (let i = 0; i < n; i++) {
      b.writeInt32LE(now + 3600 * i, 20 + 16 * i)
      b.writeInt32LE(now + 3600 * (i + 1), 24 + 16 * i)
      b.writeBigInt64LE(this.salt, 28 + 16 * i)
    }
    return b
  }

  /** Picks a new server salt: every client gets one `bad_server_salt` and moves on. */
  rotateSalt(): void {
    let next = this.salt
    while (next === this.salt) next = NodeCrypto.randomBytes(8).readBigInt64LE(0)
    this.salt = next
  }

  /**
   * The update state an account's clients see in `updates.getState`/`getDifference`: pts 1 and
   * qts 0 (no pushed update carries either), the highest `seq` and latest `date` pushed.
   */
  updateState(account: Account | undefined): { pts: number; qts: number; seq: number; date: number } {
    const now = Math.floor(Date.now() / 1000)
    const st = account === undefined ? undefined : this.pushed.get(account.userId)
    return { pts: 1, qts: 0, seq: st?.seq ?? 0, date: Math.max(now, st?.date ?? 0) }
  }

  /** Pushes serialised `Updates` to every live connection of an account; returns how many got it. */
  push(userId: bigint, updates: TlSerializable): number {
    const body = updates.getBytes()
    const prev = this.pushed.get(userId) ?? { seq: 0, date: 0 }
    const fields = updates as { readonly seq?: unknown; readonly date?: unknown }
    this.pushed.set(userId, {
      seq: typeof fields.seq === "number" ? Math.max(prev.seq, fields.seq) : prev.seq,
      date: typeof fields.date === "number" ? Math.max(prev.date, fields.date) : prev.date
    })
    let n = 0
    for (const c of this.connections) {
      if (c.entry?.userId === userId && c.push(body)) n++
    }
    this.stats.updatesPushed += n
    return n
  }

  /** Closes every connection of an account (a fault: the client reconnects). */
  disconnect(userId: bigint): number {
    let n = 0
    for (const c of [...this.connections]) {
      if (c.entry?.userId === userId) {
        c.close()
        n++
      }
    }
    return n
  }

  /** Runs one request: built-ins, then the handler, then METHOD_NOT_SUPPORTED. Never rejects. */
  async dispatch(entry: KeyEntry, connectionId: number, raw: unknown): Promise<Buffer> {
    const { query } = unwrap(raw)
    const method = classNameOf(query)
    const account = entry.userId === undefined ? undefined : this.accounts.get(entry.userId)
    const error = (code: number, message: string): Buffer => {
      this.stats.rpcErrorsSent++
      return rpcError(code, message)
    }
    if (!isRequest(query)) return error(400, "INPUT_METHOD_INVALID")
    if (account === undefined && !UNAUTHORISED_OK.has(method)) return error(401, "AUTH_KEY_UNREGISTERED")
    try {
      const reply = await this.options.handler({
        account,
        request: query,
        method,
        connectionId,
        authKeyId: entry.id
      })
      if (reply._tag === "Result") return serializeResult(reply.value)
      if (reply._tag === "Error") return error(reply.code, reply.message)
      const builtin = this.builtin(entry, account, query)
      if (builtin !== undefined) {
        if (builtin._tag === "Result") return serializeResult(builtin.value)
        if (builtin._tag === "Error") return error(builtin.code, builtin.message)
      }
      return error(400, "METHOD_NOT_SUPPORTED")
    } catch (e) {
      this.problem(`${method} failed: ${String(e)}`)
      return error(500, "INTERNAL_SERVER_ERROR")
    }
  }

  /** A GramJS `User` for an account; `self` when it is the caller. */
  user(account: Account, self: boolean): Api.User {
    return new Api.User({
      self,
      bot: account.bot === true,
      contact: !self,
      id: toLong(account.userId),
      accessHash: toLong(account.accessHash),
      firstName: account.firstName,
      ...(account.lastName === undefined ? {} : { lastName: account.lastName }),
      ...(account.username === undefined ? {} : { username: account.username }),
      ...(account.phone === undefined ? {} : { phone: normalisePhone(account.phone) })
    })
  }

  config(): Api.Config {
    const now = Math.floor(Date.now() / 1000)
    const c = this.options.callConfig
    return new Api.Config({
      date: now,
      expires: now + 3600,
      testMode: false,
      thisDc: 2,
      dcOptions: [new Api.DcOption({ id: 2, ipAddress: "127.0.0.1", port: this.port })],
      dcTxtDomainName: "localhost",
      chatSizeMax: 200,
      megagroupSizeMax: 200000,
      forwardedCountMax: 100,
      onlineUpdatePeriodMs: 210000,
      offlineBlurTimeoutMs: 5000,
      offlineIdleTimeoutMs: 30000,
      onlineCloudTimeoutMs: 300000,
      notifyCloudDelayMs: 30000,
      notifyDefaultDelayMs: 1500,
      pushChatPeriodMs: 60000,
      pushChatLimit: 2,
      editTimeLimit: 172800,
      revokeTimeLimit: 2147483647,
      revokePmTimeLimit: 2147483647,
      ratingEDecay: 2419200,
      stickersRecentLimit: 200,
      channelsReadMediaPeriod: 604800,
      callReceiveTimeoutMs: c.callReceiveTimeoutMs,
      callRingTimeoutMs: c.callRingTimeoutMs,
      callConnectTimeoutMs: c.callConnectTimeoutMs,
      callPacketTimeoutMs: c.callPacketTimeoutMs,
      meUrlPrefix: "https://t.me/",
      captionLengthMax: 1024,
      messageLengthMax: 4096,
      webfileDcId: 2
    })
  }

  private findUser(input: unknown, self: Account | undefined): Account | undefined {
    if (input instanceof Api.InputUserSelf || input instanceof Api.InputPeerSelf) return self
    if (input instanceof Api.InputUser || input instanceof Api.InputPeerUser) {
      const a = this.accounts.get(BigInt(input.userId.toString()))
      return a !== undefined && a.accessHash === BigInt(input.accessHash.toString()) ? a : undefined
    }
    return undefined
  }

  /** The housekeeping requests GramJS sends by itself, and a minimal login. */
  private builtin(entry: KeyEntry, account: Account | undefined, q: unknown): HandlerReply | undefined {
    const ok = (value: TlResult): HandlerReply => ({ _tag: "Result", value })
    const err = (code: number, message: string): HandlerReply => ({ _tag: "Error", code, message })
    if (q instanceof Api.help.GetConfig) return ok(this.config())
    if (q instanceof Api.help.GetNearestDc)
      return ok(new Api.NearestDc({ country: "ZZ", thisDc: 2, nearestDc: 2 }))
    if (q instanceof Api.updates.GetState) {
      const st = this.updateState(account)
      return ok(
        new Api.updates.State({ pts: st.pts, qts: st.qts, date: st.date, seq: st.seq, unreadCount: 0 })
      )
    }
    if (q instanceof Api.updates.GetDifference) {
      // nothing the server pushes carries pts or qts (calls travel as updatePhoneCall), and
      // pushes are not stored, so every difference is empty at the current date and seq
      const st = this.updateState(account)
      return ok(new Api.updates.DifferenceEmpty({ date: st.date, seq: st.seq }))
    }
    if (q instanceof Api.users.GetUsers) {
      const users: Array<Api.User> = []
      for (const id of q.id) {
        const a = this.findUser(id, account)
        if (a !== undefined) users.push(this.user(a, a.userId === account?.userId))
      }
      return ok(users)
    }
    if (q instanceof Api.users.GetFullUser) {
      const a = this.findUser(q.id, account)
      if (a === undefined) return err(400, "USER_ID_INVALID")
      return ok(
        new Api.users.UserFull({
          fullUser: new Api.UserFull({
            id: toLong(a.userId),
            settings: new Api.PeerSettings({}),
            notifySettings: new Api.PeerNotifySettings({}),
            commonChatsCount: 0,
            phoneCallsAvailable: true
          }),
          chats: [],
          users: [this.user(a, a.userId === account?.userId)]
        })
      )
    }
    if (q instanceof Api.contacts.ResolveUsername) {
      const name = q.username.replace(/^@/, "").toLowerCase()
      const a = [...this.accounts.values()].find((x) => x.username?.toLowerCase() === name)
      if (a === undefined) return err(400, "USERNAME_NOT_OCCUPIED")
      return ok(
        new Api.contacts.ResolvedPeer({
          peer: new Api.PeerUser({ userId: toLong(a.userId) }),
          chats: [],
          users: [this.user(a, a.userId === account?.userId)]
        })
      )
    }
    if (q instanceof Api.contacts.ResolvePhone) {
      const phone = normalisePhone(q.phone)
      const a = [...this.accounts.values()].find(
        (x) => x.phone !== undefined && normalisePhone(x.phone) === phone
      )
      if (a === undefined) return err(400, "PHONE_NOT_OCCUPIED")
      return ok(
        new Api.contacts.ResolvedPeer({
          peer: new Api.PeerUser({ userId: toLong(a.userId) }),
          chats: [],
          users: [this.user(a, a.userId === account?.userId)]
        })
      )
    }
    if (q instanceof Api.auth.SendCode) {
      const phone = normalisePhone(q.phoneNumber)
      const a = [...this.accounts.values()].find(
        (x) => x.phone !== undefined && normalisePhone(x.phone) === phone
      )
      if (a === undefined) return err(400, "PHONE_NUMBER_INVALID")
      const code = String(NodeCrypto.randomInt(10000, 100000))
      const hash = NodeCrypto.randomBytes(8).toString("hex")
      this.loginCodes.set(phone, { hash, code })
      return ok(
        new Api.auth.SentCode({
          type: new Api.auth.SentCodeTypeApp({ length: code.length }),
          phoneCodeHash: hash
        })
      )
    }
    if (q instanceof Api.auth.SignIn) {
      const phone = normalisePhone(q.phoneNumber)
      const issued = this.loginCodes.get(phone)
      if (issued === undefined || issued.hash !== q.phoneCodeHash) return err(400, "PHONE_CODE_EXPIRED")
      if (q.phoneCode === undefined || q.phoneCode !== issued.code) return err(400, "PHONE_CODE_INVALID")
      const a = [...this.accounts.values()].find(
        (x) => x.phone !== undefined && normalisePhone(x.phone) === phone
      )
      if (a === undefined) return err(400, "PHONE_NUMBER_UNOCCUPIED")
      this.loginCodes.delete(phone)
      entry.userId = a.userId
      return ok(new Api.auth.Authorization({ user: this.user(a, true) }))
    }
    if (q instanceof Api.auth.LogOut) {
      entry.userId = undefined
      return ok(new Api.auth.LoggedOut({}))
    }
    return undefined
  }
}
