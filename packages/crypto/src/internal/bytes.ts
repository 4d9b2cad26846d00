/**
 * Byte ↔ integer helpers for the fixed 2048-bit group (private).
 *
 * The conversions are noble's (`@noble/curves/utils`, `@noble/hashes/utils`); this module only
 * adds what noble does not have (left-padding received bytes, skipping leading zeros) and makes
 * the fixed-width encoding total: a value that does not fit is `undefined`, never truncated.
 *
 * Encodings follow docs/security.md: integers are unsigned big-endian; "fixed" means
 * left-padded to exactly `length` bytes; "minimal" means no leading zero bytes.
 */
import {
  bitLen,
  bytesToNumberBE,
  equalBytes,
  numberToBytesBE,
  numberToVarBytesBE
} from "@noble/curves/utils.js"
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js"

/** Unsigned big-endian bytes of any length → bigint (empty → 0n). */
export const toBigInt = (bytes: Uint8Array): bigint => bytesToNumberBE(bytes)

/** Number of bits of a non-negative bigint. */
export const bitLength = (n: bigint): number => bitLen(n)

/**
 * `n` as exactly `length` big-endian bytes, left-padded with zeros; `undefined` when `n` is
 * negative or needs more than `length` bytes (noble's `numberToBytesBE` would throw), or when
 * `length` is not a positive integer.
 */
export const toFixedBytes = (n: bigint, length: number): Uint8Array | undefined =>
  Number.isSafeInteger(length) && length > 0 && n >= 0n && bitLen(n) <= 8 * length
    ? numberToBytesBE(n, length)
    : undefined

/** A non-negative `n` as minimal big-endian bytes (no leading zero byte; 0 → one zero byte). */
export const toMinimalBytes = (n: bigint): Uint8Array => numberToVarBytesBE(n)

/** Index of the first non-zero byte (= `bytes.length` when all bytes are zero). */
export const firstNonZero = (bytes: Uint8Array): number => {
  let i = 0
  while (i < bytes.length && bytes[i] === 0) i++
  return i
}

/** Left-pads (or strips leading zeros from) `bytes` to `length` bytes when the value fits. */
export const normalize = (bytes: Uint8Array, length: number): Uint8Array | undefined => {
  const start = firstNonZero(bytes)
  const significant = bytes.length - start
  if (significant > length) return undefined
  if (bytes.length === length) return bytes
  const out = new Uint8Array(length)
  out.set(bytes.subarray(start), length - significant)
  return out
}

/**
 * Compares two byte arrays in time that depends only on their lengths (never on where they
 * differ): noble's `equalBytes`. Used for `g_a_hash` and fingerprint checks.
 */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => equalBytes(a, b)

/** Concatenation of byte arrays (noble's `concatBytes`). */
export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => concatBytes(...parts)

export { bytesToHex, hexToBytes }
