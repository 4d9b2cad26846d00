/**
 * The world driven through `@tgphone/core`'s `Phone.*`: the raw server errors the world answers
 * with arrive as core's tagged errors, exactly as they do from the real server.
 */
import { assert, describe, it } from "@effect/vitest"
import { Errors, Phone } from "@tgphone/core"
import { Duration, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { duo, gAHash, gB, protocol } from "./support.js"

const protocolInput = {
  udpP2p: protocol.udpP2p,
  udpReflector: protocol.udpReflector,
  minLayer: protocol.minLayer,
  maxLayer: protocol.maxLayer,
  libraryVersions: [...protocol.libraryVersions]
}

describe("TestTelegram through Phone.*", () => {
  it.effect("privacy: requestCall fails with the tagged UserPrivacyRestricted", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      yield* world.setPrivacy(bob, { allow: "nobody" })
      const error = yield* Effect.flip(
        Phone.requestCall({ userId: "@bob_b", randomId: 1, gAHash, protocol: protocolInput }).pipe(
          Effect.provide(world.layerFor(alice))
        )
      )
      assert.strictEqual(error._tag, "UserPrivacyRestricted")
      if (error._tag === "UserPrivacyRestricted") {
        assert.strictEqual(error.code, 403)
        assert.strictEqual(error.type, "USER_PRIVACY_RESTRICTED")
      }
      // Phone resolved "@bob_b" through the world before sending
      assert.deepStrictEqual(
        (yield* world.requests).map((r) => r.method),
        ["contacts.resolveUsername", "phone.requestCall"]
      )
    })
  )

  it.effect(
    "a flood wait arrives as FloodWait with retryAfter, and floodWaitSchedule retries on the TestClock",
    () =>
      Effect.gen(function* () {
        const { world, alice } = yield* duo()
        yield* world.floodWait("phone.requestCall", 7)
        const call = Phone.requestCall({
          userId: "@bob_b",
          randomId: 3,
          gAHash,
          protocol: protocolInput
        }).pipe(Effect.provide(world.layerFor(alice)))
        const error = yield* Effect.flip(call)
        assert.strictEqual(error._tag, "FloodWait")
        if (error._tag === "FloodWait") assert.strictEqual(Duration.toSeconds(error.retryAfter), 7)

        yield* world.floodWait("phone.requestCall", 7)
        const retried = yield* Effect.forkChild(
          Phone.requestCall({ userId: "@bob_b", randomId: 4, gAHash, protocol: protocolInput }).pipe(
            Effect.retry(Errors.floodWaitSchedule({ maxWait: "1 minute" })),
            Effect.provide(world.layerFor(alice))
          )
        )
        yield* TestClock.adjust("6999 millis")
        assert.strictEqual((yield* world.requestsWhere({ method: "phone.requestCall" })).length, 2)
        yield* TestClock.adjust("1 millis")
        const result = yield* Fiber.join(retried)
        assert.strictEqual(result.phoneCall._tag, "PhoneCallWaiting")
        assert.deepStrictEqual(
          (yield* world.requestsWhere({ method: "phone.requestCall" })).map((r) => r.atMillis),
          [0, 0, 7000]
        )
      })
  )

  it.effect(
    "answered elsewhere: accepting twice is CallAlreadyAccepted; a bot gets BotMethodForbidden without a request",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const requested = yield* Phone.requestCall({
          userId: "@bob_b",
          randomId: 5,
          gAHash,
          protocol: protocolInput
        }).pipe(Effect.provide(world.layerFor(alice)))
        const c = requested.phoneCall
        if (c._tag !== "PhoneCallWaiting") return assert.fail(`expected PhoneCallWaiting, got ${c._tag}`)
        const accept = Phone.acceptCall({
          peer: { id: c.id, accessHash: c.accessHash },
          gB,
          protocol: protocolInput
        }).pipe(Effect.provide(world.layerFor(bob)))
        yield* accept
        assert.strictEqual((yield* Effect.flip(accept))._tag, "CallAlreadyAccepted")

        const bot = yield* world.addUser({ firstName: "Helper", bot: true })
        const before = (yield* world.requests).length
        const botError = yield* Effect.flip(Phone.getCallConfig().pipe(Effect.provide(world.layerFor(bot))))
        assert.strictEqual(botError._tag, "BotMethodForbidden")
        assert.strictEqual((yield* world.requests).length, before)
      })
  )
})
