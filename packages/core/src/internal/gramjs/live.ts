/**
 * The live layer of `TelegramRpc` over a GramJS-family client library: GramJS (`telegram`)
 * and its maintained fork teleproto share the client API this layer uses (`TelegramClient`,
 * `Api`, `StringSession`, the errors, the connection classes), so one implementation serves
 * both. `makeLive(library, rawTag)` gives a backend module its `make`, `layerFromClient`,
 * `layer`, `config` and `layerConfig`; the `Library` record is everything library-specific.
 * This module never loads a client library itself (type-only imports).
 */
import { isIP } from "node:net"
import {
  Config,
  ConfigProvider,
  Context,
  Duration,
  Effect,
  type Fiber,
  Layer,
  Option,
  PubSub,
  Redacted,
  Result,
  type Scope,
  Stream,
  Tracer
} from "effect"
import { TransportFailure } from "../../Errors.js"
import * as Model from "../../Model.js"
import { type MethodName, type MethodParams, type MethodResult, RpcMethods } from "../../RpcMethods.js"
import {
  type Account,
  type CallConfig,
  type ConnectionState,
  type ResolveFailure,
  RpcError,
  type RpcFailure,
  resolveFailure,
  TelegramRpc,
  TransportError,
  type UserRef
} from "../../TelegramRpc.js"
import { requestSpan } from "../span.js"
import { type ErrorsModule, invokeAnswered, watchAnswers } from "./answers.js"
import type { CodecError } from "./codec.js"

// ---------------------------------------------------------------------------------------------
// what a backend supplies
// ---------------------------------------------------------------------------------------------

/** A library's `StringSession`, as far as this layer reads it. */
export interface Session {
  readonly serverAddress?: string | undefined
  setDC(dcId: number, serverAddress: string, port: number): void
}

/** The `TelegramClient` options this layer sets. */
export interface ClientParams {
  readonly floodSleepThreshold: number
  readonly requestRetries: number
  readonly connectionRetries: number
  readonly baseLogger: unknown
  readonly connection: unknown
}

/** The options a library's connection class is constructed with (`ip`, `port`, …). */
export interface ConnectionParams {
  readonly [key: string]: unknown
}

/** A library's TCP Full connection class: `connect()` connects, its `socket.client` is the `net.Socket`. */
export type ConnectionClass = new (
  params: ConnectionParams
) => { connect(): Promise<void>; readonly socket: unknown }

/** The codecs between the domain model and a library's `Api` objects. */
export interface Codecs {
  readonly encodeRequest: <M extends MethodName>(
    method: M,
    params: MethodParams<M>
  ) => Result.Result<object, CodecError>
  readonly decodeResult: <M extends MethodName>(
    method: M,
    result: unknown
  ) => Result.Result<MethodResult<M>, CodecError>
  readonly decodeUpdate: (update: unknown) => Result.Result<Model.Update, CodecError>
  readonly decodeUpdates: (updates: unknown) => Result.Result<Model.Updates, CodecError>
  readonly inputUserFromEntity: (entity: unknown) => Result.Result<Model.InputUser, CodecError>
  /** Whether an event the client dispatched is an update the model carries. */
  readonly isModelledUpdate: (event: unknown) => boolean
  /** The TL class name of a library object (`"phone.RequestCall"`), `undefined` for anything else. */
  readonly classNameOf: (wire: unknown) => string | undefined
  /** A library integer (`big-integer`, number, bigint) as a `bigint`. */
  readonly toBigInt: (value: unknown) => bigint
}

/** What `familyRequests` reads of a GramJS-family library's `Api` (the same shapes in each). */
export interface FamilyApi<PingId> {
  readonly Config: abstract new (...args: never) => CallConfig
  readonly help: { readonly GetConfig: new () => object }
  readonly PingDelayDisconnect: new (args: { pingId: PingId; disconnectDelay: number }) => object
}

/** What `familyRequests` reads of a GramJS-family library's `helpers`. */
export interface FamilyHelpers<PingId> {
  readonly generateRandomLong: (signed: boolean) => PingId
  readonly returnBigInt: (n: bigint) => unknown
}

/**
 * The `Library` members GramJS and teleproto spell alike, from the library's `Api` and
 * `helpers`: `help.getConfig` and its call timeouts, the keep-alive ping, bigint conversion.
 */
export const familyRequests = <PingId>(
  api: FamilyApi<PingId>,
  helpers: FamilyHelpers<PingId>
): Pick<
  Library<unknown, unknown, { readonly message: string }>,
  "getConfig" | "callConfigOf" | "ping" | "toLibraryInteger"
