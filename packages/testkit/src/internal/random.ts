/**
 * A seeded, deterministic 64-bit generator (SplitMix64) for the in-memory world: ids, access
 * hashes, server randomness. Nothing here is cryptographic, by design: the world must replay
 * the same ids for the same seed.
 *
 * SplitMix64: Steele, Lea, Flood, "Fast splittable pseudorandom number generators" (OOPSLA 2014).
 */

const MASK64 = (1n << 64n) - 1n
const GOLDEN = 0x9e3779b97f4a7c15n

/** FNV-1a (64-bit) of a string's UTF-16 code units: turns a text seed into a number. */
const fnv1a64 = (text: string): bigint => {
  let h = 0xcbf29ce484222325n
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i))
    h = (h * 0x100000001b3n) & MASK64
  }
  return h
}

/** A deterministic stream of 64-bit values. */
export class SeededRandom {
  private state: bigint

  constructor(seed: string | number | bigint) {
    this.state =
      typeof seed === "string"
        ? fnv1a64(seed)
        : BigInt.asUintN(64, typeof seed === "bigint" ? seed : BigInt(seed))
  }

  /** The next unsigned 64-bit value. */
  nextU64(): bigint {
    this.state = (this.state + GOLDEN) & MASK64
    let z = this.state
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64
    return z ^ (z >> 31n)
  }

  /** A positive signed 64-bit value (1 ..= 2^63 - 1), as ids and access hashes are. */
  nextPositiveLong(): bigint {
    const v = this.nextU64() & ((1n << 63n) - 1n)
    return v === 0n ? 1n : v
  }

  /** A positive 31-bit integer. */
  nextInt31(): number {
    return Number(this.nextU64() >> 33n)
  }

  /** `length` bytes. */
  nextBytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 8) {
      let v = this.nextU64()
      for (let j = 0; j < 8 && i + j < length; j++) {
        out[i + j] = Number(v & 0xffn)
        v >>= 8n
      }
    }
    return out
  }
}
