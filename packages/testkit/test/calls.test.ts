import { describe, expect, it } from "@effect/vitest"
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
      expect(requested.phoneCall._tag).toBe("PhoneCallWaiting")
      expect(requested.users.map((u) => u.id)).toEqual([alice.id, bob.id])
      const waiting = requested.phoneCall as Extract<Model.PhoneCall, { _tag: "PhoneCallWaiting" }>
      expect(waiting.adminId).toBe(alice.id)
      expect(waiting.participantId).toBe(bob.id)
      expect(waiting.receiveDate).toBeUndefined()
      const peer = new Model.InputPhoneCall({ id: waiting.id, accessHash: waiting.accessHash })
      const incoming = lastCall(yield* world.updatesOf(bob))
      expect(incoming?._tag).toBe("PhoneCallRequested")
      if (incoming?._tag !== "PhoneCallRequested") return
      expect(incoming.gAHash).toEqual(gAHash)
      expect(incoming.id).toBe(waiting.id)
      expect(yield* world.updatesOf(alice)).toEqual([])

      // 2. Bob's device acknowledges: Alice sees phoneCallWaiting with receiveDate ("ringing").
      expect(yield* asBob(invoke("phone.receivedCall", { peer }))).toBe(true)
      const ringing = lastCall(yield* world.updatesOf(alice))
      expect(ringing?._tag === "PhoneCallWaiting" && ringing.receiveDate !== undefined).toBe(true)

      // 3. Bob accepts: his result is phoneCallWaiting (e2e-calls §8.7), Alice gets phoneCallAccepted{g_b}
      //    with the single negotiated library version.
      const accepted = yield* asBob(invoke("phone.acceptCall", { peer, gB, protocol }))
      expect(accepted.phoneCall._tag).toBe("PhoneCallWaiting")
      const forAlice = lastCall(yield* world.updatesOf(alice))
      expect(forAlice?._tag).toBe("PhoneCallAccepted")
      if (forAlice?._tag !== "PhoneCallAccepted") return
      expect(forAlice.gB).toEqual(gB)
      expect(forAlice.protocol.libraryVersions).toEqual(["11.0.0"])

      // 4. Alice confirms: her result is phoneCall echoing the fingerprint; Bob gets phoneCall{g_a_or_b = g_a}.
      const confirmed = yield* asAlice(
        invoke("phone.confirmCall", { peer, gA, keyFingerprint: -1657149778470745933n, protocol })
      )
      expect(confirmed.phoneCall._tag).toBe("PhoneCall")
      if (confirmed.phoneCall._tag !== "PhoneCall") return
      expect(confirmed.phoneCall.keyFingerprint).toBe(-1657149778470745933n)
      expect(confirmed.phoneCall.connections.length).toBeGreaterThan(0)
      const forBob = lastCall(yield* world.updatesOf(bob))
      expect(forBob?._tag).toBe("PhoneCall")
      if (forBob?._tag !== "PhoneCall") return
      expect(forBob.gAOrB).toEqual(gA)
      expect(forBob.keyFingerprint).toBe(-1657149778470745933n)
      expect(forBob.p2pAllowed).toBe(true)
      expect(forBob.protocol.libraryVersions).toEqual(["11.0.0"])
      expect(Option.getOrThrow(yield* world.call(waiting.id)).state).toBe("Active")

      // 5. Signalling is relayed; Bob hangs up: both see phoneCallDiscarded with need_rating.
      expect(
        yield* asAlice(invoke("phone.sendSignalingData", { peer, data: new Uint8Array([1, 2, 3]) }))
      ).toBe(true)
      const signal = (yield* world.updatesOf(bob)).at(-1)
      expect(signal).toEqual({
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
      expect(mine?._tag === "UpdatePhoneCall" && mine.phoneCall._tag === "PhoneCallDiscarded").toBe(true)
      const theirs = lastCall(yield* world.updatesOf(alice))
      expect(theirs).toEqual({
        _tag: "PhoneCallDiscarded",
        needRating: true,
        needDebug: false,
        video: false,
        id: waiting.id,
        reason: { _tag: "Hangup" },
        duration: 42
      })
      // updates carried in a result are also delivered on the discarder's stream
      expect(lastCall(yield* world.updatesOf(bob))?._tag).toBe("PhoneCallDiscarded")
      const info = Option.getOrThrow(yield* world.call(waiting.id))
      expect(info.discard).toEqual({
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
      expect(yield* world.feedback).toEqual([
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
      expect(req?.params.randomId).toBe(1)
      expect(req?.params.userId).toEqual(bob.inputUser)
      expect(req?.outcome._tag).toBe("Success")
      expect((yield* world.requests).map((r) => r.method)).toEqual([
        "phone.requestCall",
        "phone.receivedCall",
        "phone.acceptCall",
        "phone.confirmCall",
        "phone.sendSignalingData",
        "phone.discardCall",
        "phone.setCallRating",
        "phone.saveCallDebug"
      ])
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
      expect(got.map((u) => (u._tag === "UpdatePhoneCall" ? u.phoneCall._tag : u._tag))).toEqual([
        "PhoneCallRequested",
        "PhoneCallDiscarded"
      ])
    })
  )

  it.effect("a callee already in a call is busy: the new call is answered, then discarded with Busy", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const carol = yield* d.world.addUser({ firstName: "Carol" })
      const first = yield* ring(d)
      yield* as(d.world, d.bob)(invoke("phone.receivedCall", { peer: first }))
      const second = yield* as(d.world, carol)(invoke("phone.requestCall", requestParams(d.bob)))
      expect(second.phoneCall._tag).toBe("PhoneCallWaiting")
      const toCarol = lastCall(yield* d.world.updatesOf(carol))
      expect(toCarol?._tag === "PhoneCallDiscarded" && toCarol.reason?._tag).toBe("Busy")
      // Bob heard nothing of Carol's call
      const bobCalls = (yield* d.world.updatesOf(d.bob)).map((u) =>
        u._tag === "UpdatePhoneCall" ? u.phoneCall.id : 0n
      )
      expect(bobCalls.every((id) => id === first.id)).toBe(true)
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
      expect(lastCall(yield* d.world.updatesOf(d.bob))?._tag).toBe("PhoneCallRequested")
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
      expect(toAlice).toEqual({
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
      expect(results.filter((r) => r._tag === "Success").length).toBe(1)
      expect(
        results.every(
          (r) =>
            r._tag === "Success" ||
            (r.failure._tag === "RpcError" && r.failure.type === "CALL_ALREADY_ACCEPTED")
        )
      ).toBe(true)
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
        expect(first._tag).toBe("DhConfig")
        if (first._tag !== "DhConfig") return
        expect(first.g).toBe(3)
        expect(first.p.length).toBe(256)
        expect(Buffer.from(first.p.subarray(0, 4)).toString("hex")).toBe("c71caeb9")
        expect(first.random.length).toBe(256)
        const second = yield* as(
          d.world,
          d.alice
        )(invoke("messages.getDhConfig", { version: first.version, randomLength: 32 }))
        expect(second._tag).toBe("DhConfigNotModified")
        expect(second.random.length).toBe(32)
        expect(Buffer.from(second.random).equals(Buffer.from(first.random.subarray(0, 32)))).toBe(false)
      })
  )

  it.effect("phone.getCallConfig carries the call timeouts", () =>
    Effect.gen(function* () {
      const d = yield* duo({ callRingTimeoutMs: 45_000 })
      const config = yield* as(d.world, d.alice)(invoke("phone.getCallConfig", {}))
      const json = JSON.parse(config.data) as Record<string, unknown>
      expect(json["call_ring_timeout_ms"]).toBe(45_000)
      expect(json["call_receive_timeout_ms"]).toBe(20_000)
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
      expect(ids[0]).toEqual(ids[1])
      const other = yield* duo({ seed: 100 })
      expect(other.alice.accessHash).not.toBe(ids[0]?.[0])
    })
  )
})
