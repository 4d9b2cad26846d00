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
 * The module is the public codecs plus the GramJS instance of the live layer, which is generic
 * over a GramJS-family client library (`internal/gramjs/live.ts`).
 *
 * @since 0.1.0
 */
import type { Config, Duration, Effect, Layer, Redacted, Result, Scope } from "effect"
import { Context, Schema } from "effect"
import { Api, errors, helpers, TelegramClient, type TelegramClient as TelegramClientType } from "telegram"
import { Raw } from "telegram/events/index.js"
import { Logger, LogLevel } from "telegram/extensions/Logger.js"
import { ConnectionTCPFull } from "telegram/network/index.js"
import { StringSession } from "telegram/sessions/index.js"
import { LAYER as GRAMJS_LAYER } from "telegram/tl/AllTLObjects.js"
import type { TransportFailure } from "./Errors.js"
import type { ErrorsModule } from "./internal/gramjs/answers.js"
import * as Codec from "./internal/gramjs/codec.js"
import { classifyGramJsError as classify } from "./internal/gramjs/errors.js"
import * as Live from "./internal/gramjs/live.js"
import * as Rpc from "./internal/gramjs/rpc.js"
import type * as Model from "./Model.js"
import type { MethodName, MethodParams, MethodResult } from "./RpcMethods.js"
import type { RpcError, RpcFailure, TelegramRpc } from "./TelegramRpc.js"

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
// the live layer (the GramJS instance of `internal/gramjs/live.ts`)
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

/** What the generic live layer needs from GramJS. */
const gramjs: Live.Library<TelegramClientType, SessionInvalid, ConfigInvalid> = {
  name: "GramJS",
  module: "GramJs",
  layer: GRAMJS_LAYER,
  newClient: (session, apiId, apiHash, params) =>
    new TelegramClient(
      session as StringSession,
      apiId,
      apiHash,
      params as ConstructorParameters<typeof TelegramClient>[3]
    ),
  newSession: (text) => new StringSession(text),
  ConnectionTCPFull: ConnectionTCPFull as unknown as Live.ConnectionClass,
  silentLogger: () => new Logger(LogLevel.NONE),
  rawEvents: () => new Raw({}),
  ...Live.familyRequests(Api, helpers),
  afterConnect: () => Promise.resolve(),
  classify,
  errors: errors as unknown as ErrorsModule,
  codec: {
    encodeRequest: Rpc.encodeRequest,
    decodeResult: Rpc.decodeResult,
    decodeUpdate: Rpc.decodeUpdate,
    decodeUpdates: Rpc.decodeUpdates,
    inputUserFromEntity: Rpc.inputUserFromEntity,
    isModelledUpdate: Codec.isModelledUpdate,
    classNameOf: Codec.classNameOf,
    toBigInt: Codec.toBigInt
  },
  sessionInvalid: (message) => new SessionInvalid({ message }),
  configInvalid: (message, variables) => new ConfigInvalid({ message, variables }),
  isConfigInvalid: (u): u is ConfigInvalid => u instanceof ConfigInvalid
}

const live = Live.makeLive(gramjs, GramJsClient)

/**
 * Builds the `TelegramRpc` service (and the `GramJsClient` escape hatch) over a connected
 * client. Reads the account with `getMe()`, subscribes to the client's updates (and its
 * connection states) for the lifetime of the scope, and never disconnects the client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  client: ClientLike,
  options?: MakeOptions | undefined
) => Effect.Effect<
  { readonly rpc: TelegramRpc["Service"]; readonly raw: GramJsClient["Service"] },
  RpcFailure,
  Scope.Scope
> = live.make

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
export const layerFromClient: (
  client: TelegramClientType | ClientLike,
  options?: MakeOptions | undefined
) => Layer.Layer<TelegramRpc | GramJsClient, RpcError | TransportFailure> = live.layerFromClient

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
export const layer: (
  options: GramJsOptions
) => Layer.Layer<TelegramRpc | GramJsClient, RpcError | TransportFailure | SessionInvalid> = live.layer

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
export const config: Config.Config<GramJsOptions> = live.config

/**
 * `layer` with its options read from configuration (by default `config`, the `TG_*`
 * environment variables). A missing or wrong variable fails the layer with `ConfigInvalid`,
 * whose message names every variable at fault.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: (
  options?: Config.Config<GramJsOptions>
) => Layer.Layer<TelegramRpc | GramJsClient, RpcError | TransportFailure | SessionInvalid | ConfigInvalid> =
  live.layerConfig