> => ({
  getConfig: () => new api.help.GetConfig(),
  callConfigOf: (result) =>
    result instanceof api.Config
      ? {
          callReceiveTimeoutMs: result.callReceiveTimeoutMs,
          callRingTimeoutMs: result.callRingTimeoutMs,
          callConnectTimeoutMs: result.callConnectTimeoutMs,
          callPacketTimeoutMs: result.callPacketTimeoutMs
        }
      : undefined,
  ping: (disconnectDelay) =>
    new api.PingDelayDisconnect({ pingId: helpers.generateRandomLong(true), disconnectDelay }),
  toLibraryInteger: (n) => helpers.returnBigInt(n)
})

/**
 * Everything library-specific of a GramJS-family backend, including its typed errors for a
 * session that does not decode and for wrong configuration.
 */
export interface Library<Client, SessionError, ConfigError extends { readonly message: string }> {
  /** The library, in messages: `"GramJS"`. */
  readonly name: string
  /** The tgphone module exporting the backend, in messages: `"GramJs"`. */
  readonly module: string
  /** The TL layer the library speaks. */
  readonly layer: number
  /** `new TelegramClient(session, apiId, apiHash, params)`. */
  readonly newClient: (session: Session, apiId: number, apiHash: string, params: ClientParams) => Client
  /** `new StringSession(text)` (throws for text it cannot decode). */
  readonly newSession: (text: string) => Session
  /** The library's TCP Full connection class. */
  readonly ConnectionTCPFull: ConnectionClass
  /** A logger that prints nothing. */
  readonly silentLogger: () => unknown
  /** An event builder that passes every event through (`library.rawEvents()`). */
  readonly rawEvents: () => unknown
  /** `new Api.help.GetConfig()`. */
  readonly getConfig: () => object
  /** The call timeouts of a `help.getConfig` result; `undefined` when it is not a `Config`. */
  readonly callConfigOf: (result: unknown) => CallConfig | undefined
  /** `new Api.PingDelayDisconnect({ pingId: <random>, disconnectDelay })`. */
  readonly ping: (disconnectDelay: number) => object
  /**
   * What an owned client still needs once connected, besides the layer's own keep-alive (which
   * replaces the library's ping loop): GramJS nothing; teleproto starts its update manager,
   * which its ping loop would otherwise start, and reads the update state.
   */
  readonly afterConnect: (client: Client) => Promise<void>
  /** A `bigint` as the library's integer (`helpers.returnBigInt`). */
  readonly toLibraryInteger: (n: bigint) => unknown
  /** Anything the library failed with, as a seam error. */
  readonly classify: (method: string, error: unknown) => RpcFailure
  /** The library's `errors` module, whose `RPCMessageToError` sees every raw answer (`answers.ts`). */
  readonly errors: ErrorsModule
  readonly codec: Codecs
  /** The backend's `SessionInvalid`, with this message. */
  readonly sessionInvalid: (message: string) => SessionError
  /** The backend's `ConfigInvalid`: the message and the variables at fault. */
  readonly configInvalid: (message: string, variables: ReadonlyArray<string>) => ConfigError
  /** Whether a value is the backend's `ConfigInvalid`. */
  readonly isConfigInvalid: (u: unknown) => u is ConfigError
}

/** The client behind a live `TelegramRpc`, for what the registry does not model. */
export interface RawClient<Client> {
  /** The client itself. */
  readonly client: Client
  /**
   * Sends any library `Api` request (with the same timeout, span and error classification as
   * `invoke`) and returns the library's own result object, unconverted.
   */
  readonly invokeRaw: (request: object) => Effect.Effect<unknown, RpcFailure>
}

/** The minimal client surface `make` uses (a real `TelegramClient` has it; tests may pass a fake). */
export interface ClientLike {
  invoke(request: never): Promise<unknown>
  getMe(): Promise<unknown>
  getInputEntity(entity: never): Promise<unknown>
  addEventHandler(callback: (event: never) => unknown, builder: never): void
  removeEventHandler(callback: (event: never) => unknown, builder: never): void
}

/** What an owned client needs beyond `ClientLike` (and the internals `keepAlive` reads). */
interface OwnedClient extends ClientLike {
  connect(): Promise<boolean>
  disconnect(): Promise<void>
  destroy(): Promise<void>
  onError: (error: Error) => Promise<void>
  _loopStarted?: boolean
  _destroyed?: boolean
  _sender?: {
    readonly isReconnecting?: boolean | undefined
    send(request: object): Promise<unknown>
    reconnect(): void
  }
}

/** Options of `make` / `layerFromClient`. */
export interface MakeOptions {
  /** How long a request may go unanswered before it fails with `TransportError` (default 30 s). */
  readonly requestTimeout?: Duration.Input | undefined
}

