/**
 * The Diffie–Hellman steps of a 1:1 call (spec §2–§4): make our key pair, check a public
 * value, compute the 256-byte shared key.
 *
 * Encodings (spec §4.1, §8.1–8.3; reasoning in docs/security.md):
 * - we **send** the minimal big-endian encoding of g_a / g_b (`KeyPair.publicValue`), like
 *   TDLib, tdesktop and telegram-tt; `g_a_hash` is taken over exactly those bytes;
 * - we **accept** any unsigned big-endian encoding from peers: minimal, Android's 256-byte
 *   form with a leading 00, or zero-padded; at most 256 significant bytes;
 * - the shared key is always 256 bytes, left-padded with zeros.
 *
 * Range check (spec §3.2, [DOC-SEC] incl. the recommended bound, as TDLib does) on our own
 * value and on the peer's: `1 < x < p - 1` and `2^{2048-64} <= x <= p - 2^{2048-64}`.
 *
 * The pure steps (parsing, the range check, encoding) return a `Result`; the steps that need
 * the `ModExp` backend or `SecureRandom` return an `Effect`.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { DhGroup, KeyExchange, SecureRandom, gAHash, keyFingerprint } from "@tgphone/crypto"
 *
 * const program = Effect.gen(function*() {
 *   const group = yield* Effect.fromResult(DhGroup.telegram(3))
 *   const serverRandom = new Uint8Array(256) // messages.dhConfig.random
 *   const caller = yield* KeyExchange.generateKeyPair(group, serverRandom)
 *   const callee = yield* KeyExchange.generateKeyPair(group, serverRandom)
 *   const hash = gAHash(caller.publicValue) // phone.requestCall.g_a_hash
 *   const keyA = yield* KeyExchange.computeSharedKey(group, caller.secret, callee.publicValue)
 *   const keyB = yield* KeyExchange.computeSharedKey(group, callee.secret, caller.publicValue)
 *   return { hash, same: keyFingerprint(Redacted.value(keyA)) === keyFingerprint(Redacted.value(keyB)) }
 * }).pipe(Effect.provide(SecureRandom.layer))
 * ```
 *
 * @since 0.1.0
 */
import { type Brand, Effect, Redacted, Result } from "effect"
import {
  KeyGenerationFailed,
  PublicValueMalformed,
  PublicValueOutOfRange,
  type RandomLengthInvalid,
  SecretExponentInvalid
} from "./CryptoError.js"
import type { DhGroup } from "./DhGroup.js"
import { firstNonZero, normalize, toBigInt, toFixedBytes, toMinimalBytes } from "./internal/bytes.js"
import * as ModExp from "./ModExp.js"
import { SecureRandom } from "./SecureRandom.js"

/**
 * A secret exponent (`a` or `b`): exactly 256 bytes, big-endian, wrapped in `Redacted` so it
 * never reaches logs, `toString`, `JSON.stringify` or `util.inspect`. Only this module
 * creates one.
 *
 * @since 0.1.0
 * @category models
 */
export type SecretExponent = Brand.Branded<Redacted.Redacted<Uint8Array>, "@tgphone/crypto/SecretExponent">

/**
 * Our side of the exchange: the secret exponent and the public value to send.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyPair {
  /** The group the pair belongs to. */
  readonly group: DhGroup
  /** `a` (caller) or `b` (callee). Redacted. */
  readonly secret: SecretExponent
  /**
   * g^secret mod p as the **minimal** big-endian encoding: exactly the bytes to send in
   * `phone.acceptCall.g_b` / `phone.confirmCall.g_a`, and to hash for `g_a_hash`.
   */
  readonly publicValue: Uint8Array
}

const LOW = 1n << 1984n

