/** The README's example, verbatim apart from the import path, run end to end. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import {
  DhGroup,
  emojiFingerprint,
  Fingerprint,
  gAHash,
  KeyExchange,
  keyFingerprint,
  Protocol,
  SecureRandom
} from "../src/index.js"

const call = (dhConfig: { g: number; p: Uint8Array; version: number; random: Uint8Array }) =>
  Effect.gen(function* () {
    const group = yield* DhGroup.make(dhConfig) // spec §3.1 checks
    const caller = yield* KeyExchange.generateKeyPair(group, dhConfig.random)
    const callee = yield* KeyExchange.generateKeyPair(group, dhConfig.random)
    const gAHashSent = gAHash(caller.publicValue) // phone.requestCall
    // callee, on phoneCall: verify the commitment over the bytes received, then derive the key
    yield* Effect.fromResult(Fingerprint.verifyGAHash(caller.publicValue, gAHashSent))
    const keyB = Redacted.value(yield* KeyExchange.computeSharedKey(group, callee.secret, caller.publicValue))
    const keyA = Redacted.value(yield* KeyExchange.computeSharedKey(group, caller.secret, callee.publicValue))
    yield* Effect.fromResult(Fingerprint.verifyKeyFingerprint(keyB, keyFingerprint(keyA)))
    return emojiFingerprint(keyA, caller.publicValue) // the same 4 emoji on both sides
  }).pipe(Effect.provide(SecureRandom.layer))

describe("README example", () => {
  it.effect("runs and yields 4 emoji from the table", () =>
    Effect.gen(function* () {
      const random = new Uint8Array(256).fill(0xa5)
      const emoji = yield* call({ g: 3, p: DhGroup.telegramPrime(), version: 1, random })
      assert.strictEqual(emoji.length, 4)
      for (const e of emoji) assert.include(Fingerprint.emojiTable, e)
    })
  )
  it.effect("fails with a typed error for a bad config", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        call({ g: 5, p: DhGroup.telegramPrime(), version: 1, random: new Uint8Array(0) })
      )
      assert.strictEqual(e._tag, "DhGeneratorInvalid")
    })
  )
  it("the pure-check example prints the field and the message", () => {
    const checked = Protocol.validate({ ...Protocol.defaultProtocol, maxLayer: 0 })
    assert.isTrue(Result.isFailure(checked))
    if (Result.isFailure(checked)) {
      assert.strictEqual(checked.failure.field, "maxLayer")
      assert.strictEqual(checked.failure.message, "max_layer must be at least 65 (min_layer=65, max_layer=0)")
    }
  })
})