/** Options of `layer`: the client the layer builds, connects and owns. */
export interface Options extends MakeOptions {
  readonly apiId: number
  readonly apiHash: Redacted.Redacted<string>
  /** A `StringSession` string of the library. */
  readonly session: Redacted.Redacted<string>
  /**
   * Pin the server: the client dials this address and port whatever the session says (it
   * otherwise ignores the session's port and dials 80). For test servers on 127.0.0.1.
   */
  readonly server?: { readonly ip: string; readonly port: number; readonly dcId: number } | undefined
  /** Connection attempts before `connect` fails (default 2). */
  readonly connectionRetries?: number | undefined
  /** How long connecting may take (default: `requestTimeout`). */
  readonly connectTimeout?: Duration.Input | undefined
}

// ---------------------------------------------------------------------------------------------
// library-independent helpers
// ---------------------------------------------------------------------------------------------

const DEFAULT_TIMEOUT: Duration.Input = "30 seconds"

/** A request deadline, parsed once per layer: the duration and the message of its timeout. */
interface Deadline {
  readonly duration: Duration.Duration
  readonly message: string
}

const deadlineOf = (timeout: Duration.Input): Deadline => {
  const duration = Duration.fromInputUnsafe(timeout)
  return { duration, message: `no answer within ${Duration.format(duration)}` }
}

/** Whether the fiber already runs in a span named `method` (e.g. the one `Phone` opens). */
const inSpanNamed = (fiber: Fiber.Fiber<unknown, unknown>, method: string): boolean => {
  const parent = Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
  return parent !== undefined && parent._tag === "Span" && parent.name === method
}

/** `effect` in a span named after the TL method, unless the caller already opened that span. */
const methodSpan = <A, E>(method: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.withFiber((fiber) => (inSpanNamed(fiber, method) ? effect : requestSpan(method)(effect)))

/** Telegram's own answer when something that is not a user is used as one. */
const notAUser = () => new RpcError({ method: "resolveUser", code: 400, type: "USER_ID_INVALID" })

/**
 * Telegram's own answer when a reference names nobody: `USERNAME_NOT_OCCUPIED` for a username,
 * `PHONE_NOT_OCCUPIED` for a `+phone`, `USER_ID_INVALID` for an id (what the in-memory world
 * answers too).
 */
const notFound = (ref: UserRef) =>
  typeof ref === "string"
    ? new RpcError({
        method: "resolveUser",
        code: 400,
        type: ref.startsWith("+") ? "PHONE_NOT_OCCUPIED" : "USERNAME_NOT_OCCUPIED"
      })
    : notAUser()

/**
 * GramJS's own "entity not found" errors from `getInputEntity` (not RPC errors, not transport);
 * GramJS turns the server's `USERNAME_NOT_OCCUPIED` into `No user has "x" as username`.
 */
const isEntityNotFound = (error: unknown): boolean =>
  error instanceof Error &&
  /Could not find the input entity|Cannot find any entity corresponding|Could not find a matching|No user has ".*" as username/.test(
    error.message
  )

/**
 * What building a layer fails with: the transport condition under the name `Phone.*` methods
 * use for it (`TransportFailure`, with its cause), server errors and the rest unchanged.
 */
type LayerError<E> = Exclude<E, TransportError> | (TransportError extends E ? TransportFailure : never)

const asFailure = <E>(error: E): LayerError<E> =>
  (error instanceof TransportError
    ? new TransportFailure({
        method: error.method,
        message: error.message,
        ...(error.cause === undefined ? {} : { cause: error.cause })
      })
    : error) as LayerError<E>

/** What a socket error means, in words (`ECONNREFUSED` → "connection refused"). */
const socketReason = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined
  if (code === "ECONNREFUSED") return "connection refused"
  if (code === "ECONNRESET") return "connection reset"
  if (code === "ETIMEDOUT") return "connection timed out"
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "host unreachable"
  if (code === "ENOTFOUND") return "host not found"
  return cause instanceof Error ? cause.message : "the connection failed"
}

/** The `TG_*` variables `config` reads. */
type Variable =
  | "TG_API_ID"
  | "TG_API_HASH"
  | "TG_SESSION"
  | "TG_SERVER_IP"
  | "TG_SERVER_PORT"
  | "TG_DC_ID"
  | "TG_REQUEST_TIMEOUT"

type RawVariables = { readonly [K in Variable]: Option.Option<string> }

