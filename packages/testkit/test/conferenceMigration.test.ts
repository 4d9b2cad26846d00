/**
 * A 1:1 call the peer moves into a conference (`world.migrateToConference`), as each backend's
 * client sees it: in memory (layer 229) the call ends with reason `MigrateConferenceCall` and the
 * conference's slug, and the call reported `conferenceSupported`; a layer-198 GramJS client over
 * the loopback server, whose layer has neither, sees the nearest it has: `Hangup`, and
 * `conferenceSupported: false`.
 */
import { assert, describe, it } from "@effect/vitest"
import { type Model, Phone, TelegramRpc } from "@tgphone/core"
import { Effect, Fiber, Option, Stream } from "effect"
import {
  type Backend,
  backends,
  gA,
  gAHash,
  gB,
  layerHas,
  protocolInput,
  refOf,
  scene
} from "./support-backend.js"

const rpcOf = TelegramRpc.TelegramRpc.use(Effect.succeed)

const isDiscarded = (u: Model.Update) =>
  u._tag === "UpdatePhoneCall" && u.phoneCall._tag === "PhoneCallDiscarded"

/** The first discarded call on `stream`, forked (the stream is subscribed already). */
const firstDiscard = (stream: Stream.Stream<Model.Update>) =>
  Effect.forkChild(
    stream.pipe(
      Stream.filter(isDiscarded),
      Stream.runHead,
      Effect.map(Option.getOrUndefined),
      Effect.timeout("5 seconds")
    )
  )

describe.each(backends)("migrateToConference over the $name backend", (backend: Backend) => {
  it.live("both sides see the call end; the reason carries the slug where the layer has it", () =>
    Effect.gen(function* () {
      const { world, alice, bob, as } = yield* scene(backend)
      const A = as(alice)
      const B = as(bob)
      const layer = (yield* A(rpcOf)).layer
      // what the backend's layer has: the reason with the slug, and conference_supported
      const migrates = layerHas(layer, "phoneCallDiscardReasonMigrateConferenceCall")
      const supported = layerHas(layer, "phoneCall", "conference_supported")
      const requested = yield* A(
        Phone.requestCall({ userId: bob.inputUser, randomId: 5, gAHash, protocol: protocolInput })
      )
      const peer = refOf(requested.phoneCall)
      yield* B(Phone.acceptCall({ peer, gB, protocol: protocolInput }))
      const confirmed = yield* A(
        Phone.confirmCall({ peer, gA, keyFingerprint: -1657149778470745933n, protocol: protocolInput })
      )
      assert.strictEqual(
        confirmed.phoneCall._tag === "PhoneCall"
          ? confirmed.phoneCall.conferenceSupported
          : confirmed.phoneCall._tag,
        supported
      )

      const aliceEnd = yield* firstDiscard(yield* (yield* A(rpcOf)).subscribe)
      const bobEnd = yield* firstDiscard(yield* (yield* B(rpcOf)).subscribe)
      const moved = yield* world.migrateToConference(bob, peer.id)
      const expected: Model.DiscardReason = migrates
        ? { _tag: "MigrateConferenceCall", slug: moved.slug }
        : { _tag: "Hangup" }
      for (const seen of [yield* Fiber.join(aliceEnd), yield* Fiber.join(bobEnd)]) {
        assert.strictEqual(
          seen?._tag === "UpdatePhoneCall" ? seen.phoneCall._tag : seen?._tag,
          "PhoneCallDiscarded"
        )
        if (seen?._tag === "UpdatePhoneCall" && seen.phoneCall._tag === "PhoneCallDiscarded") {
          assert.strictEqual(seen.phoneCall.id, peer.id)
          assert.deepStrictEqual(seen.phoneCall.reason, expected)
        }
      }
      // the server's record carries the slug whatever the client's layer
      assert.deepStrictEqual(Option.getOrThrow(yield* world.call(peer.id)).discard?.reason, {
        _tag: "MigrateConferenceCall",
        slug: moved.slug
      })
    })
  )
})
