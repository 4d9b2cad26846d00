import { assert, describe, it } from "@effect/vitest"
import { Model } from "@tgphone/core"
import { Effect, Fiber, Option, Stream } from "effect"
import { as, duo, gA, gAHash, gB, invoke, protocol, requestParams, ring } from "./support.js"

const lastCall = (updates: ReadonlyArray<Model.Update>): Model.PhoneCall | undefined => {
  const u = updates.at(-1)
  return u?._tag === "UpdatePhoneCall" ? u.phoneCall : undefined
}

describe("TestTelegram 1:1 calls", () => {
  it.effect("a whole call: request → received → accept → confirm → active → discard", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const { world, alice, bob } = d
      const asAlice = as(world, alice)
      const asBob = as(world, bob)

      // 1. Alice requests: her result is phoneCallWaiting, Bob is pushed phoneCallRequested.
      const requested = yield* asAlice(invoke("phone.requestCall", requestParams(bob)))
      assert.strictEqual(requested.phoneCall._tag, "PhoneCallWaiting")
      assert.deepStrictEqual(
        requested.users.map((u) => u.id),
        [alice.id, bob.id]
      )
      const waiting = requested.phoneCall as Extract<Model.PhoneCall, { _tag: "PhoneCallWaiting" }>
      assert.strictEqual(waiting.adminId, alice.id)
      assert.strictEqual(waiting.participantId, bob.id)
      assert.isUndefined(waiting.receiveDate)
      const peer = new Model.InputPhoneCall({ id: waiting.id, accessHash: waiting.accessHash })
      const incoming = lastCall(yield* world.updatesOf(bob))
      assert.strictEqual(incoming?._tag, "PhoneCallRequested")
      if (incoming?._tag !== "PhoneCallRequested") return
      assert.deepStrictEqual(incoming.gAHash, gAHash)
      assert.strictEqual(incoming.id, waiting.id)
      assert.deepStrictEqual(yield* world.updatesOf(alice), [])

      // 2. Bob's device acknowledges: Alice sees phoneCallWaiting with receiveDate ("ringing").
      assert.isTrue(yield* asBob(invoke("phone.receivedCall", { peer })))
      const ringing = lastCall(yield* world.updatesOf(alice))
      assert.isTrue(ringing?._tag === "PhoneCallWaiting" && ringing.receiveDate !== undefined)

      // 3. Bob accepts: his result is phoneCallWaiting (e2e-calls §8.7), Alice gets phoneCallAccepted{g_b}
      //    with the single negotiated library version.
      const accepted = yield* asBob(invoke("phone.acceptCall", { peer, gB, protocol }))
      assert.strictEqual(accepted.phoneCall._tag, "PhoneCallWaiting")
      const forAlice = lastCall(yield* world.updatesOf(alice))
      assert.strictEqual(forAlice?._tag, "PhoneCallAccepted")
      if (forAlice?._tag !== "PhoneCallAccepted") return
      assert.deepStrictEqual(forAlice.gB, gB)
      assert.deepStrictEqual(forAlice.protocol.libraryVersions, ["11.0.0"])

      // 4. Alice confirms: her result is phoneCall echoing the fingerprint; Bob gets phoneCall{g_a_or_b = g_a}.
      const confirmed = yield* asAlice(
        invoke("phone.confirmCall", { peer, gA, keyFingerprint: -1657149778470745933n, protocol })
      )
      assert.strictEqual(confirmed.phoneCall._tag, "PhoneCall")
      if (confirmed.phoneCall._tag !== "PhoneCall") return
      assert.strictEqual(confirmed.phoneCall.keyFingerprint, -1657149778470745933n)
      // a reflector, and a STUN server since P2P is allowed
      assert.deepStrictEqual(
        confirmed.phoneCall.connections.map((c) => c._tag),
        ["PhoneConnection", "PhoneConnectionWebrtc"]
      )
      const forBob = lastCall(yield* world.updatesOf(bob))
      assert.strictEqual(forBob?._tag, "PhoneCall")
      if (forBob?._tag !== "PhoneCall") return
      assert.deepStrictEqual(forBob.gAOrB, gA)
      assert.strictEqual(forBob.keyFingerprint, -1657149778470745933n)
      assert.isTrue(forBob.p2pAllowed)
      assert.deepStrictEqual(forBob.protocol.libraryVersions, ["11.0.0"])
      assert.strictEqual(Option.getOrThrow(yield* world.call(waiting.id)).state, "Active")

      // 5. Signalling is relayed; Bob hangs up: both see phoneCallDiscarded with need_rating.
      assert.isTrue(
        yield* asAlice(invoke("phone.sendSignalingData", { peer, data: new Uint8Array([1, 2, 3]) }))
      )
      const signal = (yield* world.updatesOf(bob)).at(-1)
      assert.deepStrictEqual(signal, {
        _tag: "UpdatePhoneCallSignalingData",
        phoneCallId: waiting.id,
        data: new Uint8Array([1, 2, 3])
      })
      const hangup = yield* asBob(
        invoke("phone.discardCall", {
          video: false,
          peer,
          duration: 42,
          reason: { _tag: "Hangup" },
          connectionId: 0n
        })
      )
      const mine = hangup.updates[0]
      assert.isTrue(mine?._tag === "UpdatePhoneCall" && mine.phoneCall._tag === "PhoneCallDiscarded")
      const theirs = lastCall(yield* world.updatesOf(alice))
      assert.deepStrictEqual(theirs, {
        _tag: "PhoneCallDiscarded",
        needRating: true,
        needDebug: false,
        video: false,
        id: waiting.id,
        reason: { _tag: "Hangup" },
        duration: 42
      })
      // updates carried in a result are also delivered on the discarder's stream
      assert.strictEqual(lastCall(yield* world.updatesOf(bob))?._tag, "PhoneCallDiscarded")
      const info = Option.getOrThrow(yield* world.call(waiting.id))
      assert.deepStrictEqual(info.discard, {
        by: bob.id,
        reason: { _tag: "Hangup" },
        duration: 42,
        needRating: true,
        needDebug: false
      })

      // 6. Ratings and debug logs are recorded for inspection.
      yield* asAlice(
        invoke("phone.setCallRating", { userInitiative: false, peer, rating: 5, comment: "clear" })
      )
      yield* asBob(invoke("phone.saveCallDebug", { peer, debug: new Model.DataJson({ data: '{"loss":0}' }) }))
      assert.deepStrictEqual(yield* world.feedback, [
        { _tag: "Signaling", callId: waiting.id, fromUserId: alice.id, data: new Uint8Array([1, 2, 3]) },
        {
          _tag: "Rating",
          callId: waiting.id,
          userId: alice.id,
          rating: 5,
          comment: "clear",
          userInitiative: false
        },
        { _tag: "Debug", callId: waiting.id, userId: bob.id, json: { loss: 0 } }
      ])
      const [req] = yield* world.requestsOf("phone.requestCall", alice)
      assert.strictEqual(req?.params.randomId, 1)
      assert.deepStrictEqual(req?.params.userId, bob.inputUser)
      assert.strictEqual(req?.outcome._tag, "Success")
      assert.deepStrictEqual(
        (yield* world.requests).map((r) => r.method),
        [
          "phone.requestCall",
          "phone.receivedCall",
          "phone.acceptCall",
          "phone.confirmCall",
          "phone.sendSignalingData",
          "phone.discardCall",
          "phone.setCallRating",
          "phone.saveCallDebug"
        ]
      )
    })
  )

  it.effect("the updates stream sees every update from subscription on", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const bobUpdates = yield* d.world.subscribe(d.bob)
      const collected = yield* Effect.forkChild(Stream.runCollect(Stream.take(bobUpdates, 2)))
      const peer = yield* ring(d)
      yield* as(
        d.world,
        d.alice
      )(
        invoke("phone.discardCall", {
          video: false,
          peer,
          duration: 0,
          reason: { _tag: "Missed" },
          connectionId: 0n
        })
      )
      const got = yield* Fiber.join(collected)
      assert.deepStrictEqual(
        got.map((u) => (u._tag === "UpdatePhoneCall" ? u.phoneCall._tag : u._tag)),
        ["PhoneCallRequested", "PhoneCallDiscarded"]
      )
    })
  )

  it.effect("a callee already in a call is busy: the new call is answered, then discarded with Busy", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const carol = yield* d.world.addUser({ firstName: "Carol" })
      const first = yield* ring(d)
      yield* as(d.world, d.bob)(invoke("phone.receivedCall", { peer: first }))
      const second = yield* as(d.world, carol)(invoke("phone.requestCall", requestParams(d.bob)))
      assert.strictEqual(second.phoneCall._tag, "PhoneCallWaiting")
      const toCarol = lastCall(yield* d.world.updatesOf(carol))
      assert.strictEqual(toCarol?._tag === "PhoneCallDiscarded" && toCarol.reason?._tag, "Busy")
      // Bob heard nothing of Carol's call
      const bobCalls = (yield* d.world.updatesOf(d.bob)).map((u) =>
        u._tag === "UpdatePhoneCall" ? u.phoneCall.id : 0n
      )
      assert.isTrue(bobCalls.every((id) => id === first.id))
      // once Bob's call ends he is free again
      yield* as(
        d.world,
        d.alice
      )(
        invoke("phone.discardCall", {
          video: false,
          peer: first,
          duration: 0,
          reason: { _tag: "Missed" },
          connectionId: 0n
        })
      )
      yield* as(d.world, carol)(invoke("phone.requestCall", requestParams(d.bob, 2)))
      assert.strictEqual(lastCall(yield* d.world.updatesOf(d.bob))?._tag, "PhoneCallRequested")
    })
  )

  it.effect("declining while ringing ends the call for both with the decliner's reason", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const peer = yield* ring(d)
      yield* as(
        d.world,
        d.bob
      )(
        invoke("phone.discardCall", {
          video: false,
          peer,
          duration: 0,
          reason: { _tag: "Busy" },
          connectionId: 0n
        })
      )
      const toAlice = lastCall(yield* d.world.updatesOf(d.alice))
      assert.deepStrictEqual(toAlice, {
        _tag: "PhoneCallDiscarded",
        needRating: false,
        needDebug: false,
        video: false,
        id: peer.id,
        reason: { _tag: "Busy" }
      })
    })
  )

  it.effect("many fibers racing to accept: exactly one wins", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const peer = yield* ring(d)
      const results = yield* Effect.forEach(
        Array.from({ length: 50 }, () => 0),
        () => Effect.result(as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter((r) => r._tag === "Success").length, 1)
      assert.isTrue(
        results.every(
          (r) =>
            r._tag === "Success" ||
            (r.failure._tag === "RpcError" && r.failure.type === "CALL_ALREADY_ACCEPTED")
        )
      )
    })
  )

  it.effect(
    "messages.getDhConfig: the known prime with g = 3, then dhConfigNotModified with fresh randomness",
    () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const first = yield* as(
          d.world,
          d.alice
        )(invoke("messages.getDhConfig", { version: 0, randomLength: 256 }))
        assert.strictEqual(first._tag, "DhConfig")
        if (first._tag !== "DhConfig") return
        assert.strictEqual(first.g, 3)
        assert.strictEqual(first.p.length, 256)
        assert.strictEqual(Buffer.from(first.p.subarray(0, 4)).toString("hex"), "c71caeb9")
        assert.strictEqual(first.random.length, 256)
        const second = yield* as(
          d.world,
          d.alice
        )(invoke("messages.getDhConfig", { version: first.version, randomLength: 32 }))
        assert.strictEqual(second._tag, "DhConfigNotModified")
        assert.strictEqual(second.random.length, 32)
        assert.isFalse(Buffer.from(second.random).equals(Buffer.from(first.random.subarray(0, 32))))
      })
  )

  it.effect("phone.getCallConfig carries the call timeouts", () =>
    Effect.gen(function* () {
      const d = yield* duo({ callRingTimeoutMs: 45_000 })
      const config = yield* as(d.world, d.alice)(invoke("phone.getCallConfig", {}))
      const json = JSON.parse(config.data) as Record<string, unknown>
      assert.strictEqual(json["call_ring_timeout_ms"], 45_000)
      assert.strictEqual(json["call_receive_timeout_ms"], 20_000)
    })
  )

  it.effect("the same seed gives the same ids", () =>
    Effect.gen(function* () {
      const ids = yield* Effect.forEach([1, 2], () =>
        Effect.gen(function* () {
          const d = yield* duo({ seed: 99 })
          const peer = yield* ring(d)
          return [d.alice.accessHash, peer.id, peer.accessHash]
        })
      )
      assert.deepStrictEqual(ids[0], ids[1])
      const other = yield* duo({ seed: 100 })
      assert.notStrictEqual(other.alice.accessHash, ids[0]?.[0])
    })
  )
})
