/**
 * The Diffie–Hellman group the in-memory server hands out in `messages.getDhConfig`, and its
 * `g_a_hash` check: both facts come from @tgphone/crypto (Telegram's known 2048-bit prime,
 * `DhGroup.telegramPrime`; SHA-256 over the received g_a, `Fingerprint.verifyGAHash`).
 */
import { DhGroup, Fingerprint } from "@tgphone/crypto"
import { Result } from "effect"

/** The known prime as 256 big-endian bytes (a fresh copy each call). */
export const knownPrimeBytes = (): Uint8Array => DhGroup.telegramPrime()

/**
 * The generator the world pairs with the known prime. For this prime only g ∈ {3, 4, 7} passes
 * `DhGroup.checkGenerator` (the quadratic-residue condition); the world uses 3.
 */
export const generator = 3

/** The largest `random_length` the world serves (bytes). */
export const maxRandomLength = 256

/** Whether SHA-256 of `gA`, exactly as received, is the `g_a_hash` the caller committed to. */
export const gAHashMatches = (gA: Uint8Array, gAHash: Uint8Array): boolean =>
  Result.isSuccess(Fingerprint.verifyGAHash(gA, gAHash))
