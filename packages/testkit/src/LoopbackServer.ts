/**
 * A real MTProto 2.0 server on 127.0.0.1 that stock clients (GramJS `TelegramClient`s,
 * teleproto, mtcute) connect to over TCP. It speaks TCP Full, Intermediate, Padded
 * Intermediate and Abridged framing, AES-256-IGE with msg_key checks, salts, sessions,
 * containers, acks, gzip, pings and pushed updates, and each client's TL layer (the one it
 * declares with `invokeWithLayer`, or the nearest the server has a schema for: `docs/loopback.md`);
 * it creates auth keys with fresh clients and logs them in with a code, and it answers the
 * housekeeping requests clients send by themselves. Everything else goes to a {@link Handler}
 * you supply.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Api, TelegramClient } from "telegram"
 * import { StringSession } from "telegram/sessions/index.js"
 * import { LoopbackServer } from "@tgphone/testkit"
 *
 * const program = Effect.gen(function*() {
 *   const server = yield* LoopbackServer.make({
 *     accounts: [{ userId: 1n, accessHash: 11n, firstName: "Alice" }],
 *     handler: (req) =>
 *       req.request instanceof Api.messages.GetDhConfig
 *         ? Effect.succeed(new Api.messages.DhConfigNotModified({ random: Buffer.alloc(256) }))
 *         : Effect.succeed(undefined)
 *   })
 *   const session = yield* server.mintSession(1n)
 *   const client = new TelegramClient(new StringSession(Redacted.value(session)), 1, "x", server.clientOptions())
 *   yield* Effect.promise(() => client.connect())
 *   yield* Effect.promise(() => client.destroy())
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 */
import type * as Tl from "@tgphone/core/Tl"
import { Context, Effect, Exit, Layer, Option, Redacted, Schema, type Scope } from "effect"
import { Api, helpers } from "telegram"
import type { TelegramClientParams } from "telegram/client/telegramBaseClient.js"
import { _serverKeys } from "telegram/crypto/RSA.js"
import { Logger, LogLevel } from "telegram/extensions/Logger.js"
import { type Connection, ConnectionTCPAbridged, ConnectionTCPFull } from "telegram/network/index.js"
import { randomBytes } from "./internal/mtproto/crypto.js"
import { testRsaKey } from "./internal/mtproto/handshake.js"
import * as Internal from "./internal/mtproto/server.js"
import type * as TlCodec from "./internal/mtproto/tlCodec.js"
import { accountOf, WorldBackend } from "./internal/mtproto/worldBackend.js"
import * as TestTelegram from "./TestTelegram.js"

/**
 * A user the server knows: the fields it puts in the GramJS `User` objects it returns.
 * `phone` (any formatting; only digits count) enables the code login.
 *
 * @since 0.1.0
 * @category models
 */
export interface Account {
  readonly userId: bigint
  readonly accessHash: bigint
  readonly firstName: string
  readonly lastName?: string | undefined
  readonly username?: string | undefined
  readonly phone?: string | undefined
  readonly bot?: boolean | undefined
}

/**
 * A TL object as the server reads and writes it in a layer's schema (`@tgphone/core/Tl`):
 * the combinator's name under `_`, its parameters by their TL (snake_case) names; `int` is a
 * number, `long` a bigint, `bytes` a `Uint8Array`, `Bool` and `flags.N?true` booleans,
 * vectors arrays, an absent optional parameter an absent key.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import type { LoopbackServer } from "@tgphone/testkit"
 *
 * const updates: LoopbackServer.TlObject = { _: "updates", updates: [], users: [], chats: [], date: 0, seq: 1 }
 */
export type TlObject = TlCodec.TlObject

