/**
 * `SecureRandom`: where secret exponents come from. The live layer reads the platform CSPRNG
 * (`crypto.getRandomValues` through `@noble/hashes`); the test layer is a deterministic
 * stream seeded by the caller. Effect's `Random` is never used for key material: it is a
 * seeded PRNG, not a CSPRNG.
 *
 * @since 0.1.0
 */
import { sha256 } from "@noble/hashes/sha2.js"
import { randomBytes, utf8ToBytes } from "@noble/hashes/utils.js"
import { Context, Effect, Layer, Result } from "effect"
import { RandomLengthInvalid } from "./CryptoError.js"
import { concat } from "./internal/bytes.js"

/**
 * The largest length `nextBytes` serves: 16 MiB (2^24 bytes). Secret exponents take 256
 * bytes; a request far beyond this bound is a bug, refused with `RandomLengthInvalid`
 * instead of an allocation failure.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_LENGTH = 2 ** 24

/**
 * Checks a requested length: an integer from 0 to `MAX_LENGTH` (a `number` at runtime too),
 * returned unchanged.
 * Every layer here runs it first; custom implementations of the service may use it too.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { SecureRandom } from "@tgphone/crypto"
 *
 * Result.isFailure(SecureRandom.checkLength(-1)) // true
 * Result.getOrThrow(SecureRandom.checkLength(256)) // 256
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const checkLength = (length: number): Result.Result<number, RandomLengthInvalid> => {
  const reason =
    typeof length !== "number" || !Number.isInteger(length)
      ? "not-an-integer"
      : length < 0
        ? "negative"
        : length > MAX_LENGTH
          ? "too-large"
          : undefined
  return reason === undefined
    ? Result.succeed(length)
    : Result.fail(new RandomLengthInvalid({ reason, length: describeLength(length), max: MAX_LENGTH }))
}

/** The request as text for the error, without calling anything on it (it may be hostile). */
const describeLength = (length: unknown): string => {
  switch (typeof length) {
    case "string":
      return JSON.stringify(length.slice(0, 32))
    case "bigint":
      return `${length}n`
    case "number":
    case "boolean":
    case "undefined":
      return String(length)
    default:
      return length === null ? "null" : `a value of type ${typeof length}`
  }
}

/**
 * A source of cryptographically secure random bytes.
 *
 * @since 0.1.0
 * @category services
 */
export class SecureRandom extends Context.Service<
  SecureRandom,
  {
    /**
     * `length` fresh random bytes, exactly `length` of them; fails with `RandomLengthInvalid`
     * unless `length` is an integer from 0 to `MAX_LENGTH`.
     */
    readonly nextBytes: (length: number) => Effect.Effect<Uint8Array, RandomLengthInvalid>
  }
>()("@tgphone/crypto/SecureRandom") {}

/** `crypto.getRandomValues` serves at most 65,536 bytes per call (Web Crypto §10.1.1). */
const GET_RANDOM_VALUES_LIMIT = 65_536

/**
 * The platform CSPRNG (`crypto.getRandomValues` through `@noble/hashes`, available on Node ≥ 19,
 * Bun, Deno and browsers). Requests above getRandomValues' 65,536-byte limit are served in
 * chunks, so every valid length works.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SecureRandom> = Layer.succeed(SecureRandom, {
  nextBytes: (length) => {
    const checked = checkLength(length)
    if (Result.isFailure(checked)) return Effect.fail(checked.failure)
    return Effect.sync(() => {
      if (length <= GET_RANDOM_VALUES_LIMIT) return randomBytes(length)
      const out = new Uint8Array(length)
      for (let offset = 0; offset < length; offset += GET_RANDOM_VALUES_LIMIT)
        out.set(randomBytes(Math.min(GET_RANDOM_VALUES_LIMIT, length - offset)), offset)
      return out
    })
  }
})

/**
 * A deterministic stream for tests: block i is SHA-256(seed ‖ "/" ‖ i as 8 bytes, big-endian),
 * concatenated and consumed in order (in time linear in the bytes served). The same seed
 * always yields the same bytes, within one layer instance. Never use it outside tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (seed: string | Uint8Array): Layer.Layer<SecureRandom> =>
  Layer.sync(SecureRandom, () => {
    const seedBytes = concat(typeof seed === "string" ? utf8ToBytes(seed) : seed, utf8ToBytes("/"))
    const input = new Uint8Array(seedBytes.length + 8)
    input.set(seedBytes)
    const counterView = new DataView(input.buffer, seedBytes.length, 8)
    let counter = 0n
    // the unread tail of the last block
    let rest: Uint8Array = new Uint8Array(0)
    const block = () => {
      counterView.setBigUint64(0, counter++)
      return sha256(input)
    }
    return {
      nextBytes: (length) => {
        const checked = checkLength(length)
        if (Result.isFailure(checked)) return Effect.fail(checked.failure)
        return Effect.sync(() => {
          const out = new Uint8Array(length)
          let filled = Math.min(rest.length, length)
          out.set(rest.subarray(0, filled))
          rest = rest.subarray(filled)
          while (filled < length) {
            const b = block()
            const take = Math.min(b.length, length - filled)
            out.set(b.subarray(0, take), filled)
            rest = b.subarray(take)
            filled += take
          }
          return out
        })
      }
    }
  })

/**
 * `length` bytes from the `SecureRandom` service (`RandomLengthInvalid` unless `length` is an
 * integer from 0 to `MAX_LENGTH`).
 *
 * @since 0.1.0
 * @category accessors
 */
export const nextBytes = (length: number): Effect.Effect<Uint8Array, RandomLengthInvalid, SecureRandom> =>
  SecureRandom.use((r) => r.nextBytes(length))
