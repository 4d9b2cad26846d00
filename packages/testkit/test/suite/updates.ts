/**
 * The seam's update subscription (`TelegramRpc.subscribe`, live when it returns): the callee sees `UpdatePhoneCall` for an incoming call, and the
 * updates carried in an RPC result reach the caller's stream exactly once (on the loopback
 * backend the server does not echo them, and tgphone's GramJS layer forwards them itself).
 * Registered per backend by `backends.test.ts`.
 */
import { assert, it } from "@effect/vitest"
import { type Model, Phone, TelegramRpc } from "@tgphone/core"
import { Effect, Fiber, Stream } from "effect"
import { assertMatches } from "../../../../test-support/assert.js"
import { type Backend, gA, gAHash, gB, protocolInput, refOf, scene } from "../support-backend.js"

/** The backend's seam service for a user (`as(user)(rpcOf)`). */
const rpcOf = TelegramRpc.TelegramRpc.use(Effect.succeed)

/** Collects the updates of a stream until (and including) the first one `until` accepts. */
const collectUntil = (stream: Stream.Stream<Model.Update>, until: (u: Model.Update) => boolean) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(
      stream.pipe(
        Stream.takeUntil(until),
        Stream.runCollect,
        Effect.map((chunk) => Array.from(chunk)),
        Effect.timeout("5 seconds")
      )
    )
    return fiber
  })

const phoneCallTags = (updates: ReadonlyArray<Model.Update>, id: bigint) =>
  updates.flatMap((u) => (u._tag === "UpdatePhoneCall" && u.phoneCall.id === id ? [u.phoneCall._tag] : []))

/** Registers the update tests for one backend. */
export const updatesSuite = (backend: Backend): void => {
  it.live("the callee's updates see UpdatePhoneCall(PhoneCallRequested) for the incoming call", () =>
    Effect.gen(function* () {
      const { alice, bob, as } = yield* scene(backend)
      const bobUpdates = yield* (yield* as(bob)(rpcOf)).subscribe
      const seen = yield* collectUntil(bobUpdates, (u) => u._tag === "UpdatePhoneCall")
      const requested = yield* as(alice)(
        Phone.requestCall({
          userId: bob.inputUser,
          randomId: 21,
          gAHash,
          protocol: protocolInput,
          video: true
        })
      )
      const updates = yield* Fiber.join(seen)
      assert.lengthOf(updates, 1)
      assertMatches(updates[0], {
        _tag: "UpdatePhoneCall",
        phoneCall: {
          _tag: "PhoneCallRequested",
          id: requested.phoneCall.id,
          adminId: alice.id,
          participantId: bob.id,
          video: true,
          gAHash
        }
      })
    })
  )

  it.live("every step's update arrives once, and result updates exactly once, on each side", () =>
    Effect.gen(function* () {
      const { alice, bob, as } = yield* scene(backend)
      const A = as(alice)
      const B = as(bob)
      // a call from Bob to Alice after the first one ended marks the end of what each side saw:
      // the server writes to a connection in order, so an echoed duplicate would come before it
      const isMarker = (u: Model.Update) =>
        u._tag === "UpdatePhoneCall" && u.phoneCall._tag === "PhoneCallRequested"
      const aliceSaw = yield* collectUntil(yield* (yield* A(rpcOf)).subscribe, isMarker)
      const bobSaw = yield* collectUntil(
        yield* (yield* B(rpcOf)).subscribe,
        (u) => u._tag === "UpdatePhoneCall" && u.phoneCall._tag === "PhoneCallDiscarded"
      )

      const requested = yield* A(
        Phone.requestCall({ userId: bob.inputUser, randomId: 31, gAHash, protocol: protocolInput })
      )
      const peer = refOf(requested.phoneCall)
      yield* B(Phone.receivedCall({ peer }))
      yield* B(Phone.acceptCall({ peer, gB, protocol: protocolInput }))
      yield* A(Phone.confirmCall({ peer, gA, keyFingerprint: 5n, protocol: protocolInput }))
      const discarded = yield* A(Phone.discardCall({ peer, reason: "Hangup", duration: 1 }))
      assert.deepStrictEqual(phoneCallTags(discarded.updates, peer.id), ["PhoneCallDiscarded"])
      const bobs = yield* Fiber.join(bobSaw)
      yield* B(Phone.requestCall({ userId: alice.inputUser, randomId: 32, gAHash, protocol: protocolInput }))
      const alices = yield* Fiber.join(aliceSaw)

      // Alice: ringing (receivedCall), accepted (g_b), her own discard from the result, once
      assert.deepStrictEqual(phoneCallTags(alices, peer.id), [
        "PhoneCallWaiting",
        "PhoneCallAccepted",
        "PhoneCallDiscarded"
      ])
      // Bob: requested, active (confirmCall), discarded (pushed), once each
      assert.deepStrictEqual(phoneCallTags(bobs, peer.id), [
        "PhoneCallRequested",
        "PhoneCall",
        "PhoneCallDiscarded"
      ])
    })
  )

  it.live("group-call results: the creator's stream sees each carried update once", () =>
    Effect.gen(function* () {
      const { world, alice, bob, as } = yield* scene(backend)
      const team = yield* world.addChat({ kind: "supergroup", title: "Team", creator: alice, members: [bob] })
      const aliceSaw = yield* collectUntil(
        yield* (yield* as(alice)(rpcOf)).subscribe,
        (u) => u._tag === "UpdateGroupCall" && u.call._tag === "GroupCallDiscarded"
      )
      const created = yield* as(alice)(
        Phone.createGroupCall({ peer: team.inputPeer, randomId: 3, title: "Sync" })
      )
      const first = created.updates[0]
      if (first?._tag !== "UpdateGroupCall") return assert.fail("createGroupCall carried no UpdateGroupCall")
      const call = { id: first.call.id, accessHash: first.call.accessHash }
      yield* as(alice)(Phone.editGroupCallTitle({ call, title: "Sync 2" }))
      yield* as(alice)(Phone.discardGroupCall({ call }))
      const updates = yield* Fiber.join(aliceSaw)
      assert.deepStrictEqual(
        updates.map((u) =>
          u._tag === "UpdateGroupCall"
            ? u.call._tag === "GroupCall"
              ? `GroupCall:${u.call.title}`
              : u.call._tag
            : u._tag
        ),
        ["GroupCall:Sync", "GroupCall:Sync 2", "GroupCallDiscarded"]
      )
    })
  )
}
