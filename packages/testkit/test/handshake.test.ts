/**
 * The whole 1:1 handshake of `@tgphone/core`'s `PhoneCalls` against the in-memory world: both
 * sides end with the same verified key, fingerprint and emoji; timeouts, refusals and a
 * man in the middle end in typed outcomes with the call discarded on both sides.
 */
import { assert, describe, it } from "@effect/vitest"
import { type Model, PhoneCalls, type RpcMethods, TelegramRpc } from "@tgphone/core"
import { Fingerprint, PhoneCallProtocol, Protocol, SecureRandom, Signaling } from "@tgphone/crypto"
import {
  Context,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  Option,
  Redacted,
  References,
  type Scope,
  Stream
} from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { assertMatches } from "../../../test-support/assert.js"
import type * as TestTelegram from "../src/TestTelegram.js"
import type * as TestTelegramError from "../src/TestTelegramError.js"
import { duo } from "./support.js"

type Rpc = TelegramRpc.TelegramRpc["Service"]

/**
 * A man in the middle on `user`'s connection: rewrites the params of `method` before they
 * reach the server.
 */
const tampered = <M extends RpcMethods.MethodName>(
  world: TestTelegram.Service,
  user: TestTelegram.TestUser,
  method: M,
  rewrite: (params: RpcMethods.MethodParams<M>) => RpcMethods.MethodParams<M>
): Layer.Layer<TelegramRpc.TelegramRpc, TestTelegramError.TestTelegramError> =>
  Layer.effect(
    TelegramRpc.TelegramRpc,
    Effect.map(
      world.rpcFor(user),
      (rpc): Rpc => ({
        ...rpc,
        invoke: (m, params) =>
          rpc.invoke(
            m,
            (m as RpcMethods.MethodName) === method
              ? (rewrite(params as RpcMethods.MethodParams<M>) as typeof params)
              : params
          )
      })
    )
  )

/**
 * A man in the middle on the server → `user` direction: rewrites the updates `user` receives.
 */
const tamperedUpdates = (
  world: TestTelegram.Service,
  user: TestTelegram.TestUser,
  rewrite: (update: Model.Update) => Model.Update
): Layer.Layer<TelegramRpc.TelegramRpc, TestTelegramError.TestTelegramError> =>
  Layer.effect(
    TelegramRpc.TelegramRpc,
    Effect.map(
      world.rpcFor(user),
      (rpc): Rpc => ({
        ...rpc,
        subscribe: Effect.map(rpc.subscribe, Stream.map(rewrite))
      })
    )
  )

/** Flips one bit in the middle of a public value. */
const flip = (bytes: Uint8Array): Uint8Array => {
  const out = Uint8Array.from(bytes)
  out[128]! ^= 1
  return out
}

/** A `PhoneCalls` service acting as `user`, built in the current scope. */
const phoneCallsFor = (
  world: TestTelegram.Service,
  user: TestTelegram.TestUser,
  seed: string,
  rpc: Layer.Layer<TelegramRpc.TelegramRpc, TestTelegramError.TestTelegramError> = world.layerFor(user),
  options?: PhoneCalls.Options
) =>
  Effect.gen(function* () {
    const layer = PhoneCalls.layer(options).pipe(
      Layer.provide(Layer.mergeAll(rpc, SecureRandom.layerTest(seed)))
    )
    const context = yield* Layer.build(layer)
    return Context.get(context, PhoneCalls.PhoneCalls)
  }).pipe(Effect.orDie)

/** Bob answers the first incoming call with `answer`, in a fiber of its own. */
const answerFirst = <A, E>(
  bob: PhoneCalls.PhoneCalls["Service"],
  answer: (call: PhoneCalls.IncomingCall) => Effect.Effect<A, E, Scope.Scope>
) =>
  Effect.gen(function* () {
    const incoming = yield* bob.listen
    return yield* Effect.forkChild(
      Effect.gen(function* () {
        const call = yield* Effect.fromOption(yield* Stream.runHead(incoming))
        return yield* answer(call)
      })
    )
  })

