/** The private byte ↔ integer helpers (noble's conversions): fixed width never truncates. */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import * as Bytes from "../src/internal/bytes.js"
import { hex, toHex } from "./helpers.js"

describe("toFixedBytes", () => {
  it("refuses values that do not fit instead of truncating (2^2048 used to give 256 zero bytes)", () => {
    assert.isUndefined(Bytes.toFixedBytes(2n ** 2048n, 256))
    assert.isUndefined(Bytes.toFixedBytes(256n, 1))
    assert.isUndefined(Bytes.toFixedBytes(-1n, 256))
    assert.isUndefined(Bytes.toFixedBytes(1n, 0))
    assert.isUndefined(Bytes.toFixedBytes(1n, 1.5))
    assert.strictEqual(toHex(Bytes.toFixedBytes(2n ** 2048n - 1n, 256)!), "ff".repeat(256))
    assert.strictEqual(toHex(Bytes.toFixedBytes(0n, 3)!), "000000")
  })
  it("left-pads big-endian and round-trips with toBigInt (property, against Buffer hex)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 2048n - 1n }), (n) => {
        const fixed = Bytes.toFixedBytes(n, 256)!
        assert.strictEqual(toHex(fixed), n.toString(16).padStart(512, "0"))
        assert.strictEqual(Bytes.toBigInt(fixed), n)
        const minimal = Bytes.toMinimalBytes(n)
        assert.strictEqual(Bytes.toBigInt(minimal), n)
        assert.isTrue(minimal.length === 1 || minimal[0] !== 0)
        assert.strictEqual(Bytes.bitLength(n), n === 0n ? 0 : n.toString(2).length)
      }),
      { numRuns: 2000 }
    )
  })
  it("toBigInt reads any length, empty as 0", () => {
    assert.strictEqual(Bytes.toBigInt(new Uint8Array(0)), 0n)
    assert.strictEqual(Bytes.toBigInt(hex("000102")), 0x102n)
  })
})
