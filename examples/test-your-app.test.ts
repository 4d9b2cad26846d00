/**
 * How to test your own call logic with the in-memory test kit — a normal vitest file.
 *
 *   npx vitest run examples/test-your-app.test.ts
 *
 * The "app" under test is the code of the other examples (`callAndPrintEmoji`,
 * `callWithAdvice`, `callWithRetry`, `answerCalls`): it only asks for `PhoneCalls`, so in a test
 * it runs against `TestTelegram`, an in-memory Telegram, instead of GramJS:
 *
 * - `TestTelegram.layer()` gives a fresh world; `world.addUser` adds the people in the story;
 * - `world.layerFor(user)` is a `TelegramRpc` acting as that user; put `PhoneCalls.layer()` on
 *   top (with a seeded `SecureRandom.layerTest` for repeatable keys) and the app runs unchanged;
 * - `it.effect` runs on the `TestClock`: ring timeouts and flood waits pass with
 *   `TestClock.adjust`, instantly;
 * - faults: `world.failNext`, `world.floodWait`, `world.tamper` (a man in the middle), …
 * - assertions: the app's result, and the world's record (`world.calls`, `world.requestsOf`).
 */
import { assert, describe, it } from "@effect/vitest"
import { PhoneCalls } from "@tgphone/core"
import { SecureRandom } from "@tgphone/crypto"
import { TestTelegram } from "@tgphone/testkit"
import { Deferred, Duration, Effect, Fiber, Layer, Option, Stream } from "effect"
import { TestClock } from "effect/testing"
import { answerCalls } from "./answer-calls.js"
import { answerFirstCall, callAndPrintEmoji } from "./call-and-print-emoji.js"
import { callWithRetry } from "./flood-wait-retry.js"
import { callWithAdvice } from "./request-call-errors.js"

/** A world with Alice and Bob, and a way to act as either of them. */
const setup = Effect.gen(function* () {
  const world = yield* TestTelegram.TestTelegram
  const alice = yield* world.addUser({ firstName: "Alice", username: "alice_demo" })
  const bob = yield* world.addUser({ firstName: "Bob", username: "bob_demo" })
  /** The services the app needs, as `user` (built in the test's scope). */
  const as = (user: TestTelegram.TestUser, options?: PhoneCalls.Options) =>
    Layer.build(
      PhoneCalls.layer(options).pipe(
        Layer.provideMerge(world.layerFor(user)),
        Layer.provide(SecureRandom.layerTest(user.firstName)) // repeatable keys
      )
    )
  return { world, alice, bob, as }
})

/**
 * The network between the server and `user`'s phone: the next update reaches it 1 ms after the
 * server sent it (the in-memory world otherwise delivers instantly, inside the sender's request).
 */
const networkDelay = (world: TestTelegram.Service, user: TestTelegram.TestUser) =>
  world.delayNextUpdates(user, 1)

/** Bob's phone: acknowledges incoming calls (so they ring) but nobody picks up. */
const ringsButNobodyAnswers = (incoming: Stream.Stream<PhoneCalls.IncomingCall>) =>
  Effect.forkChild(Stream.runDrain(incoming), { startImmediately: true })

