/**
 * Portable modular exponentiation on JavaScript BigInt (private).
 *
 * Two algorithms, both plain textbook ones (Handbook of Applied Cryptography §14.6):
 * - `powFixedBase`: Yao's fixed-base method with radix 2^6 over a per-group table
 *   T[i] = g^(2^(6i)); about 400 modular multiplications for a 2048-bit exponent instead
 *   of ~3000 for square-and-multiply. Used for g^x, where g and p are fixed per group.
 * - `powWindow`: left-to-right fixed-window (5-bit) exponentiation for a variable base,
 *   about 2048 squarings + 410 multiplications. Used for peer^x and Miller–Rabin.
 *
 * Caveat (as in noble): BigInt arithmetic is not constant-time. The running time and memory
 * access pattern depend on the exponent. Prefer the node:crypto (OpenSSL) backend where present.
 */

const FIXED_BASE_BITS = 6
const FIXED_BASE_RADIX = 1 << FIXED_BASE_BITS
const WINDOW_BITS = 5

/** Precomputed powers g^(2^(6i)) mod p, enough for exponents of up to `maxBits` bits. */
export interface FixedBaseTable {
  readonly modulus: bigint
  readonly powers: ReadonlyArray<bigint>
}

/** Builds the table for base `g` modulo `p` (about one modexp of work, done once per group). */
export const makeFixedBaseTable = (g: bigint, p: bigint, maxBits: number): FixedBaseTable => {
  const count = Math.ceil(maxBits / FIXED_BASE_BITS)
  const powers: Array<bigint> = [g % p]
  for (let i = 1; i < count; i++) {
    let x = powers[i - 1]!
    for (let s = 0; s < FIXED_BASE_BITS; s++) x = (x * x) % p
    powers.push(x)
  }
  return { modulus: p, powers }
}

/** Radix-2^w digits of `e`, least significant first. */
const digits = (e: bigint, w: number): Array<number> => {
  const bits = e.toString(2)
  const out: Array<number> = []
  for (let end = bits.length; end > 0; end -= w) {
    out.push(Number.parseInt(bits.slice(Math.max(0, end - w), end), 2))
  }
  return out
}

/** g^e mod p with a fixed-base table (Yao's method). Requires bitLength(e) <= table capacity. */
export const powFixedBase = (table: FixedBaseTable, e: bigint): bigint => {
  const p = table.modulus
  if (e === 0n) return 1n % p
  const ds = digits(e, FIXED_BASE_BITS)
  if (ds.length > table.powers.length) throw new RangeError("exponent larger than the fixed-base table")
  const buckets: Array<Array<number>> = Array.from({ length: FIXED_BASE_RADIX }, () => [])
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i]!
    if (d !== 0) buckets[d]!.push(i)
  }
  let a = 1n
  let b = 1n
  for (let j = FIXED_BASE_RADIX - 1; j >= 1; j--) {
    for (const i of buckets[j]!) b = (b * table.powers[i]!) % p
    if (b !== 1n) a = (a * b) % p
  }
  return a
}

/** base^e mod m (m odd or even, m > 1) by left-to-right 5-bit fixed windows. */
export const powWindow = (base: bigint, e: bigint, m: bigint): bigint => {
  if (m === 1n) return 0n
  const b = ((base % m) + m) % m
  if (e === 0n) return 1n
  const table: Array<bigint> = [1n, b]
  for (let i = 2; i < 1 << WINDOW_BITS; i++) table.push((table[i - 1]! * b) % m)
  const ds = digits(e, WINDOW_BITS)
  let r = table[ds[ds.length - 1]!]!
  for (let k = ds.length - 2; k >= 0; k--) {
    for (let s = 0; s < WINDOW_BITS; s++) r = (r * r) % m
    const d = ds[k]!
    if (d !== 0) r = (r * table[d]!) % m
  }
  return r
}

const SMALL_PRIMES: ReadonlyArray<bigint> = (() => {
  const out: Array<bigint> = []
  for (let n = 2; n < 2000; n++) {
    let prime = true
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false
        break
      }
    }
    if (prime) out.push(BigInt(n))
  }
  return out
})()

/**
 * Miller–Rabin probable-prime test: trial division by the primes below 2000, then one round
 * per witness. `witness(i, n)` supplies the i-th base (any value; it is reduced into [2, n-2]).
 */
export const isProbablePrime = (n: bigint, rounds: number, witness: (i: number) => bigint): boolean => {
  if (n < 2n) return false
  for (const q of SMALL_PRIMES) {
    if (n === q) return true
    if (n % q === 0n) return false
  }
  let d = n - 1n
  let s = 0
  while ((d & 1n) === 0n) {
    d >>= 1n
    s++
  }
  for (let i = 0; i < rounds; i++) {
    const a = 2n + (witness(i) % (n - 3n))
    let x = powWindow(a, d, n)
    if (x === 1n || x === n - 1n) continue
    let composite = true
    for (let r = 1; r < s; r++) {
      x = (x * x) % n
      if (x === n - 1n) {
        composite = false
        break
      }
    }
    if (composite) return false
  }
  return true
}
