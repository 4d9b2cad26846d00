/**
 * Range checks (spec §3.2) on peer and own values, parsing of received encodings, exponent
 * mixing and redraw, and that secrets never print.
 */
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import fc from "fast-check"
import { CryptoError, DhGroup, KeyExchange, ModExp, SecureRandom } from "../src/index.js"
import { backends, failure, hex, success, toHex } from "./helpers.js"

const [, native] = backends[0]!
const group = success(DhGroup.telegram(3))
const p = group.p
const LOW = 1n << 1984n
const be = (n: bigint, length = 256) => hex(n.toString(16).padStart(length * 2, "0"))
const minimal = (n: bigint) => success(KeyExchange.encodePublicValue(n))
/** A key pair from a fixed exponent, on the native backend. */
const pairOf = (exponent: Uint8Array) =>
  Effect.provideService(KeyExchange.keyPairFromExponent(group, exponent), ModExp.ModExp, native)

/** A SecureRandom that replays the given 256-byte blocks, then repeats the last one. */
const scripted = (blocks: ReadonlyArray<Uint8Array>) =>
  Layer.sync(SecureRandom.SecureRandom, () => {
    let i = 0
    return { nextBytes: () => Effect.sync(() => blocks[Math.min(i++, blocks.length - 1)]!) }
  })

describe("range check of the peer's public value", () => {
  const peerError = (bytes: Uint8Array) => failure(KeyExchange.checkPeerPublicValue(group, bytes))
  const cases: ReadonlyArray<readonly [string, bigint, CryptoError.PublicValueOutOfRange["bound"]]> = [
    ["g_a = 1", 1n, "greater-than-1"],
    ["g_a = 0", 0n, "greater-than-1"],
    ["g_a = p - 1", p - 1n, "less-than-p-minus-1"],
    ["g_a = p", p, "less-than-p-minus-1"],
    ["g_a = 2", 2n, "at-least-2^1984"],
    ["g_a = 2^1984 - 1 (just below)", LOW - 1n, "at-least-2^1984"],
    ["g_a = p - 2^1984 + 1 (just above)", p - LOW + 1n, "at-most-p-minus-2^1984"],
    ["g_a = p - 2", p - 2n, "at-most-p-minus-2^1984"]
  ]
  for (const [name, x, bound] of cases) {
    it(`rejects ${name}`, () => {
      const e = peerError(minimal(x))
      assert.strictEqual(e._tag, "PublicValueOutOfRange")
      assert.strictEqual(e._tag === "PublicValueOutOfRange" && e.bound, bound)
      assert.strictEqual(e._tag === "PublicValueOutOfRange" && e.side, "peer")
      assert.include(e.message, "the peer's public value")
      assert.deepStrictEqual(failure(KeyExchange.checkPublicValue(group, x, "peer")), e)
    })
  }
  it("says which bound, in mtcute's wording", () => {
    assert.include(
      peerError(minimal(LOW - 1n)).message,
      "is not within [2^{2048-64}, dh_prime - 2^{2048-64}]"
    )
  })
  it("accepts both inclusive bounds 2^1984 and p - 2^1984", () => {
    assert.strictEqual(success(KeyExchange.checkPeerPublicValue(group, minimal(LOW))), LOW)
    assert.strictEqual(success(KeyExchange.checkPeerPublicValue(group, minimal(p - LOW))), p - LOW)
  })
  it("rejects empty input and more than 256 significant bytes as malformed", () => {
    const empty = peerError(new Uint8Array(0))
    assert.strictEqual(empty._tag === "PublicValueMalformed" && empty.reason, "empty")
    const long = new Uint8Array(257).fill(1)
    const tooLong = peerError(long)
    assert.strictEqual(tooLong._tag === "PublicValueMalformed" && tooLong.reason, "too-long")
    assert.strictEqual(tooLong._tag === "PublicValueMalformed" && tooLong.length, 257)
  })
  it("accepts any number of leading zero bytes (Android's 00 ‖ g_a, padded forms)", () => {
    const x = p >> 1n
    for (const length of [256, 257, 300]) {
      assert.strictEqual(success(KeyExchange.checkPeerPublicValue(group, be(x, length))), x)
    }
  })
  it('rejects values that are not bigints at runtime (issue 12: NaN and "abc" passed)', () => {
    for (const x of [Number.NaN, "abc", 5, undefined]) {
      const e = failure(KeyExchange.checkPublicValue(group, x as unknown as bigint, "peer"))
      assert.strictEqual(e._tag === "PublicValueMalformed" && e.reason, "not-a-bigint", String(x))
      assert.strictEqual(e.message, "public value is not a bigint")
    }
  })
  it.effect("computeSharedKey refuses an out-of-range peer value before any arithmetic", () =>
    Effect.gen(function* () {
      const own = yield* pairOf(new Uint8Array(256).fill(7))
      for (const x of [1n, p - 1n, LOW - 1n, p - LOW + 1n]) {
        const e = yield* Effect.flip(KeyExchange.computeSharedKey(group, own.secret, minimal(x)))
        assert.strictEqual(e._tag, "PublicValueOutOfRange")
      }
      const e = yield* Effect.flip(KeyExchange.computeSharedKey(group, own.secret, new Uint8Array(0)))
      assert.strictEqual(e._tag, "PublicValueMalformed")
    }).pipe(Effect.provideService(ModExp.ModExp, native))
  )
})

