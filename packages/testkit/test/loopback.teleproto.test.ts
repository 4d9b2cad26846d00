/**
 * `@tgphone/core/Teleproto` over the layer-aware loopback server: two teleproto 1.229 live
 * layers (layer 229) place a whole call through `PhoneCalls`, both sides verify the same key,
 * and a hang-up reaches the peer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Redacted, Stream } from "effect"
import * as TeleprotoLib from "teleproto"
import { _serverKeys as teleprotoKeys } from "teleproto/crypto/RSA.js"
import { testRsaKey } from "../src/internal/mtproto/handshake.js"
import * as LoopbackServer from "../src/LoopbackServer.js"
import * as TestTelegram from "../src/TestTelegram.js"
import { liveSide } from "./support-loopback.js"

/** teleproto checks the server's RSA key against its own table: add the test server's key. */
const trustTestKeyInTeleproto = Effect.sync(() => {
  const key = testRsaKey()
  teleprotoKeys.set(key.fingerprint.toString(), {
    n: TeleprotoLib.helpers.readBigIntFromBuffer(Buffer.from(key.n), false, false),
    e: key.e
  })
})

describe("Teleproto live layer over the loopback server", () => {
  it.live(
    "a whole call between two teleproto layers (layer 229), hung up by the caller",
    () =>
      Effect.gen(function* () {
        yield* trustTestKeyInTeleproto
        const world = yield* TestTelegram.make({ seed: "teleproto" })
        const alice = yield* world.addUser({ firstName: "Alice", username: "alice_a" })
        const bob = yield* world.addUser({ firstName: "Bob", username: "bob_b" })
        const server = yield* LoopbackServer.serve(world, { echoResultUpdates: false })
        const live = (userId: bigint, seed: string) =>
          liveSide(server, userId, seed, { backend: "Teleproto" })
        const a = yield* live(alice.id, "alice")
        const b = yield* live(bob.id, "bob")
        assert.strictEqual(a.rpc.layer, 229)
        const incoming = yield* b.calls.listen
        const bobFiber = yield* Effect.forkChild(
          Effect.flatMap(Stream.runHead(incoming), (c) =>
            Effect.flatMap(Effect.fromOption(c), (x) => x.accept())
          )
        )
        const aliceCall = yield* a.calls.call("@bob_b")
        const bobCall = yield* Fiber.join(bobFiber)
        assert.strictEqual(aliceCall.id, bobCall.id)
        assert.strictEqual(aliceCall.keyFingerprint, bobCall.keyFingerprint)
        assert.deepStrictEqual(Redacted.value(aliceCall.key), Redacted.value(bobCall.key))
        yield* aliceCall.hangUp
        const ended = yield* bobCall.ended
        assert.strictEqual(ended.reason, "Hangup")
        assert.strictEqual(ended.by, "peer")
        assert.strictEqual(Option.getOrUndefined(yield* world.call(aliceCall.id))?.state, "Discarded")
      }),
    30_000
  )
})
