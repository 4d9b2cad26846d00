/**
 * Range checks (spec §3.2) on peer and own values, parsing of received encodings, exponent
 * mixing and redraw, and that secrets never print.
 */
import { inspect } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import fc from "fast-check"
import { type CryptoError, DhGroup, KeyExchange, ModExp, SecureRandom } from "../src/index.js"
import { backends, failWith, hex, runWith, toHex } from "./helpers.js"

const [, native] = backends[0]!
const run = runWith(native)
const fail = failWith(native)
const group = run(DhGroup.telegram(3))
const p = group.p
const LOW = 1n << 1984n
const be = (n: bigint, length = 256) => hex(n.toString(16).padStart(length * 2, "0"))
const minimal = (n: bigint) => KeyExchange.encodePublicValue(n)

/** A SecureRandom that replays the given 256-byte blocks, then repeats the last one. */
const scripted = (blocks: ReadonlyArray<Uint8Array>) =>
  Layer.sync(SecureRandom.SecureRandom, () => {
    let i = 0
    return { nextBytes: () => Effect.sync(() => blocks[Math.min(i++, blocks.length - 1)]!) }
  })

describe("range check of the peer's public value", () => {
  const peerError = (bytes: Uint8Array) => fail(KeyExchange.checkPeerPublicValue(group, bytes))
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
    })
  }
  it("says which bound, in mtcute's wording", () => {
    assert.include(
      peerError(minimal(LOW - 1n)).message,
      "is not within [2^{2048-64}, dh_prime - 2^{2048-64}]"
    )
  })
  it("accepts both inclusive bounds 2^1984 and p - 2^1984", () => {
    assert.strictEqual(run(KeyExchange.checkPeerPublicValue(group, minimal(LOW))), LOW)
    assert.strictEqual(run(KeyExchange.checkPeerPublicValue(group, minimal(p - LOW))), p - LOW)
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
      assert.strictEqual(run(KeyExchange.checkPeerPublicValue(group, be(x, length))), x)
    }
  })
  it("computeSharedKey refuses an out-of-range peer value before any arithmetic", () => {
    const own = run(KeyExchange.keyPairFromExponent(group, new Uint8Array(256).fill(7)))
    for (const x of [1n, p - 1n, LOW - 1n, p - LOW + 1n]) {
      assert.strictEqual(
        fail(KeyExchange.computeSharedKey(group, own.secret, minimal(x)))._tag,
        "PublicValueOutOfRange"
      )
    }
    assert.strictEqual(
      fail(KeyExchange.computeSharedKey(group, own.secret, new Uint8Array(0)))._tag,
      "PublicValueMalformed"
    )
  })
})

describe("the fast byte-wise check in computeSharedKey", () => {
  it("fails exactly like the bigint reference check (property, with boundary values)", () => {
    const own = run(KeyExchange.keyPairFromExponent(group, new Uint8Array(256).fill(7)))
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
    fc.assert(
      fc.property(value, (bytes) => {
        const reference = Effect.runSync(Effect.result(KeyExchange.checkPeerPublicValue(group, bytes)))
        const fast = Effect.runSync(
          Effect.result(
            Effect.provideService(
              KeyExchange.computeSharedKey(group, own.secret, bytes),
              ModExp.ModExp,
              native
            )
          )
        )
        assert.strictEqual(fast._tag, reference._tag)
        if (fast._tag === "Failure" && reference._tag === "Failure")
          assert.deepStrictEqual(fast.failure, reference.failure)
      }),
      { numRuns: 200 }
    )
  })
})

