/**
 * `DhGroup`: a Diffie–Hellman group (p, g, version) from `messages.dhConfig`, validated as the
 * MTProto security guidelines require (spec §3.1, [DOC-SEC], [DOC-E2E], TDLib
 * `DhHandshake::check_config`):
 *
 * 1. p is a 2048-bit number: 2^2047 < p < 2^2048.
 * 2. g is within 2..7 and satisfies its quadratic-residue condition on p (table below). This
 *    check always runs, also for Telegram's known prime, so g = 2, 5 and 6 are rejected for
 *    it, as TDLib does (tdesktop and current Android accept the known prime with any g in
 *    2..7; docs/security.md §1).
 * 3. p is a safe prime: p and (p-1)/2 are prime. Telegram's known prime is recognised by
 *    value and not tested; any other prime is tested once per process (Miller–Rabin, or
 *    OpenSSL's test on the native backend) and the verdict cached.
 *
 * | g | condition on p      |
 * |---|---------------------|
 * | 2 | p mod 8 = 7         |
 * | 3 | p mod 3 = 2         |
 * | 4 | none                |
 * | 5 | p mod 5 ∈ {1, 4}    |
 * | 6 | p mod 24 ∈ {19, 23} |
 * | 7 | p mod 7 ∈ {3, 5, 6} |
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import { DhGeneratorInvalid, DhPrimeInvalid } from "./CryptoError.js"
import { bitLength, bytesToHex, hexToBytes, toBigInt, toFixedBytes } from "./internal/bytes.js"
import * as ModExp from "./ModExp.js"

/**
 * Telegram's current 2048-bit safe prime (`dh_prime` of [DOC-SEC]), big-endian hex. The same
 * constant is built into TDLib `DhCache.cpp`, tdesktop `mtproto_dh_utils.cpp` and Android
 * `Utilities.java` (spec §3.1).
 *
 * @since 0.1.0
 * @category constants
 */
export const TELEGRAM_PRIME_HEX =
  "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f" +
  "48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c37" +
  "20fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64" +
  "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4" +
  "a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754" +
  "fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4" +
  "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f" +
  "0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b"

const TELEGRAM_PRIME = BigInt(`0x${TELEGRAM_PRIME_HEX}`)

/**
 * Telegram's known prime as 256 big-endian bytes (a fresh copy on every call).
 *
 * @since 0.1.0
 * @category constants
 */
export const telegramPrime = (): Uint8Array => hexToBytes(TELEGRAM_PRIME_HEX)

/**
 * The input of `make`: the fields of `messages.dhConfig` (core's `DhConfig` fits as is).
 *
 * @since 0.1.0
 * @category models
 */
export interface DhConfigInput {
  readonly g: number
  readonly p: Uint8Array
  readonly version: number
}

/**
 * A validated Diffie–Hellman group. Only `make` creates one, so holding a `DhGroup` means
 * every check of spec §3.1 passed.
 *
 * @since 0.1.0
 * @category models
 */
export class DhGroup implements ModExp.GroupParams {
  /** p as exactly 256 big-endian bytes. */
  readonly prime: Uint8Array
  /** @internal */
  private constructor(
    /** p as a bigint. */
    readonly p: bigint,
    /** The generator g (2..7). */
    readonly g: number,
    /** `messages.dhConfig.version`, to send back as `getDhConfig.version`. */
    readonly version: number,
    /** Whether p is Telegram's known prime (no primality test was needed). */
    readonly isKnownPrime: boolean
  ) {
    // p has 2048 bits: `make` checked it before calling the constructor
    this.prime = toFixedBytes(p, 256)!
  }
  /** @internal */
  static unsafeMake(p: bigint, g: number, version: number, isKnownPrime: boolean): DhGroup {
    return new DhGroup(p, g, version, isKnownPrime)
  }
  /** Short description without the 600-digit prime. */
  toString(): string {
    return `DhGroup(g=${this.g}, version=${this.version}, p=${bytesToHex(this.prime).slice(0, 16)}…)`
  }
  /** JSON form: p as hex. */
  toJSON(): unknown {
    return { _id: "DhGroup", g: this.g, version: this.version, p: bytesToHex(this.prime) }
  }
}

/** The quadratic-residue condition of spec §3.1 for g, as [modulus, allowed residues]. */
const CONDITIONS: Readonly<Record<number, readonly [bigint, ReadonlyArray<bigint>] | undefined>> = {
  2: [8n, [7n]],
  3: [3n, [2n]],
  4: undefined,
  5: [5n, [1n, 4n]],
  6: [24n, [19n, 23n]],
  7: [7n, [3n, 5n, 6n]]
}

