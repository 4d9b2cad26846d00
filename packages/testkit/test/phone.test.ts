/**
 * The world driven through `@tgphone/core`'s `Phone.*`: the raw server errors the world answers
 * with arrive as core's tagged errors, exactly as they do from the real server.
 */
import { describe, expect, it } from "@effect/vitest"
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
      expect(error._tag).toBe("UserPrivacyRestricted")
      if (error._tag === "UserPrivacyRestricted") {
        expect(error.code).toBe(403)
        expect(error.type).toBe("USER_PRIVACY_RESTRICTED")
      }
      // Phone resolved "@bob_b" through the world before sending
      expect((yield* world.requests).map((r) => r.method)).toEqual([
        "contacts.resolveUsername",
        "phone.requestCall"
      ])
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
        expect(error._tag).toBe("FloodWait")
        if (error._tag === "FloodWait") expect(Duration.toSeconds(error.retryAfter)).toBe(7)

        yield* world.floodWait("phone.requestCall", 7)
        const retried = yield* Effect.forkChild(
          Phone.requestCall({ userId: "@bob_b", randomId: 4, gAHash, protocol: protocolInput }).pipe(
            Effect.retry(Errors.floodWaitSchedule({ maxWait: "1 minute" })),
            Effect.provide(world.layerFor(alice))
          )
        )
        yield* TestClock.adjust("6999 millis")
        expect((yield* world.requestsWhere({ method: "phone.requestCall" })).length).toBe(2)
        yield* TestClock.adjust("1 millis")
        const result = yield* Fiber.join(retried)
        expect(result.phoneCall._tag).toBe("PhoneCallWaiting")
        expect((yield* world.requestsWhere({ method: "phone.requestCall" })).map((r) => r.atMillis)).toEqual([
          0, 0, 7000
        ])
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
        if (c._tag !== "PhoneCallWaiting") return expect.fail(`expected PhoneCallWaiting, got ${c._tag}`)
        const accept = Phone.acceptCall({
          peer: { id: c.id, accessHash: c.accessHash },
          gB,
          protocol: protocolInput
        }).pipe(Effect.provide(world.layerFor(bob)))
        yield* accept
        expect((yield* Effect.flip(accept))._tag).toBe("CallAlreadyAccepted")

        const bot = yield* world.addUser({ firstName: "Helper", bot: true })
        const before = (yield* world.requests).length
        const botError = yield* Effect.flip(Phone.getCallConfig().pipe(Effect.provide(world.layerFor(bot))))
        expect(botError._tag).toBe("BotMethodForbidden")
        expect((yield* world.requests).length).toBe(before)
      })
  )
})
