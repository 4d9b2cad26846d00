/**
 * The worked example of docs/testing.md: an application function and its tests. The guide
 * shows this file from its imports on, verbatim (`scripts/docgen.ts --check` compares them).
 */
import { assert, describe, it } from "@effect/vitest"
import { Errors, Phone, type TelegramRpc } from "@tgphone/core"
import { TestTelegram } from "@tgphone/testkit"
import { Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"

// ---- the application code under test -----------------------------------------------------------

const protocol = { udpP2p: true, udpReflector: true, minLayer: 65, maxLayer: 92, libraryVersions: ["11.0.0"] }

/** Rings `user`; says why when it cannot, and sits out short flood waits. */
const ringUser = (
  user: string,
  gAHash: Uint8Array
): Effect.Effect<string, Errors.PhoneError<"phone.requestCall">, TelegramRpc.TelegramRpc> =>
  Phone.requestCall({ userId: user, randomId: 1, gAHash, protocol }).pipe(
    Effect.retry(Errors.floodWaitSchedule({ maxWait: "30 seconds" })),
    Effect.map((r) => `ringing call ${r.phoneCall.id}`),
    Effect.catchTags({
      UserPrivacyRestricted: () => Effect.succeed("not allowed to call"),
      UserIsBlocked: () => Effect.succeed("blocked")
    })
  )

// ---- its tests ----------------------------------------------------------------------------------

const gAHash = new Uint8Array(32)

describe("ringUser", () => {
  it.effect("reports the callee's privacy setting", () =>
    Effect.gen(function* () {
      const world = yield* TestTelegram.TestTelegram
      const me = yield* world.addUser({ firstName: "Me" })
      yield* world.addUser({ firstName: "Bob", username: "bobby", privacy: { allow: "nobody" } })
      const outcome = yield* ringUser("@bobby", gAHash).pipe(Effect.provide(world.layerFor(me)))
      assert.strictEqual(outcome, "not allowed to call")
    }).pipe(Effect.provide(TestTelegram.layer()))
  )

  it.effect("waits out a flood wait on the TestClock, then rings", () =>
    Effect.gen(function* () {
      const world = yield* TestTelegram.TestTelegram
      const me = yield* world.addUser({ firstName: "Me" })
      yield* world.addUser({ firstName: "Bob", username: "bobby" })
      yield* world.floodWait("phone.requestCall", 12) // the next requestCall fails with 420 FLOOD_WAIT_12
      const fiber = yield* Effect.forkChild(
        ringUser("@bobby", gAHash).pipe(Effect.provide(world.layerFor(me)))
      )
      yield* TestClock.adjust("12 seconds")
      const [call] = yield* world.calls
      assert.strictEqual(yield* Fiber.join(fiber), `ringing call ${call?.id}`)
      // two attempts: the flood wait, then the call
      assert.deepStrictEqual(
        (yield* world.requestsWhere({ method: "phone.requestCall" })).map((r) => r.outcome._tag),
        ["Failure", "Success"]
      )
    }).pipe(Effect.provide(TestTelegram.layer()))
  )

  it.effect("an unanswered call ends as Missed after the ring timeout", () =>
    Effect.gen(function* () {
      const world = yield* TestTelegram.TestTelegram
      const me = yield* world.addUser({ firstName: "Me" })
      const bob = yield* world.addUser({ firstName: "Bob", username: "bobby" })
      yield* ringUser("@bobby", gAHash).pipe(Effect.provide(world.layerFor(me)))
      const [call] = yield* world.calls
      // Bob's phone rings (his client acknowledges), nobody answers
      yield* Phone.receivedCall({ peer: { id: call!.id, accessHash: call!.accessHash } }).pipe(
        Effect.provide(world.layerFor(bob))
      )
      yield* TestClock.adjust("90 seconds")
      const ended = Option.getOrThrow(yield* world.call(call!.id))
      assert.deepStrictEqual(ended.discard?.reason, { _tag: "Missed" })
    }).pipe(Effect.provide(TestTelegram.layer()))
  )
})
