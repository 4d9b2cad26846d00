/**
 * @tgphone/core — Telegram's phone.* API as Effects.
 *
 * @since 0.1.0
 */

/**
 * The typed errors of `Phone.*` and the classifier `fromRpcFailure`.
 *
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"
export * as Model from "./Model.js"
/**
 * One function per phone method, with Schema-decoded input and typed errors.
 *
 * @since 0.1.0
 */
export * as Phone from "./Phone.js"
export * as RpcMethods from "./RpcMethods.js"
export * as TelegramRpc from "./TelegramRpc.js"
