/**
 * Every public function of @tgphone/crypto (Signaling excepted: its own suite) run with the
 * values its types allow, plus hostile values past the types (`as any`, as a JavaScript caller
 * can pass them), issue 12. For each run: no throw, no defect, and a failure is one of the
 * errors the function documents.
 *
 * Runs: 10,000 for every function without modular exponentiation. The functions that run a
 * 2048-bit modexp (`keyPairFromExponent`, `generateKeyPair`, `computeSharedKey`, the backends,
 * `DhGroup.make` with an unknown prime) cost 1–10 ms per run, so they get 10,000 runs through
 * the `ModExp` seam with a stand-in backend (fast, deterministic 256-byte results, so every
 * branch of the function's own input handling runs), plus a few hundred runs on both real
 * backends. The arithmetic itself is checked against independent vectors elsewhere
 * (vectors.test.ts, properties.test.ts).
 */

import { assert, describe, it } from "@effect/vitest"
import { sha256 } from "@noble/hashes/sha2.js"
import { Cause, Effect, Exit, Layer, Option, Redacted, Result } from "effect"
import fc from "fast-check"
import {
  CryptoError,
  DhGroup,
  emojiFingerprint,
  Fingerprint,
  gAHash,
  KeyExchange,
  keyFingerprint,
  ModExp,
  type PhoneCallProtocol,
  Protocol,
  SecureRandom
} from "../src/index.js"
import { backends, success } from "./helpers.js"

const RUNS = 10_000
const group = success(DhGroup.telegram(3))
const [, native] = backends[0]!
const [, portable] = backends[1]!

/** Calls `f`; fails the test if it throws (with the input), otherwise returns its value. */
const noThrow = <A>(f: () => A, input: unknown): A => {
  try {
    return f()
  } catch (e) {
    return assert.fail(`threw ${String(e)} for ${show(input)}`)
  }
}

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value, (_k, v) =>
      typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v
    )
  } catch {
    return String(value)
  }
}

/** A `Result` whose failure, if any, is one of `tags`. */
const typedResult = (result: unknown, tags: ReadonlyArray<string>, input: unknown): void => {
  assert.isTrue(Result.isResult(result), `not a Result for ${show(input)}`)
  const r = result as Result.Result<unknown, { readonly _tag: string; readonly message: string }>
  if (Result.isFailure(r)) {
    assert.include(tags, r.failure._tag, show(input))
    assert.isString(r.failure.message)
  }
}

/** Runs `self`: no defect, and a failure is one of `tags`. */
const typedExit = <A, E extends { readonly _tag: string }>(
  self: Effect.Effect<A, E>,
  tags: ReadonlyArray<string>,
  input: unknown
) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(Effect.result(Effect.suspend(() => self)))
    if (Exit.isFailure(exit)) return assert.fail(`defect for ${show(input)}: ${Cause.pretty(exit.cause)}`)
    if (Result.isFailure(exit.value)) assert.include(tags, exit.value.failure._tag, show(input))
    return exit.value
  })

// ------------------------------------------------------------------------------ values --

const hostile = fc.oneof(
  fc.anything(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, "abc", "", null, undefined, [], {}, 1n, -1n, true)
)
const anyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.NaN, 65, 92, 1000, 1001, 2 ** 31, -(2 ** 31) - 1)
)
const version = fc.oneof(
  fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([x, y, z]) => `${x}.${y}.${z}`),
  fc.string({ maxLength: 8 })
)
/** What the `PhoneCallProtocol` type allows (a plain object of that shape type-checks). */
const protocol: fc.Arbitrary<PhoneCallProtocol> = fc.record({
  udpP2p: fc.boolean(),
  udpReflector: fc.boolean(),
  minLayer: anyNumber,
  maxLayer: anyNumber,
  libraryVersions: fc.array(version, { maxLength: 6 })
})
/** Hostile protocols: fields of the wrong type, or not an object at all. */
const hostileProtocol = fc.oneof(
  hostile,
  fc.record({
    udpP2p: fc.oneof(fc.boolean(), hostile),
    udpReflector: fc.oneof(fc.boolean(), hostile),
    minLayer: fc.oneof(anyNumber, hostile),
    maxLayer: fc.oneof(anyNumber, hostile),
    libraryVersions: fc.oneof(fc.array(fc.oneof(version, hostile), { maxLength: 4 }), hostile)
  })
) as fc.Arbitrary<PhoneCallProtocol>
const bytes = (maxLength: number) => fc.uint8Array({ maxLength })
const bigint = fc.oneof(
  fc.bigInt(),
  fc.bigInt({ min: -(2n ** 2100n), max: 2n ** 2100n }),
  fc.bigInt({ min: 0n, max: group.p }),
  fc.constantFrom(0n, 1n, group.p - 1n, group.p, 1n << 1984n, group.p - (1n << 1984n), 2n ** 2048n)
)
const validationTags = [
  "ProtocolMalformed",
  "ProtocolFlagsInvalid",
  "ProtocolLayerInvalid",
  "ProtocolVersionsInvalid"
]

