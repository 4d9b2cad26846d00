/**
 * The in-memory server takes its crypto facts from @tgphone/crypto (issue 10 §6): the prime,
 * g_a_hash and the library-version order. The version order used to be a copy that ranked
 * malformed versions differently from `Protocol.compareVersions`, so the test server and a
 * client could settle on different versions.
 */
import { assert, describe, it } from "@effect/vitest"
import { DhGroup, Fingerprint, PhoneCallProtocol, Protocol } from "@tgphone/crypto"
import { Result } from "effect"
import fc from "fast-check"
import * as Dh from "../src/internal/dh.js"
import * as ServerProtocol from "../src/internal/protocol.js"

const withVersions = (libraryVersions: ReadonlyArray<string>) =>
  new PhoneCallProtocol({ ...Protocol.defaultProtocol, libraryVersions })

/** The highest common version by the client library's order. */
const clientChoice = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a
    .filter((v) => b.includes(v))
    .reduce<string | undefined>(
      (best, v) => (best === undefined || Protocol.compareVersions(v, best) > 0 ? v : best),
      undefined
    )

describe("the world's protocol rules use @tgphone/crypto's version order", () => {
  it("picks what Protocol.compareVersions ranks highest, also with malformed entries", () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, ReadonlyArray<string>]> = [
      [
        ["1.0.0", "banana"],
        ["banana", "1.0.0"]
      ],
      [
        ["0.9.0", "1.0"],
        ["1.0", "0.9.0"]
      ],
      [
        ["11.0.0", "9.0.0.1"],
        ["9.0.0.1", "11.0.0"]
      ]
    ]
    for (const [a, b] of cases) {
      const negotiated = ServerProtocol.negotiate(withVersions(a), withVersions(b))
      assert.strictEqual(negotiated?.libraryVersions[0], clientChoice(a, b), JSON.stringify([a, b]))
    }
  })
  it("agrees with the client's order on any lists (property)", () => {
    const version = fc.oneof(
      fc.tuple(fc.nat(12), fc.nat(12), fc.nat(12)).map(([x, y, z]) => `${x}.${y}.${z}`),
      fc.constantFrom("1.0", "banana", "01.0.0", "2.0.0.1", "", "v4.0.0"),
      fc.string({ maxLength: 6 })
    )
    fc.assert(
      fc.property(
        fc.array(version, { minLength: 1, maxLength: 6 }),
        fc.array(version, { minLength: 1, maxLength: 6 }),
        (a, b) => {
          const negotiated = ServerProtocol.negotiate(withVersions(a), withVersions(b))
          assert.strictEqual(negotiated?.libraryVersions[0], clientChoice(a, b))
        }
      ),
      { numRuns: 2000 }
    )
  })
  it("a new user speaks Android's protocol, the preset of @tgphone/crypto", () => {
    assert.deepStrictEqual(ServerProtocol.defaultClientProtocol(), Protocol.android)
  })
})

describe("the world's DH config is @tgphone/crypto's", () => {
  it("hands out Telegram's known prime with a generator that passes DhGroup's checks", () => {
    assert.deepStrictEqual(Dh.knownPrimeBytes(), DhGroup.telegramPrime())
    const group = DhGroup.telegram(Dh.generator)
    assert.isTrue(Result.isSuccess(group) && group.success.isKnownPrime)
  })
  it("checks g_a against g_a_hash as Fingerprint.verifyGAHash does", () => {
    const gA = new Uint8Array([0, 1, 2, 3])
    assert.isTrue(Dh.gAHashMatches(gA, Fingerprint.gAHash(gA)))
    assert.isFalse(Dh.gAHashMatches(gA.subarray(1), Fingerprint.gAHash(gA)))
    assert.isFalse(Dh.gAHashMatches(gA, Fingerprint.gAHash(gA).subarray(0, 31)))
  })
})