describe("encodePublicValue", () => {
  it("is the minimal big-endian encoding", () => {
    assert.deepStrictEqual(minimal(0n), new Uint8Array([0]))
    assert.deepStrictEqual(minimal(0x1234n), new Uint8Array([0x12, 0x34]))
    assert.deepStrictEqual(minimal(0x10000n), new Uint8Array([1, 0, 0]))
    assert.strictEqual(minimal(p - LOW).length, 256)
    assert.strictEqual(minimal((1n << 2048n) - 1n).length, 256)
  })
  it("fails typed for negative values, more than 256 bytes and non-bigints (issue 12: -1n threw RangeError)", () => {
    assert.strictEqual(failure(KeyExchange.encodePublicValue(-1n)).reason, "negative")
    assert.strictEqual(failure(KeyExchange.encodePublicValue(-(1n << 3000n))).reason, "negative")
    const long = failure(KeyExchange.encodePublicValue(1n << 2048n))
    assert.deepStrictEqual([long.reason, long.length], ["too-long", 257])
    for (const x of [Number.NaN, "abc", 1]) {
      assert.strictEqual(
        failure(KeyExchange.encodePublicValue(x as unknown as bigint)).reason,
        "not-a-bigint"
      )
    }
  })
})

describe("the fast byte-wise check in computeSharedKey", () => {
  it.effect("fails exactly like the bigint reference check (property, with boundary values)", () =>
    Effect.gen(function* () {
      const own = yield* pairOf(new Uint8Array(256).fill(7))
      const near = (x: bigint) =>
        fc.integer({ min: -2, max: 2 }).map((d) => be(x + BigInt(d) < 0n ? 0n : x + BigInt(d)))
      const value = fc.oneof(
        fc.uint8Array({ maxLength: 258 }),
        near(0n),
        near(LOW),
        near(p - LOW),
        near(p - 1n),
        near(p)
      )
      const samples = fc.sample(value, { numRuns: 200, seed: 12 })
      for (const bytes of samples) {
        const reference = KeyExchange.checkPeerPublicValue(group, bytes)
        const fast = yield* Effect.result(KeyExchange.computeSharedKey(group, own.secret, bytes))
        assert.strictEqual(fast._tag, reference._tag)
        if (fast._tag === "Failure" && reference._tag === "Failure")
          assert.deepStrictEqual(fast.failure, reference.failure)
      }
    }).pipe(Effect.provideService(ModExp.ModExp, native))
  )
})