// --------------------------------------------------------------------- pure functions --

describe(`pure functions, ${RUNS} runs each: no throw, only documented errors`, () => {
  const check = <T>(arb: fc.Arbitrary<T>, f: (t: T) => void) =>
    fc.assert(fc.property(arb, f), { numRuns: RUNS })

  it("Protocol.validate (typed and hostile protocols)", () => {
    check(fc.oneof(protocol, hostileProtocol), (p) =>
      typedResult(
        noThrow(() => Protocol.validate(p), p),
        validationTags,
        p
      )
    )
  })
  it("Protocol.negotiate (typed and hostile pairs)", () => {
    const either = fc.oneof(protocol, hostileProtocol)
    check(fc.tuple(either, either), ([a, b]) => {
      const r = noThrow(() => Protocol.negotiate(a, b), [a, b])
      typedResult(r, [...validationTags, "ProtocolIncompatible"], [a, b])
      if (Result.isSuccess(r)) assert.isTrue(Number.isInteger(r.success.layer), show([a, b]))
    })
  })
  it("Protocol.compareVersions (any strings: total and antisymmetric)", () => {
    check(fc.tuple(version, version), ([a, b]) => {
      const ab = noThrow(() => Protocol.compareVersions(a, b), [a, b])
      assert.strictEqual(Math.sign(ab), -Math.sign(Protocol.compareVersions(b, a)))
    })
  })
  it("DhGroup.checkGenerator and DhGroup.telegram (any g, any version; hostile g)", () => {
    check(
      fc.tuple(fc.oneof(anyNumber, fc.integer({ min: -2, max: 9 }), hostile), anyNumber, bigint),
      ([g, v, p]) => {
        typedResult(
          noThrow(() => DhGroup.checkGenerator(g as number, p), [g, p]),
          ["DhGeneratorInvalid"],
          [g, p]
        )
        typedResult(
          noThrow(() => DhGroup.telegram(g as number, v), [g, v]),
          ["DhGeneratorInvalid"],
          [g, v]
        )
      }
    )
  })
  it("KeyExchange.parsePublicValue and checkPeerPublicValue (any bytes)", () => {
    check(bytes(300), (b) => {
      typedResult(
        noThrow(() => KeyExchange.parsePublicValue(b), b),
        ["PublicValueMalformed"],
        b
      )
      typedResult(
        noThrow(() => KeyExchange.checkPeerPublicValue(group, b), b),
        ["PublicValueMalformed", "PublicValueOutOfRange"],
        b
      )
    })
  })
  it("KeyExchange.checkPublicValue and encodePublicValue (any bigint; hostile NaN, strings, …)", () => {
    check(
      fc.tuple(fc.oneof(bigint, hostile), fc.constantFrom("own", "peer") as fc.Arbitrary<"own" | "peer">),
      ([x, side]) => {
        typedResult(
          noThrow(() => KeyExchange.checkPublicValue(group, x as bigint, side), x),
          ["PublicValueMalformed", "PublicValueOutOfRange"],
          x
        )
        const encoded = noThrow(() => KeyExchange.encodePublicValue(x as bigint), x)
        typedResult(encoded, ["PublicValueMalformed"], x)
        if (Result.isSuccess(encoded))
          assert.strictEqual(success(KeyExchange.parsePublicValue(encoded.success)), x)
      }
    )
  })
  it("KeyExchange.mixExponent (any lengths)", () => {
    check(fc.tuple(bytes(300), bytes(600)), ([local, server]) => {
      const out = noThrow(() => KeyExchange.mixExponent(local, server), [local, server])
      assert.strictEqual(out.length, local.length)
    })
  })
  it("gAHash, keyFingerprint, keyFingerprintBytes, emojiIndices, emojiFingerprint (any bytes)", () => {
    check(fc.tuple(bytes(300), bytes(300)), ([key, gA]) => {
      assert.strictEqual(noThrow(() => gAHash(gA), gA).length, 32)
      assert.strictEqual(typeof noThrow(() => keyFingerprint(key), key), "bigint")
      assert.strictEqual(noThrow(() => Fingerprint.keyFingerprintBytes(key), key).length, 8)
      for (const i of noThrow(() => Fingerprint.emojiIndices(key, gA), [key, gA]))
        assert.isTrue(i >= 0 && i < 333)
      assert.strictEqual(noThrow(() => emojiFingerprint(key, gA), [key, gA]).length, 4)
    })
  })
  it("the strict variants and the two verifications (any bytes, any bigint)", () => {
    check(
      fc.tuple(bytes(300), bytes(40), fc.oneof(bytes(40), fc.constant(undefined)), bigint),
      ([key, gA, hash, fp]) => {
        typedResult(
          noThrow(() => Fingerprint.keyFingerprintStrict(key), key),
          ["KeyLengthInvalid"],
          key
        )
        typedResult(
          noThrow(() => Fingerprint.emojiFingerprintStrict(key, gA), key),
          ["KeyLengthInvalid"],
          key
        )
        const expected = hash ?? gAHash(gA)
        typedResult(
          noThrow(() => Fingerprint.verifyGAHash(gA, expected), [gA, expected]),
          ["GAHashMismatch"],
          [gA, expected]
        )
        for (const k of [key, Redacted.make(key)]) {
          typedResult(
            noThrow(() => Fingerprint.verifyKeyFingerprint(k, fp), [key, fp]),
            ["KeyFingerprintMismatch"],
            [key, fp]
          )
        }
      }
    )
  })
  it("SecureRandom.checkLength (any number; hostile values)", () => {
    check(fc.oneof(anyNumber, fc.integer({ min: -10, max: 2 ** 25 }), hostile), (n) =>
      typedResult(
        noThrow(() => SecureRandom.checkLength(n as number), n),
        ["RandomLengthInvalid"],
        n
      )
    )
  })
  it("constants and backend choice: telegramPrime, emojiTable, ModExp.native / auto", () => {
    assert.strictEqual(DhGroup.telegramPrime().length, 256)
    assert.strictEqual(Fingerprint.emojiTable.length, 333)
    assert.isTrue(Option.isSome(ModExp.native()))
    assert.strictEqual(ModExp.auto().name, "native")
  })
})

