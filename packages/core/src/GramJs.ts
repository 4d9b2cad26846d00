/**
 * The GramJS (`telegram` on npm) live layer of `TelegramRpc`, and the codecs between the
 * domain model and GramJS `Api` objects. Import it from `@tgphone/core/GramJs`; the root
 * `@tgphone/core` never loads `telegram`.
 *
 * - `layerFromClient(client)`: adopt a `TelegramClient` you already connected (it is not
 *   disconnected when the layer is released).
 * - `layer(options)` / `layerConfig(config)`: build, connect and own a client from an api id,
 *   api hash and a `StringSession` (all secrets `Redacted`), optionally pinned to a server
 *   (`{ ip, port, dcId }`, e.g. a loopback test server). Released: `disconnect()` + `destroy()`.
 *   Its keep-alive ping (every 9 s) is a fiber of the layer, not GramJS's own loop, so nothing
 *   of it keeps running (or keeps the process alive) once the layer is released. Its sockets
 *   have Nagle's algorithm off (`TCP_NODELAY`), which GramJS leaves on.
 *
 * Every request runs in a span named after its TL method (unless the caller, e.g. `Phone`,
 * already opened it), times out after `requestTimeout` (default 30 s) with a `TransportError`
 * (`Effect.timeoutOrElse` on the fiber's `Clock`, so `TestClock` drives it), and fails with
 * errors classified by `classifyGramJsError`. GramJS never sleeps on flood waits here
 * (`floodSleepThreshold: 0`). `TelegramRpc.connection` follows GramJS's connection-state events.
 *
 * @since 0.1.0
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
  Schema,
  type Scope,
  Stream,
  Tracer
} from "effect"
import { Api, helpers, TelegramClient, type TelegramClient as TelegramClientType } from "telegram"
import { Raw } from "telegram/events/index.js"
import { Logger, LogLevel } from "telegram/extensions/Logger.js"
import { ConnectionTCPFull } from "telegram/network/index.js"
import { StringSession } from "telegram/sessions/index.js"
import { LAYER as GRAMJS_LAYER } from "telegram/tl/AllTLObjects.js"
import { TransportFailure } from "./Errors.js"
import * as Codec from "./internal/gramjs/codec.js"
import { classifyGramJsError as classify } from "./internal/gramjs/errors.js"
import * as Rpc from "./internal/gramjs/rpc.js"
import * as Model from "./Model.js"
import { type MethodName, type MethodParams, type MethodResult, RpcMethods } from "./RpcMethods.js"
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
} from "./TelegramRpc.js"

// ---------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------

/**
 * Turns anything GramJS failed with into a seam error: `rpc_error`s (including GramJS's
 * `FloodWaitError`, whose TL text `FLOOD_WAIT_<seconds>` is rebuilt, code 420) become
 * `RpcError`; everything else (socket errors, "Request was unsuccessful", disconnects)
 * becomes `TransportError`. GramJS maps `FLOOD_PREMIUM_WAIT_X` to the same `FloodWaitError`,
 * so it surfaces as `FLOOD_WAIT_X`.
 *
 * @since 0.1.0
 * @category errors
 */
export const classifyGramJsError: (method: string, error: unknown) => RpcFailure = classify

/**
 * A value could not be converted between the domain model and GramJS objects.
 *
 * @since 0.1.0
 * @category errors
 */
export const CodecError = Codec.CodecError
/** @since 0.1.0 @category errors */
export type CodecError = Codec.CodecError

/**
 * A request outside the registry reached `decodeRequest`.
 *
 * @since 0.1.0
 * @category errors
 */
export const UnsupportedRequest = Rpc.UnsupportedRequest
/** @since 0.1.0 @category errors */
export type UnsupportedRequest = Rpc.UnsupportedRequest

// ---------------------------------------------------------------------------------------------
// codecs (used by the live layer, and by servers that speak to GramJS clients)
// ---------------------------------------------------------------------------------------------

/**
 * A request in the domain model: the registry method and its parameters.
 *
 * @since 0.1.0
 * @category codecs
 */
export type AnyRequest = Rpc.AnyRequest