/**
 * Reads a public value received from the peer (TL `bytes`) as an unsigned big-endian
 * integer of any length. Leading zero bytes are accepted (Android's 256-byte `00 ‖ g_a`);
 * empty input or more than 256 significant bytes fail with `PublicValueMalformed`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parsePublicValue = (bytes: Uint8Array): Result.Result<bigint, PublicValueMalformed> => {
  if (bytes.length === 0) return Result.fail(new PublicValueMalformed({ reason: "empty", length: 0 }))
  if (bytes.length - firstNonZero(bytes) > 256) {
    return Result.fail(new PublicValueMalformed({ reason: "too-long", length: bytes.length }))
  }
  return Result.succeed(toBigInt(bytes))
}

/**
 * The range check of spec §3.2 on a public value: `1 < x < p - 1` and
 * `2^{2048-64} <= x <= p - 2^{2048-64}`. `side` says whose value it is, for the error. A value
 * that is not a `bigint` at runtime (`NaN`, `"abc"`, reached from JavaScript) fails with
 * `PublicValueMalformed` (`"not-a-bigint"`) instead of slipping past the comparisons.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { DhGroup, KeyExchange } from "@tgphone/crypto"
 *
 * const group = Result.getOrThrow(DhGroup.telegram(3))
 * Result.isFailure(KeyExchange.checkPublicValue(group, 2n, "peer")) // true: below 2^1984
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const checkPublicValue = (
  group: DhGroup,
  x: bigint,
  side: "own" | "peer"
): Result.Result<void, PublicValueMalformed | PublicValueOutOfRange> => {
  if (typeof x !== "bigint")
    return Result.fail(new PublicValueMalformed({ reason: "not-a-bigint", length: 0 }))
  const p = group.p
  const bound =
    x <= 1n
      ? "greater-than-1"
      : x >= p - 1n
        ? "less-than-p-minus-1"
        : x < LOW
          ? "at-least-2^1984"
          : x > p - LOW
            ? "at-most-p-minus-2^1984"
            : undefined
  return bound === undefined ? Result.void : Result.fail(new PublicValueOutOfRange({ side, bound }))
}

/** The bounds of spec §3.2 as 256-byte big-endian values, per group (for the hot path). */
interface Bounds {
  readonly one: Uint8Array
  readonly pMinus1: Uint8Array
  readonly low: Uint8Array
  readonly high: Uint8Array
}
const boundsCache = new WeakMap<DhGroup, Bounds>()
const boundsOf = (group: DhGroup): Bounds => {
  let b = boundsCache.get(group)
  if (b === undefined) {
    b = {
      // all below p, which has 2048 bits
      one: toFixedBytes(1n, 256)!,
      pMinus1: toFixedBytes(group.p - 1n, 256)!,
      low: toFixedBytes(LOW, 256)!,
      high: toFixedBytes(group.p - LOW, 256)!
    }
    boundsCache.set(group, b)
  }
  return b
}

/** Big-endian comparison of two 256-byte values. */
const compare256 = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < 256; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return 0
}

/** `checkPublicValue` on a 256-byte big-endian value, without BigInt conversions. */
const boundOf256 = (group: DhGroup, x: Uint8Array): PublicValueOutOfRange["bound"] | undefined => {
  const b = boundsOf(group)
  return compare256(x, b.one) <= 0
    ? "greater-than-1"
    : compare256(x, b.pMinus1) >= 0
      ? "less-than-p-minus-1"
      : compare256(x, b.low) < 0
        ? "at-least-2^1984"
        : compare256(x, b.high) > 0
          ? "at-most-p-minus-2^1984"
          : undefined
}

/** Minimal encoding of a 256-byte value (a copy without leading zero bytes). */
const minimalOf256 = (x: Uint8Array): Uint8Array => x.slice(Math.min(firstNonZero(x), 255))

/**
 * Parses and range-checks a peer's public value in one step.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkPeerPublicValue = (
  group: DhGroup,
  bytes: Uint8Array
): Result.Result<bigint, PublicValueMalformed | PublicValueOutOfRange> =>
  Result.flatMap(parsePublicValue(bytes), (x) => Result.map(checkPublicValue(group, x, "peer"), () => x))

/**
 * The minimal big-endian encoding we send for a public value (no leading zero bytes; 0 is one
 * zero byte). Fails with `PublicValueMalformed` for a negative value (`"negative"`), one of more
 * than 256 bytes (`"too-long"`) or, from JavaScript, a value that is not a `bigint`. It does not
 * range-check: use `checkPublicValue` for that.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { KeyExchange } from "@tgphone/crypto"
 *
 * Result.getOrThrow(KeyExchange.encodePublicValue(0x1234n)) // Uint8Array [0x12, 0x34]
 * Result.isFailure(KeyExchange.encodePublicValue(-1n)) // true
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodePublicValue = (x: bigint): Result.Result<Uint8Array, PublicValueMalformed> => {
  if (typeof x !== "bigint")
    return Result.fail(new PublicValueMalformed({ reason: "not-a-bigint", length: 0 }))
  if (x < 0n) return Result.fail(new PublicValueMalformed({ reason: "negative", length: 0 }))
  const bytes = toMinimalBytes(x)
  return bytes.length > 256
    ? Result.fail(new PublicValueMalformed({ reason: "too-long", length: bytes.length }))
    : Result.succeed(bytes)
}

/**
 * Mixes the server's `messages.dhConfig.random` into 256 local random bytes (spec §3.3,
 * [DOC-E2E]): `out[i mod 256] ^= serverRandom[i]` for every byte of `serverRandom`. For the
 * usual 256 bytes (`random_length = 256`, what tdesktop and Android request) this is a plain
 * XOR, as in tdesktop and Android. A shorter `random` (e.g. empty, for `random_length = 0`)
 * only mixes into the first bytes; a longer one is folded in. Our 256 local bytes always come
 * from the CSPRNG, so the exponent never depends on the server alone.
 *
 * @since 0.1.0
 * @category key generation
 */
