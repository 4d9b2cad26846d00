/**
 * One test per check of spec §3.1 with an input that fails it, on both backends, plus the
 * known-prime fast path and the once-per-process primality cache.
 */
import { getDiffieHellman } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DhGroup, ModExp } from "../src/index.js"
import { backends, failure, fixture, hex, success } from "./helpers.js"

const known = DhGroup.telegramPrime()
const knownP = BigInt(`0x${DhGroup.TELEGRAM_PRIME_HEX}`)
const bytes = (n: bigint, length = 256) => hex(n.toString(16).padStart(length * 2, "0"))
const nonSafe = JSON.parse(fixture("non-safe-primes.json")) as { q_even: string; q_composite: string }
// RFC 3526 group 14: a 2048-bit safe prime that is not Telegram's (p mod 8 = 7, so g = 2 fits)
const modp14 = Uint8Array.from(getDiffieHellman("modp14").getPrime())

/** A backend wrapper that counts primality tests. */
const counting = (inner: ModExp.Backend) => {
  const state = { calls: 0 }
  const backend: ModExp.Backend = {
    ...inner,
    isProbablePrime: (n) => {
      state.calls++
      return inner.isProbablePrime(n)
    }
  }
  return { backend, state }
}

/** `self` with the given arithmetic backend. */
const using =
  (backend: ModExp.Backend) =>
  <A, E>(self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.provideService(self, ModExp.ModExp, backend)

describe("DhGroup with Telegram's known prime", () => {
  for (const [name, backend] of backends) {
    const run = using(backend)
    const fail = <A, E>(self: Effect.Effect<A, E>) => Effect.flip(run(self))
    it.effect(`${name}: accepts g = 3, 4, 7 without a primality test`, () =>
      Effect.gen(function* () {
        const { backend: b, state } = counting(backend)
        for (const g of [3, 4, 7]) {
          const group = yield* using(b)(DhGroup.make({ g, p: known, version: 7 }))
          assert.strictEqual(group.g, g)
          assert.strictEqual(group.version, 7)
          assert.isTrue(group.isKnownPrime)
          assert.strictEqual(group.p, knownP)
          assert.deepStrictEqual(success(DhGroup.telegram(g, 7)), group)
        }
        assert.strictEqual(state.calls, 0)
      })
    )
    it.effect(`${name}: rejects g = 2 (p mod 8 = 3, needs 7)`, () =>
      Effect.gen(function* () {
        const e = yield* fail(DhGroup.make({ g: 2, p: known, version: 1 }))
        assert.strictEqual(e._tag, "DhGeneratorInvalid")
        assert.strictEqual(e._tag === "DhGeneratorInvalid" && e.reason, "not-quadratic-residue")
        assert.include(e.message, "p mod 8 = 7")
      })
    )
    it(`${name}: rejects g = 5 for the known prime (as TDLib; tdesktop and current Android accept it, docs/security.md §1)`, () => {
      const e = failure(DhGroup.telegram(5))
      assert.strictEqual(e._tag, "DhGeneratorInvalid")
      assert.include(e.message, "p mod 5 ∈ {1, 4}")
    })
    it(`${name}: rejects g = 6`, () => {
      assert.strictEqual(failure(DhGroup.telegram(6))._tag, "DhGeneratorInvalid")
    })
    it.effect(`${name}: rejects g outside 2..7 (8, 1, 0, -3, 2.5, NaN, and "3" past the types)`, () =>
      Effect.gen(function* () {
        for (const g of [8, 1, 0, -3, 2.5, Number.NaN, "3" as unknown as number]) {
          const e = yield* fail(DhGroup.make({ g, p: known, version: 1 }))
          assert.strictEqual(e._tag === "DhGeneratorInvalid" && e.reason, "out-of-range", `g = ${g}`)
          assert.strictEqual(failure(DhGroup.checkGenerator(g, knownP)).reason, "out-of-range")
        }
      })
    )
    it.effect(`${name}: rejects a config or p of the wrong type from JavaScript (typed, not a defect)`, () =>
      Effect.gen(function* () {
        for (const config of [
          null,
          undefined,
          "p",
          { g: 3, p: "c71c", version: 1 },
          { g: 3, p: [1, 2], version: 1 }
        ]) {
          const e = yield* fail(DhGroup.make(config as unknown as DhGroup.DhConfigInput))
          assert.strictEqual(e._tag === "DhPrimeInvalid" && e.reason, "not-bytes", String(config))
          assert.strictEqual(e.message, "dh_prime is not a Uint8Array")
        }
      })
    )
    it.effect(`${name}: rejects p that is not 2048-bit`, () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [Uint8Array, number]> = [
          [bytes(knownP >> 1n), 2047], // 256 bytes, top bit clear
          [bytes(knownP >> 8n, 255), 2040],
          [bytes(knownP << 1n, 257), 2049],
          [new Uint8Array(0), 0],
          [new Uint8Array(256), 0]
        ]
        for (const [p, bits] of cases) {
          const e = yield* fail(DhGroup.make({ g: 3, p, version: 1 }))
          assert.strictEqual(e._tag === "DhPrimeInvalid" && e.reason, "not-2048-bit")
          assert.strictEqual(e._tag === "DhPrimeInvalid" && e.bitLength, bits)
          assert.include(e.message, "2048-bit")
        }
      })
    )
    it.effect(`${name}: accepts the known prime with leading zero bytes (it is the same number)`, () =>
      Effect.gen(function* () {
        const padded = new Uint8Array(258)
        padded.set(known, 2)
        assert.isTrue((yield* run(DhGroup.make({ g: 3, p: padded, version: 1 }))).isKnownPrime)
      })
    )
  }
})