/**
 * One decoded content request, after the server has removed `invokeWithLayer`,
 * `initConnection`, `invokeAfterMsg(s)` and `invokeWithoutUpdates`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  /** The signed-in account, or `undefined` for a fresh auth key that has not logged in. */
  readonly account: Account | undefined
  /** The request as a {@link TlObject} of the caller's layer (`{ _: "phone.requestCall", … }`). */
  readonly tl: TlObject
  /** The API layer the caller is served in (see `docs/loopback.md`). */
  readonly layer: number
  /** That layer's schema, to read `tl` and build results by it. */
  readonly schema: Tl.Schema
  /**
   * The request as a GramJS (layer 198) `Api` object (use `instanceof Api.phone.RequestCall`
   * etc.), whatever the caller's layer: `tl` re-written in layer 198 and read by GramJS. A
   * request layer 198 cannot express is a stand-in with only `className` and `getBytes`.
   */
  readonly request: { readonly className: string; getBytes(): Buffer }
  /** GramJS class name of the request, e.g. `"phone.RequestCall"`. */
  readonly method: string
  /** Which TCP connection it came from (stable for the life of the socket). */
  readonly connectionId: number
  /** The auth_key_id the request was encrypted with. */
  readonly authKeyId: bigint
}

/**
 * What a handler may return: a value of the method's result type written in the caller's
 * layer (a {@link TlObject}, a Bool, a vector), a GramJS TL object (`new Api.X(...)`) or a
 * vector of them (read as layer 198 and re-written in the caller's layer), or raw TL bytes
 * (sent as they are, whatever the caller's layer).
 *
 * @since 0.1.0
 * @category models
 */
export type Result = Internal.TlResult

/**
 * The server's answer as an `rpc_error`: a numeric code and the error text
 * (`400 CALL_ALREADY_DECLINED`, `420 FLOOD_WAIT_7`, …).
 *
 * @since 0.1.0
 * @category errors
 */
export class RpcFailure extends Schema.TaggedError<RpcFailure>()("RpcFailure", {
  code: Schema.Int,
  text: Schema.String
}) {}

/**
 * Answers one request. Succeed with a result, fail with {@link RpcFailure} for an
 * `rpc_error`, or succeed with `undefined` to let the server's built-ins answer (config,
 * users, state, resolve, login) or reply `400 METHOD_NOT_SUPPORTED`. A defect becomes
 * `500 INTERNAL_SERVER_ERROR`; the server keeps running.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler<R = never> = (request: Request) => Effect.Effect<Result | undefined, RpcFailure, R>

/**
 * The `call_*_timeout_ms` fields of the `Config` the server returns from `help.getConfig`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallConfig {
  readonly callReceiveTimeoutMs: number
  readonly callRingTimeoutMs: number
  readonly callConnectTimeoutMs: number
  readonly callPacketTimeoutMs: number
}

/**
 * The `call_*` timeouts Telegram's production config carries.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultCallConfig: CallConfig = {
  callReceiveTimeoutMs: 20000,
  callRingTimeoutMs: 90000,
  callConnectTimeoutMs: 30000,
  callPacketTimeoutMs: 10000
}

/**
 * What one connection, and all of them together, may cost the server. A connection past a
 * limit is closed (only that one); the others are served on. Each frame is checked against
 * what it may be before it is buffered or parsed: an unencrypted one must be a handshake step
 * (at most 1024 bytes, each constructor of its known size), an encrypted one's auth key must
 * be known (`-404` otherwise) and, until it logs in, its frames small. The server handles one
 * frame per connection per turn of the event loop, so a busy connection never holds up the
 * others for longer than one frame's work.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** Open connections at most; more are closed as they are accepted. Default 256. */
  readonly maxConnections: number
  /** Bytes of unfinished frames buffered over all connections. Default 64 MiB. */
  readonly maxBufferedBytes: number
  /** Largest frame payload of an auth key that has not logged in. Default 64 KiB. */
  readonly maxUnauthorizedFrameBytes: number
  /** Auth-key creations (`req_pq_multi`) one connection may start. Default 4. */
  readonly maxHandshakes: number
  /** A frame must arrive whole within this many ms of its first byte. Default 10 000. */
  readonly frameTimeoutMs: number
  /** TL values (objects, longs, strings, bytes) one frame may hold, over all its messages. Default 1024. */
  readonly maxTlObjects: number
  /** How deep TL objects may nest. Default 16. */
  readonly maxTlDepth: number
  /**
   * Pushed `Updates` kept per account for `updates.getDifference` (the most recent ones); a
   * client that missed one dropped past this gets `updates.differenceTooLong`. Default 100.
   */
  readonly maxStoredUpdates: number
}

