/**
 * Shared helpers for the test kit's own tests: a world with two users, dummy key-exchange bytes
 * and short-hands for calling the seam as a user.
 */
import { createHash } from "node:crypto"
import { assert } from "@effect/vitest"
import { Errors, Model, RpcMethods, TelegramRpc } from "@tgphone/core"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { Effect, type Scope } from "effect"
import * as TestTelegram from "../src/TestTelegram.js"

export const protocol = new PhoneCallProtocol({
  udpP2p: true,
  udpReflector: true,
  minLayer: 65,
  maxLayer: 92,
  libraryVersions: ["9.0.0", "11.0.0"]
})

export const gA = new Uint8Array(256).fill(7)
export const gAHash = new Uint8Array(createHash("sha256").update(gA).digest())
export const gB = new Uint8Array(256).fill(9)

/** Runs `effect` with `user`'s `TelegramRpc`. */
export const as =
  (world: TestTelegram.Service, user: TestTelegram.TestUser) =>
  <A, E>(effect: Effect.Effect<A, E, TelegramRpc.TelegramRpc>) =>
    effect.pipe(Effect.provide(world.layerFor(user)))

/** `TelegramRpc.invoke` of the current user. */
export const invoke = <M extends RpcMethods.MethodName>(method: M, params: RpcMethods.MethodParams<M>) =>
  TelegramRpc.TelegramRpc.use((rpc) => rpc.invoke(method, params))

/** The raw RPC error of a failed effect (fails the test when it succeeds or fails otherwise). */
export const rpcError = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.flatMap(Effect.flip(effect), (e) =>
    e instanceof TelegramRpc.RpcError ? Effect.succeed({ code: e.code, type: e.type }) : Effect.die(e)
  )

export interface Duo {
  readonly world: TestTelegram.Service
  readonly alice: TestTelegram.TestUser
  readonly bob: TestTelegram.TestUser
}

/** A fresh world with Alice and Bob. */
export const duo = (options?: TestTelegram.Options): Effect.Effect<Duo, never, Scope.Scope> =>
  Effect.gen(function* () {
    const world = yield* TestTelegram.make({ seed: "tests", ...options })
    const alice = yield* Effect.orDie(
      world.addUser({ firstName: "Alice", username: "alice", phone: "+15550001" })
    )
    const bob = yield* Effect.orDie(
      world.addUser({ firstName: "Bob", username: "bob_b", phone: "+15550002" })
    )
    return { world, alice, bob }
  })

export const requestParams = (callee: TestTelegram.TestUser, randomId = 1) => ({
  video: false,
  userId: callee.inputUser,
  randomId,
  gAHash,
  protocol
})

export const peerOf = (call: Model.PhoneCall): Model.InputPhoneCall => {
  if (call._tag === "PhoneCallEmpty" || call._tag === "PhoneCallDiscarded")
    throw new Error(`no access hash on ${call._tag}`)
  return new Model.InputPhoneCall({ id: call.id, accessHash: call.accessHash })
}

/** Alice calls Bob; returns the call's `InputPhoneCall`. */
export const ring = (d: Duo, randomId = 1) =>
  Effect.map(as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob, randomId))), (r) =>
    peerOf(r.phoneCall)
  )

/**
 * The world answered exactly the `expected` error types (`method: TYPE`, in order of first
 * appearance), and each is one Telegram documents for the method or one of its `extras` (the
 * undocumented answers the world gives on purpose, docs/testing.md).
 */
export const assertDocumentedErrors = (
  world: TestTelegram.Service,
  expected: ReadonlyArray<string>,
  extras: Partial<Record<RpcMethods.MethodName, ReadonlyArray<string>>>
) =>
  Effect.gen(function* () {
    const failures = yield* world.requestsWhere({ outcome: "Failure" })
    const answered: Array<string> = []
    for (const r of failures) {
      if (r.outcome._tag !== "Failure" || r.outcome.error._tag !== "RpcError") continue
      const type = r.outcome.error.type
      answered.push(`${r.method}: ${type}`)
      assert.isTrue(RpcMethods.isMethodName(r.method), r.method)
      if (!RpcMethods.isMethodName(r.method)) continue
      const allowed = [...Errors.methodErrorTypes[r.method], ...(extras[r.method] ?? [])]
      assert.include(allowed, type, `${r.method} answered ${type}`)
    }
    assert.deepStrictEqual([...new Set(answered)], expected)
  })