describe("PhoneCalls over the in-memory world", () => {
  it.effect("the accessors: PhoneCalls.listen and PhoneCalls.call use the service in context", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const bobCalls = yield* phoneCallsFor(world, bob, "bob")
      const incoming = yield* PhoneCalls.listen.pipe(Effect.provideService(PhoneCalls.PhoneCalls, bobCalls))
      const bobSide = yield* Effect.forkChild(
        Effect.flatMap(Stream.runHead(incoming), (call) =>
          Option.isSome(call) ? call.value.accept() : Effect.die("no incoming call")
        )
      )
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const aliceCall = yield* PhoneCalls.call("@bob_b").pipe(
        Effect.provideService(PhoneCalls.PhoneCalls, aliceCalls)
      )
      const bobCall = yield* Fiber.join(bobSide)
      assert.strictEqual(bobCall.id, aliceCall.id)
      assert.strictEqual(bobCall.keyFingerprint, aliceCall.keyFingerprint)
    })
  )

  it.effect(
    "the caller hangs up as soon as the call is active: Bob's accept still returns the call, ended",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(world, bob, "bob")
        const bobSide = yield* answerFirst(bobCalls, (call) => Effect.exit(call.accept()))
        const aliceCall = yield* aliceCalls.call("@bob_b")
        yield* aliceCall.hangUp
        const bobExit = yield* Fiber.join(bobSide)
        const info = Option.getOrThrow(yield* world.call(aliceCall.id))
        assert.strictEqual(info.state, "Discarded")
        assert.isTrue(info.startDate !== undefined)
        assert.isTrue(Exit.isSuccess(bobExit), String(bobExit))
        if (Exit.isFailure(bobExit)) return
        const ended = yield* bobExit.value.ended
        assert.strictEqual(ended.reason, "Hangup")
        assert.strictEqual(ended.by, "peer")
        assert.strictEqual(bobExit.value.keyFingerprint, aliceCall.keyFingerprint)
      })
  )

  it.effect("Alice calls Bob, Bob accepts: same key, fingerprint and emoji on both sides", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const bobCalls = yield* phoneCallsFor(world, bob, "bob")
      const states: Array<string> = []
      const bobSide = yield* answerFirst(bobCalls, (call) => {
        assert.strictEqual(call.callerId, alice.id)
        return call.accept()
      })
      const aliceCall = yield* aliceCalls.call("@bob_b", {
        onState: (s) => Effect.sync(() => states.push(s._tag))
      })
      const bobCall = yield* Fiber.join(bobSide)

      assert.deepStrictEqual(states, ["Requesting", "Waiting", "Ringing", "ExchangingKeys", "Active"])
      assert.isTrue(aliceCall.isOutgoing)
      assert.isFalse(bobCall.isOutgoing)
      assert.strictEqual(aliceCall.id, bobCall.id)
      assert.deepStrictEqual(Redacted.value(aliceCall.key), Redacted.value(bobCall.key))
      assert.strictEqual(Redacted.value(aliceCall.key).length, 256)
      assert.strictEqual(aliceCall.keyFingerprint, bobCall.keyFingerprint)
      assert.strictEqual(aliceCall.keyFingerprint, Fingerprint.keyFingerprint(Redacted.value(aliceCall.key)))
      assert.lengthOf(aliceCall.emojis, 4)
      assert.deepStrictEqual(aliceCall.emojis, bobCall.emojis)
      assert.strictEqual(aliceCall.libraryVersion, bobCall.libraryVersion)
      assert.strictEqual(aliceCall.peerUserId, bob.id)
      assert.strictEqual(bobCall.peerUserId, alice.id)
      assert.notInclude(String(aliceCall.key), Redacted.value(aliceCall.key)[0]!.toString(16))

      const info = Option.getOrThrow(yield* world.call(aliceCall.id))
      assert.strictEqual(info.state, "Active")

      // Alice rates and hangs up; Bob sees the end.
      yield* aliceCall.rate(5, "crystal clear")
      yield* aliceCall.hangUp
      const bobEnd = yield* bobCall.ended
      assertMatches(bobEnd, { _tag: "Ended", reason: "Hangup", by: "peer" })
      const aliceEnd = yield* aliceCall.ended
      assertMatches(aliceEnd, { _tag: "Ended", reason: "Hangup", by: "us" })
      assert.strictEqual(Option.getOrThrow(yield* world.call(aliceCall.id)).state, "Discarded")
      const feedback = yield* world.feedback
      assert.isTrue(feedback.some((f) => f._tag === "Rating" && f.rating === 5))
    })
  )

  it.effect("signalling data reaches the peer", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const bobCalls = yield* phoneCallsFor(world, bob, "bob")
      const bobSide = yield* answerFirst(bobCalls, (call) => call.accept())
      const aliceCall = yield* aliceCalls.call("@bob_b")
      const bobCall = yield* Fiber.join(bobSide)
      const received = yield* Effect.forkChild(Stream.runHead(bobCall.signalingData))
      yield* aliceCall.sendSignalingData(new Uint8Array([1, 2, 3]))
      assert.deepStrictEqual(Option.getOrThrow(yield* Fiber.join(received)), new Uint8Array([1, 2, 3]))
    })
  )

  it.effect("Bob declines: Alice's call fails with CallDiscarded(Busy)", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const bobCalls = yield* phoneCallsFor(world, bob, "bob")
      yield* answerFirst(bobCalls, (call) => call.decline)
      const error = yield* Effect.flip(aliceCalls.call("@bob_b"))
      assert.strictEqual(error._tag, "CallDiscarded")
      if (error._tag === "CallDiscarded") assert.strictEqual(error.reason, "Busy")
      const [info] = yield* world.calls
      assert.strictEqual(info?.discard?.by, bob.id)
      assert.strictEqual(info?.discard?.reason?._tag, "Busy")
    })
  )

  it.effect("nobody answers: the ring timeout ends the call as missed on both sides", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const bobCalls = yield* phoneCallsFor(world, bob, "bob")
      // Bob's device acknowledges (so it rings) but nobody answers.
      const ringing = yield* Effect.forkChild(Stream.runHead(yield* bobCalls.listen))
      const attempt = yield* Effect.forkChild(Effect.scoped(aliceCalls.call("@bob_b")))
      yield* Fiber.join(ringing)
      yield* TestClock.adjust("91 seconds")
      const exit = yield* Fiber.await(attempt)
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Fiber.join(attempt))
      assert.include(["CallTimeout", "CallDiscarded"], error._tag)
      const calls = yield* world.calls
      assert.strictEqual(calls[0]?.state, "Discarded")
      assert.strictEqual(calls[0]?.discard?.reason?._tag, "Missed")
    })
  )

  it.effect("the caller gives up while it rings (scope closed): the call is discarded as Missed", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const bobCalls = yield* phoneCallsFor(world, bob, "bob")
      const ringing = yield* Effect.forkChild(Stream.runHead(yield* bobCalls.listen))
      const attempt = yield* Effect.forkChild(Effect.scoped(aliceCalls.call("@bob_b")))
      yield* Fiber.join(ringing)
      yield* Fiber.interrupt(attempt)
      const [info] = yield* world.calls
      assert.strictEqual(info?.state, "Discarded")
      assert.strictEqual(info?.discard?.by, alice.id)
      assert.strictEqual(info?.discard?.reason?._tag, "Missed")
    })
  )

  it.effect("a flood wait on requestCall is a typed FloodWait with its seconds; nothing is left behind", () =>
    Effect.gen(function* () {
      const { world, alice } = yield* duo()
      yield* world.floodWait("phone.requestCall", 7)
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const error = yield* Effect.flip(aliceCalls.call("@bob_b"))
      assert.strictEqual(error._tag, "FloodWait")
      if (error._tag === "FloodWait") assert.strictEqual(Duration.toSeconds(error.retryAfter), 7)
      assert.deepStrictEqual(yield* world.calls, [])
    })
  )

  it.effect(
    "a flood wait on confirmCall: the caller fails with FloodWait, the call is discarded on both sides",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        yield* world.floodWait("phone.confirmCall", 3)
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(world, bob, "bob")
        const bobSide = yield* answerFirst(bobCalls, (call) => Effect.scoped(call.accept()))
        const error = yield* Effect.flip(Effect.scoped(aliceCalls.call("@bob_b")))
        assert.strictEqual(error._tag, "FloodWait")
        const bobError = yield* Effect.flip(Fiber.join(bobSide))
        assertMatches(bobError, { _tag: "CallDiscarded", reason: "Disconnect" })
        const [info] = yield* world.calls
        assertMatches(info?.discard, { by: alice.id, reason: { _tag: "Disconnect" } })
      })
  )

  it.effect(
    "protocols with no common version: the callee's accept fails typed and the caller sees the call end",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(world, bob, "bob")
        const oldOnly = new PhoneCallProtocol({ ...Protocol.defaultProtocol, libraryVersions: ["1.0.0"] })
        const bobSide = yield* answerFirst(bobCalls, (call) =>
          Effect.scoped(call.accept({ protocol: oldOnly }))
        )
        const aliceAttempt = yield* Effect.forkChild(Effect.scoped(aliceCalls.call("@bob_b")))
        const bobError = yield* Effect.flip(Fiber.join(bobSide))
        assert.strictEqual(bobError._tag, "CallProtocolCompatLayerInvalid")
        const aliceError = yield* Effect.flip(Fiber.join(aliceAttempt))
        assert.strictEqual(aliceError._tag, "CallDiscarded")
        assert.strictEqual((yield* world.calls)[0]?.state, "Discarded")
      })
  )

  it.effect(
    "the caller drops off mid-handshake: it fails typed, the callee's connect timeout discards the call",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(world, bob, "bob")
        yield* world.setLatency(1000, { method: "phone.confirmCall" })
        const bobSide = yield* answerFirst(bobCalls, (call) => Effect.scoped(call.accept()))
        const aliceAttempt = yield* Effect.forkChild(Effect.scoped(aliceCalls.call("@bob_b")))
        // Alice is waiting for confirmCall's answer when her connection drops.
        yield* TestClock.adjust("500 millis")
        yield* world.disconnect(alice)
        yield* TestClock.adjust("1 second")
        const aliceError = yield* Effect.flip(Fiber.join(aliceAttempt))
        assert.include(["TransportFailure", "CallDiscarded"], aliceError._tag)
        yield* TestClock.adjust("31 seconds")
        const bobError = yield* Effect.flip(Fiber.join(bobSide))
        assert.include(["CallTimeout", "CallDiscarded"], bobError._tag)
        assert.strictEqual((yield* world.calls)[0]?.state, "Discarded")
      })
  )

  it.effect(
    "a man in the middle who swaps g_a is caught by Bob (GAHashMismatch) and the call is discarded",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(
          world,
          bob,
          "bob",
          tamperedUpdates(world, bob, (u) =>
            u._tag === "UpdatePhoneCall" && u.phoneCall._tag === "PhoneCall"
              ? { ...u, phoneCall: { ...u.phoneCall, gAOrB: flip(u.phoneCall.gAOrB) } }
              : u
          )
        )
        const bobSide = yield* answerFirst(bobCalls, (call) => Effect.scoped(call.accept()))
        const aliceAttempt = yield* Effect.forkChild(Effect.scoped(aliceCalls.call("@bob_b")))
        const bobExit = yield* Fiber.await(bobSide)
        assert.isTrue(Exit.isFailure(bobExit))
        const bobError = yield* Effect.flip(Fiber.join(bobSide))
        assert.strictEqual(bobError._tag, "GAHashMismatch")
        yield* Fiber.await(aliceAttempt)
        const [info] = yield* world.calls
        assert.strictEqual(info?.state, "Discarded")
        assertMatches(info?.discard, { by: bob.id, reason: { _tag: "Disconnect" } })
      })
  )

  it.effect("a man in the middle who swaps g_b is caught by Bob (KeyFingerprintMismatch)", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const bobCalls = yield* phoneCallsFor(
        world,
        bob,
        "bob",
        tampered(world, bob, "phone.acceptCall", (p) => ({ ...p, gB: flip(p.gB) }))
      )
      const bobSide = yield* answerFirst(bobCalls, (call) => Effect.scoped(call.accept()))
      const aliceAttempt = yield* Effect.forkChild(Effect.scoped(aliceCalls.call("@bob_b")))
      const bobError = yield* Effect.flip(Fiber.join(bobSide))
      assert.strictEqual(bobError._tag, "KeyFingerprintMismatch")
      yield* Fiber.await(aliceAttempt)
      assert.strictEqual((yield* world.calls)[0]?.state, "Discarded")
    })
  )
})