export const mixExponent = (local: Uint8Array, serverRandom: Uint8Array): Uint8Array => {
  const out = Uint8Array.from(local)
  for (let i = 0; i < serverRandom.length; i++) out[i % out.length]! ^= serverRandom[i]!
  return out
}

const wrapSecret = (exponent: Uint8Array): SecretExponent =>
  Redacted.make(exponent, { label: "SecretExponent" }) as SecretExponent

/**
 * The key pair for a given 256-byte exponent (read big-endian). For tests, vectors and
 * callers that derive exponents themselves; `generateKeyPair` is the normal way. Fails with
 * `SecretExponentInvalid` unless the exponent is 256 bytes, and with `PublicValueOutOfRange`
 * (`side: "own"`) if g^exponent fails the range check.
 *
 * @since 0.1.0
 * @category key generation
 */
export const keyPairFromExponent = (
  group: DhGroup,
  exponent: Uint8Array
): Effect.Effect<KeyPair, SecretExponentInvalid | PublicValueOutOfRange> =>
  Effect.gen(function* () {
    if (exponent.length !== 256) return yield* new SecretExponentInvalid({ length: exponent.length })
    const backend = yield* ModExp.ModExp
    const x = backend.powG(group, exponent)
    const bound = boundOf256(group, x)
    if (bound !== undefined) return yield* new PublicValueOutOfRange({ side: "own", bound })
    return { group, secret: wrapSecret(Uint8Array.from(exponent)), publicValue: minimalOf256(x) }
  })

/**
 * How many exponents `generateKeyPair` draws before giving up with `KeyGenerationFailed`.
 *
 * @since 0.1.0
 * @category key generation
 */
export const MAX_ATTEMPTS = 32

/**
 * Generates our key pair (spec §3.3, tdesktop behaviour): 256 bytes from `SecureRandom`,
 * mixed with the server's `random` (`mixExponent`), read big-endian as the exponent; redrawn
 * until g^exponent passes the range check of spec §3.2 (a redraw happens with probability
 * about 2^-62). Fails with `KeyGenerationFailed` when the random source is broken: after
 * `MAX_ATTEMPTS` draws (`"out-of-range"`), when it returns anything but 256 bytes
 * (`"wrong-length"`), or when it refuses the request (`"source-failed"`).
 *
 * @since 0.1.0
 * @category key generation
 */
export const generateKeyPair = (
  group: DhGroup,
  serverRandom: Uint8Array
): Effect.Effect<KeyPair, KeyGenerationFailed, SecureRandom> =>
  Effect.gen(function* () {
    const random = yield* SecureRandom
    const backend = yield* ModExp.ModExp
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const local = yield* random
        .nextBytes(256)
        .pipe(
          Effect.catchTag("RandomLengthInvalid", (_: RandomLengthInvalid) =>
            Effect.fail(new KeyGenerationFailed({ reason: "source-failed", attempts: attempt + 1 }))
          )
        )
      if (!(local instanceof Uint8Array) || local.length !== 256) {
        const received = local instanceof Uint8Array ? local.length : 0
        return yield* new KeyGenerationFailed({ reason: "wrong-length", attempts: attempt + 1, received })
      }
      const exponent = mixExponent(local, serverRandom)
      const x = backend.powG(group, exponent)
      if (boundOf256(group, x) === undefined)
        return { group, secret: wrapSecret(exponent), publicValue: minimalOf256(x) }
    }
    return yield* new KeyGenerationFailed({ reason: "out-of-range", attempts: MAX_ATTEMPTS })
  })

/**
 * The shared key `peer^secret mod p` (spec §4.2) as exactly 256 bytes, left-padded,
 * `Redacted`. The peer's value is parsed (`parsePublicValue`) and range-checked first.
 *
 * @since 0.1.0
 * @category key agreement
 */
export const computeSharedKey = (
  group: DhGroup,
  secret: SecretExponent,
  peerPublic: Uint8Array
): Effect.Effect<Redacted.Redacted<Uint8Array>, PublicValueMalformed | PublicValueOutOfRange> =>
  Effect.gen(function* () {
    if (peerPublic.length === 0) return yield* new PublicValueMalformed({ reason: "empty", length: 0 })
    const peer = normalize(peerPublic, 256)
    if (peer === undefined)
      return yield* new PublicValueMalformed({ reason: "too-long", length: peerPublic.length })
    const bound = boundOf256(group, peer)
    if (bound !== undefined) return yield* new PublicValueOutOfRange({ side: "peer", bound })
    const backend = yield* ModExp.ModExp
    const key = backend.powBase(group, Redacted.value(secret), peer)
    return Redacted.make(key, { label: "SharedKey" })
  })
