/**
 * The seam between tgphone and MTProto. Every request goes through one service,
 * `TelegramRpc`: the GramJS live layer (`GramJs`) implements it over a real client, and
 * `@tgphone/testkit` implements it over an in-memory Telegram. Application code and `Phone`
 * only ever see this interface.
 *
 * @since 0.1.0
 */
import { Context, type Effect, Schema, type Scope, type Stream } from "effect"
import type { InputUser, Update } from "./Model.js"
import type { MethodName, MethodParams, MethodResult } from "./RpcMethods.js"

/**
 * An error the server answered with (`rpc_error`), not yet classified: its numeric `code`
 * and its raw `type` text (`"CALL_PEER_INVALID"`, `"FLOOD_WAIT_7"`). `Phone` turns it into
 * the method's tagged error.
 *
 * @since 0.1.0
 * @category errors
 */
export class RpcError extends Schema.TaggedError<RpcError>()("RpcError", {
  method: Schema.String,
  code: Schema.Int,
  type: Schema.String
}) {}

/**
 * The request did not get an answer from the server: the connection failed, was closed, or
 * the backend gave up. Nothing is known about whether the server acted on it.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  method: Schema.String,
  message: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {}

/**
 * What the seam can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type RpcFailure = RpcError | TransportError

/**
 * Who this service speaks for.
 *
 * @since 0.1.0
 * @category models
 */
export interface Account {
  readonly userId: bigint
  readonly isBot: boolean
}

/**
 * How an application names a user: a user id (as `bigint`), a `@username` or username, a
 * phone number starting with `+`, or an already resolved `InputUser`.
 *
 * @since 0.1.0
 * @category models
 */
export type UserRef = bigint | string | InputUser

/**
 * The service every request goes through.
 *
 * @since 0.1.0
 * @category services
 */
export class TelegramRpc extends Context.Service<
  TelegramRpc,
  {
    /** Who this account is; read once when the layer is built. */
    readonly account: Account
    /** Sends one request and returns its result, or the server's error unclassified. */
    readonly invoke: <M extends MethodName>(
      method: M,
      params: MethodParams<M>
    ) => Effect.Effect<MethodResult<M>, RpcFailure>
    /** Turns a user id, username or phone number into an `InputUser` with its access hash. */
    readonly resolveUser: (ref: UserRef) => Effect.Effect<InputUser, RpcFailure>
    /**
     * Subscribes to this account's updates, pushed or carried in RPC results. The subscription
     * is live when this effect returns: every update that arrives afterwards is in the returned
     * stream, however late the stream starts running (nothing needs to wait or yield for it).
     * Each subscriber sees every update; the subscription ends when its scope closes.
     */
    readonly subscribe: Effect.Effect<Stream.Stream<Update>, never, Scope.Scope>
    /**
     * The call timeouts of the server's config (`help.getConfig`: `call_receive_timeout_ms`,
     * `call_ring_timeout_ms`, `call_connect_timeout_ms`, `call_packet_timeout_ms`), which
     * `PhoneCalls` follows. A backend without a server config answers with its own values.
     */
    readonly callConfig: Effect.Effect<CallConfig, RpcFailure>
  }
>()("@tgphone/core/TelegramRpc") {}

/**
 * The call timeouts of the server's config, in milliseconds.
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
