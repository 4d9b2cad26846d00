/**
 * The modular arithmetic behind the key exchange, with two interchangeable backends that give
 * byte-identical results (both are tested against the same vectors):
 *
 * - `native`: OpenSSL through `node:crypto` (`createDiffieHellman` + `setPrivateKey` +
 *   `generateKeys` / `computeSecret`, and `checkPrimeSync`). Constant-time exponentiation,
 *   ~6x faster than BigInt. Available on Node (and runtimes that implement
 *   `process.getBuiltinModule("node:crypto")`).
 * - `portable`: JavaScript BigInt (fixed-base table for g^x, windowed exponentiation for
 *   peer^x, Miller–Rabin for primality). Runs anywhere; not constant-time.
 *
 * The `ModExp` reference picks `native` when `node:crypto` can be loaded (probed lazily on
 * first use, never at import) and `portable` otherwise. Override it with
 * `Effect.provideService(ModExp.ModExp, ModExp.portable)` or the `layer*` values.
 *
 * @since 0.1.0
 */
import type * as NodeCrypto from "node:crypto"
import { pow as nobleModPow } from "@noble/curves/abstract/modular.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { randomBytes } from "@noble/hashes/utils.js"
import { Context, Layer, Option } from "effect"
import * as BigIntMath from "./internal/bigintMath.js"
import { bytesToHex, concat, firstNonZero, toBigInt, toFixedBytes, toMinimalBytes } from "./internal/bytes.js"

/**
 * The group parameters a backend needs: p as 256 big-endian bytes and as a bigint, and g.
 * A validated `DhGroup` satisfies this interface.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupParams {
  readonly prime: Uint8Array
  readonly p: bigint
  readonly g: number
}

/**
 * A modular-exponentiation backend. Preconditions (guaranteed by `KeyExchange`, which checks
 * its inputs before calling): p has 2048 bits (a `DhGroup` does); `base` is 256 bytes and
 * already passed the range check of spec §3.2. `exponent` may have any length (`KeyExchange`
 * always passes 256 bytes). Results are exactly 256 bytes, big-endian, left-padded. A
 * `GroupParams` whose p does not fit 256 bytes violates the precondition and throws a
 * `RangeError` (this is the low-level seam; `DhGroup.make` never produces such a group).
 *
 * @since 0.1.0
 * @category models
 */
export interface Backend {
  readonly name: "native" | "portable"
  /** g^exponent mod p. */
  readonly powG: (group: GroupParams, exponent: Uint8Array) => Uint8Array
  /** base^exponent mod p (the shared key when base is the peer's public value). */
  readonly powBase: (group: GroupParams, exponent: Uint8Array, base: Uint8Array) => Uint8Array
  /** Probable-prime test with error probability below 2^-80 (used for unknown primes only). */
  readonly isProbablePrime: (n: bigint) => boolean
}

const CACHE_LIMIT = 16

/** A small insertion-ordered cache (per distinct p and g); evicts the oldest entry. */
const boundedCache = <V>() => {
  const map = new Map<string, V>()
  return (key: string, make: () => V): V => {
    const hit = map.get(key)
    if (hit !== undefined) return hit
    const value = make()
    if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value!)
    map.set(key, value)
    return value
  }
}

const groupKeys = new WeakMap<GroupParams, string>()
const groupKey = (group: GroupParams): string => {
  let key = groupKeys.get(group)
  if (key === undefined) {
    key = `${group.g}:${bytesToHex(group.prime)}`
    groupKeys.set(group, key)
  }
  return key
}

// ---------------------------------------------------------------------------- portable --

const fixedBaseTables = boundedCache<BigIntMath.FixedBaseTable>()

/** A result below p as 256 bytes; p itself fits 256 bytes by the `Backend` precondition. */
const fixed256 = (n: bigint): Uint8Array => {
  const bytes = toFixedBytes(n, 256)
  if (bytes === undefined) throw new RangeError("ModExp: p does not fit 256 bytes (GroupParams precondition)")
  return bytes
}

let witnessSalt: Uint8Array | undefined
/**
 * Miller–Rabin bases: SHA-256(process salt ‖ n ‖ i). The salt is drawn from the platform
 * CSPRNG on first use, so a server cannot precompute a composite that fools these bases.
 */
const witnessFor = (n: bigint) => {
  witnessSalt ??= randomBytes(32)
  const nBytes = toMinimalBytes(n)
  const salt = witnessSalt
  return (i: number): bigint => {
    const counter = new Uint8Array([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255])
    const wide = concat(sha256(concat(salt, nBytes, counter)), sha256(concat(counter, salt, nBytes)))
    return toBigInt(wide)
  }
}

const MILLER_RABIN_ROUNDS = 40

/**
 * The portable BigInt backend (works on every JavaScript runtime; not constant-time).
 *
 * @since 0.1.0
 * @category backends
 */
