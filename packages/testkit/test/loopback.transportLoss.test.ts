/**
 * An active call over the loopback server whose transport is lost (issue 12, "the server stops
 * while a call is active"), with tgphone's GramJS live layer on both sides: when the server
 * stops, both calls end with reason Disconnect once the transport has been gone for the call's
 * connect timeout, and `ended` completes; a reconnect within the timeout leaves the call up.
 */
import { assert, describe, it } from "@effect/vitest"
import type { TelegramRpc } from "@tgphone/core"
import { Duration, Effect, Exit, Fiber, Scope, Stream } from "effect"
import * as LoopbackServer from "../src/LoopbackServer.js"
import * as TestTelegram from "../src/TestTelegram.js"
import { liveSide } from "./support-loopback.js"

const connect = Duration.millis(1500)

/**
 * A world with Alice and Bob, a loopback server serving it in a scope of its own (closing it
 * stops the server), and an active call between Alice and Bob over GramJS live layers.
 */
const activeCall = Effect.gen(function* () {
  const world = yield* TestTelegram.make({ seed: "transport-loss" })
  const alice = yield* world.addUser({ firstName: "Alice", username: "alice_a" })
  const bob = yield* world.addUser({ firstName: "Bob", username: "bob_b" })
  // stops the server after the clients are released, unless a test stopped it before
  const serverScope = yield* Scope.make()
  yield* Effect.addFinalizer(() => Scope.close(serverScope, Exit.void))
  const server = yield* LoopbackServer.serve(world, { echoResultUpdates: false }).pipe(
    Effect.provideService(Scope.Scope, serverScope)
  )
  const live = (userId: bigint, seed: string) =>
    liveSide(server, userId, seed, { phoneCalls: { timeouts: { connect } } })
  const aliceSide = yield* live(alice.id, "alice")
  const bobSide = yield* live(bob.id, "bob")
  const incoming = yield* bobSide.calls.listen
  const bobFiber = yield* Effect.forkChild(
    Effect.flatMap(Stream.runHead(incoming), (call) =>
      Effect.flatMap(Effect.fromOption(call), (c) => c.accept())
    )
  )
  const aliceCall = yield* aliceSide.calls.call("@bob_b")
  const bobCall = yield* Fiber.join(bobFiber)
  return { world, alice, server, serverScope, aliceSide, bobSide, aliceCall, bobCall }
}).pipe(Effect.orDie)

/** Waits until `states` (a subscription to a `connection`) reports `state`. */
const until = (states: Stream.Stream<TelegramRpc.ConnectionState>, state: TelegramRpc.ConnectionState) =>
  Stream.runDrain(Stream.takeUntil(states, (s) => s === state))

describe("PhoneCalls over the loopback server: the transport is lost mid-call", () => {
  it.live(
    "the server stops: both sides end with reason Disconnect and ended completes",
    () =>
      Effect.gen(function* () {
        const { serverScope, aliceCall, bobCall } = yield* activeCall
        const started = Date.now()
        yield* Scope.close(serverScope, Exit.void)
        const [aliceEnded, bobEnded] = yield* Effect.all([aliceCall.ended, bobCall.ended], {
          concurrency: "unbounded"
        })
        const took = Date.now() - started
        for (const [ended, call] of [
          [aliceEnded, aliceCall],
          [bobEnded, bobCall]
        ] as const)
          assert.deepStrictEqual(ended, {
            _tag: "Ended",
            callId: call.id,
            reason: "Disconnect",
            by: "us",
            needRating: false,
            needDebug: false
          })
        // GramJS reports the loss about 1 s after the socket closes (it waits before reconnecting),
        // then the connect timeout runs
        assert.isAtLeast(took, Duration.toMillis(connect))
        assert.isBelow(took, 6000)
        // hanging up afterwards does nothing (and does not wait for the request timeout)
        yield* aliceCall.hangUp
      }),
    20_000
  )

  it.live(
    "hanging up while the server is gone fails at once with TransportFailure; the peer ends by timeout",
    () =>
      Effect.gen(function* () {
        const { serverScope, aliceSide, aliceCall, bobCall } = yield* activeCall
        const aliceStates = yield* aliceSide.rpc.connection
        yield* Scope.close(serverScope, Exit.void)
        yield* until(aliceStates, "Disconnected")
        const started = Date.now()
        const error = yield* Effect.flip(aliceCall.hangUp)
        assert.isBelow(Date.now() - started, 1000)
        assert.strictEqual(error._tag, "TransportFailure")
        const aliceEnded = yield* aliceCall.ended
        assert.strictEqual(aliceEnded.reason, "Hangup")
        assert.strictEqual(aliceEnded.by, "us")
        const bobEnded = yield* bobCall.ended
        assert.strictEqual(bobEnded.reason, "Disconnect")
        assert.strictEqual(bobEnded.by, "us")
      }),
    20_000
  )

  it.live(
    "a reconnect within the connect timeout leaves the call up",
    () =>
      Effect.gen(function* () {
        const { world, alice, server, aliceSide, aliceCall, bobCall } = yield* activeCall
        const aliceStates = yield* aliceSide.rpc.connection
        // the server drops Alice's connection; GramJS reconnects by itself
        assert.strictEqual(yield* server.disconnect(alice.id), 1)
        yield* until(aliceStates, "Disconnected")
        yield* until(aliceStates, "Connected")
        // longer than the connect timeout after the outage: still active on both sides
        yield* Effect.sleep(Duration.sum(connect, Duration.millis(500)))
        const [aliceDone, bobDone] = yield* Effect.all([
          Effect.exit(Effect.timeout(aliceCall.ended, Duration.zero)),
          Effect.exit(Effect.timeout(bobCall.ended, Duration.zero))
        ])
        assert.isTrue(Exit.isFailure(aliceDone))
        assert.isTrue(Exit.isFailure(bobDone))
        // and it still works: Alice hangs up, Bob sees it
        yield* aliceCall.hangUp
        const bobEnded = yield* bobCall.ended
        assert.strictEqual(bobEnded.reason, "Hangup")
        assert.strictEqual(bobEnded.by, "peer")
        const info = yield* world.call(aliceCall.id)
        assert.strictEqual(info._tag === "Some" ? info.value.state : "absent", "Discarded")
      }),
    20_000
  )
})