// ------------------------------------------------------------------ effect functions --

/**
 * A stand-in `ModExp` backend: 256-byte results derived from the inputs by SHA-256 (never a
 * real power), so 10,000 runs of a function's own logic cost microseconds. Results land in
 * every region of the range check (below, inside, above).
 */
const standIn: ModExp.Backend = {
  name: "portable",
  powG: (_group, exponent) => expand(exponent),
  powBase: (_group, exponent, base) =>
    expand(new Uint8Array([...exponent.subarray(0, 32), ...base.subarray(0, 32)])),
  isProbablePrime: (n) => (n & 3n) === 3n
}
const expand = (seed: Uint8Array): Uint8Array => {
  const out = new Uint8Array(256)
  let block = sha256(seed)
  for (let off = 0; off < 256; off += 32) {
    out.set(block, off)
    block = sha256(block)
  }
  // spread over the range check's regions: small, in range, near and above p
  const region = out[255]! % 4
  if (region === 0) out.fill(0, 0, 250)
  else if (region === 1) out.set(group.prime.subarray(0, 4), 0)
  else out[0] = Math.min(out[0]!, 0xc6)
  return out
}

/** A SecureRandom that returns a given number of bytes (the wrong number too) or refuses. */
const sourceOf = (behaviour: { readonly length: number } | "refuse" | "live") =>
  behaviour === "live"
    ? SecureRandom.layer
    : Layer.succeed(SecureRandom.SecureRandom, {
        nextBytes: (length) =>
          behaviour === "refuse"
            ? Effect.fail(
                new CryptoError.RandomLengthInvalid({ reason: "too-large", length: String(length), max: 0 })
              )
            : Effect.succeed(new Uint8Array(behaviour.length).fill(0x5a))
      })