describe("our own key pair", () => {
  it("rejects an exponent that is not 256 bytes", () => {
    for (const length of [0, 32, 255, 257]) {
      const e = fail(KeyExchange.keyPairFromExponent(group, new Uint8Array(length).fill(9)))
      assert.strictEqual(e._tag === "SecretExponentInvalid" && e.length, length)
    }
  })
  it("range-checks our own value (exponent 0 → g_a = 1, exponent 1 → g_a = 3)", () => {
    const zero = fail(KeyExchange.keyPairFromExponent(group, new Uint8Array(256)))
    assert.strictEqual(zero._tag === "PublicValueOutOfRange" && zero.bound, "greater-than-1")
    assert.strictEqual(zero._tag === "PublicValueOutOfRange" && zero.side, "own")
    const one = fail(KeyExchange.keyPairFromExponent(group, be(1n)))
    assert.strictEqual(one._tag === "PublicValueOutOfRange" && one.bound, "at-least-2^1984")
  })
  it("redraws until the public value is in range (tdesktop behaviour)", () => {
    const good = new Uint8Array(256).fill(0x5a)
    const kp = Effect.runSync(
      KeyExchange.generateKeyPair(group, new Uint8Array(0)).pipe(
        Effect.provide(scripted([new Uint8Array(256), be(1n), good]))
      )
    )
    assert.strictEqual(toHex(Redacted.value(kp.secret)), toHex(good))
    assert.strictEqual(
      toHex(kp.publicValue),
      toHex(run(KeyExchange.keyPairFromExponent(group, good)).publicValue)
    )
  })
  it("fails with KeyGenerationFailed when the random source is stuck", () => {
    const e = Effect.runSync(
      Effect.flip(
        KeyExchange.generateKeyPair(group, new Uint8Array(0)).pipe(Effect.provide(scripted([be(1n)])))
      )
    )
    assert.strictEqual(e._tag, "KeyGenerationFailed")
    assert.strictEqual(e.attempts, KeyExchange.MAX_ATTEMPTS)
  })
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
  it("uses the server random as given by generateKeyPair", () => {
    const local = new Uint8Array(256).fill(0x33)
    const server = new Uint8Array(256).fill(0x0f)
    const kp = Effect.runSync(
      KeyExchange.generateKeyPair(group, server).pipe(Effect.provide(scripted([local])))
    )
    assert.strictEqual(toHex(Redacted.value(kp.secret)), "3c".repeat(256))
  })
  it("is deterministic under the seeded test layer and random under the live one", () => {
    const seeded = (seed: string) =>
      toHex(
        Effect.runSync(
          KeyExchange.generateKeyPair(group, new Uint8Array(256)).pipe(
            Effect.provide(SecureRandom.layerTest(seed))
          )
        ).publicValue
      )
    assert.strictEqual(seeded("alice"), seeded("alice"))
    assert.notStrictEqual(seeded("alice"), seeded("bob"))
    const live = () =>
      Effect.runSync(
        KeyExchange.generateKeyPair(group, new Uint8Array(256)).pipe(Effect.provide(SecureRandom.layer))
      )
    const [a, b] = [live(), live()]
    assert.notStrictEqual(toHex(a.publicValue), toHex(b.publicValue))
    run(KeyExchange.checkPeerPublicValue(group, a.publicValue))
  })
})

describe("secrets never print", () => {
  it("a key pair and a shared key reveal nothing via String, JSON or inspect", () => {
    const a = Effect.runSync(
      KeyExchange.generateKeyPair(group, new Uint8Array(256)).pipe(
        Effect.provide(SecureRandom.layerTest("secret"))
      )
    )
    const b = run(KeyExchange.keyPairFromExponent(group, new Uint8Array(256).fill(0x42)))
    const key = run(KeyExchange.computeSharedKey(group, a.secret, b.publicValue))
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
    assert.strictEqual(Object.getPrototypeOf(Redacted.value(key)), Uint8Array.prototype, "a plain Uint8Array")
    const renderings = [
      String(a.secret),
      `${key}`,
      JSON.stringify(a),
      JSON.stringify({ key }),
      inspect(a, { depth: 10 }),
      inspect(key, { depth: 10 }),
      inspect({ a, key }, { depth: 10, showHidden: true })
    ]
    assert.isTrue(leaks(secretHex) && leaks(inspect(Redacted.value(key))), "the detector detects raw values")
    for (const r of renderings) assert.isFalse(leaks(r), r)
    assert.include(String(a.secret), "redacted")
    // and the redaction is not hiding an empty value
    assert.strictEqual(Redacted.value(a.secret).length, 256)
    assert.strictEqual(Redacted.value(key).length, 256)
  })
})
