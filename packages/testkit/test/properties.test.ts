/**
 * Properties of the world over random sequences of 1:1 call actions by three users (seeded
 * fast-check runs, each on its own TestClock):
 *
 * - every error the world answers is one Telegram documents for that method (core's generated
 *   catalog), or one of the few undocumented cases docs/testing.md lists;
 * - each user sees each call's states in protocol order, and at most one phoneCallDiscarded;
 * - nobody is left ringing: once the clock passes the timeouts, every unanswered call is
 *   discarded, and both sides of every discarded call were told (except a busy callee, who never
 *   saw the call).
 */
import { assert, describe, it } from "@effect/vitest"
import { Errors, Model, type RpcMethods, TelegramRpc } from "@tgphone/core"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import * as TestTelegram from "../src/TestTelegram.js"
import { gA, gAHash, gB, protocol } from "./support.js"

/** The undocumented answers the world gives on purpose (see docs/testing.md). */
const extras: Partial<Record<RpcMethods.MethodName, ReadonlyArray<string>>> = {
  "phone.confirmCall": ["DH_G_A_INVALID"],
  "phone.discardCall": ["CALL_ALREADY_DECLINED"]
}

const webA = new PhoneCallProtocol({ ...protocol, minLayer: 92, maxLayer: 92, libraryVersions: ["4.0.0"] })

const user = fc.integer({ min: 0, max: 2 })
const callIndex = fc.nat({ max: 7 })
/** Who acts on a call, relative to it (the stranger is the third user). */
const role = fc.constantFrom(
  "caller" as const,
  "callee" as const,
  "callee" as const,
  "caller" as const,
  "stranger" as const
)
const action = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("request" as const),
      actor: user,
      target: user,
      randomId: fc.nat({ max: 4 })
    })
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("received" as const), role, call: callIndex }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("accept" as const),
      role,
      call: callIndex,
      compatible: fc.boolean()
    })
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("confirm" as const),
      role,
      call: callIndex,
      honest: fc.boolean()
    })
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("discard" as const),
      role,
      call: callIndex,
      reason: fc.constantFrom("Missed" as const, "Busy" as const, "Hangup" as const, "Disconnect" as const)
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("signal" as const), role, call: callIndex }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("debug" as const), role, call: callIndex, json: fc.boolean() })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("privacy" as const),
      actor: user,
      allow: fc.constantFrom(
        "everybody" as const,
        "everybody" as const,
        "contacts" as const,
        "nobody" as const
      )
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("block" as const), actor: user, target: user, on: fc.boolean() })
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("tick" as const), millis: fc.integer({ min: 0, max: 60_000 }) })
  }
)
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never

const rank: Record<Model.PhoneCall["_tag"], number> = {
  PhoneCallEmpty: -1,
  PhoneCallRequested: 0,
  PhoneCallWaiting: 0,
  PhoneCallAccepted: 1,
  PhoneCall: 2,
  PhoneCallDiscarded: 3
}

/** Every error type any run produced: the property must have reached these paths. */
const seenErrors = new Set<string>()

