/**
 * The typed failures of the key exchange. Each check of the MTProto security guidelines
 * ([DOC-SEC], spec §3) has its own tagged error, so callers can `Effect.catchTag` exactly
 * the check they care about, and every message says which bound or rule failed (in the
 * style of mtcute: "g_a is not within (2^{2048-64}, dh_prime - 2^{2048-64})").
 *
 * Errors of `PhoneCallProtocol` rules live in the `Protocol` module.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * `dh_prime` failed a check of spec §3.1: it is not a 2048-bit number (2^2047 < p < 2^2048),
 * not a (probable) prime, or not a safe prime ((p-1)/2 not prime); or, from JavaScript past
 * the types, the config is not an object or its `p` is not a `Uint8Array` (`"not-bytes"`).
 *
 * @since 0.1.0
 * @category errors
 */
export class DhPrimeInvalid extends Schema.TaggedError<DhPrimeInvalid>()("DhPrimeInvalid", {
  reason: Schema.Literals(["not-bytes", "not-2048-bit", "not-prime", "not-safe-prime"]),
  /** Bit length of the received p. */
  bitLength: Schema.Int
}) {
  override get message(): string {
    const messages = {
      "not-bytes": "dh_prime is not a Uint8Array",
      "not-2048-bit": `dh_prime is not a 2048-bit number (2^2047 < p < 2^2048); it has ${this.bitLength} bits`,
      "not-prime": "dh_prime is not prime",
      "not-safe-prime": "dh_prime is not a safe prime: (dh_prime - 1) / 2 is not prime"
    }
    return messages[this.reason]
  }
}

/**
 * `g` failed a check of spec §3.1: outside 2..7, or not a quadratic residue mod p (the
 * per-g condition on p: g=2 → p mod 8 = 7, g=3 → p mod 3 = 2, g=5 → p mod 5 ∈ {1,4},
 * g=6 → p mod 24 ∈ {19,23}, g=7 → p mod 7 ∈ {3,5,6}; g=4 has none).
 *
 * @since 0.1.0
 * @category errors
 */
export class DhGeneratorInvalid extends Schema.TaggedError<DhGeneratorInvalid>()("DhGeneratorInvalid", {
  g: Schema.Number,
  reason: Schema.Literals(["out-of-range", "not-quadratic-residue"]),
  /** The condition on p that g requires, e.g. "p mod 8 = 7" (empty for out-of-range). */
  condition: Schema.String
}) {
  override get message(): string {
    return this.reason === "out-of-range"
      ? `g = ${this.g} is not within 2..7`
      : `g = ${this.g} is not a quadratic residue mod dh_prime (requires ${this.condition})`
  }
}

/**
 * A public value (`g_a` / `g_b`) is not an unsigned integer of at most 256 significant bytes:
 * received bytes that are empty or longer (`"empty"`, `"too-long"`), a negative number given
 * to `encodePublicValue` (`"negative"`), or, from JavaScript past the types, a number that is
 * not a `bigint` (`"not-a-bigint"`, e.g. `NaN` or `"abc"`).
 *
 * @since 0.1.0
 * @category errors
 */
export class PublicValueMalformed extends Schema.TaggedError<PublicValueMalformed>()("PublicValueMalformed", {
  reason: Schema.Literals(["empty", "too-long", "negative", "not-a-bigint"]),
  /** Length in bytes of what was received (0 when it was not bytes). */
  length: Schema.Int
}) {
  override get message(): string {
    const messages = {
      empty: "public value is empty",
      "too-long": `public value has more than 256 significant bytes (${this.length} bytes received)`,
      negative: "public value is negative",
      "not-a-bigint": "public value is not a bigint"
    }
    return messages[this.reason]
  }
}

/**
 * A public value (ours or the peer's) failed the range check of spec §3.2 / [DOC-SEC]:
 * `1 < x < p - 1` and `2^{2048-64} <= x <= p - 2^{2048-64}`. `bound` names the violated
 * bound.
 *
 * @since 0.1.0
 * @category errors
 */
export class PublicValueOutOfRange extends Schema.TaggedError<PublicValueOutOfRange>()(
  "PublicValueOutOfRange",
  {
    /** `"own"` for the value we generated, `"peer"` for the value received. */
    side: Schema.Literals(["own", "peer"]),
    bound: Schema.Literals([
      "greater-than-1",
      "less-than-p-minus-1",
      "at-least-2^1984",
      "at-most-p-minus-2^1984"
    ])
  }
) {
  override get message(): string {
    const name = this.side === "own" ? "our public value" : "the peer's public value"
    const range = `${name} is not within [2^{2048-64}, dh_prime - 2^{2048-64}]`
    const messages = {
      "greater-than-1": `${name} is not greater than 1`,
      "less-than-p-minus-1": `${name} is not less than dh_prime - 1`,
      "at-least-2^1984": `${range}: it is below 2^{2048-64}`,
      "at-most-p-minus-2^1984": `${range}: it is above dh_prime - 2^{2048-64}`
    }
    return messages[this.bound]
  }
}

