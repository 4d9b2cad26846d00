/**
 * The loopback MTProto 2.0 server: a `node:net` listener on 127.0.0.1, one {@link Connection}
 * per socket (`connection.ts`), accounts keyed by auth key, pushes, and request dispatch:
 * the handler first, then the built-in RPCs (`builtins.ts`). Each auth key is served in the
 * layer its client declared with `invokeWithLayer` (`servedLayer`); requests are read and
 * results and pushes written in it. Promise/callback based; `LoopbackServer` wraps it in Effect.
 *
 * @internal
 */

import * as NodeCrypto from "node:crypto"
import * as Net from "node:net"
import * as Tl from "@tgphone/core/Tl"
import { LAYER as GRAMJS_LAYER } from "telegram/tl/AllTLObjects.js"
import type { Account, Limits } from "../../LoopbackServer.js"
import * as builtins from "./builtins.js"
import { Connection } from "./connection.js"
import { authKeyId } from "./crypto.js"
import { prepareTestRsaKey } from "./handshake.js"
import { readObject, type TlSerializable } from "./tl.js"
import {
  isTlObject,
  readBoxed,
  type SchemaResolver,
  servedLayer,
  service,
  TlError,
  type TlObject,
  type TlValue,
  unwrap,
  writeBoxed,
  writeValue
} from "./tlCodec.js"

export { normalisePhone } from "./builtins.js"
export { maxPlainFrameBytes } from "./connection.js"

/** A user the server knows (the public `LoopbackServer.Account`). */
export type { Account }

/** What the handler sees for one request. */
export interface RequestContext {
  /** The signed-in account, or `undefined` for a fresh auth key that has not logged in. */
  readonly account: Account | undefined
  /** The request with its connection wrappers removed, as a TL object of the caller's layer. */
  readonly tl: TlObject
  /** The layer the caller is served in. */
  readonly layer: number
  /** That layer's schema. */
  readonly schema: Tl.Schema
  /**
   * The request as a GramJS (layer 198) `Api` object, built on first access from `tl`
   * re-written in layer 198; a stand-in with only `className` and `getBytes` when layer 198
   * cannot express it.
   */
  readonly request: TlSerializable & { readonly className: string }
  /** GramJS class name of the request, e.g. `"phone.RequestCall"`. */
  readonly method: string
  readonly connectionId: number
  readonly authKeyId: bigint
}

/**
 * A result: a TL value of the method's result type (a TL object, a Bool, a vector; written in
 * the caller's layer), a GramJS object or vector of them (their layer-198 bytes, re-read and
 * re-written in the caller's layer), or raw TL bytes (sent as they are).
 */
export type TlResult = TlValue | TlSerializable | ReadonlyArray<TlSerializable>

/** An `Updates` to push: a TL object, a GramJS object, or a TL object per layer. */
export type PushedUpdates = TlObject | TlSerializable | ((schema: Tl.Schema) => TlObject)

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
  /** API layers to speak besides the shipped ones (a layer given here replaces a shipped one). */
  readonly schemas?: ReadonlyArray<Tl.Schema> | undefined
}

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

export interface SessionState {
  /** Whether `new_session_created` has been sent for it. */
  created: boolean
  /** Content-related messages the server has sent in this session (drives seq_no). */
  contentSent: number
  /** Recently seen client msg_ids (duplicates are ignored). */
  readonly seen: Set<bigint>
}

export interface KeyEntry {
  readonly key: Buffer
  readonly id: bigint
  userId: bigint | undefined
  readonly sessions: Map<bigint, SessionState>
  /** The layer the key's client declared last (`invokeWithLayer`), if any. */
  declaredLayer: number | undefined
  /** The schema the key is served in (`servedLayer` of the declared layer; the oldest until one is declared). */
  schema: Tl.Schema
  /**
   * `updates.getDifference` bookkeeping: the key is owed nothing at or before this position
   * of its account's update log (where the log stood when the key was bound to the account).
   */
  updatesFrom: number
  /** The latest position dropped from the log that was owed to the key (0: none). */
  updatesDropped: number
}