const scenario = (actions: ReadonlyArray<Action>) =>
  Effect.gen(function* () {
    const world = yield* TestTelegram.make({ seed: "properties" })
    const users = yield* Effect.forEach(["Ann", "Ben", "Cat"], (firstName) => world.addUser({ firstName }))
    const rpcs = yield* Effect.forEach(users, (u) => world.rpcFor(u))
    const calls: Array<{
      readonly peer: Model.InputPhoneCall
      readonly caller: number
      readonly callee: number
    }> = []
    const bogus = { peer: new Model.InputPhoneCall({ id: 1n, accessHash: 1n }), caller: 0, callee: 1 }
    /** The referenced call and the index of the user acting on it. */
    const target = (i: number, who: "caller" | "callee" | "stranger") => {
      const c = calls[i % Math.max(1, calls.length)] ?? bogus
      const actor = who === "caller" ? c.caller : who === "callee" ? c.callee : 3 - c.caller - c.callee
      return { peer: c.peer, actor }
    }
    const errors: Array<{ method: string; type: string }> = []
    const run = <M extends RpcMethods.MethodName>(
      actor: number,
      method: M,
      params: RpcMethods.MethodParams<M>
    ) =>
      rpcs[actor]!.invoke(method, params).pipe(
        Effect.tapError((e) =>
          Effect.sync(() => {
            if (e instanceof TelegramRpc.RpcError) errors.push({ method, type: e.type })
          })
        ),
        Effect.option
      )
    for (const a of actions) {
      switch (a.kind) {
        case "request": {
          const r = yield* run(a.actor, "phone.requestCall", {
            video: false,
            userId: users[a.target]!.inputUser,
            randomId: a.randomId,
            gAHash,
            protocol
          })
          if (r._tag === "Some" && r.value.phoneCall._tag === "PhoneCallWaiting")
            calls.push({
              peer: new Model.InputPhoneCall({
                id: r.value.phoneCall.id,
                accessHash: r.value.phoneCall.accessHash
              }),
              caller: a.actor,
              callee: a.target
            })
          break
        }
        case "received": {
          const t = target(a.call, a.role)
          yield* run(t.actor, "phone.receivedCall", { peer: t.peer })
          break
        }
        case "accept": {
          const t = target(a.call, a.role)
          yield* run(t.actor, "phone.acceptCall", {
            peer: t.peer,
            gB,
            protocol: a.compatible ? protocol : webA
          })
          break
        }
        case "confirm": {
          const t = target(a.call, a.role)
          yield* run(t.actor, "phone.confirmCall", {
            peer: t.peer,
            gA: a.honest ? gA : gB,
            keyFingerprint: 5n,
            protocol
          })
          break
        }
        case "discard": {
          const t = target(a.call, a.role)
          yield* run(t.actor, "phone.discardCall", {
            video: false,
            peer: t.peer,
            duration: 3,
            reason: { _tag: a.reason },
            connectionId: 0n
          })
          break
        }
        case "signal": {
          const t = target(a.call, a.role)
          yield* run(t.actor, "phone.sendSignalingData", { peer: t.peer, data: new Uint8Array([1]) })
          break
        }
        case "debug": {
          const t = target(a.call, a.role)
          yield* run(t.actor, "phone.saveCallDebug", {
            peer: t.peer,
            debug: new Model.DataJson({ data: a.json ? "{}" : "{" })
          })
          break
        }
        case "privacy":
          yield* world.setPrivacy(users[a.actor]!, { allow: a.allow })
          break
        case "block":
          yield* (a.on ? world.block : world.unblock)(users[a.actor]!, users[a.target]!)
          break
        case "tick":
          yield* TestClock.adjust(a.millis)
          break
      }
    }
    // past every ring and receive timeout
    yield* TestClock.adjust("200 seconds")

    // 1. only documented errors
    for (const e of errors) {
      seenErrors.add(e.type)
      const allowed = [
        ...(Errors.methodErrorTypes[e.method as RpcMethods.MethodName] ?? []),
        ...(extras[e.method as RpcMethods.MethodName] ?? [])
      ]
      assert.include(allowed, e.type, `${e.method} answered ${e.type}`)
    }
    // 2. per user and call, states only move forward; at most one discard
    for (const u of users) {
      const seen = new Map<bigint, number>()
      for (const update of yield* world.updatesOf(u)) {
        if (update._tag !== "UpdatePhoneCall") continue
        const r = rank[update.phoneCall._tag]
        const before = seen.get(update.phoneCall.id) ?? -1
        assert.strictEqual(before === 3 ? "update after discard" : r >= before ? "ok" : "backwards", "ok")
        seen.set(update.phoneCall.id, r)
      }
    }
    // 3. nobody left ringing; both sides told of each end
    for (const call of yield* world.calls) {
      assert.include(["Accepted", "Active", "Discarded"], call.state)
      if (call.state !== "Discarded") continue
      const busyAtOnce = call.discard?.by === "server" && call.discard.reason?._tag === "Busy"
      for (const id of busyAtOnce ? [call.callerId] : [call.callerId, call.calleeId]) {
        const u = users.find((x) => x.id === id)!
        const told = (yield* world.updatesOf(u)).some(
          (x) =>
            x._tag === "UpdatePhoneCall" &&
            x.phoneCall._tag === "PhoneCallDiscarded" &&
            x.phoneCall.id === call.id
        )
        assert.isTrue(told)
      }
    }
  })

describe("TestTelegram properties", () => {
  it.effect("random 1:1 call traffic keeps the world's promises", () =>
    Effect.gen(function* () {
      const runs = fc.sample(fc.array(action, { minLength: 10, maxLength: 60, size: "max" }), {
        numRuns: 150,
        seed: 20_260_101
      })
      for (const [i, actions] of runs.entries()) {
        // each run has its own world (closed before the next run starts) and its own TestClock
        yield* scenario(actions).pipe(
          Effect.scoped,
          Effect.provide(Layer.fresh(TestClock.layer())),
          Effect.tapCause(() => Effect.logError(`run ${i} failed; its actions:`, actions))
        )
      }
      assert.deepStrictEqual([...seenErrors].sort(), [
        "CALL_ALREADY_ACCEPTED",
        "CALL_ALREADY_DECLINED",
        "CALL_NOT_ACTIVE",
        "CALL_OCCUPY_FAILED",
        "CALL_PEER_INVALID",
        "CALL_PROTOCOL_COMPAT_LAYER_INVALID",
        "DATA_JSON_INVALID",
        "DH_G_A_INVALID",
        "RANDOM_ID_DUPLICATE",
        "USER_ID_INVALID",
        "USER_IS_BLOCKED",
        "USER_PRIVACY_RESTRICTED"
      ])
    })
  )
})
