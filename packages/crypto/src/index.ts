/**
 * @tgphone/crypto — the end-to-end key exchange of Telegram 1:1 calls.
 *
 * @since 0.1.0
 */
export * from "./Protocol.js"
