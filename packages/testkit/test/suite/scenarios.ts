/**
 * Call scenarios through `PhoneCalls` (the real handshake of `@tgphone/core` with real DH over
 * the world's group), on live time: a whole call, decline, hang-up seen by the peer, rating and
 * debug data recorded, signalling relayed (plain and encrypted with the call key). No ring
 * timeouts here: those are TestClock tests of the in-memory files. Registered per backend by
 * `backends.test.ts`.
 */
import { assert, it } from "@effect/vitest"
import { type PhoneCalls, TelegramRpc } from "@tgphone/core"
import { Effect, Fiber, Option, Redacted, type Scope, Stream } from "effect"
import { assertMatches } from "../../../../test-support/assert.js"
import { type Backend, layerHas, type Scene, scene } from "../support-backend.js"

/** Bob listens, Alice calls `@bob_b`, Bob accepts: both ends of the active call. */
const connect = (s: Scene) =>
  Effect.gen(function* () {
    const aliceCalls = yield* s.phoneCalls(s.alice)
    const bobCalls = yield* s.phoneCalls(s.bob)
    const incoming = yield* bobCalls.listen
    const bobSide = yield* Effect.forkChild(
      Effect.gen(function* () {
        const call = yield* Effect.fromOption(yield* Stream.runHead(incoming))
        return yield* call.accept()
      }).pipe(Effect.timeout("10 seconds"), Effect.orDie)
    )
    const states: Array<PhoneCalls.CallState["_tag"]> = []
    const caller = yield* aliceCalls
      .call("@bob_b", { onState: (state) => Effect.sync(() => states.push(state._tag)) })
      .pipe(Effect.orDie)
    const callee = yield* Fiber.join(bobSide)
    return { caller, callee, states }
  })

/**
 * The first element of `stream`. A call's signalling streams replay what arrived since the call
 * became active, so this may start before or after the data is sent: no settling needed.
 */
/** An SCTP packet of the signalling association (source and destination port 5000). */
const isSctp = (d: Uint8Array) =>
  d.length >= 12 && d[0] === 0x13 && d[1] === 0x88 && d[2] === 0x13 && d[3] === 0x88

const firstOf = <A, E>(
  stream: Stream.Stream<A, E>
): Effect.Effect<Fiber.Fiber<A, unknown>, never, Scope.Scope> =>
  Effect.forkChild(
    Stream.runHead(stream).pipe(Effect.flatMap(Effect.fromOption), Effect.timeout("5 seconds"))
  )