const exponent = fc.oneof(
  fc.uint8Array({ minLength: 256, maxLength: 256 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(new Uint8Array(256), new Uint8Array(256).fill(0xff))
)
const source = fc.oneof(
  fc.constant("live" as const),
  fc.constant("refuse" as const),
  fc.integer({ min: 0, max: 300 }).map((length) => ({ length })),
  fc.constant({ length: 256 })
)

const sampled = <T>(arb: fc.Arbitrary<T>, numRuns: number, seed: number) => fc.sample(arb, { numRuns, seed })

describe("Effect functions: no defect, only documented errors", () => {
  for (const [name, backend, runs] of [
    ["stand-in backend", standIn, RUNS],
    ["native", native, 300],
    ["portable", portable, 60]
  ] as const) {
    it.effect(`keyPairFromExponent, ${runs} runs (${name})`, () =>
      Effect.gen(function* () {
        for (const e of sampled(exponent, runs, 11)) {
          const r = yield* typedExit(
            KeyExchange.keyPairFromExponent(group, e),
            ["SecretExponentInvalid", "PublicValueOutOfRange"],
            e
          )
          if (Result.isSuccess(r))
            assert.isTrue(Result.isSuccess(KeyExchange.checkPeerPublicValue(group, r.success.publicValue)))
        }
      }).pipe(Effect.provideService(ModExp.ModExp, backend))
    )
    it.effect(
      `generateKeyPair with well-behaved, short, long and refusing sources, ${runs} runs (${name})`,
      () =>
        Effect.gen(function* () {
          for (const [src, serverRandom] of sampled(fc.tuple(source, bytes(300)), runs, 12)) {
            const r = yield* typedExit(
              KeyExchange.generateKeyPair(group, serverRandom).pipe(Effect.provide(sourceOf(src))),
              ["KeyGenerationFailed"],
              src
            )
            if (Result.isSuccess(r)) assert.strictEqual(Redacted.value(r.success.secret).length, 256)
            else if (src !== "live" && src !== "refuse" && src.length !== 256)
              assert.strictEqual(r.failure.reason, "wrong-length")
          }
        }).pipe(Effect.provideService(ModExp.ModExp, backend))
    )
    it.effect(`computeSharedKey with any peer bytes, ${runs} runs (${name})`, () =>
      Effect.gen(function* () {
        const own = yield* KeyExchange.keyPairFromExponent(group, new Uint8Array(256).fill(7)).pipe(
          Effect.provideService(ModExp.ModExp, native)
        )
        const peer = fc.oneof(
          bytes(300),
          bigint
            .filter((x) => x >= 0n && x < 2n ** 2048n)
            .map((x) => success(KeyExchange.encodePublicValue(x)))
        )
        for (const b of sampled(peer, runs, 13)) {
          const r = yield* typedExit(
            KeyExchange.computeSharedKey(group, own.secret, b),
            ["PublicValueMalformed", "PublicValueOutOfRange"],
            b
          )
          if (Result.isSuccess(r)) assert.strictEqual(Redacted.value(r.success).length, 256)
        }
      }).pipe(Effect.provideService(ModExp.ModExp, backend))
    )
  }
  it.effect(`DhGroup.make with any config, ${RUNS} runs (stand-in primality), 300 on native`, () =>
    Effect.gen(function* () {
      const p = fc.oneof(
        bytes(260),
        fc.uint8Array({ minLength: 256, maxLength: 256 }).map((b) => {
          b[0]! |= 0x80
          b[255]! |= 1
          return b
        }),
        fc.constant(DhGroup.telegramPrime()),
        hostile
      )
      const config = fc.oneof(
        { arbitrary: hostile, weight: 1 },
        {
          arbitrary: fc.record({
            g: fc.oneof(fc.integer({ min: -1, max: 9 }), anyNumber, hostile),
            p,
            version: anyNumber
          }),
          weight: 9
        }
      )
      for (const [backend, runs] of [
        [standIn, RUNS],
        [native, 300]
      ] as const) {
        for (const c of sampled(config, runs, 14)) {
          yield* typedExit(
            DhGroup.make(c as DhGroup.DhConfigInput).pipe(Effect.provideService(ModExp.ModExp, backend)),
            ["DhPrimeInvalid", "DhGeneratorInvalid"],
            c
          )
        }
      }
    })
  )
  it.effect(
    `SecureRandom.nextBytes on both layers, ${RUNS} runs each (valid and invalid lengths, hostile values)`,
    () =>
      Effect.gen(function* () {
        // mostly small lengths; a few around getRandomValues' 65,536-byte limit (chunked reads)
        const length = fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 600 }), weight: 12 },
          { arbitrary: anyNumber, weight: 4 },
          { arbitrary: hostile, weight: 4 },
          { arbitrary: fc.integer({ min: 65_530, max: 65_540 }), weight: 1 }
        )
        for (const layer of [SecureRandom.layer, SecureRandom.layerTest("fuzz")]) {
          const random = yield* SecureRandom.SecureRandom.pipe(Effect.provide(layer))
          for (const n of sampled(length, RUNS, 15)) {
            const r = yield* typedExit(random.nextBytes(n as number), ["RandomLengthInvalid"], n)
            if (Result.isSuccess(r)) assert.strictEqual(r.success.length, n)
          }
        }
      })
  )
  it("the real backends' powG / powBase with exponents of any length (0–300 bytes), 200 runs each", () => {
    const base = native.powG(group, new Uint8Array(256).fill(0x42))
    for (const e of sampled(fc.uint8Array({ maxLength: 300 }), 200, 16)) {
      for (const b of [native, portable]) {
        assert.strictEqual(noThrow(() => b.powG(group, e), e).length, 256)
        assert.strictEqual(noThrow(() => b.powBase(group, e, base), e).length, 256)
      }
      assert.deepStrictEqual(portable.powG(group, e), native.powG(group, e))
    }
  })
})
