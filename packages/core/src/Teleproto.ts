/**
 * The teleproto (`teleproto` on npm, GramJS's maintained fork, 1.229 = TL layer 229) live layer
 * of `TelegramRpc`. Import it from `@tgphone/core/Teleproto`; `teleproto` is an optional peer
 * dependency, and neither this module nor the root `@tgphone/core` loads `telegram`.
 *
 * The same shape and guarantees as `@tgphone/core/GramJs`, from the same generic layer
 * (`internal/gramjs/live.ts`) with teleproto's classes and the schema-driven codec over its
 * `Api` (so `phone.requestCall` goes out as layer 229's `#42ff96ed`):
 *
 * - `layerFromClient(client)`: adopt a `TelegramClient` you already connected (it is not
 *   disconnected when the layer is released).
 * - `layer(options)` / `layerConfig(config)`: build, connect and own a client from an api id,
 *   api hash and a teleproto `StringSession` (all secrets `Redacted`), optionally pinned to a
 *   server (`{ ip, port, dcId }`). Released: `disconnect()` + `destroy()`; the keep-alive ping
 *   is a fiber of the layer; the sockets have Nagle's algorithm off.
 *
 * Every request runs in a span named after its TL method, times out after `requestTimeout`
 * (default 30 s) with a `TransportError`, and fails with errors classified by
 * `classifyTeleprotoError`. teleproto never sleeps on flood waits here
 * (`floodSleepThreshold: 0`). `TelegramRpc.connection` follows its connection-state events.
 *
 * @since 0.1.0
 */
import type { Config, Duration, Effect, Layer, Redacted, Scope } from "effect"
import { Context, Schema } from "effect"
import { Api, errors, helpers, TelegramClient, type TelegramClient as TelegramClientType } from "teleproto"
import { Raw } from "teleproto/events/index.js"
import { Logger, LogLevel } from "teleproto/extensions/Logger.js"
import { ConnectionTCPFull } from "teleproto/network/index.js"
import { StringSession } from "teleproto/sessions/index.js"
import { LAYER as TELEPROTO_LAYER } from "teleproto/tl/index.js"
import type { TransportFailure } from "./Errors.js"
import type { ErrorsModule } from "./internal/gramjs/answers.js"
import { makeClassifier } from "./internal/gramjs/classify.js"
import { makeCodec } from "./internal/gramjs/codec.js"
import * as Live from "./internal/gramjs/live.js"
import { liveCodecs } from "./internal/gramjs/liveCodecs.js"
import type { RpcError, RpcFailure, TelegramRpc } from "./TelegramRpc.js"

/**
 * Turns anything teleproto failed with into a seam error. teleproto keeps the server's raw TL
 * text in `errorMessage` on every error class it builds (`FloodWaitError` included), so an
 * `rpc_error` becomes `RpcError{code, type: errorMessage}` (`FLOOD_WAIT_7`, code 420;
 * `FLOOD_PREMIUM_WAIT_7` stays distinct); everything else (socket errors, disconnects)
 * becomes `TransportError`. The code is the class's own for the errors teleproto has a class
 * for (400 for a `USER_PRIVACY_RESTRICTED` the server sent as 403): the live layer's requests
 * take the server's code and text from the answer itself instead, and use this only for what
 * got none.
 *
 * @since 0.1.0
 * @category errors
 */
export const classifyTeleprotoError: (method: string, error: unknown) => RpcFailure = makeClassifier(
  () => undefined
)

/**
 * The teleproto client behind the live `TelegramRpc`, for what the registry does not model.
 * Backend-specific: code using it depends on teleproto.
 *
 * @since 0.1.0
 * @category services
 */
export class TeleprotoClient extends Context.Service<
  TeleprotoClient,
  {
    /** The client itself. */
    readonly client: TelegramClientType
    /**
     * Sends any teleproto `Api` request (with the same timeout, span and error classification
     * as `invoke`) and returns teleproto's own result object, unconverted.
     */
    readonly invokeRaw: (request: object) => Effect.Effect<unknown, RpcFailure>
  }
>()("@tgphone/core/Teleproto/TeleprotoClient") {}

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
export interface TeleprotoOptions extends MakeOptions {
  readonly apiId: number
  readonly apiHash: Redacted.Redacted<string>
  /** A teleproto `StringSession` string. */
  readonly session: Redacted.Redacted<string>
  /**
   * Pin the server: teleproto dials this address and port whatever the session says. For test
   * servers on 127.0.0.1.
   */
  readonly server?: { readonly ip: string; readonly port: number; readonly dcId: number } | undefined
  /** Connection attempts before `connect` fails (default 2). */
  readonly connectionRetries?: number | undefined
  /** How long connecting may take (default: `requestTimeout`). */
  readonly connectTimeout?: Duration.Input | undefined
}