/**
 * The default {@link Limits}.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLimits: Limits = {
  maxConnections: 256,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxUnauthorizedFrameBytes: 64 * 1024,
  maxHandshakes: 4,
  frameTimeoutMs: 10_000,
  maxTlObjects: 1024,
  maxTlDepth: 16,
  maxStoredUpdates: 100
}

/**
 * Options for {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  /** Answers content requests; defaults to "nothing" (only the built-ins answer). */
  readonly handler?: Handler<R> | undefined
  /** Accounts known from the start (more with `addAccount`). */
  readonly accounts?: ReadonlyArray<Account> | undefined
  /** Overrides of the `call_*_timeout_ms` config values. */
  readonly callConfig?: Partial<CallConfig> | undefined
  /** Largest accepted frame payload; larger frames close the connection. Default 1 MiB. */
  readonly maxFrameBytes?: number | undefined
  /** Demand the current server salt (`bad_server_salt` otherwise). Default `true`. */
  readonly strictSalt?: boolean | undefined
  /** gzip results and updates of at least this many bytes when that shrinks them. Default 1024. */
  readonly gzipMinBytes?: number | undefined
  /** Close connections that complete no frame for this long (GramJS pings every 9 s). Default 120 000. */
  readonly idleTimeoutMs?: number | undefined
  /** Overrides of {@link defaultLimits}. */
  readonly limits?: Partial<Limits> | undefined
  /** Receives a line for every dropped connection and handler defect (diagnostics). */
  readonly onProblem?: ((problem: string) => void) | undefined
  /**
   * TL schemas of API layers to speak besides the ones `@tgphone/core/Tl` ships (one given for
   * a shipped layer replaces it). Clients are served in the nearest layer the server speaks
   * (see `docs/loopback.md`).
   */
  readonly schemas?: ReadonlyArray<Tl.Schema> | undefined
}

/**
 * Counters of what the server has done, for tests and benchmarks.
 *
 * @since 0.1.0
 * @category models
 */
export type Stats = Readonly<Internal.Stats>

/**
 * The listener could not be opened.
 *
 * @since 0.1.0
 * @category errors
 */