/** One pushed `Updates`, kept for `updates.getDifference`. */
interface StoredUpdates {
  /** Position in the account's log: 1, 2, … */
  readonly index: number
  /** The pushed object in a layer, with the `seq` and `date` it was pushed with. */
  readonly inLayer: (schema: Tl.Schema) => TlObject
  /** The auth keys it was written to. */
  readonly delivered: Set<bigint>
}

/** An account's update state: Telegram's common sequence (`seq`, `date`) and the kept pushes. */
interface UpdateLog {
  seq: number
  date: number
  /** Positions handed out so far. */
  index: number
  /** The most recent pushes, oldest first, at most `limits.maxStoredUpdates`. */
  readonly stored: Array<StoredUpdates>
}

/** The update state `updates.getState` reports. */
export interface UpdateState {
  readonly pts: number
  readonly qts: number
  readonly seq: number
  readonly date: number
}

/** The layer of GramJS's `Api` classes (the public handler API's objects). */
const gramjsLayer: number = GRAMJS_LAYER

/** GramJS's class name of a TL combinator (`phone.requestCall` → `phone.RequestCall`). */
export const gramjsName = (name: string): string => {
  const dot = name.lastIndexOf(".")
  return name.slice(0, dot + 1) + name.charAt(dot + 1).toUpperCase() + name.slice(dot + 2)
}

const hasBytes = (v: unknown): v is TlSerializable =>
  typeof v === "object" && v !== null && typeof (v as { getBytes?: unknown }).getBytes === "function"

/** A GramJS object as a TL object (its layer-198 bytes, read with the layer-198 schema). */
const fromGramJs = (v: TlSerializable): TlObject => {
  const read = readBoxed(v.getBytes(), Tl.schema(gramjsLayer))
  if (read._tag === "Fail")
    throw new TlError(`a GramJS object does not read in layer ${gramjsLayer}: ${read.message}`)
  return read.value
}

/** Writes a result of TL type `type` in `schema`'s layer. Throws `TlError`. */
export const encodeResult = (schema: Tl.Schema, type: Tl.Type, value: TlResult): Buffer => {
  if (value instanceof Uint8Array) return Buffer.from(value)
  if (hasBytes(value))
    return schema.layer === gramjsLayer ? value.getBytes() : writeValue(schema, type, fromGramJs(value))
  if (Array.isArray(value) && value.some(hasBytes)) {
    const items = (value as ReadonlyArray<unknown>).map((v) => (hasBytes(v) ? fromGramJs(v) : (v as TlValue)))
    return writeValue(schema, type, items)
  }
  return writeValue(schema, type, value as TlValue)
}

/**
 * The request as GramJS reads it in its layer, or, when that layer cannot express it (a
 * constructor or a required field it lacks), a stand-in with the name and the caller's bytes.
 */