/**
 * The session string given to `layer` / `layerConfig` is not a teleproto `StringSession`.
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

/** What the generic live layer needs from teleproto. */
const teleproto: Live.Library<TelegramClientType, SessionInvalid, ConfigInvalid> = {
  name: "teleproto",
  module: "Teleproto",
  layer: TELEPROTO_LAYER,
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
  afterConnect: async (client) => {
    // teleproto's ping loop (replaced by the layer's keep-alive) would start its update
    // manager, which drops every update until it runs and reads the update state
    const manager = (client as unknown as { updateManager: { start(): void; ensureState(): Promise<void> } })
      .updateManager
    manager.start()
    await manager.ensureState()
  },
  classify: classifyTeleprotoError,
  errors: errors as unknown as ErrorsModule,
  codec: liveCodecs(makeCodec({ Api, layer: TELEPROTO_LAYER, returnBigInt: (n) => helpers.returnBigInt(n) })),
  sessionInvalid: (message) => new SessionInvalid({ message }),
  configInvalid: (message, variables) => new ConfigInvalid({ message, variables }),
  isConfigInvalid: (u): u is ConfigInvalid => u instanceof ConfigInvalid
}

const live = Live.makeLive(teleproto, TeleprotoClient)

/**
 * Builds the `TelegramRpc` service (and the `TeleprotoClient` escape hatch) over a connected
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
  { readonly rpc: TelegramRpc["Service"]; readonly raw: TeleprotoClient["Service"] },
  RpcFailure,
  Scope.Scope
> = live.make

/**
 * `TelegramRpc` (and `TeleprotoClient`) over a client the caller already connected and owns;
 * releasing the layer removes the update handler but leaves the client connected.
 *
 * @example
 * ```ts
 * import * as Teleproto from "@tgphone/core/Teleproto"
 *
 * // a teleproto `TelegramClient`, already connected and logged in
 * declare const client: Parameters<typeof Teleproto.layerFromClient>[0]
 * const TelegramLive = Teleproto.layerFromClient(client, { requestTimeout: "10 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromClient: (
  client: TelegramClientType | ClientLike,
  options?: MakeOptions | undefined
) => Layer.Layer<TelegramRpc | TeleprotoClient, RpcError | TransportFailure> = live.layerFromClient

/**
 * `TelegramRpc` (and `TeleprotoClient`) over a client this layer creates: connects on acquire,
 * `disconnect()` + `destroy()` on release.
 *
 * @example
 * ```ts
 * import * as Teleproto from "@tgphone/core/Teleproto"
 * import { Redacted } from "effect"
 *
 * const TelegramLive = Teleproto.layer({
 *   apiId: 12345,
 *   apiHash: Redacted.make("0123456789abcdef"),
 *   session: Redacted.make("1AgAOMTQ5LjE1NC4x…"), // a teleproto StringSession
 *   server: { ip: "127.0.0.1", port: 4444, dcId: 2 } // optional: pin a (test) server
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options: TeleprotoOptions
) => Layer.Layer<TelegramRpc | TeleprotoClient, RpcError | TransportFailure | SessionInvalid> = live.layer

/**
 * The environment configuration of `layerConfig`, the same `TG_*` variables as
 * `GramJs.config`: `TG_API_ID`, `TG_API_HASH`, `TG_SESSION` (required, non-empty), and
 * optionally `TG_SERVER_IP` + `TG_SERVER_PORT` (+ `TG_DC_ID`, default 2) and
 * `TG_REQUEST_TIMEOUT` (a positive duration, default 30 seconds). Every variable is checked
 * before it fails, so the message names all the wrong ones at once.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<TeleprotoOptions> = live.config

/**
 * `layer` with its options read from configuration (by default `config`, the `TG_*`
 * environment variables). A missing or wrong variable fails the layer with `ConfigInvalid`,
 * whose message names every variable at fault.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: (
  options?: Config.Config<TeleprotoOptions>
) => Layer.Layer<
  TelegramRpc | TeleprotoClient,
  RpcError | TransportFailure | SessionInvalid | ConfigInvalid
> = live.layerConfig
