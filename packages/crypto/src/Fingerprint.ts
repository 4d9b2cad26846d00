/**
 * What both sides derive from the shared key and `g_a` to check the exchange (spec §4):
 * `g_a_hash`, the 64-bit `key_fingerprint`, and the four verification emoji.
 *
 * Plain functions over bytes (they cannot fail for byte input), each with a strict
 * variant that returns a `Result` and rejects keys that are not exactly 256 bytes, plus the
 * two constant-time verifications of the handshake, also as `Result`s (as noble returns
 * values; in `Effect.gen`, `yield* Effect.fromResult(...)`).
 *
 * @since 0.1.0
 */
import { sha1 } from "@noble/hashes/legacy.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { Redacted, Result } from "effect"
import { GAHashMismatch, KeyFingerprintMismatch, KeyLengthInvalid } from "./CryptoError.js"
import { EMOJIS } from "./generated/emojis.js"
import { concat, constantTimeEqual, normalize } from "./internal/bytes.js"

/**
 * The 333-entry emoji table (spec §4.4), index 0 first, exact code-point sequences.
 *
 * @since 0.1.0
 * @category constants
 */
export const emojiTable: ReadonlyArray<string> = EMOJIS

/**
 * `g_a_hash` = SHA-256 of exactly the given bytes (spec §4.1). Pass the bytes you send in
 * `phone.confirmCall.g_a` (our `KeyPair.publicValue`, the minimal big-endian encoding): the
 * hash commits to those bytes, not to the number.
 *
 * @example
 * ```ts
 * import { gAHash } from "@tgphone/crypto"
 *
 * gAHash(new Uint8Array([1, 2, 3])).length // 32
 * ```
 *
 * @since 0.1.0
 * @category hashing
 */
export const gAHash = (gA: Uint8Array): Uint8Array => sha256(gA)

/**
 * The key as the 256 bytes that get hashed: shorter input is read as a big-endian integer
 * and left-padded with zeros (a minimal encoding gives the same result as the padded one);
 * input with more than 256 significant bytes is not a key of this group and is hashed as is.
 */
const keyBytes = (key: Uint8Array): Uint8Array => normalize(key, 256) ?? key

/**
 * The 8 bytes of `key_fingerprint` as they appear on the wire: SHA1(key)[12..20] (spec §4.3).
 * The TL `long` is little-endian, so these are also its wire bytes.
 *
 * @since 0.1.0
 * @category hashing
 */
export const keyFingerprintBytes = (key: Uint8Array): Uint8Array => sha1(keyBytes(key)).slice(12, 20)

/**
 * `key_fingerprint` = SHA1(key)[12..20] read as a little-endian signed 64-bit integer
 * (spec §4.3; TDLib `as<int64>(sha1 + 12)`). Never big-endian, despite the doc's "lower 64
 * bits" wording.
 *
 * Assumes `key` is the 256-byte shared key (spec §4.2). A shorter key is treated as the
 * big-endian integer it encodes and left-padded to 256 bytes before hashing (so the
 * telegram-tt mistake of hashing an unpadded key cannot happen here); input with more than
 * 256 significant bytes is hashed as given. Use `keyFingerprintStrict` to reject any key
 * that is not exactly 256 bytes instead.
 *
 * @example
 * ```ts
 * import { keyFingerprint } from "@tgphone/crypto"
 *
 * typeof keyFingerprint(new Uint8Array(256)) // "bigint"
 * ```
 *
 * @since 0.1.0
 * @category hashing
 */
export const keyFingerprint = (key: Uint8Array): bigint => {
  const b = keyFingerprintBytes(key)
  return new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true)
}

/**
 * The four emoji indices (0..332) of spec §4.4: h = SHA256(key ‖ g_a); for i in 0..3,
 * v_i = big-endian uint64(h[8i..8i+8]) with the top bit cleared; index_i = v_i mod 333.
 * `key` is normalised as in `keyFingerprint`; `gA` is used exactly as given.
 *
 * @since 0.1.0
 * @category emoji
 */
export const emojiIndices = (key: Uint8Array, gA: Uint8Array): ReadonlyArray<number> => {
  const h = sha256(concat(keyBytes(key), gA))
  const view = new DataView(h.buffer, h.byteOffset, 32)
  const out: Array<number> = []
  for (let i = 0; i < 4; i++) {
    const v = view.getBigUint64(8 * i) & 0x7fffffffffffffffn
    out.push(Number(v % 333n))
  }
  return out
}

