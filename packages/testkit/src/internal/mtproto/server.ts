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
  /** Per account: the highest `seq` and latest `date` of the `Updates` pushed to it. */
  private readonly pushed = new Map<bigint, { seq: number; date: number }>()
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
    this.keys.set(id, {
      key,
      id,
      userId,
      sessions: new Map(),
      declaredLayer: undefined,
      schema: this.schemaFor(0)
    })
    return id
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

  /**
   * The update state an account's clients see in `updates.getState`/`getDifference`: pts 1 and
   * qts 0 (no pushed update carries either), the highest `seq` and latest `date` pushed.
   */
  updateState(account: Account | undefined): { pts: number; qts: number; seq: number; date: number } {
    const now = Math.floor(Date.now() / 1000)
    const st = account === undefined ? undefined : this.pushed.get(account.userId)
    return { pts: 1, qts: 0, seq: st?.seq ?? 0, date: Math.max(now, st?.date ?? 0) }
  }

  /**
   * Pushes `Updates` to every live connection of an account, each written in its connection's
   * layer (a value its layer cannot express is not sent there); returns how many got it.
   */
  push(userId: bigint, updates: PushedUpdates): number {
    const bodies = new Map<number, Buffer | undefined>()
    const bodyFor = (schema: Tl.Schema): Buffer | undefined => {
      if (bodies.has(schema.layer)) return bodies.get(schema.layer)
      let body: Buffer | undefined
      try {
        body =
          typeof updates === "function"
            ? writeBoxed(schema, updates(schema))
            : isTlObject(updates)
              ? writeBoxed(schema, updates)
              : encodeResult(schema, "Updates", updates)
      } catch (e) {
        if (!(e instanceof TlError)) throw e
        this.problem(`cannot push in layer ${schema.layer}: ${e.message}`)
      }
      bodies.set(schema.layer, body)
      return body
    }
    const prev = this.pushed.get(userId) ?? { seq: 0, date: 0 }
    const fields = (typeof updates === "function" ? updates(Tl.schema(Tl.newest)) : updates) as {
      readonly seq?: unknown
      readonly date?: unknown
    }
    this.pushed.set(userId, {
      seq: typeof fields.seq === "number" ? Math.max(prev.seq, fields.seq) : prev.seq,
      date: typeof fields.date === "number" ? Math.max(prev.date, fields.date) : prev.date
    })
    let n = 0
    for (const c of this.connections) {
      if (c.entry?.userId !== userId) continue
      const body = bodyFor(c.entry.schema)
      if (body !== undefined && c.push(body)) n++
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