describe("PhoneCalls property", () => {
  it.effect("over many seeded calls, both sides always derive the same key, fingerprint and emoji", () =>
    Effect.gen(function* () {
      const seeds = fc.sample(fc.string({ minLength: 1, maxLength: 12 }), { numRuns: 40, seed: 20261122 })
      for (const [i, seed] of seeds.entries()) {
        yield* Effect.scoped(
          Effect.gen(function* () {
            const { world, alice, bob } = yield* duo({ seed: `world-${i}` })
            const aliceCalls = yield* phoneCallsFor(world, alice, `a:${seed}`)
            const bobCalls = yield* phoneCallsFor(world, bob, `b:${seed}`)
            const bobSide = yield* answerFirst(bobCalls, (call) => call.accept())
            const aliceCall = yield* aliceCalls.call("@bob_b")
            const bobCall = yield* Fiber.join(bobSide)
            assert.deepStrictEqual(Redacted.value(aliceCall.key), Redacted.value(bobCall.key))
            assert.strictEqual(aliceCall.keyFingerprint, bobCall.keyFingerprint)
            assert.deepStrictEqual(aliceCall.emojis, bobCall.emojis)
          })
        )
      }
    })
  )
})

describe("PhoneCalls encrypted signalling (spec §6)", () => {
  const rawProtocol = new PhoneCallProtocol({ ...Protocol.defaultProtocol, libraryVersions: ["7.0.0"] })
  const text = (s: string) => new TextEncoder().encode(s)
  const decode = (chunks: Iterable<Uint8Array>) => Array.from(chunks, (b) => new TextDecoder().decode(b))

  it.effect(
    "on 7.0.0 (raw layout) Alice and Bob exchange encrypted messages both ways; tampered, replayed and plain packets are dropped",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(world, bob, "bob")
        const bobSide = yield* answerFirst(bobCalls, (call) => call.accept())
        const aliceCall = yield* aliceCalls.call("@bob_b", { protocol: rawProtocol })
        assert.strictEqual(aliceCall.libraryVersion, "7.0.0")
        const bobCall = yield* Fiber.join(bobSide)

        const bobReceives = yield* Effect.forkChild(
          Stream.runCollect(Stream.take(bobCall.encryptedSignaling, 2))
        )
        const aliceReceives = yield* Effect.forkChild(
          Stream.runCollect(Stream.take(aliceCall.encryptedSignaling, 2))
        )
        for (let i = 0; i < 3; i++) yield* Effect.yieldNow

        // What Alice's first packet must be on the wire: caller's x = 128, seq 1.
        const first = yield* Effect.fromResult(
          Signaling.encryptPacket(aliceCall.key, { isOutgoing: true, seq: 1, payload: text("hello bob") })
        )
        const tampered = yield* Effect.fromResult(
          Signaling.encryptPacket(aliceCall.key, { isOutgoing: true, seq: 2, payload: text("forged") })
        )
        tampered[tampered.length - 1]! ^= 1

        yield* aliceCall.sendEncrypted(text("hello bob"))
        yield* aliceCall.sendSignalingData(tampered) // a changed ciphertext byte: msg_key mismatch
        yield* aliceCall.sendSignalingData(first) // a replay of seq 1
        yield* aliceCall.sendSignalingData(new Uint8Array([1, 2, 3])) // plain data: too short
        yield* aliceCall.sendSignalingData(new Uint8Array(40)) // plain data: msg_key mismatch
        yield* aliceCall.sendEncrypted(text("second"))
        yield* bobCall.sendEncrypted(text("hello alice"))
        yield* bobCall.sendEncrypted(text("bye"))

        assert.deepStrictEqual(decode(yield* Fiber.join(bobReceives)), ["hello bob", "second"])
        assert.deepStrictEqual(decode(yield* Fiber.join(aliceReceives)), ["hello alice", "bye"])

        // The server only ever saw ciphertext; Alice's first encrypted packet is exactly the spec's
        // packet (the call's sending fiber may put it after the packets sent directly).
        const seen = (yield* world.feedback).flatMap((f) => (f._tag === "Signaling" ? [f] : []))
        assert.lengthOf(seen, 8)
        const firstOnWire = seen.find(
          (f) => f.data.length === first.length && f.data.every((b, i) => b === first[i])
        )
        assert.isDefined(firstOnWire)
        assert.notInclude(new TextDecoder().decode(firstOnWire!.data), "hello")
        // Bob's packets use the callee's x (136): they decrypt as Bob's, not as Alice's.
        const fromBob = seen.filter((f) => f.fromUserId === bob.id)
        assert.lengthOf(fromBob, 2)
        const asBobs = yield* Effect.fromResult(
          Signaling.decryptPacket(bobCall.key, { isOutgoing: true, packet: fromBob[0]!.data })
        )
        assert.deepStrictEqual(
          [asBobs.seq, new TextDecoder().decode(asBobs.messages[0]!.message)],
          [1, "hello alice"]
        )
        const asAlices = yield* Effect.flip(
          Effect.fromResult(
            Signaling.decryptPacket(bobCall.key, { isOutgoing: false, packet: fromBob[0]!.data })
          )
        )
        assertMatches(asAlices, { _tag: "SignalingPacketInvalid", reason: "msg-key-mismatch" })
      })
  )

  it.effect(
    "a packet the server refuses because the call is over (CALL_NOT_ACTIVE) is a Debug log; other refusals stay Warnings",
    () => {
      // the callee's packets can race the caller's discard: the server answers CALL_NOT_ACTIVE,
      // and the end of the call follows; a user should not see a warning for that
      const logged: Array<{ level: string; message: unknown; annotations: Record<string, unknown> }> = []
      const capture = Logger.make(({ fiber, logLevel, message }) => {
        logged.push({ level: logLevel, message, annotations: fiber.getRef(References.CurrentLogAnnotations) })
      })
      return Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(world, bob, "bob")
        const bobSide = yield* answerFirst(bobCalls, (call) => call.accept())
        yield* aliceCalls.call("@bob_b", { protocol: rawProtocol })
        const bobCall = yield* Fiber.join(bobSide)
        for (let i = 0; i < 3; i++) yield* Effect.yieldNow
        logged.length = 0
        yield* world.failNext(
          "phone.sendSignalingData",
          { code: 400, type: "CALL_NOT_ACTIVE" },
          { user: bob }
        )
        yield* bobCall.sendEncrypted(text("late"))
        yield* world.failNext(
          "phone.sendSignalingData",
          { code: 400, type: "CALL_PEER_INVALID" },
          { user: bob }
        )
        yield* bobCall.sendEncrypted(text("bad"))
        for (let i = 0; i < 3; i++) yield* Effect.yieldNow
        const notSent = logged.filter((l) => String(l.message).includes("signalling packet not sent"))
        assert.deepStrictEqual(
          notSent.map((l) => l.level),
          ["Debug", "Warn"]
        )
        assertMatches(notSent[0]!.annotations, { callId: String(bobCall.id) })
        assert.include(String(notSent[0]!.annotations.reason), "CALL_NOT_ACTIVE")
        assert.include(String(notSent[1]!.annotations.reason), "CALL_PEER_INVALID")
      }).pipe(
        Effect.provideService(References.CurrentLoggers, new Set([capture])),
        Effect.provideService(References.MinimumLogLevel, "Debug")
      )
    }
  )

  it.effect("each dropped packet is logged at Debug level with the call id and the reason", () => {
    const logged: Array<{ level: string; message: unknown; annotations: Record<string, unknown> }> = []
    const capture = Logger.make(({ fiber, logLevel, message }) => {
      logged.push({ level: logLevel, message, annotations: fiber.getRef(References.CurrentLogAnnotations) })
    })
    return Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
      const bobCalls = yield* phoneCallsFor(world, bob, "bob")
      const bobSide = yield* answerFirst(bobCalls, (call) => call.accept())
      const aliceCall = yield* aliceCalls.call("@bob_b", { protocol: rawProtocol })
      const bobCall = yield* Fiber.join(bobSide)
      const received = yield* Effect.forkChild(Stream.runCollect(Stream.take(bobCall.encryptedSignaling, 1)))
      for (let i = 0; i < 3; i++) yield* Effect.yieldNow
      logged.length = 0
      yield* Effect.provideService(
        Effect.gen(function* () {
          yield* aliceCall.sendSignalingData(new Uint8Array([1, 2, 3]))
          yield* aliceCall.sendEncrypted(text("ok"))
        }),
        References.MinimumLogLevel,
        "Debug"
      )
      assert.deepStrictEqual(decode(yield* Fiber.join(received)), ["ok"])
      const dropped = logged.filter((l) => String(l.message).includes("encrypted signalling packet dropped"))
      assert.lengthOf(dropped, 1)
      assert.strictEqual(dropped[0]!.level, "Debug")
      assertMatches(dropped[0]!.annotations, { callId: String(bobCall.id) })
      assert.include(String(dropped[0]!.annotations.reason), "3 bytes")
    }).pipe(
      Effect.provideService(References.CurrentLoggers, new Set([capture])),
      Effect.provideService(References.MinimumLogLevel, "Debug")
    )
  })

  it.effect(
    "every run of encryptedSignaling sees the messages; one replay window and send counter per call",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(world, bob, "bob")
        const bobSide = yield* answerFirst(bobCalls, (call) => call.accept())
        const aliceCall = yield* aliceCalls.call("@bob_b", { protocol: rawProtocol })
        const bobCall = yield* Fiber.join(bobSide)

        const one = yield* Effect.forkChild(Stream.runCollect(Stream.take(bobCall.encryptedSignaling, 2)))
        const two = yield* Effect.forkChild(Stream.runCollect(Stream.take(bobCall.encryptedSignaling, 2)))
        for (let i = 0; i < 3; i++) yield* Effect.yieldNow
        yield* aliceCall.sendEncrypted(text("a"))
        yield* aliceCall.sendEncrypted(text("b"))
        assert.deepStrictEqual(decode(yield* Fiber.join(one)), ["a", "b"])
        assert.deepStrictEqual(decode(yield* Fiber.join(two)), ["a", "b"])
        const seqs = yield* Effect.forEach(
          (yield* world.feedback).flatMap((f) => (f._tag === "Signaling" ? [f.data] : [])),
          (packet) =>
            Effect.map(
              Effect.fromResult(Signaling.decryptPacket(aliceCall.key, { isOutgoing: false, packet })),
              (d) => d.seq
            )
        )
        assert.deepStrictEqual(seqs, [1, 2])
      })
  )
})