/**
 * The four verification emoji both users compare (spec §4.4), as exact code-point sequences
 * from `emojiTable`.
 *
 * Assumes `key` is the 256-byte shared key (shorter keys are left-padded, see
 * `keyFingerprint`) and `gA` is the **caller's** public value on both sides, as the bytes the
 * caller sent / the callee received (spec §8.2: the raw bytes agree with every caller; do not
 * re-encode or pad them).
 *
 * @example
 * ```ts
 * import { emojiFingerprint } from "@tgphone/crypto"
 *
 * emojiFingerprint(new Uint8Array(256), new Uint8Array([2])).length // 4
 * ```
 *
 * @since 0.1.0
 * @category emoji
 */
export const emojiFingerprint = (key: Uint8Array, gA: Uint8Array): ReadonlyArray<string> =>
  emojiIndices(key, gA).map((i) => EMOJIS[i]!)

const strictKey = (key: Uint8Array): Result.Result<Uint8Array, KeyLengthInvalid> =>
  key.length === 256 ? Result.succeed(key) : Result.fail(new KeyLengthInvalid({ length: key.length }))

/**
 * `keyFingerprint` that fails with `KeyLengthInvalid` unless `key` is exactly 256 bytes.
 *
 * @since 0.1.0
 * @category hashing
 */
export const keyFingerprintStrict = (key: Uint8Array): Result.Result<bigint, KeyLengthInvalid> =>
  Result.map(strictKey(key), keyFingerprint)

/**
 * `emojiFingerprint` that fails with `KeyLengthInvalid` unless `key` is exactly 256 bytes.
 *
 * @since 0.1.0
 * @category emoji
 */
export const emojiFingerprintStrict = (
  key: Uint8Array,
  gA: Uint8Array
): Result.Result<ReadonlyArray<string>, KeyLengthInvalid> =>
  Result.map(strictKey(key), (k) => emojiFingerprint(k, gA))

/**
 * The callee's check of spec §2 step 14: SHA-256 of the `g_a` bytes **as received** equals
 * the `g_a_hash` received in `phoneCallRequested`. Constant-time comparison. Fails with
 * `GAHashMismatch` (`reason: "length"` if `expectedHash` is not 32 bytes).
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Fingerprint, gAHash } from "@tgphone/crypto"
 *
 * const gA = new Uint8Array([1, 2, 3])
 * Result.isSuccess(Fingerprint.verifyGAHash(gA, gAHash(gA))) // true
 * ```
 *
 * @since 0.1.0
 * @category verification
 */
export const verifyGAHash = (
  gA: Uint8Array,
  expectedHash: Uint8Array
): Result.Result<void, GAHashMismatch> => {
  if (expectedHash.length !== 32) return Result.fail(new GAHashMismatch({ reason: "length" }))
  return constantTimeEqual(sha256(gA), expectedHash)
    ? Result.void
    : Result.fail(new GAHashMismatch({ reason: "mismatch" }))
}

/**
 * Checks a received `key_fingerprint` (the server's echo to the caller, or the caller's value
 * at the callee) against our key, given as bytes or as the `Redacted` key that
 * `KeyExchange.computeSharedKey` returns. Constant-time over the 8 wire bytes. Fails with
 * `KeyFingerprintMismatch`.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Fingerprint, keyFingerprint } from "@tgphone/crypto"
 *
 * const key = new Uint8Array(256).fill(7)
 * Result.isSuccess(Fingerprint.verifyKeyFingerprint(key, keyFingerprint(key))) // true
 * ```
 *
 * @since 0.1.0
 * @category verification
 */
export const verifyKeyFingerprint = (
  sharedKey: Uint8Array | Redacted.Redacted<Uint8Array>,
  fingerprint: bigint
): Result.Result<void, KeyFingerprintMismatch> => {
  const key = Redacted.isRedacted(sharedKey) ? Redacted.value(sharedKey) : sharedKey
  const ours = keyFingerprintBytes(key)
  const theirs = new Uint8Array(8)
  new DataView(theirs.buffer).setBigInt64(0, BigInt.asIntN(64, fingerprint), true)
  return constantTimeEqual(ours, theirs) && BigInt.asIntN(64, fingerprint) === fingerprint
    ? Result.void
    : Result.fail(new KeyFingerprintMismatch({ expected: fingerprint, actual: keyFingerprint(key) }))
}
