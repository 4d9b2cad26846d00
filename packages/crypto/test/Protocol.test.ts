/** PhoneCallProtocol presets, validate and negotiate. */
import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { PhoneCallProtocol, Protocol } from "../src/index.js"
import { failure as fail, success as run } from "./helpers.js"

const make = (fields: Partial<ConstructorParameters<typeof PhoneCallProtocol>[0]>) =>
  new PhoneCallProtocol({ ...Protocol.defaultProtocol, ...fields })

describe("presets", () => {
  it("match what official clients send and all validate", () => {
    assert.deepStrictEqual(Protocol.android.libraryVersions, [
      "2.4.4",
      "2.7.7",
      "5.0.0",
      "6.0.0",
      "7.0.0",
      "8.0.0",
      "9.0.0",
      "10.0.0",
      "11.0.0"
    ])
    assert.deepStrictEqual([Protocol.android.minLayer, Protocol.android.maxLayer], [65, 92])
    assert.deepStrictEqual([Protocol.telegramTt.minLayer, Protocol.telegramTt.maxLayer], [92, 92])
    assert.deepStrictEqual(Protocol.telegramTt.libraryVersions, ["4.0.0"])
    assert.deepStrictEqual([...Protocol.defaultProtocol.libraryVersions].sort(Protocol.compareVersions), [
      ...Protocol.android.libraryVersions
    ])
    assert.strictEqual(Protocol.defaultProtocol.libraryVersions[0], "11.0.0")
    for (const p of [Protocol.android, Protocol.telegramTt, Protocol.defaultProtocol]) {
      assert.strictEqual(run(Protocol.validate(p)), p)
      assert.isTrue(p.udpP2p && p.udpReflector)
    }
  })
  it("round-trip through the Schema", () => {
    const decoded = Schema.decodeUnknownSync(PhoneCallProtocol)({
      udpP2p: true,
      udpReflector: true,
      minLayer: 65,
      maxLayer: 92,
      libraryVersions: ["4.0.0"]
    })
    assert.strictEqual(run(Protocol.validate(decoded)).maxLayer, 92)
  })
})

