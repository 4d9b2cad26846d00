/**
 * Errors of the test kit's own API (building a world, scheduling faults), as opposed to the
 * Telegram errors the world answers requests with (those are the seam's `RpcError`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A test-kit call was given something the world cannot use: a user or chat handle from another
 * world, a username that is already taken, a negative count.
 *
 * @since 0.1.0
 * @category errors
 */
export class TestTelegramError extends Schema.TaggedError<TestTelegramError>()("TestTelegramError", {
  operation: Schema.String,
  message: Schema.String
}) {}