/**
 * The callee's check of step 14 failed: SHA-256 of the `g_a` bytes received in `phoneCall`
 * differs from the `g_a_hash` received earlier in `phoneCallRequested` (TDLib: "g_a_hash
 * mismatch"). `reason` is `"length"` when the stored hash is not 32 bytes.
 *
 * @since 0.1.0
 * @category errors
 */
export class GAHashMismatch extends Schema.TaggedError<GAHashMismatch>()("GAHashMismatch", {
  reason: Schema.Literals(["mismatch", "length"])
}) {
  override get message(): string {
    return this.reason === "length"
      ? "g_a_hash is not 32 bytes long"
      : "g_a_hash mismatch: SHA256(g_a) differs from the g_a_hash the caller committed to"
  }
}

/**
 * The `key_fingerprint` the other side (or the server echo) sent differs from ours
 * (TDLib: "Key fingerprints mismatch"). Fingerprints are public values, so both are kept.
 *
 * @since 0.1.0
 * @category errors
 */
export class KeyFingerprintMismatch extends Schema.TaggedError<KeyFingerprintMismatch>()(
  "KeyFingerprintMismatch",
  {
    expected: Schema.BigInt,
    actual: Schema.BigInt
  }
) {
  override get message(): string {
    return `Key fingerprints mismatch: expected ${this.expected}, computed ${this.actual}`
  }
}

/**
 * A secret exponent supplied by the caller is not exactly 256 bytes.
 *
 * @since 0.1.0
 * @category errors
 */
export class SecretExponentInvalid extends Schema.TaggedError<SecretExponentInvalid>()(
  "SecretExponentInvalid",
  {
    length: Schema.Int
  }
) {
  override get message(): string {
    return `secret exponent must be exactly 256 bytes, got ${this.length}`
  }
}

/**
 * The shared key given to a strict fingerprint function is not exactly 256 bytes (spec §4.2).
 *
 * @since 0.1.0
 * @category errors
 */
export class KeyLengthInvalid extends Schema.TaggedError<KeyLengthInvalid>()("KeyLengthInvalid", {
  length: Schema.Int
}) {
  override get message(): string {
    return `shared key must be exactly 256 bytes, got ${this.length}`
  }
}

/**
 * Key-pair generation could not make a key pair because the `SecureRandom` service is broken:
 *
 * - `"out-of-range"`: `attempts` exponents were drawn and none gave a public value inside the
 *   range of spec §3.2. With a working CSPRNG the chance of even one redraw is about 2^-62
 *   (e.g. constant output);
 * - `"wrong-length"`: the service answered a request for 256 bytes with `received` bytes;
 * - `"source-failed"`: the service refused the 256-byte request (`RandomLengthInvalid`).
 *
 * @since 0.1.0
 * @category errors
 */
export class KeyGenerationFailed extends Schema.TaggedError<KeyGenerationFailed>()("KeyGenerationFailed", {
  reason: Schema.Literals(["out-of-range", "wrong-length", "source-failed"]),
  attempts: Schema.Int,
  /** For `"wrong-length"`: how many bytes the service returned. */
  received: Schema.optionalKey(Schema.Int)
}) {
  override get message(): string {
    const messages = {
      "out-of-range": `no valid public value after ${this.attempts} random exponents; the random source looks broken`,
      "wrong-length": `SecureRandom returned ${this.received} bytes for a request of 256; the random source is broken`,
      "source-failed": "SecureRandom refused a request for 256 bytes; the random source is broken"
    }
    return messages[this.reason]
  }
}

/**
 * `SecureRandom.nextBytes` was asked for a length that is not an integer from 0 to
 * `SecureRandom.MAX_LENGTH` (16 MiB): negative, fractional, `NaN`, infinite, too large, or
 * (from JavaScript) not a number. `length` is the request as text.
 *
 * @since 0.1.0
 * @category errors
 */
export class RandomLengthInvalid extends Schema.TaggedError<RandomLengthInvalid>()("RandomLengthInvalid", {
  reason: Schema.Literals(["not-an-integer", "negative", "too-large"]),
  length: Schema.String,
  /** The largest length a request may have. */
  max: Schema.Int
}) {
  override get message(): string {
    const messages = {
      "not-an-integer": `random length must be an integer, got ${this.length}`,
      negative: `random length must not be negative, got ${this.length}`,
      "too-large": `random length must be at most ${this.max} bytes, got ${this.length}`
    }
    return messages[this.reason]
  }
}
