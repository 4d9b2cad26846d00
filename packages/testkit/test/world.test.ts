/**
 * The world's own API: enumeration for servers built on it, options, latency rules, handles.
 */
import { assert, describe, it } from "@effect/vitest"
import { Model, type TelegramRpc } from "@tgphone/core"
import { Clock, Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { assertMatches } from "../../../test-support/assert.js"
import * as TestTelegram from "../src/TestTelegram.js"
import { as, duo, gB, invoke, protocol, requestParams, ring } from "./support.js"

describe("TestTelegram world API", () => {
  it.effect("users / user / findUser enumerate what a server needs to mint sessions", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const bot = yield* world.addUser({ firstName: "Helper", username: "helper_bot", bot: true })
      const users = yield* world.users
      assert.deepStrictEqual(
        users.map((u) => [u.id, u.accessHash, u.firstName, u.username, u.phone, u.bot]),
        [
          [alice.id, alice.accessHash, "Alice", "alice", "+15550001", false],
          [bob.id, bob.accessHash, "Bob", "bob_b", "+15550002", false],
          [bot.id, bot.accessHash, "Helper", "helper_bot", undefined, true]
        ]
      )
      assert.deepStrictEqual(
        Option.map(yield* world.user(bob.id), (u) => u.firstName),
        Option.some("Bob")
      )
      assert.deepStrictEqual(yield* world.user(1n), Option.none())
      assert.deepStrictEqual(
        Option.map(yield* world.findUser("@ALICE"), (u) => u.id),
        Option.some(alice.id)
      )
      assert.deepStrictEqual(
        Option.map(yield* world.findUser("+1 555 0002"), (u) => u.id),
        Option.some(bob.id)
      )
      yield* world.deactivate(bob)
      yield* world.block(alice, bob)
      const info = Option.getOrThrow(yield* world.user(bob.id))
      assert.strictEqual(info.deactivated, true)
      assert.deepStrictEqual(Option.getOrThrow(yield* world.user(alice.id)).blocked, [bob.id])
      // the seam of one user carries its account
      const rpc = yield* world.rpcFor(bot)
      assert.deepStrictEqual(rpc.account, { userId: bot.id, isBot: true })
    })
  )

  it.effect("results carry users as the viewer sees them (self, phone without +)", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const r = yield* as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob)))
      assert.deepStrictEqual(
        r.users.map((u) => [u.id, u.self, u.phone]),
        [
          [d.alice.id, true, "15550001"],
          [d.bob.id, false, "15550002"]
        ]
      )
    })
  )

  it.effect("latency: the most specific rule wins (method and user > method > user > everyone)", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      yield* d.world.setLatency(100)
      yield* d.world.setLatency(200, { user: d.alice })
      yield* d.world.setLatency(300, { method: "phone.getCallConfig" })
      yield* d.world.setLatency(400, { method: "phone.getCallConfig", user: d.alice })
      const timed = (user: TestTelegram.TestUser, method: "phone.getCallConfig" | "messages.getDhConfig") =>
        Effect.gen(function* () {
          yield* d.world.clearRequests
          const start = yield* Clock.currentTimeMillis
          const request: Effect.Effect<unknown, unknown, TelegramRpc.TelegramRpc> =
            method === "phone.getCallConfig"
              ? invoke(method, {})
              : invoke(method, { version: 0, randomLength: 0 })
          const fiber = yield* Effect.forkChild(as(d.world, user)(request))
          yield* TestClock.adjust("1 second")
          yield* Fiber.join(fiber)
          const [r] = yield* d.world.requests
          return (r?.atMillis ?? 0) - start
        })
      assert.strictEqual(yield* timed(d.alice, "phone.getCallConfig"), 400)
      assert.strictEqual(yield* timed(d.bob, "phone.getCallConfig"), 300)
      assert.strictEqual(yield* timed(d.alice, "messages.getDhConfig"), 200)
      assert.strictEqual(yield* timed(d.bob, "messages.getDhConfig"), 100)
      yield* d.world.setLatency(0)
      yield* d.world.setLatency(0, { user: d.alice })
      yield* d.world.clearRequests
      yield* as(d.world, d.bob)(invoke("messages.getDhConfig", { version: 0, randomLength: 0 }))
      assert.strictEqual((yield* d.world.requests).length, 1)
    })
  )

  it.effect("recordRequests / recordUpdates off: nothing is kept, calls still work", () =>
    Effect.gen(function* () {
      const d = yield* duo({ recordRequests: false, recordUpdates: false })
      const peer = yield* ring(d)
      yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
      assert.deepStrictEqual(yield* d.world.requests, [])
      assert.deepStrictEqual(yield* d.world.updatesOf(d.bob), [])
      assert.strictEqual(Option.getOrThrow(yield* d.world.call(peer.id)).state, "Accepted")
    })
  )

  it.effect("verifyGAHash off: a g_a that does not match g_a_hash reaches the callee", () =>
    Effect.gen(function* () {
      const d = yield* duo({ verifyGAHash: false })
      const peer = yield* ring(d)
      yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
      const other = new Uint8Array(256).fill(1)
      yield* as(
        d.world,
        d.alice
      )(invoke("phone.confirmCall", { peer, gA: other, keyFingerprint: 2n, protocol }))
      const last = (yield* d.world.updatesOf(d.bob)).at(-1)
      assert.deepStrictEqual(
        last?._tag === "UpdatePhoneCall" && last.phoneCall._tag === "PhoneCall" && last.phoneCall.gAOrB,
        other
      )
    })
  )

  it.effect("handles are checked: chats and users from another world are typed errors", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const elsewhere = yield* TestTelegram.make({ seed: "other" })
      const stranger = yield* elsewhere.addUser({ firstName: "Zed" })
      const chat = yield* elsewhere.addChat({ kind: "group", title: "Far", creator: stranger })
      const errors = yield* Effect.all([
        Effect.flip(d.world.addMember(chat, d.alice)),
        Effect.flip(d.world.rpcFor(stranger)),
        Effect.flip(d.world.addChat({ kind: "supergroup", title: "X", creator: stranger })),
        Effect.flip(d.world.addUser({ firstName: "" })),
        Effect.flip(d.world.addUser({ firstName: "P", phone: "12" })),
        Effect.flip(d.world.addChat({ kind: "group", title: "G", creator: d.alice, username: "group_name" })),
        Effect.flip(d.world.setLatency(-1))
      ])
      assert.deepStrictEqual(
        errors.map((e) => e._tag),
        Array(7).fill("TestTelegramError")
      )
      assert.include(errors[0]?.message, "does not belong to this world")
      const viaLayer = yield* Effect.flip(as(d.world, stranger)(invoke("phone.getCallConfig", {})))
      assert.strictEqual(viaLayer._tag, "TestTelegramError")
    })
  )

  it.effect("a group chat's call is visible in Chat objects (callActive / callNotEmpty)", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const group = yield* d.world.addChat({
        kind: "group",
        title: "Family",
        creator: d.alice,
        members: [d.bob]
      })
      const created = yield* as(
        d.world,
        d.alice
      )(invoke("phone.createGroupCall", { rtmpStream: false, peer: group.inputPeer, randomId: 1 }))
      assertMatches(created.chats[0], {
        _tag: "Chat",
        id: group.id,
        callActive: true,
        callNotEmpty: false
      })
      const update = created.updates[0]
      if (update?._tag !== "UpdateGroupCall") return assert.fail("no UpdateGroupCall")
      const call = new Model.InputGroupCall({ id: update.call.id, accessHash: update.call.accessHash })
      const joined = yield* as(
        d.world,
        d.bob
      )(
        invoke("phone.joinGroupCall", {
          muted: true,
          videoStopped: true,
          call,
          joinAs: { _tag: "InputPeerSelf" },
          params: new Model.DataJson({ data: "{}" })
        })
      )
      assertMatches(joined.chats[0], { callActive: true, callNotEmpty: true })
    })
  )
})