/**
 * Domain request → GramJS `Api` request object.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeRequest: <M extends MethodName>(
  method: M,
  params: MethodParams<M>
) => Result.Result<object, CodecError> = Rpc.encodeRequest

/**
 * GramJS `Api` request (e.g. from `BinaryReader.tgReadObject()` on a server) → domain request;
 * `UnsupportedRequest` for anything outside the registry. Does not unwrap `invokeWithLayer`
 * and friends.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeRequest: (request: unknown) => Result.Result<AnyRequest, CodecError | UnsupportedRequest> =
  Rpc.decodeRequest

/**
 * Strips the wrappers a client puts around a request (`invokeWithLayer`, `initConnection`,
 * `invokeWithoutUpdates`, `invokeAfterMsg`, …) and returns the inner query; anything else is
 * returned as is. Use before `decodeRequest` on a server.
 *
 * @since 0.1.0
 * @category codecs
 */
export const unwrapRequest: (request: unknown) => unknown = Rpc.unwrapRequest

/**
 * Domain result → the GramJS value `client.invoke` would resolve with (a TL object, a
 * `boolean` for `Bool`, a `number[]` for `Vector<int>`).
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeResult: <M extends MethodName>(
  method: M,
  result: MethodResult<M>
) => Result.Result<unknown, CodecError> = Rpc.encodeResult

/**
 * GramJS result value → domain result.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeResult: <M extends MethodName>(
  method: M,
  result: unknown
) => Result.Result<MethodResult<M>, CodecError> = Rpc.decodeResult

/**
 * Domain result → its TL bytes, ready to be the body of an `rpc_result`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const serializeResult: <M extends MethodName>(
  method: M,
  result: MethodResult<M>
) => Result.Result<Uint8Array, CodecError> = Rpc.serializeResult

/**
 * TL bytes of a result → domain result, read exactly as GramJS reads `rpc_result` for the method.
 *
 * @since 0.1.0
 * @category codecs
 */
export const readResult: <M extends MethodName>(
  method: M,
  data: Uint8Array
) => Result.Result<MethodResult<M>, CodecError> = Rpc.readResult

/**
 * TL bytes → GramJS object (`BinaryReader.tgReadObject()`; knows requests as well as types).
 *
 * @since 0.1.0
 * @category codecs
 */
export const readObject: (data: Uint8Array) => Result.Result<unknown, CodecError> = Rpc.readObject

/**
 * Domain `Update` → GramJS update object.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeUpdate: (update: Model.Update) => Result.Result<unknown, CodecError> = Rpc.encodeUpdate

/**
 * GramJS update object → domain `Update`; fails for updates the model does not carry.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUpdate: (update: unknown) => Result.Result<Model.Update, CodecError> = Rpc.decodeUpdate

/**
 * Domain `Updates` → GramJS `updates` container (`date`/`seq` 0), e.g. for a server push.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeUpdates: (updates: Model.Updates) => Result.Result<unknown, CodecError> = Rpc.encodeUpdates

/**
 * Any GramJS `Updates` (`updates`, `updatesCombined`, `updateShort`, `updatesTooLong`, short
 * messages) or single `Update` → domain `Updates`; unmodelled updates are dropped.
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUpdates: (updates: unknown) => Result.Result<Model.Updates, CodecError> = Rpc.decodeUpdates

/**
 * Domain `User` → GramJS `user`.
 *
 * @since 0.1.0
 * @category codecs
 */
export const encodeUser: (user: Model.User) => Result.Result<unknown, CodecError> = Rpc.encodeUser

/**
 * GramJS `user` / `userEmpty` → domain `User` (the GramJS object kept in `raw`).
 *
 * @since 0.1.0
 * @category codecs
 */
export const decodeUser: (user: unknown) => Result.Result<Model.User, CodecError> = Rpc.decodeUser

/**
 * The GramJS request class name of a registry method (`"phone.RequestCall"`, …).
 *
 * @since 0.1.0
 * @category codecs
 */
export const requestClassName = (method: MethodName): string => Rpc.requestClassOf(method).className

// ---------------------------------------------------------------------------------------------
// the live layer
// ---------------------------------------------------------------------------------------------

/**
 * The GramJS client behind the live `TelegramRpc`, for what the registry does not model.
 * Backend-specific: code using it depends on GramJS.
 *
 * @since 0.1.0
 * @category services
 */
export class GramJsClient extends Context.Service<
  GramJsClient,
  {
    /** The client itself. */
    readonly client: TelegramClientType
    /**
     * Sends any GramJS `Api` request (with the same timeout, span and error classification as
     * `invoke`) and returns GramJS's own result object, unconverted.
     */
    readonly invokeRaw: (request: object) => Effect.Effect<unknown, RpcFailure>
  }
