/**
 * @tgphone/testkit — an in-memory Telegram for phone calls, as Layers.
 *
 * @since 0.1.0
 */
export * as TestTelegram from "./TestTelegram.js"
export * as TestTelegramError from "./TestTelegramError.js"
