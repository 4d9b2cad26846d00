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
/**
 * The 1:1 call handshake: outgoing and incoming calls ending in a verified `ActiveCall`.
 *
 * @since 0.1.0
 */
export * as PhoneCalls from "./PhoneCalls.js"
export * as RpcMethods from "./RpcMethods.js"
export * as TelegramRpc from "./TelegramRpc.js"
