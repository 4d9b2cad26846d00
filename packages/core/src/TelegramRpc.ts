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
 * Resolving a user reference (`resolveUser`) found nobody: the step that failed was the
 * resolution, before any request that needed the user was sent. `ref` is the reference as
 * given (`"@nobody"`, `"+15550000"`, an id as decimal text) and `reason` the server's answer:
 * `USERNAME_NOT_OCCUPIED`, `USERNAME_INVALID`, `PHONE_NOT_OCCUPIED`, `USER_ID_INVALID` (an id
 * this account has never seen, so it has no access hash for it), …
 *
 * @since 0.1.0
 * @category errors
 */
export class UserNotFound extends Schema.TaggedError<UserNotFound>()("UserNotFound", {
  ref: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `resolving the user ${this.ref} failed: ${this.reason} (nothing was sent)`
  }
  /** Always `false`: the reference names nobody. */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * The server answers that mean "no such user" when a reference is resolved.
 *
 * @since 0.1.0
 * @category errors
 */
export const userNotFoundTypes: ReadonlySet<string> = new Set([
  "USERNAME_NOT_OCCUPIED",
  "USERNAME_INVALID",
  "PHONE_NOT_OCCUPIED",
  "PHONE_NUMBER_INVALID",
  "USER_ID_INVALID"
])

/**
 * What `resolveUser` can fail with: `UserNotFound`, or the seam's failures (a transport
 * failure, another server error).
 *
 * @since 0.1.0
 * @category errors
 */
export type ResolveFailure = UserNotFound | RpcFailure

/**
 * Turns what resolving `ref` failed with into `UserNotFound` when the server said the user does
 * not exist (`userNotFoundTypes`); anything else is returned unchanged.
 *
 * @example
 * ```ts
 * import { TelegramRpc } from "@tgphone/core"
 *
 * const e = TelegramRpc.resolveFailure(
 *   "@nobody",
 *   new TelegramRpc.RpcError({ method: "contacts.resolveUsername", code: 400, type: "USERNAME_NOT_OCCUPIED" })
 * )
 * // e._tag === "UserNotFound", e.reason === "USERNAME_NOT_OCCUPIED"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const resolveFailure = (ref: UserRef, failure: RpcFailure): ResolveFailure =>
  failure._tag === "RpcError" && userNotFoundTypes.has(failure.type)
    ? new UserNotFound({ ref: refText(ref), reason: failure.type })
    : failure

const refText = (ref: UserRef): string =>
  typeof ref === "bigint"
    ? ref.toString()
    : typeof ref === "string"
      ? ref
      : ref._tag === "InputUser"
        ? `user ${ref.userId}`
        : "self"

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
    /**
     * The TL layer this backend speaks (GramJS: 198). `Phone.*` fails a method the layer lacks
     * with `MethodNotInLayer` at once, without a round trip.
     */
    readonly layer: number
    /** Sends one request and returns its result, or the server's error unclassified. */
    readonly invoke: <M extends MethodName>(
      method: M,
      params: MethodParams<M>
    ) => Effect.Effect<MethodResult<M>, RpcFailure>
    /**
     * Turns a user id, username or phone number into an `InputUser` with its access hash;
     * `UserNotFound` when the server says nobody has it.
     */
    readonly resolveUser: (ref: UserRef) => Effect.Effect<InputUser, ResolveFailure>
    /**
     * Subscribes to this account's updates, pushed or carried in RPC results. The subscription
     * is live when this effect returns: every update that arrives afterwards is in the returned
     * stream, however late the stream starts running (nothing needs to wait or yield for it).
     * Each subscriber sees every update; the subscription ends when its scope closes.
     */
    readonly subscribe: Effect.Effect<Stream.Stream<Update>, never, Scope.Scope>
    /**
     * Subscribes to the state of the transport (the connection to the server). Like `subscribe`,
     * the subscription is live when this effect returns: the stream starts with the state at
     * that moment, then carries every change (a state may repeat). It ends when its scope
     * closes. `PhoneCalls` ends an active call whose transport stays `"Disconnected"` longer than
     * the call's connect timeout.
     */
    readonly connection: Effect.Effect<Stream.Stream<ConnectionState>, never, Scope.Scope>
    /**
     * The call timeouts of the server's config (`help.getConfig`: `call_receive_timeout_ms`,
     * `call_ring_timeout_ms`, `call_connect_timeout_ms`, `call_packet_timeout_ms`), which
     * `PhoneCalls` follows. A backend without a server config answers with its own values.
     */
    readonly callConfig: Effect.Effect<CallConfig, RpcFailure>
  }
>()("@tgphone/core/TelegramRpc") {}

/**
 * The state of a backend's transport: `"Connected"` while requests can reach the server,
 * `"Disconnected"` while the connection is lost (the backend may be reconnecting; requests wait
 * or fail with `TransportError`).
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionState = "Connected" | "Disconnected"

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