const gramjsRequest = (
  query: TlObject,
  schema: Tl.Schema
): TlSerializable & { readonly className: string } => {
  const standIn = { className: gramjsName(query._), getBytes: () => writeBoxed(schema, query) }
  let bytes: Buffer
  try {
    bytes = writeBoxed(Tl.schema(gramjsLayer), query)
  } catch (e) {
    if (e instanceof TlError) return standIn
    throw e
  }
  const obj = readObject(bytes)
  return hasBytes(obj) ? (obj as TlSerializable & { readonly className: string }) : standIn
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
  /** Per account: its update state and the pushes kept for `updates.getDifference`. */
  private readonly updateLogs = new Map<bigint, UpdateLog>()
  readonly loginCodes = new Map<string, { readonly hash: string; readonly code: string }>()
  salt: bigint = NodeCrypto.randomBytes(8).readBigInt64LE(0)
  private readonly listener: Net.Server
  private nextConnectionId = 1
  private boundPort = 0

  /** The schema of every layer the server speaks, by layer. */
  private readonly schemas: ReadonlyMap<number, Tl.Schema>
  /** The layers the server speaks, ascending. */
  readonly layers: ReadonlyArray<number>
  /** The schema a declared layer is served in. */
  readonly schemaFor: SchemaResolver = (declared) => {
    const layer = servedLayer(declared, this.layers)
    return this.schemas.get(layer) ?? Tl.schema(layer)
  }

  constructor(readonly options: ServerOptions) {
    const schemas = new Map<number, Tl.Schema>(Tl.layers.map((l) => [l, Tl.schema(l)]))
    for (const s of options.schemas ?? []) schemas.set(s.layer, s)
    this.schemas = schemas
    this.layers = [...schemas.keys()].sort((a, b) => a - b)
    this.listener = Net.createServer((socket) => {
      if (this.connections.size >= options.limits.maxConnections) {
        this.stats.connectionsRefused++
        socket.destroy()
        return
      }
      this.stats.connectionsAccepted++
      // answers go out at once (Nagle off), as a real Telegram server's do
      socket.setNoDelay(true)
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
    const entry: KeyEntry = {
      key,
      id,
      userId: undefined,
      sessions: new Map(),
      declaredLayer: undefined,
      schema: this.schemaFor(0),
      updatesFrom: 0,
      updatesDropped: 0
    }
    this.keys.set(id, entry)
    this.bindKey(entry, userId)
    return id
  }

  /**
   * Binds an auth key to an account (a login) or unbinds it (`undefined`, a log-out). A newly
   * bound key owes nothing pushed to the account before: its difference starts here.
   */
  bindKey(entry: KeyEntry, userId: bigint | undefined): void {
    entry.userId = userId
    entry.updatesFrom = userId === undefined ? 0 : (this.updateLogs.get(userId)?.index ?? 0)
    entry.updatesDropped = 0
  }

  /** `bad_server_salt` for a message. */
  badServerSalt(msgId: bigint, seqNo: number): Buffer {
    return service({
      _: "bad_server_salt",
      bad_msg_id: msgId,
      bad_msg_seqno: seqNo,
      error_code: 48,
      new_server_salt: this.salt
    })
  }

  /**
   * `future_salts req_msg_id:long now:int salts:vector<future_salt>` (a bare vector of bare
   * `future_salt valid_since:int valid_until:int salt:long`): the server has one salt at a
   * time, valid for the next `num` (1–64) hours until `rotateSalt` replaces it.
   */
  futureSalts(reqMsgId: bigint, num: number): Buffer {
    const n = Math.max(1, Math.min(64, Math.trunc(num)))
    const now = Math.floor(Date.now() / 1000)
    const salts: Array<TlObject> = []
    for (let i = 0; i < n; i++)
      salts.push({
        _: "future_salt",
        valid_since: now + 3600 * i,
        valid_until: now + 3600 * (i + 1),
        salt: this.salt
      })
    return service({ _: "future_salts", req_msg_id: reqMsgId, now, salts })
  }

  /** Picks a new server salt: every client gets one `bad_server_salt` and moves on. */
  rotateSalt(): void {
    let next = this.salt
    while (next === this.salt) next = NodeCrypto.randomBytes(8).readBigInt64LE(0)
    this.salt = next
  }

  private logOf(userId: bigint): UpdateLog {
    let log = this.updateLogs.get(userId)
    if (log === undefined) {
      log = { seq: 0, date: 0, index: 0, stored: [] }
      this.updateLogs.set(userId, log)
    }
    return log
  }

  /**
   * The update state of an account, what `updates.getState` reports and every difference
   * ends at: `pts` is the position in the account's update log (1 + the pushes so far; no
   * pushed update carries a pts of its own, calls travel as `updatePhoneCall` in the common
   * sequence), qts 0, the `seq` of the last `Updates` pushed to it, and the later of the last
   * push's `date` and now.
   */
  updateState(account: Account | undefined): UpdateState {
    const now = Math.floor(Date.now() / 1000)
    const log = account === undefined ? undefined : this.updateLogs.get(account.userId)
    return { pts: 1 + (log?.index ?? 0), qts: 0, seq: log?.seq ?? 0, date: Math.max(now, log?.date ?? 0) }
  }

  /**
   * Pushes `Updates` to every live connection of an account, each written in its
   * connection's layer (a value its layer cannot express is not sent there); returns how
   * many got it. As Telegram does, the server numbers the account's `updates` and
   * `updatesCombined` in one sequence: each gets the next `seq` (a larger `seq` already in
   * the object is kept, which leaves a gap) and the current `date`. The push is kept, at most
   * `limits.maxStoredUpdates` per account, for the auth keys that did not get it
   * ({@link difference}); `updatesTooLong` is sent as it is and not kept.
   */
  push(userId: bigint, updates: PushedUpdates): number {
    const given: TlObject | ((schema: Tl.Schema) => TlObject) =
      typeof updates === "function" || isTlObject(updates) ? updates : fromGramJs(updates)
    const build = (schema: Tl.Schema): TlObject => (typeof given === "function" ? given(schema) : given)
    const log = this.logOf(userId)
    const head = build(Tl.schema(Tl.newest))
    const now = Math.floor(Date.now() / 1000)
    const givenDate = typeof head.date === "number" ? head.date : 0
    const date = Math.max(now, givenDate, log.date)
    let stamp: (o: TlObject) => TlObject = (o) => o
    if (head._ === "updates" || head._ === "updatesCombined") {
      const givenSeq = typeof head.seq === "number" ? head.seq : 0
      const seq = Math.max(log.seq + 1, givenSeq)
      const start = head._ === "updatesCombined" ? { seq_start: seq } : {}
      stamp = (o) => ({ ...o, ...start, seq, date })
      log.seq = seq
      log.date = date
    } else if (head._ === "updateShort") {
      stamp = (o) => ({ ...o, date })
      log.date = date
    }
    const inLayer = (schema: Tl.Schema): TlObject => stamp(build(schema))
    const kept: StoredUpdates | undefined =
      head._ === "updatesTooLong" ? undefined : { index: ++log.index, inLayer, delivered: new Set() }
    if (kept !== undefined) this.keep(userId, log, kept)
    const bodies = new Map<number, Buffer | undefined>()
    const bodyFor = (schema: Tl.Schema): Buffer | undefined => {
      if (bodies.has(schema.layer)) return bodies.get(schema.layer)
      let body: Buffer | undefined
      try {
        body = writeBoxed(schema, inLayer(schema))
      } catch (e) {
        if (!(e instanceof TlError)) throw e
        this.problem(`cannot push in layer ${schema.layer}: ${e.message}`)
      }
      bodies.set(schema.layer, body)
      return body
    }
    let n = 0
    for (const c of this.connections) {
      const entry = c.entry
      if (entry?.userId !== userId) continue
      const body = bodyFor(entry.schema)
      // a layer that cannot express it never will: nothing is owed to that key either
      if (body === undefined) kept?.delivered.add(entry.id)
      else if (c.push(body)) {
        kept?.delivered.add(entry.id)
        n++
      }
    }
    this.stats.updatesPushed += n
    return n
  }

  /** Appends to the account's log, dropping the oldest past the cap (keys that missed it lose it). */
  private keep(userId: bigint, log: UpdateLog, kept: StoredUpdates): void {
    log.stored.push(kept)
    while (log.stored.length > this.options.limits.maxStoredUpdates) {
      const dropped = log.stored.shift()
      if (dropped === undefined) break
      for (const entry of this.keys.values())
        if (entry.userId === userId && dropped.index > entry.updatesFrom && !dropped.delivered.has(entry.id))
          entry.updatesDropped = dropped.index
    }
  }

  /**
   * `updates.getDifference` from an auth key, given the state its client names: the kept
   * pushes of its account after that state's `pts` (a position in the log, see
   * {@link updateState}) and after the key was bound, less those written to one of the key's
   * connections (the client has them), as `updates.difference` in the key's layer, or
   * `updates.differenceEmpty`. `updates.differenceTooLong` when one of them was dropped from
   * the log. Like Telegram's, the answer depends only on the state named and on what reached
   * this key: a client that goes on from the returned state gets each push once, and other
   * keys of the account (other clients) keep their own bookkeeping.
   */
  difference(entry: KeyEntry, account: Account, from: { readonly pts: number }): TlObject {
    const log = this.logOf(account.userId)
    const state = this.updateState(account)
    const after = Math.max(Math.trunc(from.pts) - 1, entry.updatesFrom)
    if (entry.updatesDropped > after) return { _: "updates.differenceTooLong", pts: state.pts }
    const owed = log.stored.filter((s) => s.index > after && !s.delivered.has(entry.id))
    const updates: Array<TlValue> = []
    const users = new Map<string, TlObject>()
    const chats = new Map<string, TlObject>()
    for (const s of owed) {
      let o: TlObject
      try {
        o = s.inLayer(entry.schema)
        writeBoxed(entry.schema, o)
      } catch (e) {
        if (!(e instanceof TlError)) throw e
        this.problem(`cannot put a kept push in layer ${entry.schema.layer}: ${e.message}`)
        continue
      }
      if (o._ === "updateShort" && isTlObject(o.update)) updates.push(o.update)
      if (o._ !== "updates" && o._ !== "updatesCombined") continue
      for (const u of Array.isArray(o.updates) ? o.updates : []) updates.push(u)
      for (const u of Array.isArray(o.users) ? o.users : []) if (isTlObject(u)) users.set(String(u.id), u)
      for (const c of Array.isArray(o.chats) ? o.chats : []) if (isTlObject(c)) chats.set(String(c.id), c)
    }
    if (updates.length === 0) return { _: "updates.differenceEmpty", date: state.date, seq: state.seq }
    return {
      _: "updates.difference",
      new_messages: [],
      new_encrypted_messages: [],
      other_updates: updates,
      chats: [...chats.values()],
      users: [...users.values()],
      state: { _: "updates.state", ...state, unread_count: 0 }
    }
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

  /**
   * Runs one request: the handler, then the built-ins, then METHOD_NOT_SUPPORTED; the result
   * is written in the layer the key is served in. Never rejects.
   */
  async dispatch(entry: KeyEntry, connectionId: number, raw: TlObject): Promise<Buffer> {
    const { query, layer } = unwrap(raw)
    if (layer !== undefined && layer !== entry.declaredLayer) {
      entry.declaredLayer = layer
      entry.schema = this.schemaFor(layer)
    }
    const schema = entry.schema
    const def = schema.byName.get(query._)
    const method = gramjsName(query._)
    const account = entry.userId === undefined ? undefined : this.accounts.get(entry.userId)
    const error = (code: number, message: string): Buffer => {
      this.stats.rpcErrorsSent++
      return service({ _: "rpc_error", error_code: code, error_message: message })
    }
    if (def === undefined || def.kind !== "function") return error(400, "INPUT_METHOD_INVALID")
    if (account === undefined && !builtins.UNAUTHORISED_OK.has(query._))
      return error(401, "AUTH_KEY_UNREGISTERED")
    try {
      let request: (TlSerializable & { readonly className: string }) | undefined
      const reply = await this.options.handler({
        account,
        tl: query,
        layer: schema.layer,
        schema,
        get request() {
          request ??= gramjsRequest(query, schema)
          return request
        },
        method,
        connectionId,
        authKeyId: entry.id
      })
      if (reply._tag === "Result") return encodeResult(schema, def.type, reply.value)
      if (reply._tag === "Error") return error(reply.code, reply.message)
      const builtin = builtins.builtin(this, entry, account, query)
      if (builtin !== undefined) {
        if (builtin._tag === "Result") return encodeResult(schema, def.type, builtin.value)
        if (builtin._tag === "Error") return error(builtin.code, builtin.message)
      }
      return error(400, "METHOD_NOT_SUPPORTED")
    } catch (e) {
      this.problem(`${method} failed: ${String(e)}`)
      return error(500, "INTERNAL_SERVER_ERROR")
    }
  }
}
