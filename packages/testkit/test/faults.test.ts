/**
 * Fault injection: errors on the next N requests (flood waits with seconds), latency on the
 * Clock, dropped and delayed updates, disconnects, and the offline layer.
 */
import { assert, describe, it } from "@effect/vitest"
import { TelegramRpc } from "@tgphone/core"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as TestTelegram from "../src/TestTelegram.js"
import { as, duo, gA, gB, invoke, protocol, requestParams, ring, rpcError } from "./support.js"

describe("TestTelegram faults", () => {
  it("fault injectors take the method-name union: a misspelt method does not compile", () => {
    // type-level: tsc fails on this file if any of these lines compiles without error
    const misspelt = (world: TestTelegram.Service) => [
      // @ts-expect-error "phone.requestcall" is not a method name
      world.floodWait("phone.requestcall", 1),
      // @ts-expect-error "phone.requestcall" is not a method name
      world.failNext("phone.requestcall", "transport"),
      // @ts-expect-error "phone.requestcall" is not a method name
      world.setLatency(5, { method: "phone.requestcall" }),
      world.floodWait("phone.requestCall", 1),
      world.failNext("contacts.resolveUsername", { code: 400, type: "USERNAME_INVALID" }),
      world.setLatency(5, { method: "help.getConfig" })
    ]
    assert.isFunction(misspelt)
  })

  it.effect(
    "floodWait: the next N requests of a method fail with 420 FLOOD_WAIT_<seconds>, then it works",
    () =>
      Effect.gen(function* () {
        const d = yield* duo()
        yield* d.world.floodWait("phone.requestCall", 7, { times: 2 })
        const call = (id: number) =>
          as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob, id)))
        assert.deepStrictEqual(yield* rpcError(call(1)), { code: 420, type: "FLOOD_WAIT_7" })
        assert.deepStrictEqual(yield* rpcError(call(2)), { code: 420, type: "FLOOD_WAIT_7" })
        // other methods are unaffected
        yield* as(d.world, d.alice)(invoke("phone.getCallConfig", {}))
        assert.strictEqual((yield* call(3)).phoneCall._tag, "PhoneCallWaiting")
        const failures = yield* d.world.requestsWhere({ method: "phone.requestCall", outcome: "Failure" })
        assert.strictEqual(failures.length, 2)
      })
  )

  it.effect("failNext: any code/type, only for the given user", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      yield* d.world.failNext("phone.getCallConfig", { code: 500, type: "RPC_CALL_FAIL" }, { user: d.bob })
      yield* as(d.world, d.alice)(invoke("phone.getCallConfig", {}))
      assert.deepStrictEqual(yield* rpcError(as(d.world, d.bob)(invoke("phone.getCallConfig", {}))), {
        code: 500,
        type: "RPC_CALL_FAIL"
      })
      yield* as(d.world, d.bob)(invoke("phone.getCallConfig", {}))
      // a transport fault
      yield* d.world.failNext("phone.getCallConfig", "transport")
      const e = yield* Effect.flip(as(d.world, d.bob)(invoke("phone.getCallConfig", {})))
      assert.strictEqual(e._tag, "TransportError")
    })
  )

  it.effect("bad fault arguments are typed errors", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const e = yield* Effect.flip(
        d.world.failNext("phone.getCallConfig", { code: 400, type: "X" }, { times: -1 })
      )
      assert.strictEqual(e._tag, "TestTelegramError")
      const other = yield* duo({ seed: "elsewhere" })
      const foreign = yield* other.world.addUser({ firstName: "Zed" })
      assert.strictEqual((yield* Effect.flip(d.world.disconnect(foreign)))._tag, "TestTelegramError")
      assert.strictEqual(
        (yield* Effect.flip(d.world.addUser({ firstName: "Dup", username: "alice" })))._tag,
        "TestTelegramError"
      )
    })
  )

  it.effect("setLatency: requests wait on the Clock, so TestClock drives them", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      yield* d.world.setLatency(1_000, { method: "phone.requestCall" })
      const fiber = yield* Effect.forkChild(ring(d))
      yield* TestClock.adjust("999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      assert.deepStrictEqual(yield* d.world.updatesOf(d.bob), [])
      yield* TestClock.adjust("1 millis")
      const peer = yield* Fiber.join(fiber)
      assert.strictEqual((yield* d.world.requests)[0]?.atMillis, 1_000)
      assert.deepStrictEqual(
        (yield* d.world.calls).map((c) => c.id),
        [peer.id]
      )
      // other methods are immediate
      yield* as(d.world, d.alice)(invoke("phone.getCallConfig", {}))
    })
  )

  it.effect("dropNextUpdates: the next pushed update to a user is lost", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      yield* d.world.dropNextUpdates(d.bob)
      const peer = yield* ring(d)
      assert.deepStrictEqual(yield* d.world.updatesOf(d.bob), [])
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
      const got = yield* d.world.updatesOf(d.bob)
      assert.deepStrictEqual(
        got.map((u) => (u._tag === "UpdatePhoneCall" ? u.phoneCall._tag : u._tag)),
        ["PhoneCallDiscarded"]
      )
    })
  )

  it.effect("delayNextUpdates: the next pushed update arrives later on the Clock", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      yield* d.world.delayNextUpdates(d.bob, 5_000)
      yield* ring(d)
      assert.deepStrictEqual(yield* d.world.updatesOf(d.bob), [])
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* d.world.updatesOf(d.bob)).length, 1)
    })
  )

  it.effect("disconnect: requests fail with TransportError, updates wait for reconnect", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const stream = yield* d.world.subscribe(d.bob)
      const first = yield* Effect.forkChild(Stream.runHead(stream))
      yield* d.world.disconnect(d.bob)
      const e = yield* Effect.flip(as(d.world, d.bob)(invoke("phone.getCallConfig", {})))
      assert.strictEqual(e._tag, "TransportError")
      const peer = yield* ring(d)
      assert.deepStrictEqual(yield* d.world.updatesOf(d.bob), [])
      yield* d.world.reconnect(d.bob)
      const update = yield* Fiber.join(first)
      assert.strictEqual(
        update._tag === "Some" && update.value._tag === "UpdatePhoneCall" && update.value.phoneCall.id,
        peer.id
      )
      yield* as(d.world, d.bob)(invoke("phone.receivedCall", { peer }))
    })
  )

  it.effect("tamper: the peer receives an altered g_a / fingerprint while the server saw the real one", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      yield* d.world.tamper({ method: "phone.confirmCall", field: "gA" })
      yield* d.world.tamper({ method: "phone.confirmCall", field: "keyFingerprint" })
      const peer = yield* ring(d)
      yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
      const confirmed = yield* as(
        d.world,
        d.alice
      )(invoke("phone.confirmCall", { peer, gA, keyFingerprint: 10n, protocol }))
      assert.strictEqual(confirmed.phoneCall._tag === "PhoneCall" && confirmed.phoneCall.keyFingerprint, 10n)
      const toBob = (yield* d.world.updatesOf(d.bob)).at(-1)
      if (toBob?._tag !== "UpdatePhoneCall" || toBob.phoneCall._tag !== "PhoneCall")
        return assert.fail("no phoneCall for Bob")
      assert.strictEqual(toBob.phoneCall.gAOrB.length, gA.length)
      assert.notDeepEqual(toBob.phoneCall.gAOrB, gA)
      assert.strictEqual(toBob.phoneCall.keyFingerprint, 11n)
    })
  )

  it.effect("offline: every request fails with TransportError and no update arrives", () =>
    Effect.gen(function* () {
      const rpc = yield* TelegramRpc.TelegramRpc
      const e = yield* Effect.flip(rpc.invoke("phone.getCallConfig", {}))
      assert.strictEqual(e._tag, "TransportError")
      const r = yield* Effect.flip(rpc.resolveUser("@alice"))
      assert.strictEqual(r._tag, "TransportError")
      const c = yield* Effect.flip(rpc.callConfig)
      assert.strictEqual(c._tag, "TransportError")
      assert.deepStrictEqual(yield* Stream.runCollect(yield* rpc.subscribe), [])
    }).pipe(Effect.provide(TestTelegram.offline))
  )
})
