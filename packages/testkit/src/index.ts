/**
 * @tgphone/testkit — an in-memory Telegram for phone calls, as Layers, and a loopback MTProto
 * server for unmodified GramJS clients.
 *
 * @since 0.1.0
 */

/**
 * A real MTProto 2.0 server on 127.0.0.1 for stock GramJS clients.
 *
 * @since 0.1.0
 */
export * as LoopbackServer from "./LoopbackServer.js"
/**
 * The in-memory world: users, chats, calls, faults; `layerFor(user)` provides `TelegramRpc`.
 *
 * @since 0.1.0
 */
export * as TestTelegram from "./TestTelegram.js"
/**
 * Errors of the test kit's own API.
 *
 * @since 0.1.0
 */
export * as TestTelegramError from "./TestTelegramError.js"