describe("our own key pair", () => {
  it.effect("rejects an exponent that is not 256 bytes", () =>
    Effect.gen(function* () {
      for (const length of [0, 32, 255, 257]) {
        const e = yield* Effect.flip(pairOf(new Uint8Array(length).fill(9)))
        assert.strictEqual(e._tag === "SecretExponentInvalid" && e.length, length)
      }
    })
  )
  it.effect("range-checks our own value (exponent 0 → g_a = 1, exponent 1 → g_a = 3)", () =>
    Effect.gen(function* () {
      const zero = yield* Effect.flip(pairOf(new Uint8Array(256)))
      assert.strictEqual(zero._tag === "PublicValueOutOfRange" && zero.bound, "greater-than-1")
      assert.strictEqual(zero._tag === "PublicValueOutOfRange" && zero.side, "own")
      const one = yield* Effect.flip(pairOf(be(1n)))
      assert.strictEqual(one._tag === "PublicValueOutOfRange" && one.bound, "at-least-2^1984")
    })
  )
  it.effect("redraws until the public value is in range (tdesktop behaviour)", () =>
    Effect.gen(function* () {
      const good = new Uint8Array(256).fill(0x5a)
      const kp = yield* KeyExchange.generateKeyPair(group, new Uint8Array(0)).pipe(
        Effect.provide(scripted([new Uint8Array(256), be(1n), good]))
      )
      assert.strictEqual(toHex(Redacted.value(kp.secret)), toHex(good))
      assert.strictEqual(toHex(kp.publicValue), toHex((yield* pairOf(good)).publicValue))
    })
  )
  it.effect("fails with KeyGenerationFailed when the random source is stuck", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        KeyExchange.generateKeyPair(group, new Uint8Array(0)).pipe(Effect.provide(scripted([be(1n)])))
      )
      assert.strictEqual(e._tag, "KeyGenerationFailed")
      assert.strictEqual(e.reason, "out-of-range")
      assert.strictEqual(e.attempts, KeyExchange.MAX_ATTEMPTS)
    })
  )
  for (const [name, backend] of backends) {
    it.effect(
      `${name}: fails with KeyGenerationFailed when the source returns the wrong number of bytes (issue 12)`,
      () =>
        Effect.gen(function* () {
          // before: 10 bytes gave a 10-byte exponent; 300 bytes succeeded on native and died on portable
          for (const length of [0, 10, 255, 257, 300]) {
            const e = yield* Effect.flip(
              KeyExchange.generateKeyPair(group, new Uint8Array(256)).pipe(
                Effect.provide(scripted([new Uint8Array(length).fill(0x77)]))
              )
            )
            assert.strictEqual(e.reason, "wrong-length")
            assert.strictEqual(e.received, length)
            assert.strictEqual(
              e.message,
              `SecureRandom returned ${length} bytes for a request of 256; the random source is broken`
            )
          }
          const refusing = Layer.succeed(SecureRandom.SecureRandom, {
            nextBytes: (length) =>
              Effect.fail(
                new CryptoError.RandomLengthInvalid({ reason: "too-large", length: String(length), max: 0 })
              )
          })
          const refused = yield* Effect.flip(
            KeyExchange.generateKeyPair(group, new Uint8Array(0)).pipe(Effect.provide(refusing))
          )
          assert.strictEqual(refused.reason, "source-failed")
        }).pipe(Effect.provideService(ModExp.ModExp, backend))
    )
  }
  it("mixes the server random: XOR for 256 bytes, prefix for shorter, folded for longer", () => {
    const local = Uint8Array.from({ length: 256 }, (_, i) => i)
    const server = Uint8Array.from({ length: 256 }, (_, i) => (i * 7) & 255)
    assert.deepStrictEqual(
      KeyExchange.mixExponent(local, server),
      Uint8Array.from(local, (x, i) => x ^ server[i]!)
    )
    assert.deepStrictEqual(KeyExchange.mixExponent(local, new Uint8Array(0)), local)
    const short = KeyExchange.mixExponent(local, new Uint8Array([0xff, 0xff]))
    assert.deepStrictEqual([short[0], short[1], short[2]], [0xff, 0xfe, 2])
    const long = new Uint8Array(258).fill(1)
    const folded = KeyExchange.mixExponent(local, long)
    assert.deepStrictEqual([folded[0], folded[1], folded[2]], [0, 1, 3]) // bytes 0,1 XOR-ed twice
    assert.strictEqual(folded.length, 256)
  })
  it.effect("uses the server random as given by generateKeyPair", () =>
    Effect.gen(function* () {
      const local = new Uint8Array(256).fill(0x33)
      const server = new Uint8Array(256).fill(0x0f)
      const kp = yield* KeyExchange.generateKeyPair(group, server).pipe(Effect.provide(scripted([local])))
      assert.strictEqual(toHex(Redacted.value(kp.secret)), "3c".repeat(256))
    })
  )
  it.effect("is deterministic under the seeded test layer and random under the live one", () =>
    Effect.gen(function* () {
      const seeded = (seed: string) =>
        KeyExchange.generateKeyPair(group, new Uint8Array(256)).pipe(
          Effect.provide(SecureRandom.layerTest(seed)),
          Effect.map((kp) => toHex(kp.publicValue))
        )
      assert.strictEqual(yield* seeded("alice"), yield* seeded("alice"))
      assert.notStrictEqual(yield* seeded("alice"), yield* seeded("bob"))
      const live = KeyExchange.generateKeyPair(group, new Uint8Array(256)).pipe(
        Effect.provide(SecureRandom.layer)
      )
      const [a, b] = [yield* live, yield* live]
      assert.notStrictEqual(toHex(a.publicValue), toHex(b.publicValue))
      assert.strictEqual(
        success(KeyExchange.checkPeerPublicValue(group, a.publicValue)),
        BigInt(`0x${toHex(a.publicValue)}`)
      )
    })
  )
})

