/**
 * Byte ↔ integer helpers for the fixed 2048-bit group (private).
 *
 * Encodings follow docs/security.md: integers are unsigned big-endian; "fixed" means
 * left-padded to exactly `length` bytes; "minimal" means no leading zero bytes.
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js"

/** Unsigned big-endian bytes of any length → bigint (empty → 0n). */
export const toBigInt = (bytes: Uint8Array): bigint =>
  bytes.length === 0 ? 0n : BigInt(`0x${bytesToHex(bytes)}`)

/** Number of bits of a non-negative bigint. */
export const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length)

/** `n` as exactly `length` big-endian bytes, left-padded with zeros. Caller guarantees it fits. */
export const toFixedBytes = (n: bigint, length: number): Uint8Array => {
  const hex = n.toString(16).padStart(length * 2, "0")
  return hexToBytes(hex.length > length * 2 ? hex.slice(hex.length - length * 2) : hex)
}

/** `n` as minimal big-endian bytes (no leading zero byte; 0 → one zero byte). */
export const toMinimalBytes = (n: bigint): Uint8Array => {
  const hex = n.toString(16)
  return hexToBytes(hex.length % 2 === 1 ? `0${hex}` : hex)
}

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
 * differ). Used for `g_a_hash` and fingerprint checks.
 */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** Concatenation of byte arrays. */
export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export { bytesToHex, hexToBytes }