>()("@tgphone/core/GramJs/GramJsClient") {}

/**
 * The minimal client surface the layer uses (a real `TelegramClient` has it; tests may pass a
 * fake that implements it).
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientLike {
  invoke(request: never): Promise<unknown>
  getMe(): Promise<unknown>
  getInputEntity(entity: never): Promise<unknown>
  addEventHandler(callback: (event: never) => unknown, builder: never): void
  removeEventHandler(callback: (event: never) => unknown, builder: never): void
}

/**
 * Options of `make` / `layerFromClient`.
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions {
  /** How long a request may go unanswered before it fails with `TransportError` (default 30 s). */
  readonly requestTimeout?: Duration.Input | undefined
}

/**
 * Options of `layer`: the client this layer builds, connects and owns.
 *
 * @since 0.1.0
 * @category models
 */
export interface GramJsOptions extends MakeOptions {
  readonly apiId: number
  readonly apiHash: Redacted.Redacted<string>
  /** A GramJS `StringSession` string. */
  readonly session: Redacted.Redacted<string>
  /**
   * Pin the server: GramJS dials this address and port whatever the session says (it
   * otherwise ignores the session's port and dials 80). For test servers on 127.0.0.1.
   */
  readonly server?: { readonly ip: string; readonly port: number; readonly dcId: number } | undefined
  /** Connection attempts before `connect` fails (default 2). */
  readonly connectionRetries?: number | undefined
  /** How long connecting may take (default: `requestTimeout`). */
  readonly connectTimeout?: Duration.Input | undefined
}

const DEFAULT_TIMEOUT: Duration.Input = "30 seconds"

/**
 * A request's span: kind `client`, named after the TL method. No stack trace: it would only
 * ever point here, and capturing one costs on every request.
 */
const spanOptions = (method: string) =>
  ({
    kind: "client",
    attributes: { "rpc.system": "telegram-mtproto", "rpc.method": method },
    captureStackTrace: false
  }) as const

/** A request deadline, parsed once per layer: the duration and the message of its timeout. */
interface Deadline {
  readonly duration: Duration.Duration
  readonly message: string
}

const deadlineOf = (timeout: Duration.Input): Deadline => {
  const duration = Duration.fromInputUnsafe(timeout)
  return { duration, message: `no answer within ${Duration.format(duration)}` }
}

/**
 * Sends `f`'s request: GramJS's rejections are classified, and no answer within the deadline
 * is a `TransportError`. One path for every clock: the deadline is `Effect.timeoutOrElse` on
 * the fiber's `Clock`, so `TestClock` drives it in tests. GramJS cannot cancel a request, so
 * an interrupted or timed-out one is only abandoned (a late answer is ignored).
 */
const request = (
  method: string,
  deadline: Deadline,
  f: () => Promise<unknown>
): Effect.Effect<unknown, RpcFailure> =>
  Effect.timeoutOrElse(promise(method, f), {
    duration: deadline.duration,
    orElse: () => Effect.fail(new TransportError({ method, message: deadline.message }))
  })

/** Whether the fiber already runs in a span named `method` (e.g. the one `Phone` opens). */
const inSpanNamed = (fiber: Fiber.Fiber<unknown, unknown>, method: string): boolean => {
  const parent = Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
  return parent !== undefined && parent._tag === "Span" && parent.name === method
}