describe("secrets never print", () => {
  it.effect("a key pair and a shared key reveal nothing via String, JSON or inspect", () =>
    Effect.gen(function* () {
      const a = yield* KeyExchange.generateKeyPair(group, new Uint8Array(256)).pipe(
        Effect.provide(SecureRandom.layerTest("secret"))
      )
      const b = yield* pairOf(new Uint8Array(256).fill(0x42))
      const key = yield* KeyExchange.computeSharedKey(group, a.secret, b.publicValue)
      const secretHex = toHex(Redacted.value(a.secret))
      const keyHex = toHex(Redacted.value(key))
      const leaks = (text: string) => {
        const lower = text.toLowerCase().replace(/\s/g, "")
        const secretBytes = Array.from(Redacted.value(a.secret).slice(0, 6)).join(",")
        const keyBytes = Array.from(Redacted.value(key).slice(0, 6)).join(",")
        return (
          lower.includes(secretHex.slice(0, 16)) ||
          lower.includes(keyHex.slice(0, 16)) ||
          text.replace(/\s/g, "").includes(secretBytes) ||
          text.replace(/\s/g, "").includes(keyBytes)
        )
      }
      assert.strictEqual(
        Object.getPrototypeOf(Redacted.value(key)),
        Uint8Array.prototype,
        "a plain Uint8Array"
      )
      const renderings = [
        String(a.secret),
        `${key}`,
        JSON.stringify(a),
        JSON.stringify({ key }),
        inspect(a, { depth: 10 }),
        inspect(key, { depth: 10 }),
        inspect({ a, key }, { depth: 10, showHidden: true })
      ]
      assert.isTrue(
        leaks(secretHex) && leaks(inspect(Redacted.value(key))),
        "the detector detects raw values"
      )
      for (const r of renderings) assert.isFalse(leaks(r), r)
      assert.include(String(a.secret), "redacted")
      // and the redaction is not hiding an empty value
      assert.strictEqual(Redacted.value(a.secret).length, 256)
      assert.strictEqual(Redacted.value(key).length, 256)
    }).pipe(Effect.provideService(ModExp.ModExp, native))
  )
})
