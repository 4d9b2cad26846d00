/**
 * The model's primitives: how TL's `long`, `int`, `bytes` and `int256` are carried, and the
 * `phoneCallProtocol` of `@tgphone/crypto` (which owns the protocol rules). The generated
 * Schemas (`generated/Model.ts`) are built from them; `Model` re-exports them.
 *
 * @since 0.1.0
 */
import { PhoneCallProtocol } from "@tgphone/crypto"
import { Schema } from "effect"

export { PhoneCallProtocol }

/**
 * A TL `long`: a signed 64-bit integer, always a `bigint`.
 *
 * @since 0.1.0
 * @category primitives
 */
export const Long = Schema.BigInt.check(
  Schema.isBetweenBigInt({ minimum: -(2n ** 63n), maximum: 2n ** 63n - 1n })
)

/**
 * A TL `int`: a signed 32-bit integer.
 *
 * @since 0.1.0
 * @category primitives
 */
export const Int32 = Schema.Int.check(Schema.isBetween({ minimum: -(2 ** 31), maximum: 2 ** 31 - 1 }))

/**
 * TL `bytes`.
 *
 * @since 0.1.0
 * @category primitives
 */
export const Bytes = Schema.Uint8Array

/**
 * A TL `int256` (such as a conference participant's public key): its 32 bytes as they go on the
 * wire (little-endian).
 *
 * @since 0.1.0
 * @category primitives
 */
export const Int256 = Schema.Uint8Array.check(
  Schema.isBetweenLength(32, 32, { message: "Expected an int256: exactly 32 bytes" })
)