describe("validate", () => {
  it("requires both transport flags (mirrors CALL_PROTOCOL_FLAGS_INVALID)", () => {
    for (const [udpP2p, udpReflector] of [
      [false, true],
      [true, false],
      [false, false]
    ] as const) {
      const e = fail(Protocol.validate(make({ udpP2p, udpReflector })))
      assert.strictEqual(e._tag, "ProtocolFlagsInvalid")
      assert.strictEqual(e.field, udpP2p ? "udpReflector" : "udpP2p")
      assert.include(e.message, "udp_p2p")
    }
  })
  it("rejects bad layer ranges (mirrors CALL_PROTOCOL_LAYER_INVALID)", () => {
    const cases = [
      [93, 92, "min-above-max"],
      [0, 92, "min-below-1"],
      [-5, 70, "min-below-1"],
      [10, 64, "max-below-65"],
      [65, 1001, "max-above-limit"],
      [65, 2 ** 31 - 1, "max-above-limit"],
      // issue 12: non-integer layers were accepted
      [Number.NaN, 92, "min-not-integer"],
      [1.5, 92, "min-not-integer"],
      [65, 92.5, "max-not-integer"],
      [65, Number.NaN, "max-not-integer"],
      [65, Number.POSITIVE_INFINITY, "max-not-integer"],
      // issue 12: a bad max_layer was reported as min_layer's fault
      [65, -1, "max-below-65"],
      [65, 0, "max-below-65"],
      [65, -(2 ** 31) - 1, "max-below-65"]
    ] as const
    for (const [minLayer, maxLayer, reason] of cases) {
      // a plain object: the class constructor would refuse NaN before validate sees it
      const e = fail(Protocol.validate({ ...Protocol.defaultProtocol, minLayer, maxLayer }))
      assert.strictEqual(e._tag === "ProtocolLayerInvalid" && e.reason, reason, `${minLayer}..${maxLayer}`)
      assert.strictEqual(e.field, reason.startsWith("min") ? "minLayer" : "maxLayer")
    }
    assert.strictEqual(run(Protocol.validate(make({ minLayer: 1, maxLayer: 65 }))).minLayer, 1)
  })
  it("rejects values the types rule out with ProtocolMalformed naming the field (issue 12)", () => {
    const cases: ReadonlyArray<readonly [unknown, string, string]> = [
      [{ ...Protocol.defaultProtocol, udpP2p: "yes" }, "udpP2p", 'udpP2p must be a boolean (got "yes")'],
      [
        { ...Protocol.defaultProtocol, udpReflector: 1 },
        "udpReflector",
        "udpReflector must be a boolean (got 1)"
      ],
      [{ ...Protocol.defaultProtocol, minLayer: "65" }, "minLayer", 'minLayer must be a number (got "65")'],
      [{ ...Protocol.defaultProtocol, maxLayer: 92n }, "maxLayer", "maxLayer must be a number (got 92n)"],
      [
        { ...Protocol.defaultProtocol, libraryVersions: "11.0.0" },
        "libraryVersions",
        'libraryVersions must be an array of strings (got "11.0.0")'
      ],
      [
        { ...Protocol.defaultProtocol, libraryVersions: ["11.0.0", 11] },
        "libraryVersions",
        "libraryVersions must be an array of strings (got an entry 11)"
      ],
      [null, "protocol", "the protocol must be an object (got null)"],
      [undefined, "protocol", "the protocol must be an object (got undefined)"],
      ["65/92", "protocol", 'the protocol must be an object (got "65/92")']
    ]
    for (const [value, field, message] of cases) {
      const e = fail(Protocol.validate(value as PhoneCallProtocol))
      assert.strictEqual(e._tag, "ProtocolMalformed")
      assert.strictEqual(e.field, field)
      assert.strictEqual(e.message, message)
    }
  })
  it("returns a PhoneCallProtocol for a valid plain object, and the instance itself otherwise", () => {
    const plain = { udpP2p: true, udpReflector: true, minLayer: 65, maxLayer: 92, libraryVersions: ["4.0.0"] }
    const validated = run(Protocol.validate(plain))
    assert.instanceOf(validated, PhoneCallProtocol)
    assert.deepStrictEqual({ ...validated, libraryVersions: [...validated.libraryVersions] }, plain)
    assert.strictEqual(run(Protocol.validate(Protocol.android)), Protocol.android)
  })
  it("rejects empty, malformed and duplicate library versions", () => {
    const cases = [
      [[], "empty"],
      [["4.0"], "malformed"],
      [["v4.0.0"], "malformed"],
      [["4.0.0-beta"], "malformed"],
      [["04.0.0"], "malformed"],
      [[" 4.0.0"], "malformed"],
      [["4.0.0", "4.0.0"], "duplicate"]
    ] as const
    for (const [libraryVersions, reason] of cases) {
      const e = fail(Protocol.validate(make({ libraryVersions })))
      assert.strictEqual(
        e._tag === "ProtocolVersionsInvalid" && e.reason,
        reason,
        JSON.stringify(libraryVersions)
      )
    }
  })
})

