/**
 * Property tests (fast-check): both parties derive the same key, fingerprint and emoji on
 * both backends, including deliberately constructed 255-byte public values and keys with a
 * leading zero byte; the two backends agree; verification rejects tampering.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import fc from "fast-check"
import {
  DhGroup,
  emojiFingerprint,
  Fingerprint,
  gAHash,
  KeyExchange,
  keyFingerprint,
  ModExp
} from "../src/index.js"
import { backends, failure, fixture, hex, success } from "./helpers.js"

const [, native] = backends[0]!
const group = success(DhGroup.telegram(3))
const exponent = fc.uint8Array({ minLength: 256, maxLength: 256 })

interface Session {
  readonly gA: Uint8Array
  readonly gB: Uint8Array
  readonly keyA: Uint8Array
  readonly keyB: Uint8Array
}

/** Runs both sides with fixed exponents; undefined when an exponent gives an out-of-range value. */
const handshake = (
  backend: ModExp.Backend,
  a: Uint8Array,
  b: Uint8Array
): Effect.Effect<Session | undefined, unknown> =>
  Effect.gen(function* () {
    const caller = yield* KeyExchange.keyPairFromExponent(group, a)
    const callee = yield* KeyExchange.keyPairFromExponent(group, b)
    // callee side: verifies the commitment over the bytes received, then derives the key
    yield* Effect.fromResult(Fingerprint.verifyGAHash(caller.publicValue, gAHash(caller.publicValue)))
    const keyB = yield* KeyExchange.computeSharedKey(group, callee.secret, caller.publicValue)
    const keyA = yield* KeyExchange.computeSharedKey(group, caller.secret, callee.publicValue)
    return {
      gA: caller.publicValue,
      gB: callee.publicValue,
      keyA: Redacted.value(keyA),
      keyB: Redacted.value(keyB)
    }
  }).pipe(
    Effect.catchTag("PublicValueOutOfRange", () => Effect.succeed(undefined)),
    Effect.provideService(ModExp.ModExp, backend)
  )

const agree = (s: Session): void => {
  assert.strictEqual(s.keyA.length, 256)
  assert.deepStrictEqual(s.keyA, s.keyB)
  assert.strictEqual(keyFingerprint(s.keyA), keyFingerprint(s.keyB))
  assert.deepStrictEqual(emojiFingerprint(s.keyA, s.gA), emojiFingerprint(s.keyB, s.gA))
  const fp = keyFingerprint(s.keyA)
  assert.isTrue(fp >= -(1n << 63n) && fp < 1n << 63n)
  for (const i of Fingerprint.emojiIndices(s.keyA, s.gA)) assert.isTrue(i >= 0 && i < 333)
  assert.isTrue(Result.isSuccess(Fingerprint.verifyKeyFingerprint(s.keyB, fp)))
}

/** g^x as sent (minimal bytes), or undefined when out of range, straight from the backend. */
const publicOf = (x: Uint8Array): Uint8Array | undefined => {
  const full = native.powG(group, x)
  const value = BigInt(`0x${Buffer.from(full).toString("hex")}`)
  return Result.isSuccess(KeyExchange.checkPublicValue(group, value, "own"))
    ? success(KeyExchange.encodePublicValue(value))
    : undefined
}

/**
 * Exponent pairs with edge-case encodings, found by a deterministic search (exponents are
 * iterated SHA-256 of a label and a counter) on the fast backend's raw arithmetic, then re-run
 * through KeyExchange on both backends.
 */
const searchEdgeCases = () => {
  const stream = (label: string, i: number) => {
    const out = new Uint8Array(256)
    let block = new TextEncoder().encode(`${label}/${i}`)
    for (let off = 0; off < 256; off += 32) {
      block = Uint8Array.from(gAHash(block))
      out.set(block, off)
    }
    return out
  }
  let shortPublic: Uint8Array | undefined
  for (let i = 0; shortPublic === undefined; i++) {
    const a = stream("short-public", i)
    if (publicOf(a)?.length === 255) shortPublic = a
  }
  let shortKey: readonly [Uint8Array, Uint8Array] | undefined
  const fixedA = stream("short-key/a", 0)
  const gA = native.powG(group, fixedA)
  for (let i = 0; shortKey === undefined; i++) {
    const b = stream("short-key/b", i)
    if (publicOf(b) !== undefined && native.powBase(group, b, gA)[0] === 0) shortKey = [fixedA, b]
  }
  return { shortPublic, shortKey }
}

const vectors = (
  JSON.parse(fixture("call-handshake.json")) as { vectors: ReadonlyArray<{ a_hex: string; b_hex: string }> }
).vectors.map((v) => [hex(v.a_hex), hex(v.b_hex)] as const)