/** Registers the call scenarios for one backend. */
export const scenariosSuite = (backend: Backend): void => {
  it.live("a whole call: both sides hold the same key, fingerprint and emojis", () =>
    Effect.gen(function* () {
      const s = yield* scene(backend)
      const { caller, callee, states } = yield* connect(s)
      assert.deepStrictEqual(states, ["Requesting", "Waiting", "Ringing", "ExchangingKeys", "Active"])
      assert.lengthOf(Redacted.value(caller.key), 256)
      assert.deepStrictEqual(Redacted.value(caller.key), Redacted.value(callee.key))
      assert.strictEqual(caller.keyFingerprint, callee.keyFingerprint)
      assert.lengthOf(caller.emojis, 4)
      assert.deepStrictEqual(caller.emojis, callee.emojis)
      assert.strictEqual(caller.id, callee.id)
      assert.isTrue(caller.isOutgoing)
      assert.isFalse(callee.isOutgoing)
      assert.strictEqual(caller.peerUserId, s.bob.id)
      assert.strictEqual(callee.peerUserId, s.alice.id)
      assert.strictEqual(caller.libraryVersion, callee.libraryVersion)
      // a reflector, and a STUN server since P2P is allowed
      assert.deepStrictEqual(
        caller.connections.map((c) => c._tag),
        ["PhoneConnection", "PhoneConnectionWebrtc"]
      )
      const info = Option.getOrThrow(yield* s.world.call(caller.id))
      assert.strictEqual(info.state, "Active")
      assert.strictEqual(info.keyFingerprint, caller.keyFingerprint)
    })
  )

  it.live("decline: the caller's call fails with CallDiscarded (Busy)", () =>
    Effect.gen(function* () {
      const s = yield* scene(backend)
      const aliceCalls = yield* s.phoneCalls(s.alice)
      const bobCalls = yield* s.phoneCalls(s.bob)
      const incoming = yield* bobCalls.listen
      const bobSide = yield* Effect.forkChild(
        Effect.gen(function* () {
          const call = yield* Effect.fromOption(yield* Stream.runHead(incoming))
          assert.strictEqual(call.callerId, s.alice.id)
          yield* call.decline
          return call.id
        }).pipe(Effect.timeout("10 seconds"), Effect.orDie)
      )
      const error = yield* Effect.flip(aliceCalls.call(s.bob.inputUser))
      const callId = yield* Fiber.join(bobSide)
      assertMatches(error, { _tag: "CallDiscarded", callId, reason: "Busy" })
      const info = Option.getOrThrow(yield* s.world.call(callId))
      assert.strictEqual(info.state, "Discarded")
      assert.strictEqual(info.discard?.by, s.bob.id)
    })
  )

  it.live("hang up: the peer sees the call end; rating and debug data are recorded", () =>
    Effect.gen(function* () {
      const s = yield* scene(backend)
      const { caller, callee } = yield* connect(s)
      yield* caller.hangUp
      const peerSaw = yield* callee.ended.pipe(Effect.timeout("5 seconds"))
      assertMatches(peerSaw, { _tag: "Ended", callId: caller.id, by: "peer", reason: "Hangup" })
      assertMatches(yield* caller.ended, { _tag: "Ended", callId: caller.id, reason: "Hangup" })
      const info = Option.getOrThrow(yield* s.world.call(caller.id))
      assert.strictEqual(info.state, "Discarded")
      assert.strictEqual(info.discard?.by, s.alice.id)

      yield* callee.rate(5, "crystal clear")
      yield* caller.saveDebug('{"packets_lost":0}')
      assert.deepStrictEqual(yield* s.world.feedback, [
        {
          _tag: "Rating",
          callId: caller.id,
          userId: s.bob.id,
          rating: 5,
          comment: "crystal clear",
          userInitiative: true
        },
        { _tag: "Debug", callId: caller.id, userId: s.alice.id, json: { packets_lost: 0 } }
      ])
    })
  )

  it.live(
    "moved into a conference: both ends carry the conference's slug (Hangup on a layer without it)",
    () =>
      Effect.gen(function* () {
        const s = yield* scene(backend)
        const layer = yield* s.as(s.alice)(TelegramRpc.TelegramRpc.use((rpc) => Effect.succeed(rpc.layer)))
        const { caller, callee } = yield* connect(s)
        const moved = yield* s.world.migrateToConference(s.bob, caller.id)
        // the reason a client whose layer has it reads; an older layer has no such reason, only Hangup
        const expected: PhoneCalls.CallEnd = layerHas(layer, "phoneCallDiscardReasonMigrateConferenceCall")
          ? { reason: "MigrateConferenceCall", slug: moved.slug }
          : { reason: "Hangup" }
        for (const ended of [
          yield* caller.ended.pipe(Effect.timeout("5 seconds")),
          yield* callee.ended.pipe(Effect.timeout("5 seconds"))
        ]) {
          assert.strictEqual(ended.callId, caller.id)
          assert.deepStrictEqual(
            ended.reason === "MigrateConferenceCall"
              ? { reason: ended.reason, slug: ended.slug }
              : { reason: ended.reason },
            expected
          )
        }
      })
  )

  it.live("hang up: the side that hung up sees the end as its own (by: us)", () =>
    Effect.gen(function* () {
      const s = yield* scene(backend)
      const { caller, callee } = yield* connect(s)
      yield* callee.hangUp
      assertMatches(yield* callee.ended, { _tag: "Ended", by: "us", reason: "Hangup" })
      assertMatches(yield* caller.ended.pipe(Effect.timeout("5 seconds")), { by: "peer" })
    })
  )

  it.live("signalling data is relayed both ways, plain and encrypted with the call key", () =>
    Effect.gen(function* () {
      const s = yield* scene(backend)
      const { caller, callee } = yield* connect(s)

      // The default version (11.0.0) runs an SCTP association over the same updates: skip its
      // packets (ports 5000/5000) when looking at plain data.
      const plainOnly = (st: typeof callee.signalingData) => st.pipe(Stream.filter((d) => !isSctp(d)))
      const toBob = yield* firstOf(plainOnly(callee.signalingData))
      yield* caller.sendSignalingData(new Uint8Array([1, 2, 3, 4]))
      assert.deepStrictEqual(yield* Fiber.join(toBob), new Uint8Array([1, 2, 3, 4]))

      const toAlice = yield* firstOf(plainOnly(caller.signalingData))
      yield* callee.sendSignalingData(new Uint8Array([9, 8, 7]))
      assert.deepStrictEqual(yield* Fiber.join(toAlice), new Uint8Array([9, 8, 7]))

      const secret = new TextEncoder().encode("candidate:1 udp 127.0.0.1 4000")
      const decrypted = yield* firstOf(callee.encryptedSignaling)
      yield* caller.sendEncrypted(secret)
      assert.deepStrictEqual(yield* Fiber.join(decrypted), secret)
      // what crossed the server was ciphertext, not the payload
      const relayed = (yield* s.world.feedback).flatMap((f) => (f._tag === "Signaling" ? [f] : []))
      assert.deepStrictEqual(
        relayed.filter((f) => !isSctp(f.data)).map((f) => f.fromUserId),
        [s.alice.id, s.bob.id]
      )
      assert.strictEqual(caller.libraryVersion, "11.0.0")
      assert.isTrue(relayed.some((f) => isSctp(f.data) && f.fromUserId === s.alice.id))
      assert.isFalse(relayed.some((f) => Buffer.from(f.data).includes(Buffer.from(secret))))
    })
  )

  it.live("signalling streams replay what arrived since activation and end with the call", () =>
    Effect.gen(function* () {
      const s = yield* scene(backend)
      const { caller, callee } = yield* connect(s)
      yield* caller.sendSignalingData(new Uint8Array([1]))
      const secret = new TextEncoder().encode("candidate")
      yield* caller.sendEncrypted(secret)
      // Bob's streams start after both were sent: each replays from activation on (on 11.0.0 the
      // encrypted message arrives once the SCTP association is up)
      const plainOf = (st: typeof callee.signalingData) => st.pipe(Stream.filter((d) => !isSctp(d)))
      assert.deepStrictEqual(
        yield* Fiber.join(yield* firstOf(plainOf(callee.signalingData))),
        new Uint8Array([1])
      )
      assert.deepStrictEqual(yield* Fiber.join(yield* firstOf(callee.encryptedSignaling)), secret)
      const plain = yield* Effect.forkChild(Stream.runCollect(callee.signalingData))
      const decrypted = yield* Effect.forkChild(Stream.runCollect(callee.encryptedSignaling))
      yield* caller.hangUp
      yield* callee.ended.pipe(Effect.timeout("5 seconds"))
      // both streams end once the call ended: collecting them terminates
      const all = Array.from(yield* Fiber.join(plain).pipe(Effect.timeout("5 seconds")))
      assert.deepStrictEqual(all[0], new Uint8Array([1]))
      assert.deepStrictEqual(
        all.filter((d) => !isSctp(d)),
        [new Uint8Array([1])]
      )
      assert.deepStrictEqual(Array.from(yield* Fiber.join(decrypted).pipe(Effect.timeout("5 seconds"))), [
        secret
      ])
      // a stream started after the end replays the call's packets and ends at once
      assert.deepStrictEqual(Array.from(yield* Stream.runCollect(callee.signalingData)), all)
      assert.deepStrictEqual(Array.from(yield* Stream.runCollect(callee.encryptedSignaling)), [secret])
      // Alice got only the association's packets from Bob, no plain data
      assert.deepStrictEqual(
        Array.from(yield* Stream.runCollect(caller.signalingData)).filter((d) => !isSctp(d)),
        []
      )
    })
  )
}
