/**
 * @tgphone/crypto — the end-to-end key exchange of Telegram 1:1 calls: DH group checks, key
 * pairs, the shared key, `g_a_hash`, `key_fingerprint`, the verification emoji, the
 * `PhoneCallProtocol` rules and the encryption of signalling data with the call key.
 *
 * @since 0.1.0
 */

/**
 * Typed failures of the key exchange.
 *
 * @since 0.1.0
 */
export * as CryptoError from "./CryptoError.js"
/**
 * Validated Diffie–Hellman groups from `messages.dhConfig`.
 *
 * @since 0.1.0
 */
export * as DhGroup from "./DhGroup.js"
/**
 * `g_a_hash`, `key_fingerprint`, emoji, and their verifications.
 *
 * @since 0.1.0
 */
export * as Fingerprint from "./Fingerprint.js"
export { emojiFingerprint, gAHash, keyFingerprint } from "./Fingerprint.js"
/**
 * Key pairs, public-value checks and the shared key.
 *
 * @since 0.1.0
 */
export * as KeyExchange from "./KeyExchange.js"
/**
 * The modular-arithmetic backends (OpenSSL via node:crypto, portable BigInt).
 *
 * @since 0.1.0
 */
export * as ModExp from "./ModExp.js"
/**
 * `PhoneCallProtocol` presets, validation and negotiation.
 *
 * @since 0.1.0
 */
export * as Protocol from "./Protocol.js"
export { PhoneCallProtocol } from "./Protocol.js"
/**
 * The source of secret randomness.
 *
 * @since 0.1.0
 */
export * as SecureRandom from "./SecureRandom.js"
/**
 * Signalling-data encryption with the call key (spec §6): KDF, packets, replay window.
 *
 * @since 0.1.0
 */
export * as Signaling from "./Signaling.js"