describe("both parties agree", () => {
  const edge = searchEdgeCases()
  it.effect("the search found what it looked for", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* handshake(native, edge.shortPublic, vectors[0]![1]))!.gA.length, 255)
      assert.strictEqual((yield* handshake(native, ...edge.shortKey))!.keyA[0], 0)
    })
  )
  for (const [name, backend] of backends) {
    it.effect(`${name}: random exponents (property)`, () =>
      Effect.gen(function* () {
        const pairs = fc.sample(fc.tuple(exponent, exponent), {
          numRuns: name === "native" ? 100 : 12,
          seed: 1
        })
        let agreed = 0
        for (const [a, b] of pairs) {
          const s = yield* handshake(backend, a, b)
          if (s === undefined) continue
          agree(s)
          agreed++
        }
        assert.isAtLeast(agreed, pairs.length - 1)
      })
    )
    it.effect(
      `${name}: 255-byte public values, keys with a leading zero byte, and the vectors' exponents`,
      () =>
        Effect.gen(function* () {
          const cases: ReadonlyArray<readonly [Uint8Array, Uint8Array]> = [
            [edge.shortPublic, vectors[0]![1]],
            [vectors[0]![1], edge.shortPublic],
            edge.shortKey,
            [edge.shortKey[1], edge.shortKey[0]],
            ...vectors
          ]
          let short = 0
          let zeroKey = 0
          for (const [a, b] of cases) {
            const s = (yield* handshake(backend, a, b))!
            agree(s)
            if (s.gA.length < 256 || s.gB.length < 256) short++
            if (s.keyA[0] === 0) zeroKey++
          }
          assert.isAtLeast(short, 3)
          assert.isAtLeast(zeroKey, 3)
        })
    )
  }
  it.effect(
    "the callee accepts the caller's value in any zero-padded form with the same key (property)",
    () =>
      Effect.gen(function* () {
        const cases = fc.sample(fc.tuple(exponent, exponent, fc.integer({ min: 0, max: 40 })), {
          numRuns: 30,
          seed: 2
        })
        for (const [a, b, pad] of cases) {
          const s = yield* handshake(native, a, b)
          if (s === undefined) continue
          const padded = new Uint8Array(s.gA.length + pad)
          padded.set(s.gA, pad)
          const callee = yield* KeyExchange.keyPairFromExponent(group, b)
          const key = yield* KeyExchange.computeSharedKey(group, callee.secret, padded)
          assert.deepStrictEqual(Redacted.value(key), s.keyA)
        }
      }).pipe(Effect.provideService(ModExp.ModExp, native))
  )
})

describe("backends agree", () => {
  const [, portable] = backends[1]!
  it("powG and powBase give identical bytes (property)", () => {
    fc.assert(
      fc.property(exponent, exponent, (x, y) => {
        const base = native.powG(group, y)
        assert.deepStrictEqual(portable.powG(group, x), native.powG(group, x))
        assert.deepStrictEqual(portable.powBase(group, x, base), native.powBase(group, x, base))
      }),
      { numRuns: 10 }
    )
  })
  it("including exponents at or above p (all-ones, p, p + 1), tiny ones and longer ones", () => {
    const be = (n: bigint, length = 256) => hex(n.toString(16).padStart(length * 2, "0"))
    const base = native.powG(group, new Uint8Array(256).fill(0x42))
    const long = new Uint8Array(300).fill(0xa7)
    for (const x of [
      new Uint8Array(256).fill(0xff),
      be(group.p),
      be(group.p + 1n),
      be(2n),
      be(0n),
      long,
      be(5n, 300)
    ]) {
      assert.deepStrictEqual(portable.powG(group, x), native.powG(group, x))
      assert.deepStrictEqual(portable.powBase(group, x, base), native.powBase(group, x, base))
    }
    // g^p = g^(p mod (p-1)) = g^1 for prime p (Fermat), so the exponent is not silently truncated
    assert.deepStrictEqual(native.powG(group, be(group.p)), be(3n))
    // a 300-byte exponent used to die on the portable path ("exponent larger than the fixed-base table")
    assert.deepStrictEqual(portable.powG(group, be(group.p, 300)), be(3n))
  })
})

describe("verification rejects tampering", () => {
  it("any single-bit change of g_a fails verifyGAHash (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 257 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (gA, at, bit) => {
          const hash = gAHash(gA)
          assert.isTrue(Result.isSuccess(Fingerprint.verifyGAHash(gA, hash)))
          const changed = Uint8Array.from(gA)
          changed[at % gA.length]! ^= 1 << bit
          assert.strictEqual(failure(Fingerprint.verifyGAHash(changed, hash))._tag, "GAHashMismatch")
        }
      )
    )
  })
  it("any other fingerprint fails verifyKeyFingerprint (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 256, maxLength: 256 }), fc.bigInt(), (key, other) => {
        const fp = keyFingerprint(key)
        fc.pre(other !== fp)
        const e = failure(Fingerprint.verifyKeyFingerprint(key, other))
        assert.strictEqual(e._tag, "KeyFingerprintMismatch")
        assert.strictEqual(e.actual, fp)
      })
    )
  })
  it("a minimal key and its 256-byte padding have the same fingerprint and emoji (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 256 }),
        fc.uint8Array({ minLength: 1 }),
        (key, gA) => {
          const padded = new Uint8Array(256)
          padded.set(key, 256 - key.length)
          assert.strictEqual(keyFingerprint(key), keyFingerprint(padded))
          assert.deepStrictEqual(emojiFingerprint(key, gA), emojiFingerprint(padded, gA))
        }
      )
    )
  })
})
