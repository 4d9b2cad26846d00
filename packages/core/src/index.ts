/**
 * @tgphone/core — Telegram's phone.* API as Effects.
 *
 * @since 0.1.0
 */
export * as Model from "./Model.js"
export * as RpcMethods from "./RpcMethods.js"
export * as TelegramRpc from "./TelegramRpc.js"