/** `effect` in a span named after the TL method, unless the caller already opened that span. */
const methodSpan = <A, E>(method: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.withFiber((fiber) =>
    inSpanNamed(fiber, method) ? effect : Effect.withSpan(effect, method, spanOptions(method))
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

const promise = <A>(method: string, f: () => Promise<A>): Effect.Effect<A, RpcFailure> =>
  Effect.tryPromise({ try: f, catch: (e) => classify(method, e) })

/**
 * The state a GramJS `UpdateConnectionState` event reports (`state`: 1 connected, -1
 * disconnected, 0 broken: the auth key was reset, so nothing gets through); `undefined` for
 * any other event.
 */
const connectionStateOf = (event: unknown): ConnectionState | undefined => {
  if (typeof event !== "object" || event === null || Codec.classNameOf(event) !== undefined) return undefined
  const state = (event as { state?: unknown }).state
  return state === 1 ? "Connected" : state === -1 || state === 0 ? "Disconnected" : undefined
}

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
 * The session string given to `layer` / `layerConfig` is not a GramJS `StringSession`.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionInvalid extends Schema.TaggedError<SessionInvalid>()("SessionInvalid", {
  message: Schema.String
}) {}

/**
 * Builds the `TelegramRpc` service (and the `GramJsClient` escape hatch) over a connected
 * client. Reads the account with `getMe()`, subscribes to the client's updates for the
 * lifetime of the scope, and never disconnects the client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function* (
  client: ClientLike,
  options?: MakeOptions | undefined
): Effect.fn.Return<
  { readonly rpc: TelegramRpc["Service"]; readonly raw: GramJsClient["Service"] },
  RpcFailure,
  Scope.Scope
> {
  const timeout = options?.requestTimeout ?? DEFAULT_TIMEOUT

  const me = yield* promise("users.getUsers", () => client.getMe()).pipe(
    withTimeout("users.getUsers", timeout),
    Effect.withSpan("users.getUsers", spanOptions("users.getUsers"))
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
    const decoded = Rpc.decodeUpdate(event)
    if (Result.isSuccess(decoded)) PubSub.publishUnsafe(hub, decoded.success)
  }
  const builder = new Raw({})
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
    Effect.withSpan(
      request(method, deadline, () => client.invoke(wire as never)),
      method,
      spanOptions(method)
    )

  const invoke = <M extends MethodName>(
    method: M,
    params: MethodParams<M>
  ): Effect.Effect<MethodResult<M>, RpcFailure> =>
    methodSpan(
      method,
      Effect.suspend(() => {
        const encoded = Rpc.encodeRequest(method, params)
        return Result.isFailure(encoded)
          ? Effect.fail(
              new TransportError({
                method,
                message: `not sent: ${encoded.failure.message}`,
                cause: encoded.failure
              })
            )
          : Effect.flatMap(
              request(method, deadline, () => client.invoke(encoded.success as never)),
              (wire) => decoded(method, wire)
            )
      })
    )

  const decoded = <M extends MethodName>(
    method: M,
    wire: unknown
  ): Effect.Effect<MethodResult<M>, TransportError> => {
    const result = Rpc.decodeResult(method, wire)
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
    const entity = typeof ref === "bigint" ? helpers.returnBigInt(ref) : ref
    return Effect.tryPromise({
      try: () => client.getInputEntity(entity as never),
      catch: (e) => (isEntityNotFound(e) ? notFound(ref) : classify("resolveUser", e))
    }).pipe(
      withTimeout("resolveUser", timeout),
      Effect.flatMap((input) => {
        const user = Rpc.inputUserFromEntity(input)
        return Result.isSuccess(user) ? Effect.succeed(user.success) : Effect.fail(notAUser())
      }),
      Effect.mapError((failure) => resolveFailure(ref, failure)),
      Effect.withSpan("resolveUser", spanOptions("resolveUser"))
    )
  }

  // `help.getConfig`: the call timeouts of the server's config
  const callConfig: Effect.Effect<CallConfig, RpcFailure> = Effect.flatMap(
    send("help.getConfig", new Api.help.GetConfig()),
    (config) =>
      config instanceof Api.Config
        ? Effect.succeed({
            callReceiveTimeoutMs: config.callReceiveTimeoutMs,
            callRingTimeoutMs: config.callRingTimeoutMs,
            callConnectTimeoutMs: config.callConnectTimeoutMs,
            callPacketTimeoutMs: config.callPacketTimeoutMs
          })
        : Effect.fail(
            new TransportError({ method: "help.getConfig", message: "unexpected result: expected Config" })
          )
  )

  const rpc = TelegramRpc.of({
    account,
    layer: GRAMJS_LAYER,
    invoke,
    resolveUser,
    subscribe: Effect.map(PubSub.subscribe(hub), (sub) => Stream.fromSubscription(sub)),
    connection: Effect.map(PubSub.subscribe(link), (sub) => Stream.fromSubscription(sub)),
    callConfig
  })

  const raw = GramJsClient.of({
    client: client as unknown as TelegramClientType,
    invokeRaw: (request) => {
      const name = Codec.classNameOf(request) ?? "unknown"
      return send(name, request).pipe(
        Effect.tap((result) => {
          if (
            Codec.classNameOf(result)?.startsWith("Updates") !== true &&
            Codec.classNameOf(result) !== "UpdateShort"
          )
            return Effect.void
          const decoded = Rpc.decodeUpdates(result)
          return Result.isSuccess(decoded) ? publishAll(decoded.success.updates) : Effect.void
        })
      )
    }
  })

  return { rpc, raw }
})

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

const toLayer = <E, R>(
  build: Effect.Effect<{ readonly rpc: TelegramRpc["Service"]; readonly raw: GramJsClient["Service"] }, E, R>
): Layer.Layer<TelegramRpc | GramJsClient, LayerError<E>, Exclude<R, Scope.Scope>> =>
  Layer.effectContext(
    build.pipe(
      Effect.mapError(asFailure),
      Effect.map(({ raw, rpc }) => Context.make(TelegramRpc, rpc).pipe(Context.add(GramJsClient, raw)))
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
export const layerFromClient = (
  client: TelegramClientType | ClientLike,
  options?: MakeOptions | undefined
): Layer.Layer<TelegramRpc | GramJsClient, RpcError | TransportFailure> =>
  toLayer(make(client as ClientLike, options))

/**
 * GramJS's TCP Full connection with Nagle's algorithm off (`TCP_NODELAY`). GramJS leaves it on,
 * and it writes an ack and the next request as separate packets: the second then waits for
 * the server's ACK of the first, which a server that has nothing to send delays by up to
 * 40 ms (Linux's delayed-ACK minimum). Each request of a handshake paid it over loopback.
 */
class NoDelayConnection extends ConnectionTCPFull {
  override async _connect(): Promise<void> {
    await super._connect()
    const socket = (this.socket as unknown as { client?: { setNoDelay?: (on: boolean) => unknown } }).client
    socket?.setNoDelay?.(true)
  }
}

/**
 * The GramJS client options this SDK uses: no flood sleeping, bounded retries, a quiet
 * logger, and (with `server`) a connection pinned to that address and port.
 */
const clientFor = (options: GramJsOptions): TelegramClient => {
  const text = Redacted.value(options.session)
  const session = new StringSession(text)
  // GramJS accepts some garbage (it decodes whatever base64 says) and would dial the "address"
  // it found: a non-empty session must name an IP address and carry a 256-byte auth key
  const key = (session as unknown as { _key?: Uint8Array })._key
  if (text !== "" && (isIP(session.serverAddress ?? "") === 0 || key?.length !== 256))
    throw new Error("its server address or auth key does not decode")
  const server = options.server
  const params: ConstructorParameters<typeof TelegramClient>[3] = {
    floodSleepThreshold: 0,
    requestRetries: 1,
    connectionRetries: options.connectionRetries ?? 2,
    baseLogger: new Logger(LogLevel.NONE)
  }
  if (server !== undefined) {
    // GramJS dials `session.serverAddress` on port 80 (443 with WSS) whatever the session
    // says: a connection subclass pins the port, and survives reconnects (GramJS rebuilds
    // connections through `connection.constructor`). The session keeps a port <= 32767,
    // or `StringSession.save()` throws.
    session.setDC(server.dcId, server.ip, 443)
    const { ip, port } = server
    class PinnedConnection extends NoDelayConnection {
      constructor(o: ConstructorParameters<typeof ConnectionTCPFull>[0]) {
        super({ ...o, ip, port })
      }
    }
    params.connection = PinnedConnection
  } else params.connection = NoDelayConnection
  const client = new TelegramClient(session, options.apiId, Redacted.value(options.apiHash), params)
  // GramJS starts its own ping loop on connect unless it believes one runs: `keepAlive` is ours
  ;(client as unknown as { _loopStarted: boolean })._loopStarted = true
  return client
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
export const layer = (
  options: GramJsOptions
): Layer.Layer<TelegramRpc | GramJsClient, RpcError | TransportFailure | SessionInvalid> =>
  toLayer(
    Effect.gen(function* () {
      const client = yield* Effect.acquireRelease(
        Effect.try({
          try: () => clientFor(options),
          // never GramJS's text or anything decoded from the session: it may hold key bytes
          catch: () =>
            new SessionInvalid({
              message: `TG_SESSION / session is not a GramJS StringSession (${Redacted.value(options.session).length} characters; expected "1" followed by the base64 of a DC id, a server address, a port and a 256-byte auth key)`
            })
        }).pipe(
          Effect.flatMap((client) =>
            connect(client, options).pipe(
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
const keepAlive = (client: TelegramClient): Effect.Effect<void> =>
  Effect.gen(function* () {
    const internals = client as unknown as {
      _destroyed?: boolean
      _sender?: {
        readonly isReconnecting?: boolean | undefined
        send(request: object): Promise<unknown>
        reconnect(): void
      }
    }
    const destroyed = () => internals._destroyed === true
    while (!destroyed()) {
      yield* Effect.sleep("9 seconds")
      const sender = internals._sender
      if (destroyed() || sender === undefined || sender.isReconnecting === true) continue
      const pingId = helpers.generateRandomLong(true)
      const answered = yield* Effect.tryPromise(() =>
        sender.send(new Api.PingDelayDisconnect({ pingId, disconnectDelay: 60 }))
      ).pipe(Effect.timeout("10 seconds"), Effect.isSuccess)
      const reconnecting = () => sender.isReconnecting === true
      if (!answered && !reconnecting() && !destroyed()) sender.reconnect()
    }
  })

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

/**
 * `client.connect()`, failing when it could not connect. GramJS does not reject then: it
 * reports the socket error to its error handler, retries, and resolves `false`; the last
 * error it reported is the cause.
 */
const connect = (client: TelegramClient, options: GramJsOptions): Effect.Effect<void, TransportError> =>
  Effect.suspend(() => {
    let last: unknown
    client.onError = async (error: unknown) => {
      last = error
    }
    const where = options.server === undefined ? "Telegram" : `${options.server.ip}:${options.server.port}`
    return promise("connect", () => client.connect()).pipe(
      Effect.mapError((e) =>
        e._tag === "TransportError" ? e : new TransportError({ method: "connect", message: e.type, cause: e })
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

const release = (client: TelegramClient): Effect.Effect<void> =>
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

/**
 * The configuration of `layerConfig` is missing or wrong: `message` names every variable at
 * fault at once (`TG_API_ID is not set; TG_SESSION is empty …`), `variables` lists them. It is
 * an `Error`, so even an unhandled `Effect.runPromise` rejection prints the message.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigInvalid extends Schema.TaggedError<ConfigInvalid>()("ConfigInvalid", {
  message: Schema.String,
  /** The variables at fault (`TG_API_ID`, …); empty when a custom `Config` failed elsewhere. */
  variables: Schema.Array(Schema.String)
}) {}

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

/** Checks every variable; all problems at once, or the options. */
const validate = (raw: RawVariables): Result.Result<GramJsOptions, ConfigInvalid> => {
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
  const session = required("TG_SESSION", "a GramJS StringSession of a logged-in account")
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
      new ConfigInvalid({
        message: `GramJs.layerConfig: ${problems.map((p) => p.problem).join("; ")}`,
        variables: [...new Set(problems.map((p) => p.variable))]
      })
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
export const config: Config.Config<GramJsOptions> = rawVariables.pipe(
  Config.mapEffect((raw) =>
    Result.match(validate(raw), {
      onSuccess: Effect.succeed,
      onFailure: (invalid) =>
        Effect.fail(
          new Config.ConfigError(new ConfigProvider.SourceError({ message: invalid.message, cause: invalid }))
        )
    })
  )
)

/** A `ConfigError` as the typed, printable `ConfigInvalid`. */
const toConfigInvalid = (error: Config.ConfigError): ConfigInvalid =>
  error.cause._tag === "SourceError" && error.cause.cause instanceof ConfigInvalid
    ? error.cause.cause
    : new ConfigInvalid({
        message: `GramJs.layerConfig: invalid configuration: ${error.message}`,
        variables: []
      })

/**
 * `layer` with its options read from configuration (by default `config`, the `TG_*`
 * environment variables). A missing or wrong variable fails the layer with `ConfigInvalid`,
 * whose message names every variable at fault.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<GramJsOptions> = config
): Layer.Layer<TelegramRpc | GramJsClient, RpcError | TransportFailure | SessionInvalid | ConfigInvalid> =>
  Layer.unwrap(
    Effect.gen(function* () {
      return layer(yield* Effect.mapError(options, toConfigInvalid))
    })
  )