/** The raw `TG_*` variables (absent: `None`). */
const rawVariables: Config.Config<RawVariables> = Config.all({
  TG_API_ID: Config.option(Config.String("TG_API_ID")),
  TG_API_HASH: Config.option(Config.String("TG_API_HASH")),
  TG_SESSION: Config.option(Config.String("TG_SESSION")),
  TG_SERVER_IP: Config.option(Config.String("TG_SERVER_IP")),
  TG_SERVER_PORT: Config.option(Config.String("TG_SERVER_PORT")),
  TG_DC_ID: Config.option(Config.String("TG_DC_ID")),
  TG_REQUEST_TIMEOUT: Config.option(Config.String("TG_REQUEST_TIMEOUT"))
})

// ---------------------------------------------------------------------------------------------
// the layer, over one library
// ---------------------------------------------------------------------------------------------

/**
 * The live layer over `library`: `make` builds the services over a connected client,
 * `layerFromClient` adopts one, `layer` / `layerConfig` build, connect and own one; the
 * library's client is also provided under `rawTag` (`GramJsClient`, …).
 */
export const makeLive = <Client, I, SessionError, ConfigError extends { readonly message: string }>(
  library: Library<Client, SessionError, ConfigError>,
  rawTag: Context.Key<I, RawClient<Client>>
) => {
  const classify = library.classify
  const Codec = library.codec
  watchAnswers(library.errors)
  const promise = <A>(method: string, f: () => Promise<A>): Effect.Effect<A, RpcFailure> =>
    Effect.tryPromise({ try: f, catch: (e) => classify(method, e) })

  /**
   * Sends `wire` with `client.invoke`: the server's `rpc_error` answer is the failure as soon as
   * the library decodes it, with the server's code and text (`answers.ts`: the library's own
   * error classes may carry another code, and the errors it would sleep on and retry end in
   * "Request was unsuccessful"); the library's other rejections are classified, and no answer
   * within the deadline is a `TransportError`. One path for every clock: the deadline is `Effect.timeoutOrElse` on
   * the fiber's `Clock`, so `TestClock` drives it in tests. GramJS cannot cancel a request, so
   * an interrupted or timed-out one is only abandoned (a late answer is ignored).
   */
  const request = (
    method: string,
    deadline: Deadline,
    client: ClientLike,
    wire: object
  ): Effect.Effect<unknown, RpcFailure> =>
    Effect.timeoutOrElse(
      invokeAnswered(method, wire, (request) => client.invoke(request as never), classify),
      {
        duration: deadline.duration,
        orElse: () => Effect.fail(new TransportError({ method, message: deadline.message }))
      }
    )

  const withTimeout =
    (method: string, timeout: Duration.Input) =>
    <A>(effect: Effect.Effect<A, RpcFailure>): Effect.Effect<A, RpcFailure> => {
      const deadline = deadlineOf(timeout)
      return Effect.timeoutOrElse(effect, {
        duration: deadline.duration,
        orElse: () => Effect.fail(new TransportError({ method, message: deadline.message }))
      })
    }

  /**
   * The state a GramJS `UpdateConnectionState` event reports (`state`: 1 connected, -1
   * disconnected, 0 broken: the auth key was reset, so nothing gets through); `undefined` for
   * any other event.
   */
  const connectionStateOf = (event: unknown): ConnectionState | undefined => {
    if (typeof event !== "object" || event === null || Codec.classNameOf(event) !== undefined)
      return undefined
    const state = (event as { state?: unknown }).state
    return state === 1 ? "Connected" : state === -1 || state === 0 ? "Disconnected" : undefined
  }

  /**
   * Builds the `TelegramRpc` service (and the `GramJsClient` escape hatch) over a connected
   * client. Reads the account with `getMe()`, subscribes to the client's updates for the
   * lifetime of the scope, and never disconnects the client.
   *
   * @since 0.1.0
   * @category constructors
   */
  const make = Effect.fnUntraced(function* (
    client: ClientLike,
    options?: MakeOptions | undefined
  ): Effect.fn.Return<
    { readonly rpc: TelegramRpc["Service"]; readonly raw: RawClient<Client> },
    RpcFailure,
    Scope.Scope
  > {
    const timeout = options?.requestTimeout ?? DEFAULT_TIMEOUT

    const me = yield* promise("users.getUsers", () => client.getMe()).pipe(
      withTimeout("users.getUsers", timeout),
      requestSpan("users.getUsers")
    )
    const meObject = me as { id?: unknown; bot?: unknown }
    const userId = yield* Effect.try({
      try: () => Codec.toBigInt(meObject.id),
      catch: (cause) =>
        new TransportError({ method: "users.getUsers", message: "getMe() returned no user id", cause })
    })
    const account: Account = { userId, isBot: meObject.bot === true }

    const hub = yield* PubSub.unbounded<Model.Update>()
    // the transport's state, its latest one replayed to each subscriber: connected now (`getMe`
    // was just answered), then whatever GramJS reports
    const link = yield* PubSub.unbounded<ConnectionState>({ replay: 1 })
    PubSub.publishUnsafe(link, "Connected")
    const publishAll = (updates: ReadonlyArray<Model.Update>) =>
      updates.length === 0 ? Effect.void : PubSub.publishAll(hub, updates)

    // pushed updates: GramJS splits containers and calls the handler once per update; it also
    // passes `UpdateConnectionState` objects (no `className`, a numeric `state`: 1 connected,
    // -1 disconnected, 0 broken auth key), which feed `connection`
    const handler = (event: unknown): void => {
      const state = connectionStateOf(event)
      if (state !== undefined) {
        PubSub.publishUnsafe(link, state)
        return
      }
      if (!Codec.isModelledUpdate(event)) return
      const decoded = Codec.decodeUpdate(event)
      if (Result.isSuccess(decoded)) PubSub.publishUnsafe(hub, decoded.success)
    }
    const builder = library.rawEvents()
    yield* Effect.acquireRelease(
      Effect.sync(() => client.addEventHandler(handler as never, builder as never)),
      () =>
        Effect.sync(() => client.removeEventHandler(handler as never, builder as never)).pipe(
          Effect.andThen(PubSub.shutdown(hub)),
          Effect.andThen(PubSub.shutdown(link))
        )
    )

    const deadline = deadlineOf(timeout)

    const send = (method: string, wire: object): Effect.Effect<unknown, RpcFailure> =>
      requestSpan(method)(request(method, deadline, client, wire))

    const invoke = <M extends MethodName>(
      method: M,
      params: MethodParams<M>
    ): Effect.Effect<MethodResult<M>, RpcFailure> =>
      methodSpan(
        method,
        Effect.suspend(() => {
          const encoded = Codec.encodeRequest(method, params)
          return Result.isFailure(encoded)
            ? Effect.fail(
                new TransportError({
                  method,
                  message: `not sent: ${encoded.failure.message}`,
                  cause: encoded.failure
                })
              )
            : Effect.flatMap(request(method, deadline, client, encoded.success), (wire) =>
                decoded(method, wire)
              )
        })
      )

    const decoded = <M extends MethodName>(
      method: M,
      wire: unknown
    ): Effect.Effect<MethodResult<M>, TransportError> => {
      const result = Codec.decodeResult(method, wire)
      if (Result.isFailure(result)) {
        return Effect.fail(
          new TransportError({
            method,
            message: `unexpected result: ${result.failure.message}`,
            cause: result.failure
          })
        )
      }
      // GramJS never dispatches `Updates` that come back as a result: publish them ourselves
      if ((RpcMethods[method].result as unknown) === Model.Updates) {
        return Effect.as(publishAll((result.success as Model.Updates).updates), result.success)
      }
      return Effect.succeed(result.success)
    }

    const resolveUser = (ref: UserRef): Effect.Effect<Model.InputUser, ResolveFailure> => {
      if (typeof ref === "object") return Effect.succeed(ref)
      const entity = typeof ref === "bigint" ? library.toLibraryInteger(ref) : ref
      return Effect.tryPromise({
        try: () => client.getInputEntity(entity as never),
        catch: (e) => (isEntityNotFound(e) ? notFound(ref) : classify("resolveUser", e))
      }).pipe(
        withTimeout("resolveUser", timeout),
        Effect.flatMap((input) => {
          const user = Codec.inputUserFromEntity(input)
          return Result.isSuccess(user) ? Effect.succeed(user.success) : Effect.fail(notAUser())
        }),
        Effect.mapError((failure) => resolveFailure(ref, failure)),
        requestSpan("resolveUser")
      )
    }

    // `help.getConfig`: the call timeouts of the server's config
    const callConfig: Effect.Effect<CallConfig, RpcFailure> = Effect.flatMap(
      send("help.getConfig", library.getConfig()),
      (result) => {
        const config = library.callConfigOf(result)
        return config !== undefined
          ? Effect.succeed(config)
          : Effect.fail(
              new TransportError({ method: "help.getConfig", message: "unexpected result: expected Config" })
            )
      }
    )

    const rpc = TelegramRpc.of({
      account,
      layer: library.layer,
      invoke,
      resolveUser,
      subscribe: Effect.map(PubSub.subscribe(hub), (sub) => Stream.fromSubscription(sub)),
      connection: Effect.map(PubSub.subscribe(link), (sub) => Stream.fromSubscription(sub)),
      callConfig
    })

    const raw: RawClient<Client> = {
      client: client as unknown as Client,
      invokeRaw: (request) => {
        const name = Codec.classNameOf(request) ?? "unknown"
        return send(name, request).pipe(
          Effect.tap((result) => {
            if (
              Codec.classNameOf(result)?.startsWith("Updates") !== true &&
              Codec.classNameOf(result) !== "UpdateShort"
            )
              return Effect.void
            const decoded = Codec.decodeUpdates(result)
            return Result.isSuccess(decoded) ? publishAll(decoded.success.updates) : Effect.void
          })
        )
      }
    }

    return { rpc, raw }
  })

  const toLayer = <E, R>(
    build: Effect.Effect<{ readonly rpc: TelegramRpc["Service"]; readonly raw: RawClient<Client> }, E, R>
  ): Layer.Layer<TelegramRpc | I, LayerError<E>, Exclude<R, Scope.Scope>> =>
    Layer.effectContext(
      build.pipe(
        Effect.mapError(asFailure),
        Effect.map(({ raw, rpc }) => Context.make(TelegramRpc, rpc).pipe(Context.add(rawTag, raw)))
      )
    )

  /**
   * `TelegramRpc` (and `GramJsClient`) over a client the caller already connected and owns;
   * releasing the layer removes the update handler but leaves the client connected.
   *
   * @example
   * ```ts
   * import * as GramJs from "@tgphone/core/GramJs"
   * import type { TelegramClient } from "telegram"
   *
   * declare const client: TelegramClient // already connected and logged in
   * const TelegramLive = GramJs.layerFromClient(client, { requestTimeout: "10 seconds" })
   * ```
   *
   * @since 0.1.0
   * @category layers
   */
  const layerFromClient = (
    client: Client | ClientLike,
    options?: MakeOptions | undefined
  ): Layer.Layer<TelegramRpc | I, RpcError | TransportFailure> => toLayer(make(client as ClientLike, options))

  /**
   * The library's TCP Full connection with Nagle's algorithm off (`TCP_NODELAY`), set once
   * `connect()` has connected. GramJS leaves it on, and it writes an ack and the next request
   * as separate packets: the second then waits for the server's ACK of the first, which a
   * server that has nothing to send delays by up to 40 ms (Linux's delayed-ACK minimum). Each
   * request of a handshake paid it over loopback.
   */
  class NoDelayConnection extends library.ConnectionTCPFull {
    override async connect(): Promise<void> {
      await super.connect()
      const socket = (this.socket as unknown as { client?: { setNoDelay?: (on: boolean) => unknown } }).client
      socket?.setNoDelay?.(true)
    }
  }

  /**
   * The GramJS client options this SDK uses: no flood sleeping, bounded retries, a quiet
   * logger, and (with `server`) a connection pinned to that address and port.
   */
  const clientFor = (options: Options): OwnedClient => {
    const text = Redacted.value(options.session)
    const session = library.newSession(text)
    // GramJS accepts some garbage (it decodes whatever base64 says) and would dial the "address"
    // it found: a non-empty session must name an IP address and carry a 256-byte auth key
    const key = (session as unknown as { _key?: Uint8Array })._key
    if (text !== "" && (isIP(session.serverAddress ?? "") === 0 || key?.length !== 256))
      throw new Error("its server address or auth key does not decode")
    const server = options.server
    let connection: ConnectionClass = NoDelayConnection
    if (server !== undefined) {
      // GramJS dials `session.serverAddress` on port 80 (443 with WSS) whatever the session
      // says: a connection subclass pins the port, and survives reconnects (GramJS rebuilds
      // connections through `connection.constructor`). The session keeps a port <= 32767,
      // or `StringSession.save()` throws.
      session.setDC(server.dcId, server.ip, 443)
      const { ip, port } = server
      class PinnedConnection extends NoDelayConnection {
        constructor(o: ConnectionParams) {
          super({ ...o, ip, port })
        }
      }
      connection = PinnedConnection
    }
    const params: ClientParams = {
      floodSleepThreshold: 0,
      requestRetries: 1,
      connectionRetries: options.connectionRetries ?? 2,
      baseLogger: library.silentLogger(),
      connection
    }
    const client = library.newClient(session, options.apiId, Redacted.value(options.apiHash), params)
    const owned = client as unknown as OwnedClient
    // GramJS starts its own ping loop on connect unless it believes one runs: `keepAlive` is ours
    owned._loopStarted = true
    return owned
  }

  /**
   * `TelegramRpc` (and `GramJsClient`) over a client this layer creates: connects on acquire,
   * `disconnect()` + `destroy()` on release.
   *
   * @example
   * ```ts
   * import * as GramJs from "@tgphone/core/GramJs"
   * import { Redacted } from "effect"
   *
   * const TelegramLive = GramJs.layer({
   *   apiId: 12345,
   *   apiHash: Redacted.make("0123456789abcdef"),
   *   session: Redacted.make("1AgAOMTQ5LjE1NC4x…"), // a GramJS StringSession
   *   server: { ip: "127.0.0.1", port: 4444, dcId: 2 } // optional: pin a (test) server
   * })
   * ```
   *
   * @since 0.1.0
   * @category layers
   */
  const layer = (
    options: Options
  ): Layer.Layer<TelegramRpc | I, RpcError | TransportFailure | SessionError> =>
    toLayer(
      Effect.gen(function* () {
        const client = yield* Effect.acquireRelease(
          Effect.try({
            try: () => clientFor(options),
            // never the library's text or anything decoded from the session: it may hold key bytes
            catch: () =>
              library.sessionInvalid(
                `TG_SESSION / session is not a ${library.name} StringSession (${Redacted.value(options.session).length} characters; expected "1" followed by the base64 of a DC id, a server address, a port and a 256-byte auth key)`
              )
          }).pipe(
            Effect.flatMap((client) =>
              connect(client, options).pipe(
                Effect.andThen(promise("connect", () => library.afterConnect(client as unknown as Client))),
                withTimeout("connect", options.connectTimeout ?? options.requestTimeout ?? DEFAULT_TIMEOUT),
                Effect.onError(() => Effect.forkDetach(release(client))),
                Effect.as(client)
              )
            )
          ),
          release
        )
        // interrupted (its timer cleared) before the client is released: nothing keeps running
        yield* Effect.forkScoped(keepAlive(client))
        return yield* make(client as unknown as ClientLike, options)
      })
    )

  /**
   * The ping loop GramJS would run (`client/updates.js`: every 9 s a `ping_delay_disconnect`,
   * reconnecting when it goes unanswered for 10 s), as a fiber. GramJS's own loop leaves a 10 s
   * timer that is not unref'd after each ping, so a process could not exit for up to 10–20 s
   * after the layer was released; this one is interrupted with the layer's scope.
   */
  const keepAlive = (internals: OwnedClient): Effect.Effect<void> =>
    Effect.gen(function* () {
      const destroyed = () => internals._destroyed === true
      while (!destroyed()) {
        yield* Effect.sleep("9 seconds")
        const sender = internals._sender
        if (destroyed() || sender === undefined || sender.isReconnecting === true) continue
        const answered = yield* Effect.tryPromise(() => sender.send(library.ping(60))).pipe(
          Effect.timeout("10 seconds"),
          Effect.isSuccess
        )
        const reconnecting = () => sender.isReconnecting === true
        if (!answered && !reconnecting() && !destroyed()) sender.reconnect()
      }
    })

  /**
   * `client.connect()`, failing when it could not connect. GramJS does not reject then: it
   * reports the socket error to its error handler, retries, and resolves `false`; the last
   * error it reported is the cause.
   */
  const connect = (client: OwnedClient, options: Options): Effect.Effect<void, TransportError> =>
    Effect.suspend(() => {
      let last: unknown
      client.onError = async (error: unknown) => {
        last = error
      }
      const where = options.server === undefined ? "Telegram" : `${options.server.ip}:${options.server.port}`
      return promise("connect", () => client.connect()).pipe(
        Effect.mapError((e) =>
          e._tag === "TransportError"
            ? e
            : new TransportError({ method: "connect", message: e.type, cause: e })
        ),
        Effect.flatMap((connected) =>
          connected
            ? Effect.void
            : Effect.fail(
                new TransportError({
                  method: "connect",
                  message: `could not connect to ${where}: ${socketReason(last)}`,
                  ...(last === undefined ? {} : { cause: last })
                })
              )
        )
      )
    })

  const release = (client: OwnedClient): Effect.Effect<void> =>
    Effect.promise(async () => {
      try {
        await client.disconnect()
      } catch {
        // already disconnected
      }
      try {
        await client.destroy()
      } catch {
        // already destroyed
      }
    })

  /** Checks every variable; all problems at once, or the options. */
  const validate = (raw: RawVariables): Result.Result<Options, ConfigError> => {
    const problems: Array<{ readonly variable: string; readonly problem: string }> = []
    const problem = (variable: string, text: string) => {
      problems.push({ variable, problem: `${variable} ${text}` })
    }
    const required = (variable: Variable, what: string): string | undefined => {
      const value = raw[variable]
      if (Option.isNone(value)) problem(variable, `is not set (${what})`)
      else if (value.value.trim() === "") problem(variable, `is empty (${what})`)
      else return value.value.trim()
      return undefined
    }
    const integer = (variable: Variable, text: string, min: number, max: number): number | undefined => {
      const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
      if (Number.isSafeInteger(n) && n >= min && n <= max) return n
      problem(variable, `is not an integer from ${min} to ${max}: ${JSON.stringify(text)}`)
      return undefined
    }
    const apiIdText = required("TG_API_ID", "the api_id of your app, from my.telegram.org")
    const apiId =
      apiIdText === undefined ? undefined : integer("TG_API_ID", apiIdText, 1, Number.MAX_SAFE_INTEGER)
    const apiHash = required("TG_API_HASH", "the api_hash of your app, from my.telegram.org")
    const session = required("TG_SESSION", `a ${library.name} StringSession of a logged-in account`)
    const optional = (variable: Variable): string | undefined =>
      Option.getOrUndefined(Option.map(raw[variable], (v) => v.trim()))
    const ip = optional("TG_SERVER_IP")
    const portText = optional("TG_SERVER_PORT")
    const dcText = optional("TG_DC_ID")
    if (ip === "") problem("TG_SERVER_IP", "is empty (the address of the server to pin)")
    const port = portText === undefined ? undefined : integer("TG_SERVER_PORT", portText, 1, 65535)
    const dcId = dcText === undefined ? 2 : integer("TG_DC_ID", dcText, 1, 1000)
    if (ip !== undefined && portText === undefined)
      problem("TG_SERVER_PORT", "is not set, but TG_SERVER_IP is (pinning a server needs both)")
    if (portText !== undefined && ip === undefined)
      problem("TG_SERVER_IP", "is not set, but TG_SERVER_PORT is (pinning a server needs both)")
    if (dcText !== undefined && (ip === undefined || portText === undefined))
      problem("TG_DC_ID", "is set, but it only applies with TG_SERVER_IP and TG_SERVER_PORT")
    const timeoutText = optional("TG_REQUEST_TIMEOUT")
    let requestTimeout: Duration.Duration = Duration.seconds(30)
    if (timeoutText !== undefined) {
      const parsed = Duration.fromInput(timeoutText as Duration.Input)
      if (Option.isSome(parsed) && Duration.isFinite(parsed.value) && Duration.toMillis(parsed.value) > 0)
        requestTimeout = parsed.value
      else
        problem(
          "TG_REQUEST_TIMEOUT",
          `is not a positive duration such as "30 seconds": ${JSON.stringify(timeoutText)}`
        )
    }
    if (problems.length > 0 || apiId === undefined || apiHash === undefined || session === undefined)
      return Result.fail(
        library.configInvalid(`${library.module}.layerConfig: ${problems.map((p) => p.problem).join("; ")}`, [
          ...new Set(problems.map((p) => p.variable))
        ])
      )
    const base = { apiId, apiHash: Redacted.make(apiHash), session: Redacted.make(session), requestTimeout }
    return Result.succeed(
      ip !== undefined && port !== undefined && dcId !== undefined
        ? { ...base, server: { ip, port, dcId } }
        : base
    )
  }

  /**
   * The environment configuration of `layerConfig`: `TG_API_ID`, `TG_API_HASH`, `TG_SESSION`
   * (required, non-empty), and optionally `TG_SERVER_IP` + `TG_SERVER_PORT` (+ `TG_DC_ID`,
   * default 2) to pin a server (both or neither), and `TG_REQUEST_TIMEOUT` (a positive
   * duration, default 30 seconds). Every variable is checked before it fails, so the
   * `ConfigError`'s message names all the wrong ones at once (its `cause` holds the
   * `ConfigInvalid`).
   *
   * @since 0.1.0
   * @category config
   */
  const config: Config.Config<Options> = rawVariables.pipe(
    Config.mapEffect((raw) =>
      Result.match(validate(raw), {
        onSuccess: Effect.succeed,
        onFailure: (invalid) =>
          Effect.fail(
            new Config.ConfigError(
              new ConfigProvider.SourceError({ message: invalid.message, cause: invalid })
            )
          )
      })
    )
  )

  /** A `ConfigError` as the typed, printable `ConfigInvalid`. */
  const toConfigInvalid = (error: Config.ConfigError): ConfigError =>
    error.cause._tag === "SourceError" && library.isConfigInvalid(error.cause.cause)
      ? error.cause.cause
      : library.configInvalid(`${library.module}.layerConfig: invalid configuration: ${error.message}`, [])

  /**
   * `layer` with its options read from configuration (by default `config`, the `TG_*`
   * environment variables). A missing or wrong variable fails the layer with `ConfigInvalid`,
   * whose message names every variable at fault.
   *
   * @since 0.1.0
   * @category layers
   */
  const layerConfig = (
    options: Config.Config<Options> = config
  ): Layer.Layer<TelegramRpc | I, RpcError | TransportFailure | SessionError | ConfigError> =>
    Layer.unwrap(
      Effect.gen(function* () {
        return layer(yield* Effect.mapError(options, toConfigInvalid))
      })
    )

  return { make, layerFromClient, layer, config, layerConfig }
}