export class ListenError extends Schema.TaggedError<ListenError>()("ListenError", {
  message: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {}

/**
 * The account is not known to the server.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownAccount extends Schema.TaggedError<UnknownAccount>()("UnknownAccount", {
  userId: Schema.BigInt
}) {}

/**
 * Which framing the GramJS client should use. GramJS 2.26 has Full and Abridged clients (no
 * Intermediate); Full is the default and the robust one.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientTransport = "full" | "abridged"

/**
 * A running loopback server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Server {
  /** Always `"127.0.0.1"`. */
  readonly host: string
  /** The ephemeral port it listens on. */
  readonly port: number
  /** Adds (or replaces) an account. */
  readonly addAccount: (account: Account) => Effect.Effect<void>
  /** A GramJS `StringSession` string holding a new auth key bound to the account. */
  readonly mintSession: (userId: bigint) => Effect.Effect<Redacted.Redacted<string>, UnknownAccount>
  /**
   * `TelegramClient` options that point a stock client at this server: a `connection`
   * subclass pinning 127.0.0.1 and the port (GramJS ignores the session's port) and turning
   * Nagle's algorithm off on its socket once connected (GramJS leaves it on, and a request
   * written right after an ack could wait up to 40 ms for a delayed ACK),
   * `floodSleepThreshold: 0`, one connection retry, a silent logger.
   */
  readonly clientOptions: (options?: {
    readonly transport?: ClientTransport | undefined
  }) => TelegramClientParams
  /**
   * Pushes an `Updates` object (a GramJS object or a {@link TlObject}) to every live
   * connection of the account, written in each connection's layer; returns how many got it.
   * An `updates`/`updatesCombined` gets the account's next `seq` (a larger one in the object
   * is kept) and the current `date`. The push is kept (at most `limits.maxStoredUpdates` per
   * account) for the clients that did not get it, which receive it from `updates.getDifference`.
   */
  readonly push: (userId: bigint, updates: Api.TypeUpdates | TlObject) => Effect.Effect<number>
  /** Closes every connection of the account (GramJS reconnects by itself). */
  readonly disconnect: (userId: bigint) => Effect.Effect<number>
  /** Changes the server salt: every client's next message gets `bad_server_salt` and is resent. */
  readonly rotateSalt: Effect.Effect<void>
  /** The login code last issued by `auth.sendCode` for a phone number, if any. */
  readonly loginCode: (phone: string) => Effect.Effect<string | undefined>
  /** A snapshot of the counters. */
  readonly stats: Effect.Effect<Stats>
  /** The current number of open connections. */
  readonly connectionCount: Effect.Effect<number>
}

/**
 * The server as a service, for layer-based tests.
 *
 * @since 0.1.0
 * @category services
 */
export class LoopbackServer extends Context.Service<LoopbackServer, Server>()(
  "@tgphone/testkit/LoopbackServer"
) {}

/**
 * An `rpc_error` for a handler to fail with.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rpcError = (code: number, text: string): RpcFailure => new RpcFailure({ code, text })

/**
 * `420 FLOOD_WAIT_<seconds>`: GramJS raises it as `FloodWaitError` with `seconds`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const floodWait = (seconds: number): RpcFailure =>
  new RpcFailure({ code: 420, text: `FLOOD_WAIT_${seconds}` })

/**
 * Makes GramJS trust the server's test RSA key (process-wide, in `telegram/crypto/RSA.js`),
 * so a client with an empty session can create an auth key with the server. The key is a
 * throwaway 2048-bit test key generated once per process; it protects nothing.
 *
 * @since 0.1.0
 * @category utils
 */
export const trustTestRsaKey: Effect.Effect<void> = Effect.sync(() => {
  const key = testRsaKey()
  _serverKeys.set(key.fingerprint.toString(), {
    n: helpers.readBigIntFromBuffer(key.n, false, false),
    e: key.e
  })
})

/**
 * A GramJS `StringSession` string for DC 2 at 127.0.0.1 with the given auth key:
 * `"1" + base64(dcId | addrLen | addr | port | key)`. The port written is 443: GramJS ignores
 * it (and cannot save one above 32767); {@link Server.clientOptions} pins the real one.
 *
 * @since 0.1.0
 * @category utils
 */
export const sessionString = (authKey: Uint8Array): string => {
  const port = 443
  const addr = Buffer.from("127.0.0.1", "utf8")
  const head = Buffer.alloc(1 + 2 + addr.length + 2)
  head.writeUInt8(2, 0)
  head.writeInt16BE(addr.length, 1)
  addr.copy(head, 3)
  head.writeInt16BE(port, 3 + addr.length)
  return `1${Buffer.concat([head, authKey]).toString("base64")}`
}

type ConnectionParams = ConstructorParameters<typeof ConnectionTCPFull>[0]

const pinnedConnection = (port: number, transport: ClientTransport): typeof Connection => {
  if (transport === "abridged") {
    return class LoopbackTCPAbridged extends ConnectionTCPAbridged {
      constructor(o: ConnectionParams) {
        super({ ...o, ip: "127.0.0.1", port })
      }
      override async connect(): Promise<void> {
        await super.connect()
        noDelay(this)
      }
    }
  }
  return class LoopbackTCPFull extends ConnectionTCPFull {
    constructor(o: ConnectionParams) {
      super({ ...o, ip: "127.0.0.1", port })
    }
    override async connect(): Promise<void> {
      await super.connect()
      noDelay(this)
    }
  }
}

/**
 * Turns Nagle's algorithm off (`TCP_NODELAY`) on a connected GramJS connection's socket. GramJS
 * leaves it on and writes an ack and the next request as separate packets: the second then
 * waits for the server's ACK of the first, which Linux delays by up to 40 ms when the server
 * has nothing to send.
 */
const noDelay = (connection: Connection): void => {
  const socket = (
    connection as unknown as { socket?: { client?: { setNoDelay?: (on: boolean) => unknown } } }
  ).socket?.client
  socket?.setNoDelay?.(true)
}

/**
 * Starts a server on 127.0.0.1 (ephemeral port). Closing the scope closes every socket and
 * the listener.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R = never>(
  options: Options<R> = {}
): Effect.Effect<Server, ListenError, Scope.Scope | R> => Effect.map(makeInternal(options), (s) => s.public)

const makeInternal = <R = never>(
  options: Options<R>
): Effect.Effect<
  { readonly public: Server; readonly internal: Internal.MtprotoServer },
  ListenError,
  Scope.Scope | R
> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<R>()
    const runExit = Effect.runPromiseExitWith(context)
    const handler = options.handler
    const internalHandler: Internal.Handler = handler
      ? async (req) => {
          const exit = await runExit(handler(req))
          if (Exit.isSuccess(exit)) {
            return exit.value === undefined ? { _tag: "Unhandled" } : { _tag: "Result", value: exit.value }
          }
          const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
          if (failure !== undefined && failure._tag === "Fail") {
            return { _tag: "Error", code: failure.error.code, message: failure.error.text }
          }
          options.onProblem?.(`handler defect in ${req.method}`)
          return { _tag: "Error", code: 500, message: "INTERNAL_SERVER_ERROR" }
        }
      : () => Promise.resolve({ _tag: "Unhandled" })
    const server = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const s = new Internal.MtprotoServer({
            handler: internalHandler,
            callConfig: { ...defaultCallConfig, ...options.callConfig },
            maxFrameBytes: options.maxFrameBytes ?? 1024 * 1024,
            strictSalt: options.strictSalt ?? true,
            gzipMinBytes: options.gzipMinBytes ?? 1024,
            idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
            limits: { ...defaultLimits, ...options.limits },
            onProblem: options.onProblem,
            schemas: options.schemas
          })
          await s.listen()
          return s
        },
        catch: (cause) => new ListenError({ message: "cannot listen on 127.0.0.1", cause })
      }),
      (s) => Effect.promise(() => s.close())
    )
    for (const a of options.accounts ?? []) server.accounts.set(a.userId, a)
    const pub: Server = {
      host: "127.0.0.1",
      port: server.port,
      addAccount: (account) =>
        Effect.sync(() => {
          server.accounts.set(account.userId, account)
        }),
      mintSession: (userId) =>
        Effect.suspend(() => {
          if (!server.accounts.has(userId)) return Effect.fail(new UnknownAccount({ userId }))
          const key = randomBytes(256)
          server.addKey(key, userId)
          return Effect.succeed(Redacted.make(sessionString(key)))
        }),
      clientOptions: (o) => ({
        connection: pinnedConnection(server.port, o?.transport ?? "full"),
        floodSleepThreshold: 0,
        connectionRetries: 1,
        retryDelay: 100,
        baseLogger: new Logger(LogLevel.NONE)
      }),
      push: (userId, updates) => Effect.sync(() => server.push(userId, updates)),
      disconnect: (userId) => Effect.sync(() => server.disconnect(userId)),
      rotateSalt: Effect.sync(() => server.rotateSalt()),
      loginCode: (phone) => Effect.sync(() => server.loginCodes.get(Internal.normalisePhone(phone))?.code),
      stats: Effect.sync(() => ({ ...server.stats })),
      connectionCount: Effect.sync(() => server.connections.size)
    }
    return { public: pub, internal: server }
  })

/**
 * {@link make} as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(options: Options<R> = {}): Layer.Layer<LoopbackServer, ListenError, R> =>
  Layer.effect(LoopbackServer, make(options))

/**
 * Options for {@link serve}: those of {@link make} without `handler` and `accounts` (the
 * world supplies both), plus how updates carried in results are treated.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorldOptions extends Omit<Options, "handler" | "accounts"> {
  /**
   * Also push to the caller the updates its own RPC result carries (e.g. `phone.discardCall`'s
   * `updatePhoneCall`). GramJS never dispatches result updates to event handlers, so a stock
   * client's `Raw` handler only sees them when pushed. tgphone's GramJS layer forwards result
   * updates itself, so with it this would deliver them twice: turn it off there. Default `true`.
   */
  readonly echoResultUpdates?: boolean | undefined
}