describe("PhoneCalls encrypted signalling in every advertised layout", () => {
  const text = (s: string) => new TextEncoder().encode(s)
  for (const version of Protocol.defaultProtocol.libraryVersions) {
    it.effect(`${version} (${Signaling.layouts[version]}): messages flow both ways`, () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* duo()
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice")
        const bobCalls = yield* phoneCallsFor(world, bob, "bob")
        const only = new PhoneCallProtocol({ ...Protocol.defaultProtocol, libraryVersions: [version] })
        const bobSide = yield* answerFirst(bobCalls, (call) => call.accept())
        const aliceCall = yield* aliceCalls.call("@bob_b", { protocol: only })
        const bobCall = yield* Fiber.join(bobSide)
        assert.strictEqual(aliceCall.libraryVersion, version)
        const toBob = yield* Effect.forkChild(Stream.runCollect(Stream.take(bobCall.encryptedSignaling, 2)))
        const toAlice = yield* Effect.forkChild(
          Stream.runCollect(Stream.take(aliceCall.encryptedSignaling, 1))
        )
        for (let i = 0; i < 3; i++) yield* Effect.yieldNow
        yield* aliceCall.sendEncrypted(text("one"))
        yield* aliceCall.sendEncrypted(text("two"))
        yield* bobCall.sendEncrypted(text("back"))
        const got = Array.from(yield* Fiber.join(toBob), (b) => new TextDecoder().decode(b))
        assert.deepStrictEqual(got, ["one", "two"])
        assert.deepStrictEqual(
          Array.from(yield* Fiber.join(toAlice), (b) => new TextDecoder().decode(b)),
          ["back"]
        )
      })
    )
  }
})