const describeCondition = (g: number): string => {
  const c = CONDITIONS[g]
  if (c === undefined) return "none"
  const [m, ok] = c
  return ok.length === 1 ? `p mod ${m} = ${ok[0]}` : `p mod ${m} ∈ {${ok.join(", ")}}`
}

/**
 * Checks g against p (spec §3.1): g within 2..7 (an integer; `NaN`, `2.5` or a non-number fail
 * as out of range) and its quadratic-residue condition.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { DhGroup } from "@tgphone/crypto"
 *
 * const p = BigInt(`0x${DhGroup.TELEGRAM_PRIME_HEX}`)
 * Result.isSuccess(DhGroup.checkGenerator(3, p)) // true
 * Result.isFailure(DhGroup.checkGenerator(5, p)) // true: p mod 5 = 3
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const checkGenerator = (g: number, p: bigint): Result.Result<void, DhGeneratorInvalid> => {
  if (typeof g !== "number" || !Number.isInteger(g) || g < 2 || g > 7) {
    return Result.fail(
      new DhGeneratorInvalid({
        g: typeof g === "number" ? g : Number.NaN,
        reason: "out-of-range",
        condition: ""
      })
    )
  }
  const c = CONDITIONS[g]
  if (c !== undefined && !c[1].includes(p % c[0])) {
    return Result.fail(
      new DhGeneratorInvalid({ g, reason: "not-quadratic-residue", condition: describeCondition(g) })
    )
  }
  return Result.void
}

/** Primality verdicts per distinct p (hex), once per process. */
const verdicts = new Map<string, "safe" | "not-prime" | "not-safe-prime">()

const safePrimeVerdict = (p: bigint, backend: ModExp.Backend): "safe" | "not-prime" | "not-safe-prime" => {
  const key = p.toString(16)
  const cached = verdicts.get(key)
  if (cached !== undefined) return cached
  const verdict = !backend.isProbablePrime(p)
    ? "not-prime"
    : !backend.isProbablePrime((p - 1n) >> 1n)
      ? "not-safe-prime"
      : "safe"
  if (verdicts.size >= 64) verdicts.delete(verdicts.keys().next().value!)
  verdicts.set(key, verdict)
  return verdict
}

/**
 * Validates a `messages.dhConfig` and returns the group. Checks, in order: p is bytes (at
 * runtime, for JavaScript callers) and 2048-bit,
 * g is within 2..7 and fits p, p is a safe prime (skipped for Telegram's known prime; cached
 * per process for others). The primality test uses the `ModExp` backend.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DhGroup } from "@tgphone/crypto"
 *
 * const group = DhGroup.make({ g: 3, p: DhGroup.telegramPrime(), version: 1 })
 * // Effect<DhGroup, DhPrimeInvalid | DhGeneratorInvalid>
 * Effect.runSync(group).isKnownPrime // true
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: DhConfigInput): Effect.Effect<DhGroup, DhPrimeInvalid | DhGeneratorInvalid> =>
  Effect.gen(function* () {
    if (typeof config !== "object" || config === null || !(config.p instanceof Uint8Array))
      return yield* new DhPrimeInvalid({ reason: "not-bytes", bitLength: 0 })
    const p = toBigInt(config.p)
    const bits = bitLength(p)
    if (bits !== 2048) return yield* new DhPrimeInvalid({ reason: "not-2048-bit", bitLength: bits })
    yield* Effect.fromResult(checkGenerator(config.g, p))
    const known = p === TELEGRAM_PRIME
    if (!known) {
      const backend = yield* ModExp.ModExp
      const verdict = safePrimeVerdict(p, backend)
      if (verdict !== "safe") return yield* new DhPrimeInvalid({ reason: verdict, bitLength: bits })
    }
    return DhGroup.unsafeMake(p, config.g, config.version, known)
  })

/**
 * The group of Telegram's known prime with generator `g` (3, 4 or 7 pass; others fail the
 * quadratic-residue check). Handy for tests and for callers that cached a config. A plain
 * `Result`: the known prime needs no primality test, so no `ModExp` backend is involved.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { DhGroup } from "@tgphone/crypto"
 *
 * Result.getOrThrow(DhGroup.telegram(3)).isKnownPrime // true
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const telegram = (g: number, version = 0): Result.Result<DhGroup, DhGeneratorInvalid> =>
  Result.map(checkGenerator(g, TELEGRAM_PRIME), () => DhGroup.unsafeMake(TELEGRAM_PRIME, g, version, true))
