/**
 * SecureRandom: every valid length is served (the live layer chunks getRandomValues' 65,536-byte
 * limit), every invalid one fails with RandomLengthInvalid (issue 12), and the seeded test stream
 * is what its JSDoc says, read in any split.
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { SecureRandom } from "../src/index.js"
import { failure, success } from "./helpers.js"

const live = (length: number) => SecureRandom.nextBytes(length).pipe(Effect.provide(SecureRandom.layer))
const seeded = (seed: string) => (length: number) =>
  SecureRandom.nextBytes(length).pipe(Effect.provide(SecureRandom.layerTest(seed)))

const invalid: ReadonlyArray<readonly [unknown, "not-an-integer" | "negative" | "too-large"]> = [
  [-1, "negative"],
  [-(2 ** 40), "negative"],
  [1.5, "not-an-integer"],
  [Number.NaN, "not-an-integer"],
  [Number.POSITIVE_INFINITY, "not-an-integer"],
  [Number.NEGATIVE_INFINITY, "not-an-integer"],
  [SecureRandom.MAX_LENGTH + 1, "too-large"],
  [2 ** 53, "too-large"],
  ["8", "not-an-integer"],
  [8n, "not-an-integer"],
  [undefined, "not-an-integer"]
]

describe("invalid lengths fail typed on every layer (issue 12: the live layer died)", () => {
  for (const [name, draw] of [
    ["live", live],
    ["layerTest", seeded("x")]
  ] as const) {
    it.effect(`${name}: -1, 1.5, NaN, ±Infinity, > MAX_LENGTH, non-numbers`, () =>
      Effect.gen(function* () {
        for (const [length, reason] of invalid) {
          const e = yield* Effect.flip(draw(length as number))
          assert.strictEqual(e._tag, "RandomLengthInvalid")
          assert.strictEqual(e.reason, reason, String(length))
          assert.strictEqual(e.max, SecureRandom.MAX_LENGTH)
          assert.deepStrictEqual(failure(SecureRandom.checkLength(length as number)), e)
        }
      })
    )
  }
  it("messages say what was asked and what is allowed", () => {
    assert.strictEqual(
      failure(SecureRandom.checkLength(-1)).message,
      "random length must not be negative, got -1"
    )
    assert.strictEqual(
      failure(SecureRandom.checkLength(1.5)).message,
      "random length must be an integer, got 1.5"
    )
    assert.strictEqual(
      failure(SecureRandom.checkLength(2 ** 25)).message,
      `random length must be at most 16777216 bytes, got ${2 ** 25}`
    )
    assert.strictEqual(success(SecureRandom.checkLength(0)), 0)
    assert.strictEqual(success(SecureRandom.checkLength(SecureRandom.MAX_LENGTH)), 2 ** 24)
  })
})

describe("the live layer", () => {
  it.effect("serves every valid length, also above getRandomValues' 65,536-byte limit", () =>
    Effect.gen(function* () {
      for (const length of [0, 1, 32, 256, 65_536, 65_537, 200_000, SecureRandom.MAX_LENGTH]) {
        const bytes = yield* live(length)
        assert.instanceOf(bytes, Uint8Array)
        assert.strictEqual(bytes.length, length)
      }
      // each chunk is fresh randomness, not a repeated or empty block
      const big = yield* live(3 * 65_536)
      const chunks = [0, 1, 2].map((i) =>
        Buffer.from(big.subarray(i * 65_536, (i + 1) * 65_536)).toString("hex")
      )
      assert.strictEqual(new Set(chunks).size, 3)
      assert.notStrictEqual(chunks[2], "00".repeat(65_536))
    })
  )
})

describe("the seeded test layer", () => {
  it.effect("block i is SHA-256(seed ‖ '/' ‖ i as 8 bytes, big-endian), recomputed with node:crypto", () =>
    Effect.gen(function* () {
      const expected = (i: number) => {
        const counter = Buffer.alloc(8)
        counter.writeBigUInt64BE(BigInt(i))
        return createHash("sha256").update("alice/").update(counter).digest()
      }
      const bytes = yield* seeded("alice")(100)
      assert.deepStrictEqual(
        Buffer.from(bytes),
        Buffer.concat([expected(0), expected(1), expected(2), expected(3)]).subarray(0, 100)
      )
    })
  )
  it.effect(
    "gives the same stream whatever the split of the reads (property), and serves 1 MiB in one read",
    () =>
      Effect.gen(function* () {
        const splits = fc.sample(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 12 }), {
          numRuns: 200,
          seed: 7
        })
        for (const lengths of splits) {
          const total = lengths.reduce((a, b) => a + b, 0)
          const whole = yield* seeded("split")(total)
          const parts = yield* Effect.gen(function* () {
            const random = yield* SecureRandom.SecureRandom
            const out: Array<Uint8Array> = []
            for (const n of lengths) out.push(yield* random.nextBytes(n))
            return out
          }).pipe(Effect.provide(SecureRandom.layerTest("split")))
          assert.deepStrictEqual(Buffer.concat(parts), Buffer.from(whole), JSON.stringify(lengths))
        }
        const mib = yield* seeded("big")(1 << 20)
        assert.strictEqual(mib.length, 1 << 20)
        const tail = createHash("sha256")
          .update("big/")
          .update(Buffer.from([0, 0, 0, 0, 0, 0, 0x7f, 0xff]))
          .digest()
        assert.deepStrictEqual(Buffer.from(mib.subarray((1 << 20) - 32)), tail) // block 32,767 ends the MiB
      })
  )
})