describe("PhoneCalls timeouts come from the server's call config", () => {
  it.effect("the callee's connect timeout is the server's call_connect_timeout_ms", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo({ callConnectTimeoutMs: 3_000 })
      // Alice waits for her confirmation much longer than Bob waits for it.
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice", world.layerFor(alice), {
        timeouts: { connect: Duration.minutes(5) }
      })
      const bobCalls = yield* phoneCallsFor(world, bob, "bob")
      yield* world.setLatency(60_000, { method: "phone.confirmCall" })
      const bobSide = yield* answerFirst(bobCalls, (call) => Effect.scoped(call.accept()))
      yield* Effect.forkChild(Effect.scoped(aliceCalls.call("@bob_b")))
      yield* TestClock.adjust("2999 millis")
      assert.isUndefined(bobSide.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(bobSide))
      assertMatches(error, { _tag: "CallTimeout", phase: "connect" })
      if (error._tag === "CallTimeout") assert.strictEqual(Duration.toMillis(error.after), 3_000)
    })
  )

  it.effect("an explicit timeout option wins over the server's", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo({ callConnectTimeoutMs: 3_000 })
      const aliceCalls = yield* phoneCallsFor(world, alice, "alice", world.layerFor(alice), {
        timeouts: { connect: Duration.minutes(5) }
      })
      const bobCalls = yield* phoneCallsFor(world, bob, "bob", world.layerFor(bob), {
        timeouts: { connect: Duration.seconds(8) }
      })
      yield* world.setLatency(60_000, { method: "phone.confirmCall" })
      const bobSide = yield* answerFirst(bobCalls, (call) => Effect.scoped(call.accept()))
      yield* Effect.forkChild(Effect.scoped(aliceCalls.call("@bob_b")))
      yield* TestClock.adjust("7 seconds")
      assert.isUndefined(bobSide.pollUnsafe())
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(bobSide))
      if (error._tag !== "CallTimeout") return assert.fail(`expected CallTimeout, got ${error._tag}`)
      assert.strictEqual(Duration.toMillis(error.after), 8_000)
    })
  )
})

describe("PhoneCalls and a misbehaving server", () => {
  it.effect(
    "dhConfigNotModified with nothing cached is a typed DhConfigUnexpected; no call is requested",
    () =>
      Effect.gen(function* () {
        const { world, alice } = yield* duo()
        const notModified = Layer.effect(
          TelegramRpc.TelegramRpc,
          Effect.map(
            world.rpcFor(alice),
            (rpc): Rpc => ({
              ...rpc,
              invoke: (method, params) =>
                method === "messages.getDhConfig"
                  ? (Effect.succeed({ _tag: "DhConfigNotModified", random: new Uint8Array(256) }) as never)
                  : rpc.invoke(method, params)
            })
          )
        )
        const aliceCalls = yield* phoneCallsFor(world, alice, "alice", notModified)
        const error = yield* Effect.flip(Effect.scoped(aliceCalls.call("@bob_b")))
        assertMatches(error, { _tag: "DhConfigUnexpected", askedVersion: 0 })
        assert.deepStrictEqual(yield* world.calls, [])
      })
  )
})