describe("negotiate", () => {
  it("picks the smaller max layer and the highest common version", () => {
    assert.deepStrictEqual(run(Protocol.negotiate(Protocol.defaultProtocol, Protocol.android)), {
      layer: 92,
      libraryVersion: "11.0.0"
    })
    const older = make({ maxLayer: 80, libraryVersions: ["2.7.7", "9.0.0", "10.0.0"] })
    assert.deepStrictEqual(run(Protocol.negotiate(Protocol.android, older)), {
      layer: 80,
      libraryVersion: "10.0.0"
    })
  })
  it("compares versions numerically, not as strings", () => {
    assert.isAbove(Protocol.compareVersions("10.0.0", "9.0.0"), 0)
    assert.isBelow(Protocol.compareVersions("2.4.4", "2.7.7"), 0)
    assert.strictEqual(Protocol.compareVersions("4.0.0", "4.0.0"), 0)
    assert.isAbove(Protocol.compareVersions("0.0.1", "banana"), 0)
  })
  it("fails when no library version is shared (Android vs telegram-tt)", () => {
    const e = fail(Protocol.negotiate(Protocol.android, Protocol.telegramTt))
    assert.strictEqual(e._tag === "ProtocolIncompatible" && e.reason, "library-versions")
    assert(e._tag === "ProtocolIncompatible")
    assert.strictEqual(e.ours, Protocol.android)
    assert.strictEqual(e.theirs, Protocol.telegramTt)
    assert.include(e.message, "4.0.0")
  })
  it("fails when the layer ranges do not overlap", () => {
    const e = fail(
      Protocol.negotiate(
        Protocol.telegramTt,
        make({ minLayer: 65, maxLayer: 80, libraryVersions: ["4.0.0"] })
      )
    )
    assert.strictEqual(e._tag === "ProtocolIncompatible" && e.reason, "layer")
    assert.include(e.message, "no common layer")
  })
  it("validates both sides first, typed, never throwing (issue 12: NaN / 1.5 layers)", () => {
    const nan = { ...Protocol.defaultProtocol, maxLayer: Number.NaN }
    const half = { ...Protocol.defaultProtocol, minLayer: 1.5 }
    // before: `layer: NaN` succeeded, and an incompatible pair threw "Schema validation failed"
    assert.strictEqual(fail(Protocol.negotiate(nan, Protocol.android))._tag, "ProtocolLayerInvalid")
    assert.strictEqual(fail(Protocol.negotiate(half, Protocol.telegramTt))._tag, "ProtocolLayerInvalid")
    assert.strictEqual(
      fail(Protocol.negotiate(Protocol.android, make({ udpP2p: false })))._tag,
      "ProtocolFlagsInvalid"
    )
    const flags = fail(Protocol.negotiate(Protocol.android, { ...Protocol.android, udpP2p: "yes" } as never))
    assert.strictEqual(flags._tag === "ProtocolMalformed" && flags.field, "udpP2p")
  })
  it("picks unknown (future) versions by number, and refuses malformed ones as validate does", () => {
    const future = make({ libraryVersions: ["12.0.0", "4.0.1", "100.0.0"] })
    const other = make({ libraryVersions: ["4.0.1", "12.0.0"] })
    assert.strictEqual(run(Protocol.negotiate(future, other)).libraryVersion, "12.0.0")
    const a = make({ libraryVersions: ["banana", "12.0.0", "4.0.1"] })
    const b = make({ libraryVersions: ["4.0.1", "banana", "12.0.0"] })
    assert.strictEqual(fail(Protocol.negotiate(a, b))._tag, "ProtocolVersionsInvalid")
    assert.strictEqual(Protocol.compareVersions("banana", "12.0.0"), -1)
  })
  it("is symmetric and picks a version both sides list (property)", () => {
    const version = fc.oneof(
      fc.tuple(fc.nat(12), fc.nat(9), fc.nat(9)).map(([x, y, z]) => `${x}.${y}.${z}`),
      fc.string({ maxLength: 6 })
    )
    const protocol = fc
      .record({
        minLayer: fc.integer({ min: -5, max: 120 }),
        maxLayer: fc.integer({ min: 40, max: 200 }),
        libraryVersions: fc.array(version, { maxLength: 6 })
      })
      .map((f) => make(f))
    fc.assert(
      fc.property(protocol, protocol, (x, y) => {
        const xy = Protocol.negotiate(x, y)
        const yx = Protocol.negotiate(y, x)
        assert.strictEqual(xy._tag, yx._tag)
        // both valid: the outcome (success or incompatibility) is the same either way round
        if (
          Result.isSuccess(Protocol.validate(x)) &&
          Result.isSuccess(Protocol.validate(y)) &&
          Result.isFailure(xy)
        )
          assert.deepStrictEqual(xy.failure._tag, "ProtocolIncompatible")
        if (xy._tag === "Success" && yx._tag === "Success") {
          assert.deepStrictEqual(xy.success, yx.success)
          assert.include(x.libraryVersions, xy.success.libraryVersion)
          assert.include(y.libraryVersions, xy.success.libraryVersion)
          assert.isTrue(xy.success.layer >= Math.max(x.minLayer, y.minLayer))
          assert.isTrue(xy.success.layer <= Math.min(x.maxLayer, y.maxLayer))
        }
      })
    )
  })
})