/**
 * A server backed by an in-memory world (`TestTelegram`): its users are the accounts (mint a
 * session per user), every request in tgphone's method registry is read in the caller's layer
 * and mapped to the world's model, run through that user's `TelegramRpc` from the world and
 * written back in the caller's layer (an `RpcError` becomes an `rpc_error`, a `TransportError`
 * `-503 Timeout`), and each user's updates are pushed to their live connections as `Updates`,
 * each in its connection's layer. Users added to the world later become
 * accounts when a session is minted for them.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { TelegramClient } from "telegram"
 * import { StringSession } from "telegram/sessions/index.js"
 * import { LoopbackServer, TestTelegram } from "@tgphone/testkit"
 *
 * const program = Effect.gen(function*() {
 *   const world = yield* TestTelegram.make()
 *   const alice = yield* world.addUser({ firstName: "Alice" })
 *   const server = yield* LoopbackServer.serve(world)
 *   const session = yield* server.mintSession(alice.id)
 *   const client = new TelegramClient(new StringSession(Redacted.value(session)), 1, "x", server.clientOptions())
 *   yield* Effect.promise(() => client.connect())
 *   yield* Effect.promise(() => client.destroy())
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (
  world: TestTelegram.Service,
  options: WorldOptions = {}
): Effect.Effect<Server, ListenError, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    let target: Internal.MtprotoServer | undefined
    const backend = new WorldBackend(world, options.echoResultUpdates ?? true, (userId, updates) => {
      target?.push(userId, updates)
    })
    const worldHandler = backend.handler(scope)
    const users = yield* world.users
    const server = yield* makeInternal({
      ...options,
      // the world's timeouts are the server's config, unless the options say otherwise
      callConfig: { ...world.callConfig, ...options.callConfig },
      accounts: users.map(accountOf),
      handler: (req) => Effect.mapError(worldHandler(req), (e) => rpcError(e.code, e.text))
    })
    target = server.internal
    for (const u of users) yield* backend.ensurePusher(u, scope)
    const mintSession = (userId: bigint) =>
      Effect.gen(function* () {
        const found = yield* world.user(userId)
        if (Option.isNone(found)) return yield* new UnknownAccount({ userId })
        yield* server.public.addAccount(accountOf(found.value))
        yield* backend.ensurePusher(found.value, scope)
        return yield* server.public.mintSession(userId)
      })
    return { ...server.public, mintSession } satisfies Server
  })

/**
 * {@link serve} as a layer over the `TestTelegram` world in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWorld = (
  options: WorldOptions = {}
): Layer.Layer<LoopbackServer, ListenError, TestTelegram.TestTelegram> =>
  Layer.effect(
    LoopbackServer,
    Effect.gen(function* () {
      return yield* serve(yield* TestTelegram.TestTelegram, options)
    })
  )

/**
 * Re-exported so handlers can build results without a separate import.
 *
 * @since 0.1.0
 * @category re-exports
 */
export { Api }
