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
import { Context, Effect, Layer } from "effect"
import { concat } from "./internal/bytes.js"

/**
 * A source of cryptographically secure random bytes.
 *
 * @since 0.1.0
 * @category services
 */
export class SecureRandom extends Context.Service<
  SecureRandom,
  {
    /** `length` fresh random bytes. */
    readonly nextBytes: (length: number) => Effect.Effect<Uint8Array>
  }
>()("@tgphone/crypto/SecureRandom") {}

/**
 * The platform CSPRNG (`crypto.getRandomValues`, available on Node ≥ 19, Bun, Deno and
 * browsers).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SecureRandom> = Layer.succeed(SecureRandom, {
  nextBytes: (length) => Effect.sync(() => randomBytes(length))
})

/**
 * A deterministic stream for tests: block i is SHA-256(seed ‖ "/" ‖ i as 8 bytes, big-endian),
 * concatenated and consumed in order. The same seed always yields the same bytes, within one
 * layer instance. Never use it outside tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (seed: string | Uint8Array): Layer.Layer<SecureRandom> =>
  Layer.sync(SecureRandom, () => {
    const seedBytes = concat(typeof seed === "string" ? utf8ToBytes(seed) : seed, utf8ToBytes("/"))
    let counter = 0n
    let buffer: Uint8Array = new Uint8Array(0)
    const block = () => {
      const c = new Uint8Array(8)
      new DataView(c.buffer).setBigUint64(0, counter++)
      return sha256(concat(seedBytes, c))
    }
    return {
      nextBytes: (length) =>
        Effect.sync(() => {
          while (buffer.length < length) buffer = concat(buffer, block())
          const out = buffer.slice(0, length)
          buffer = buffer.slice(length)
          return out
        })
    }
  })

/**
 * `length` bytes from the `SecureRandom` service.
 *
 * @since 0.1.0
 * @category accessors
 */
export const nextBytes = (length: number): Effect.Effect<Uint8Array, never, SecureRandom> =>
  SecureRandom.use((r) => r.nextBytes(length))
