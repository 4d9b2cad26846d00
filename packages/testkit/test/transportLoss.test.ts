/**
 * An active call whose transport is lost (issue 12, "the server stops while a call is active"),
 * on the in-memory world with `TestClock`: a transport gone for longer than the call's connect
 * timeout ends the call on each side with reason Disconnect and `ended` completes; a shorter
 * outage leaves the call active; a hang-up during an outage does not wait for an answer.
 */
import { assert, describe, it } from "@effect/vitest"
import { PhoneCalls, type TelegramRpc } from "@tgphone/core"
import { SecureRandom } from "@tgphone/crypto"
import { Context, Duration, Effect, Fiber, Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import type * as TestTelegram from "../src/TestTelegram.js"
import { duo } from "./support.js"

const connect = Duration.seconds(5)

/** A `PhoneCalls` service acting as `user` (connect timeout 5 s), built in the current scope. */
const phoneCallsFor = (world: TestTelegram.Service, user: TestTelegram.TestUser, seed: string) =>
  Effect.gen(function* () {
    const layer = PhoneCalls.layer({ timeouts: { connect } }).pipe(
      Layer.provide(Layer.mergeAll(world.layerFor(user), SecureRandom.layerTest(seed)))
    )
    return Context.get(yield* Layer.build(layer), PhoneCalls.PhoneCalls)
  }).pipe(Effect.orDie)

/** Alice calls Bob, Bob answers: both active calls. */
const activeCall = Effect.gen(function* () {
  const { world, alice, bob } = yield* duo()
  const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
  const bobCalls = yield* phoneCallsFor(world, bob, "bob")
  const incoming = yield* bobCalls.listen
  const bobSide = yield* Effect.forkChild(
    Effect.flatMap(Stream.runHead(incoming), (call) =>
      Effect.flatMap(Effect.fromOption(call), (c) => c.accept())
    )
  )
  const aliceCall = yield* aliceCalls.call("@bob_b")
  const bobCall = yield* Fiber.join(bobSide)
  return { world, alice, bob, aliceCall, bobCall }
}).pipe(Effect.orDie)

/** The reasons of the `phone.discardCall` requests `user` sent, in order. */
const discardsOf = (world: TestTelegram.Service, user: TestTelegram.TestUser) =>
  Effect.map(world.requestsOf("phone.discardCall", user), (requests) =>
    requests.map((r) => r.params.reason._tag)
  )

const endedByTransport = (callId: bigint) => ({
  _tag: "Ended" as const,
  callId,
  reason: "Disconnect" as const,
  by: "us" as const,
  needRating: false,
  needDebug: false
})

describe("PhoneCalls: an active call whose transport is lost", () => {
  it.effect("both transports gone for longer than the connect timeout: both sides end with Disconnect", () =>
    Effect.gen(function* () {
      const { world, alice, bob, aliceCall, bobCall } = yield* activeCall
      const aliceEnded = yield* Effect.forkChild(aliceCall.ended)
      const bobEnded = yield* Effect.forkChild(bobCall.ended)
      // the server stops: neither side reaches it any more
      yield* world.disconnect(alice)
      yield* world.disconnect(bob)
      yield* TestClock.adjust(Duration.subtract(connect, Duration.millis(1)))
      assert.isUndefined(aliceEnded.pollUnsafe())
      assert.isUndefined(bobEnded.pollUnsafe())
      yield* TestClock.adjust(Duration.millis(1))
      assert.deepStrictEqual(yield* Fiber.join(aliceEnded), endedByTransport(aliceCall.id))
      assert.deepStrictEqual(yield* Fiber.join(bobEnded), endedByTransport(bobCall.id))
      // the states stream ends with it, and hanging up afterwards does nothing
      assert.deepStrictEqual(
        Array.from(yield* Stream.runCollect(aliceCall.states), (s) => s._tag),
        ["Ended"]
      )
      yield* aliceCall.hangUp
      // the one discard (reason Disconnect) was attempted while the server was unreachable
      assert.deepStrictEqual(yield* discardsOf(world, alice), ["Disconnect"])
    })
  )

  it.effect("one side's transport gone: only that side ends (the world fails its discard at once)", () =>
    Effect.gen(function* () {
      const { world, alice, aliceCall, bobCall } = yield* activeCall
      const bobEnded = yield* Effect.forkChild(bobCall.ended)
      yield* world.disconnect(alice)
      yield* TestClock.adjust(connect)
      assert.deepStrictEqual(yield* aliceCall.ended, endedByTransport(aliceCall.id))
      // the world fails a disconnected user's requests at once: the discard did not get through
      assert.deepStrictEqual(yield* discardsOf(world, alice), ["Disconnect"])
      assert.isUndefined(bobEnded.pollUnsafe())
      assert.strictEqual(Option.getOrUndefined(yield* world.call(aliceCall.id))?.state, "Active")
    })
  )

  it.effect("an outage shorter than the connect timeout does not end the call", () =>
    Effect.gen(function* () {
      const { world, alice, bob, aliceCall, bobCall } = yield* activeCall
      const aliceEnded = yield* Effect.forkChild(aliceCall.ended)
      yield* world.disconnect(alice)
      yield* TestClock.adjust(Duration.subtract(connect, Duration.millis(1)))
      yield* world.reconnect(alice)
      yield* TestClock.adjust(Duration.times(connect, 3))
      assert.isUndefined(aliceEnded.pollUnsafe())
      // a second outage starts its own full timeout
      yield* world.disconnect(alice)
      yield* TestClock.adjust(Duration.subtract(connect, Duration.millis(1)))
      yield* world.reconnect(alice)
      yield* TestClock.adjust(Duration.seconds(1))
      assert.isUndefined(aliceEnded.pollUnsafe())
      // the call still works: Alice hangs up, Bob sees it
      yield* aliceCall.hangUp
      const aliceSaw = yield* Fiber.join(aliceEnded)
      assert.strictEqual(aliceSaw.reason, "Hangup")
      assert.strictEqual(aliceSaw.by, "us")
      const bobSaw = yield* bobCall.ended
      assert.strictEqual(bobSaw.reason, "Hangup")
      assert.strictEqual(bobSaw.by, "peer")
      assert.deepStrictEqual(yield* discardsOf(world, alice), ["Hangup"])
      assert.deepStrictEqual(yield* discardsOf(world, bob), [])
    })
  )

  it.effect("hanging up during an outage fails at once with TransportFailure and ends the call here", () =>
    Effect.gen(function* () {
      const { world, alice, aliceCall } = yield* activeCall
      yield* world.disconnect(alice)
      const error = yield* Effect.flip(aliceCall.hangUp)
      assert.strictEqual(error._tag, "TransportFailure")
      assert.deepStrictEqual(yield* aliceCall.ended, {
        _tag: "Ended",
        callId: aliceCall.id,
        reason: "Hangup",
        by: "us",
        needRating: false,
        needDebug: false
      })
    })
  )
})

/** The seam's `connection` of the world follows `disconnect` / `reconnect`, live when it returns. */
describe("TestTelegram: the seam's connection state", () => {
  it.effect("starts with the current state and reports each change", () =>
    Effect.gen(function* () {
      const { world, alice } = yield* duo()
      const rpc: TelegramRpc.TelegramRpc["Service"] = yield* world.rpcFor(alice)
      const states = yield* rpc.connection
      yield* world.disconnect(alice)
      yield* world.reconnect(alice)
      const later = yield* rpc.connection
      yield* world.disconnect(alice)
      assert.deepStrictEqual(Array.from(yield* Stream.runCollect(Stream.take(states, 4))), [
        "Connected",
        "Disconnected",
        "Connected",
        "Disconnected"
      ])
      assert.deepStrictEqual(Array.from(yield* Stream.runCollect(Stream.take(later, 2))), [
        "Connected",
        "Disconnected"
      ])
    })
  )
})