describe("my call app, against the in-memory Telegram", () => {
  it.effect("a call both sides answer ends with the same emoji on both screens", () =>
    Effect.gen(function* () {
      const { alice, as, bob, world } = yield* setup
      const aliceApp = yield* as(alice)
      const bobApp = yield* as(bob)
      const incoming = yield* PhoneCalls.PhoneCalls.use((c) => c.listen).pipe(Effect.provide(bobApp))
      const bobSide = yield* Effect.forkChild(answerFirstCall(incoming).pipe(Effect.provide(bobApp)))
      yield* networkDelay(world, bob)

      // Alice stays on the line for a minute of (virtual) time, then hangs up.
      const aliceSide = yield* Effect.forkChild(
        callAndPrintEmoji("@bob_demo", "1 minute").pipe(Effect.provide(aliceApp))
      )
      yield* TestClock.adjust("2 minutes")
      const caller = yield* Fiber.join(aliceSide)
      const callee = yield* Fiber.join(bobSide)

      assert.lengthOf(caller.emojis, 4)
      assert.deepStrictEqual(caller.emojis, callee.emojis)
      assert.strictEqual(caller.fingerprint, callee.fingerprint)
      // The world saw the whole handshake and Alice's hang-up.
      const [call] = yield* world.calls
      assert.strictEqual(call?.state, "Discarded")
      assert.strictEqual(call?.discard?.by, alice.id)
      assert.strictEqual(call?.discard?.reason?._tag, "Hangup")
      assert.strictEqual((yield* world.requestsOf("phone.confirmCall", alice)).length, 1)
    }).pipe(Effect.provide(TestTelegram.layer({ seed: "happy path" })))
  )

  it.effect("nobody answers: the app's ring timeout passes on the TestClock", () =>
    Effect.gen(function* () {
      const { alice, as, bob, world } = yield* setup
      const aliceApp = yield* as(alice, { timeouts: { ring: Duration.seconds(30) } })
      const bobApp = yield* as(bob)
      yield* ringsButNobodyAnswers(
        yield* PhoneCalls.PhoneCalls.use((c) => c.listen).pipe(Effect.provide(bobApp))
      )

      yield* networkDelay(world, bob)
      const ringing = yield* Deferred.make<void>()
      const attempt = yield* Effect.forkChild(
        callWithAdvice("@bob_demo", {
          onState: (s) => (s._tag === "Ringing" ? Deferred.succeed(ringing, undefined) : Effect.void)
        }).pipe(Effect.provide(aliceApp))
      )
      yield* TestClock.adjust("1 millis") // the call reaches Bob's phone, which acknowledges it
      yield* Deferred.await(ringing)
      yield* TestClock.adjust("29 seconds")
      assert.isUndefined(attempt.pollUnsafe()) // still ringing
      yield* TestClock.adjust("1 second")

      assert.deepStrictEqual(yield* Fiber.join(attempt), { tag: "CallTimeout", advice: "no answer" })
      const [call] = yield* world.calls
      assert.strictEqual(call?.discard?.reason?._tag, "Missed") // the app cancelled the call properly
    }).pipe(Effect.provide(TestTelegram.layer({ seed: "ring timeout" })))
  )

  it.effect("fault injection: a server-side failure and a lost connection become advice", () =>
    Effect.gen(function* () {
      const { alice, as, world } = yield* setup
      const aliceApp = yield* as(alice)
      yield* world.failNext("phone.requestCall", { code: 500, type: "PARTICIPANT_CALL_FAILED" })
      assert.strictEqual(
        (yield* callWithAdvice("@bob_demo").pipe(Effect.provide(aliceApp))).tag,
        "ParticipantCallFailed"
      )
      yield* world.failNext("phone.requestCall", "transport")
      assert.strictEqual(
        (yield* callWithAdvice("@bob_demo").pipe(Effect.provide(aliceApp))).tag,
        "TransportFailure"
      )
      yield* world.setPrivacy(yield* Effect.map(world.findUser("@bob_demo"), Option.getOrThrow), {
        allow: "contacts"
      })
      assert.strictEqual(
        (yield* callWithAdvice("@bob_demo").pipe(Effect.provide(aliceApp))).tag,
        "UserPrivacyRestricted"
      )
    }).pipe(Effect.provide(TestTelegram.layer({ seed: "faults" })))
  )

  it.effect("a flood wait is waited out on the TestClock, then the call connects", () =>
    Effect.gen(function* () {
      const { alice, as, bob, world } = yield* setup
      const aliceApp = yield* as(alice)
      const bobApp = yield* as(bob)
      const incoming = yield* PhoneCalls.PhoneCalls.use((c) => c.listen).pipe(Effect.provide(bobApp))
      yield* Effect.forkChild(answerFirstCall(incoming).pipe(Effect.provide(bobApp)))
      yield* world.floodWait("phone.requestCall", 20, { user: alice })

      const attempt = yield* Effect.forkChild(
        Effect.scoped(Effect.map(callWithRetry("@bob_demo"), (call) => call.emojis)).pipe(
          Effect.provide(aliceApp)
        )
      )
      yield* TestClock.adjust("20 seconds")
      assert.lengthOf(yield* Fiber.join(attempt), 4)
      const tries = yield* world.requestsOf("phone.requestCall", alice)
      assert.deepStrictEqual(
        tries.map((r) => r.outcome._tag),
        ["Failure", "Success"]
      )
      assert.strictEqual((tries[1]?.atMillis ?? 0) - (tries[0]?.atMillis ?? 0), 20_000) // exactly retryAfter
    }).pipe(Effect.provide(TestTelegram.layer({ seed: "flood" })))
  )

  it.effect("a man in the middle is caught: the callee's key check fails and the call is dropped", () =>
    Effect.gen(function* () {
      const { alice, as, bob, world } = yield* setup
      const aliceApp = yield* as(alice)
      const bobApp = yield* as(bob)
      // The g_a Bob receives in the final phoneCall is altered in transit.
      yield* world.tamper({ method: "phone.confirmCall", field: "gA" })
      const incoming = yield* PhoneCalls.PhoneCalls.use((c) => c.listen).pipe(Effect.provide(bobApp))
      const bobSide = yield* Effect.forkChild(
        Effect.scoped(
          Effect.gen(function* () {
            const offered = yield* Stream.runHead(incoming)
            return yield* Effect.flip(
              Effect.fromOption(offered).pipe(Effect.flatMap((call) => call.accept()))
            )
          })
        ).pipe(Effect.provide(bobApp))
      )
      yield* networkDelay(world, bob)
      const aliceSide = yield* Effect.forkChild(
        callAndPrintEmoji("@bob_demo", "1 minute").pipe(Effect.provide(aliceApp))
      )
      yield* TestClock.adjust("1 millis")
      const bobError = yield* Fiber.join(bobSide)
      assert.strictEqual(bobError._tag, "GAHashMismatch")
      // Bob's client dropped the call (reason Disconnect); Alice's side ends, whatever state it reached.
      yield* Fiber.await(aliceSide)
      const [call] = yield* world.calls
      assert.strictEqual(call?.discard?.by, bob.id)
      assert.strictEqual(call?.discard?.reason?._tag, "Disconnect")
    }).pipe(Effect.provide(TestTelegram.layer({ seed: "mitm" })))
  )

  it.effect("the answering machine accepts a contact and declines a stranger", () =>
    Effect.gen(function* () {
      const { alice, as, bob, world } = yield* setup
      const carol = yield* world.addUser({ firstName: "Carol", username: "carol_demo" })
      const aliceApp = yield* as(alice)
      const isContact = (id: bigint) => Effect.succeed(id === bob.id) // Alice's address book: Bob only

      const incoming = yield* PhoneCalls.PhoneCalls.use((c) => c.listen).pipe(Effect.provide(aliceApp))
      const machine = yield* Effect.forkChild(
        answerCalls(incoming, { isContact, calls: 2, holdFor: "5 seconds" }).pipe(Effect.provide(aliceApp))
      )
      const carolCall = yield* Effect.scoped(PhoneCalls.call("@alice_demo")).pipe(
        Effect.provide(yield* as(carol)),
        Effect.flip
      )
      const bobCall = yield* Effect.forkChild(
        Effect.scoped(Effect.andThen(PhoneCalls.call("@alice_demo"), (call) => call.ended)).pipe(
          Effect.provide(yield* as(bob))
        )
      )
      yield* TestClock.adjust("5 seconds") // Alice hangs up after holdFor
      const decisions = yield* Fiber.join(machine)

      assert.strictEqual(carolCall._tag, "CallDiscarded")
      assert.deepStrictEqual(
        decisions.map((d) => [d._tag, d.callerId]),
        [
          ["Declined", carol.id],
          ["Accepted", bob.id]
        ]
      )
      assert.strictEqual((yield* Fiber.join(bobCall)).by, "peer")
    }).pipe(Effect.provide(TestTelegram.layer({ seed: "answering machine" })))
  )
})