describe("DhGroup with other primes", () => {
  for (const [name, backend] of backends) {
    const fail = <A, E>(self: Effect.Effect<A, E>) => Effect.flip(using(backend)(self))
    it.effect(`${name}: rejects a composite p (known prime + 4, divisible by 3)`, () =>
      Effect.gen(function* () {
        const p = knownP + 4n
        assert.strictEqual(p % 3n, 0n)
        const e = yield* fail(DhGroup.make({ g: 4, p: bytes(p), version: 1 }))
        assert.strictEqual(e._tag === "DhPrimeInvalid" && e.reason, "not-prime")
      })
    )
    it.effect(`${name}: rejects a composite p without small factors (product of two 1024-bit primes)`, () =>
      Effect.gen(function* () {
        // a = the RFC 2409 group 2 prime (1024 bits, close to 2^1024), so a·(a-2) has 2048 bits
        const a = BigInt(`0x${getDiffieHellman("modp2").getPrime("hex")}`)
        const p = a * (a - 2n) // odd, composite, 2048 bits (a > 2^1023·1.99)
        assert.strictEqual(p.toString(2).length, 2048)
        const e = yield* fail(DhGroup.make({ g: 4, p: bytes(p), version: 1 }))
        assert.strictEqual(e._tag === "DhPrimeInvalid" && e.reason, "not-prime")
      })
    )
    it.effect(`${name}: rejects a prime p whose (p-1)/2 is even`, () =>
      Effect.gen(function* () {
        const p = BigInt(`0x${nonSafe.q_even}`)
        assert.strictEqual(p % 4n, 1n)
        const e = yield* fail(DhGroup.make({ g: 4, p: bytes(p), version: 1 }))
        assert.strictEqual(e._tag === "DhPrimeInvalid" && e.reason, "not-safe-prime")
        assert.include(e.message, "safe prime")
      })
    )
    it.effect(`${name}: rejects a prime p whose (p-1)/2 is odd, composite and free of small factors`, () =>
      Effect.gen(function* () {
        const p = BigInt(`0x${nonSafe.q_composite}`)
        const q = (p - 1n) / 2n
        assert.strictEqual(p.toString(2).length, 2048)
        for (let d = 3n; d < 2000n; d += 2n) assert.notStrictEqual(q % d, 0n)
        const e = yield* fail(DhGroup.make({ g: 4, p: bytes(p), version: 1 }))
        assert.strictEqual(e._tag === "DhPrimeInvalid" && e.reason, "not-safe-prime")
      })
    )
    it.effect(
      `${name}: accepts another safe prime (RFC 3526 group 14) with g = 2, testing it once per process`,
      () =>
        Effect.gen(function* () {
          const { backend: b, state } = counting(backend)
          const first = yield* using(b)(DhGroup.make({ g: 2, p: modp14, version: 3 }))
          assert.isFalse(first.isKnownPrime)
          const afterFirst = state.calls
          const second = yield* using(b)(DhGroup.make({ g: 2, p: modp14, version: 4 }))
          assert.strictEqual(second.version, 4)
          assert.strictEqual(state.calls, afterFirst, "the verdict is cached per distinct p")
          // modp14 satisfies the condition of every g in 2..7 (p mod 24 = 23, mod 5 = 4, mod 7 = 5)
          for (const g of [3, 4, 5, 6, 7])
            assert.strictEqual((yield* using(b)(DhGroup.make({ g, p: modp14, version: 1 }))).g, g)
          assert.strictEqual(state.calls, afterFirst)
        })
    )
  }
  it("the portable Miller–Rabin agrees with OpenSSL on the fixtures", () => {
    const [, native] = backends[0]!
    for (const n of [knownP, (knownP - 1n) / 2n, BigInt(`0x${nonSafe.q_composite}`), knownP + 4n]) {
      const [, portable] = backends[1]!
      assert.strictEqual(portable.isProbablePrime(n), native.isProbablePrime(n))
    }
  })
})

describe("DhGroup values", () => {
  it("print without the full prime and serialise p as hex", () => {
    const group = success(DhGroup.telegram(3, 9))
    assert.match(String(group), /^DhGroup\(g=3, version=9, p=c71caeb9c6b1c904…\)$/)
    assert.deepStrictEqual(JSON.parse(JSON.stringify(group)), {
      _id: "DhGroup",
      g: 3,
      version: 9,
      p: DhGroup.TELEGRAM_PRIME_HEX
    })
  })
})
