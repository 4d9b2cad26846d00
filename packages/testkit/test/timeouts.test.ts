/**
 * Ring and receive timeouts run on Effect's Clock: `TestClock.adjust` drives them.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Model } from "@tgphone/core"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { as, duo, gB, invoke, protocol, ring } from "./support.js"

const last = (updates: ReadonlyArray<Model.Update>) => {
  const u = updates.at(-1)
  return u?._tag === "UpdatePhoneCall" ? u.phoneCall : undefined
}

describe("TestTelegram timeouts (TestClock)", () => {
  it.effect("an acknowledged call rings for callRingTimeoutMs, then ends as Missed for both", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const peer = yield* ring(d)
      yield* TestClock.adjust("10 seconds")
      yield* as(d.world, d.bob)(invoke("phone.receivedCall", { peer }))
      yield* TestClock.adjust("89999 millis")
      assert.strictEqual(Option.getOrThrow(yield* d.world.call(peer.id)).state, "Waiting")
      yield* TestClock.adjust("1 millis")
      const info = Option.getOrThrow(yield* d.world.call(peer.id))
      assert.strictEqual(info.state, "Discarded")
      assert.deepStrictEqual(info.discard, {
        by: "server",
        reason: { _tag: "Missed" },
        needRating: false,
        needDebug: false
      })
      for (const user of [d.alice, d.bob]) {
        const call = last(yield* d.world.updatesOf(user))
        assert.strictEqual(call?._tag === "PhoneCallDiscarded" && call.reason?._tag, "Missed")
      }
    })
  )

  it.effect("an unacknowledged call ends as Missed after callReceiveTimeoutMs", () =>
    Effect.gen(function* () {
      const d = yield* duo({ callReceiveTimeoutMs: 5_000 })
      const peer = yield* ring(d)
      yield* TestClock.adjust("4999 millis")
      assert.strictEqual(Option.getOrThrow(yield* d.world.call(peer.id)).state, "Waiting")
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(Option.getOrThrow(yield* d.world.call(peer.id)).discard?.reason, {
        _tag: "Missed"
      })
    })
  )

  it.effect("an answered call is not timed out", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const peer = yield* ring(d)
      yield* as(d.world, d.bob)(invoke("phone.receivedCall", { peer }))
      yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
      yield* TestClock.adjust("10 minutes")
      assert.strictEqual(Option.getOrThrow(yield* d.world.call(peer.id)).state, "Accepted")
    })
  )
})