export const portable: Backend = {
  name: "portable",
  powG: (group, exponent) => {
    const e = toBigInt(exponent)
    // the table covers 2048-bit exponents (all KeyExchange uses); longer ones take noble's pow
    if (e >> 2048n !== 0n) return fixed256(nobleModPow(BigInt(group.g), e, group.p))
    const table = fixedBaseTables(groupKey(group), () =>
      BigIntMath.makeFixedBaseTable(BigInt(group.g), group.p, 2048)
    )
    return fixed256(BigIntMath.powFixedBase(table, e))
  },
  // the variable-base modexp (the shared key) is @noble/curves' audited `pow`
  powBase: (group, exponent, base) => fixed256(nobleModPow(toBigInt(base), toBigInt(exponent), group.p)),
  isProbablePrime: (n) => BigIntMath.isProbablePrime(n, MILLER_RABIN_ROUNDS, witnessFor(n))
}

// ------------------------------------------------------------------------------ native --

type NodeCryptoModule = typeof NodeCrypto

const loadNodeCrypto = (): NodeCryptoModule | undefined => {
  try {
    const proc = (
      globalThis as { readonly process?: { readonly getBuiltinModule?: (id: string) => unknown } }
    ).process
    const mod = proc?.getBuiltinModule?.("node:crypto") as NodeCryptoModule | undefined
    return mod !== undefined &&
      typeof mod.createDiffieHellman === "function" &&
      typeof mod.checkPrimeSync === "function"
      ? mod
      : undefined
  } catch {
    return undefined
  }
}

/** A Node `Buffer` result as a fresh plain `Uint8Array` of exactly 256 bytes (left-padded). */
const toPlain = (buffer: Uint8Array): Uint8Array => {
  const out = new Uint8Array(256)
  out.set(buffer.subarray(Math.max(0, buffer.length - 256)), Math.max(0, 256 - buffer.length))
  return out
}

const SCRUB = new Uint8Array([1])

const makeNative = (crypto: NodeCryptoModule): Backend => {
  // createDiffieHellman runs OpenSSL's DH_check (a primality test, ~250 ms), so the object is
  // made once per group and re-keyed with setPrivateKey for each operation. Node runs this
  // synchronously on one thread, so no other operation can interleave. After each operation the
  // cached object's private key is overwritten, so the secret exponent does not stay in it.
  const objects = boundedCache<NodeCrypto.DiffieHellman>()
  const dhFor = (group: GroupParams) =>
    objects(groupKey(group), () => crypto.createDiffieHellman(group.prime, group.g))
  return {
    name: "native",
    powG: (group, exponent) => {
      const dh = dhFor(group)
      try {
        dh.setPrivateKey(exponent)
        return toPlain(dh.generateKeys())
      } finally {
        dh.setPrivateKey(SCRUB)
      }
    },
    powBase: (group, exponent, base) => {
      // OpenSSL refuses a zero private key in computeSecret; x^0 = 1 as in the portable path
      if (firstNonZero(exponent) === exponent.length) return fixed256(1n)
      const dh = dhFor(group)
      try {
        dh.setPrivateKey(exponent)
        return toPlain(dh.computeSecret(base))
      } finally {
        dh.setPrivateKey(SCRUB)
      }
    },
    // checks: 0 lets OpenSSL pick the round count (64 rounds for 2048-bit candidates in OpenSSL 3).
    isProbablePrime: (n) => crypto.checkPrimeSync(n, { checks: 0 })
  }
}

let nativeBackend: Option.Option<Backend> | undefined

/**
 * The OpenSSL backend through `node:crypto`, or `None` where `node:crypto` (with
 * `createDiffieHellman` and `checkPrimeSync`) cannot be loaded. Probed on first call, once.
 *
 * @since 0.1.0
 * @category backends
 */
export const native = (): Option.Option<Backend> => {
  if (nativeBackend === undefined) {
    const crypto = loadNodeCrypto()
    nativeBackend = crypto === undefined ? Option.none() : Option.some(makeNative(crypto))
  }
  return nativeBackend
}

/**
 * The backend chosen automatically: `native` where available, otherwise `portable`.
 *
 * @since 0.1.0
 * @category backends
 */
export const auto = (): Backend => Option.getOrElse(native(), () => portable)

/**
 * The backend used by `DhGroup` and `KeyExchange`. Defaults to `auto()`; provide another
 * value to override (e.g. in tests, or to force the portable path).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ModExp } from "@tgphone/crypto"
 *
 * const forcePortable = <A, E, R>(self: Effect.Effect<A, E, R>) =>
 *   Effect.provideService(self, ModExp.ModExp, ModExp.portable)
 * ```
 *
 * @since 0.1.0
 * @category references
 */
export const ModExp: Context.Reference<Backend> = Context.Reference<Backend>("@tgphone/crypto/ModExp", {
  defaultValue: auto
})

/**
 * A layer that forces the portable BigInt backend.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPortable: Layer.Layer<never> = Layer.succeed(ModExp, portable)

/**
 * A layer that uses the OpenSSL backend where present and the portable one otherwise
 * (the same choice as the default, made explicit).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAuto: Layer.Layer<never> = Layer.sync(ModExp, auto)
