/**
 * The loopback server backed by the in-memory world: stock GramJS clients place a whole call
 * over TCP, documented errors arrive as the right `RPCError`, and tgphone's own GramJS live
 * layer (`@tgphone/core/GramJs`) runs the `PhoneCalls` handshake through the server.
 */
import { createDiffieHellman, createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Queue, Redacted, Stream } from "effect"
import { Api } from "telegram"
import type { RPCError } from "telegram/errors/index.js"
import { Raw } from "telegram/events/index.js"
import { toLong } from "../src/internal/mtproto/tl.js"
import * as LoopbackServer from "../src/LoopbackServer.js"
import * as TestTelegram from "../src/TestTelegram.js"
import { stockClient as connectStock, gramjsProtocol, liveSide } from "./support-loopback.js"

const world3 = Effect.gen(function* () {
  const world = yield* TestTelegram.make({ seed: "loopback" })
  const alice = yield* Effect.orDie(
    world.addUser({ firstName: "Alice", username: "alice_a", phone: "+15550001" })
  )
  const bob = yield* Effect.orDie(world.addUser({ firstName: "Bob", username: "bob_b", phone: "+15550002" }))
  const carol = yield* Effect.orDie(
    world.addUser({ firstName: "Carol", username: "carol_c", phone: "+15550003" })
  )
  return { world, alice, bob, carol }
})

/** A connected stock client whose `UpdatePhoneCall`s land in a queue. */
const stockClient = (server: LoopbackServer.Server, userId: bigint) =>
  Effect.gen(function* () {
    const calls = yield* Queue.unbounded<Api.TypePhoneCall>()
    const client = yield* connectStock(server, userId)
    client.addEventHandler(
      (u: Api.TypeUpdate) => {
        if (u instanceof Api.UpdatePhoneCall) Queue.offerUnsafe(calls, u.phoneCall)
      },
      new Raw({ types: [Api.UpdatePhoneCall] })
    )
    const invoke = <R extends Api.AnyRequest>(r: R) => Effect.promise(() => client.invoke(r))
    const next = <T>(ctor: abstract new (...args: never) => T) =>
      Effect.gen(function* () {
        for (;;) {
          const c = yield* Queue.take(calls).pipe(Effect.timeout("5 seconds"), Effect.orDie)
          if (c instanceof ctor) return c as T
        }
      })
    return { client, invoke, next }
  })

const fingerprintOf = (key: Buffer): bigint => createHash("sha1").update(key).digest().readBigInt64LE(12)

describe("LoopbackServer backed by the in-memory world", () => {
  it.live("two stock GramJS clients place a whole call over TCP", () =>
    Effect.gen(function* () {
      const startedAt = Math.floor(Date.now() / 1000)
      const { world, alice, bob } = yield* world3
      const server = yield* LoopbackServer.serve(world)
      const a = yield* stockClient(server, alice.id)
      const b = yield* stockClient(server, bob.id)

      const dh = yield* a.invoke(new Api.messages.GetDhConfig({ version: 0, randomLength: 256 }))
      if (!(dh instanceof Api.messages.DhConfig)) throw new Error("expected a DhConfig")
      const aliceDh = createDiffieHellman(dh.p, Buffer.from([dh.g]))
      const gA = aliceDh.generateKeys()
      const requested = yield* a.invoke(
        new Api.phone.RequestCall({
          userId: new Api.InputUser({ userId: toLong(bob.id), accessHash: toLong(bob.accessHash) }),
          randomId: 12345,
          gAHash: createHash("sha256").update(gA).digest(),
          protocol: gramjsProtocol()
        })
      )
      assert.instanceOf(requested.phoneCall, Api.PhoneCallWaiting)

      // Bob's Raw handler gets the pushed phoneCallRequested
      const incoming = yield* b.next(Api.PhoneCallRequested)
      assert.strictEqual(incoming.adminId.toString(), alice.id.toString())
      const peer = new Api.InputPhoneCall({ id: incoming.id, accessHash: incoming.accessHash })
      assert.isTrue(yield* b.invoke(new Api.phone.ReceivedCall({ peer })))
      // Alice's call starts ringing (receive_date set)
      const ringing = yield* a.next(Api.PhoneCallWaiting)
      // set when Bob's client acknowledged the call, i.e. during this test (the real clock)
      assert.isAtLeast(ringing.receiveDate ?? -1, startedAt)
      assert.isAtMost(ringing.receiveDate ?? -1, Math.floor(Date.now() / 1000))

      const bobDh = createDiffieHellman(dh.p, Buffer.from([dh.g]))
      const gB = bobDh.generateKeys()
      const accepted = yield* b.invoke(new Api.phone.AcceptCall({ peer, gB, protocol: gramjsProtocol() }))
      assert.instanceOf(accepted.phoneCall, Api.PhoneCallWaiting)

      const aliceSees = yield* a.next(Api.PhoneCallAccepted)
      const key = aliceDh.computeSecret(aliceSees.gB)
      const alicePeer = new Api.InputPhoneCall({ id: aliceSees.id, accessHash: aliceSees.accessHash })
      const confirmed = yield* a.invoke(
        new Api.phone.ConfirmCall({
          peer: alicePeer,
          gA,
          keyFingerprint: toLong(fingerprintOf(key)),
          protocol: gramjsProtocol()
        })
      )
      assert.instanceOf(confirmed.phoneCall, Api.PhoneCall)

      const bobActive = yield* b.next(Api.PhoneCall)
      const bobKey = bobDh.computeSecret(bobActive.gAOrB)
      assert.isTrue(bobKey.equals(key))
      assert.strictEqual(bobActive.keyFingerprint.toString(), fingerprintOf(key).toString())

      // Alice hangs up: Bob gets it pushed; Alice's own result update is echoed to her handler
      const discarded = yield* a.invoke(
        new Api.phone.DiscardCall({
          peer: alicePeer,
          duration: 3,
          reason: new Api.PhoneCallDiscardReasonHangup(),
          connectionId: toLong(0n)
        })
      )
      assert.instanceOf(discarded, Api.Updates)
      assert.strictEqual((yield* b.next(Api.PhoneCallDiscarded)).id.toString(), incoming.id.toString())
      assert.strictEqual((yield* a.next(Api.PhoneCallDiscarded)).id.toString(), incoming.id.toString())
      const calls = yield* world.calls
      assert.lengthOf(calls, 1)
      assert.strictEqual(calls[0]?.state, "Discarded")
    })
  )

  it.live("documented errors arrive as GramJS RPCErrors (privacy, unsupported, already declined)", () =>
    Effect.gen(function* () {
      const { world, alice, carol } = yield* world3
      yield* Effect.orDie(world.setPrivacy(carol, { allow: "nobody" }))
      const server = yield* LoopbackServer.serve(world)
      const a = yield* stockClient(server, alice.id)
      const error = yield* Effect.flip(
        Effect.tryPromise(() =>
          a.client.invoke(
            new Api.phone.RequestCall({
              userId: new Api.InputUser({ userId: toLong(carol.id), accessHash: toLong(carol.accessHash) }),
              randomId: 1,
              gAHash: Buffer.alloc(32, 1),
              protocol: gramjsProtocol()
            })
          )
        )
      )
      const rpc = error.cause as RPCError
      assert.strictEqual(rpc.errorMessage, "USER_PRIVACY_RESTRICTED")
      assert.strictEqual(rpc.code, 403)
      // a request outside the registry and the built-ins
      const unsupported = yield* Effect.flip(
        Effect.tryPromise(() => a.client.invoke(new Api.help.GetAppConfig({ hash: 0 })))
      )
      assert.strictEqual((unsupported.cause as RPCError).errorMessage, "METHOD_NOT_SUPPORTED")
      // built-ins answer from the world's users
      const resolved = yield* Effect.promise(() =>
        a.client.invoke(new Api.contacts.ResolveUsername({ username: "carol_c" }))
      )
      assert.strictEqual(resolved.users[0]?.id.toString(), carol.id.toString())
    })
  )

  for (const echo of [false, true]) {
    it.live(
      `tgphone's GramJS live layer runs the PhoneCalls handshake through the server (echo ${echo})`,
      () =>
        Effect.gen(function* () {
          const { world, alice, bob } = yield* world3
          const server = yield* LoopbackServer.serve(world, { echoResultUpdates: echo })
          const live = (userId: bigint, seed: string) => liveSide(server, userId, seed)
          const aliceSide = yield* live(alice.id, "alice")
          const bobSide = yield* live(bob.id, "bob")
          const incoming = yield* bobSide.calls.listen
          const bobFiber = yield* Effect.forkChild(
            Effect.gen(function* () {
              const call = yield* Effect.fromOption(yield* Stream.runHead(incoming))
              return yield* call.accept()
            })
          )
          const states: Array<string> = []
          const aliceCall = yield* aliceSide.calls.call("@bob_b", {
            onState: (s) => Effect.sync(() => states.push(s._tag))
          })
          const bobCall = yield* Fiber.join(bobFiber)
          assert.deepStrictEqual(states, ["Requesting", "Waiting", "Ringing", "ExchangingKeys", "Active"])
          assert.deepStrictEqual(Redacted.value(aliceCall.key), Redacted.value(bobCall.key))
          assert.strictEqual(aliceCall.keyFingerprint, bobCall.keyFingerprint)
          assert.deepStrictEqual(aliceCall.emojis, bobCall.emojis)

          // how often Alice's SDK-level update stream sees her own hang-up: her subscription is
          // live before the hang-up; a later call from Bob marks the end of what she saw (the
          // server writes to her connection in order, so an echoed copy would come before it)
          const aliceUpdates = yield* aliceSide.rpc.subscribe
          const watcher = yield* Effect.forkChild(
            aliceUpdates.pipe(
              Stream.takeUntil(
                (u) => u._tag === "UpdatePhoneCall" && u.phoneCall._tag === "PhoneCallRequested"
              ),
              Stream.runCollect
            )
          )
          yield* aliceCall.hangUp
          const ended = yield* bobCall.ended.pipe(Effect.timeout("5 seconds"))
          assert.strictEqual(ended._tag, "Ended")
          const marker = yield* Effect.forkChild(Effect.exit(bobSide.calls.call(alice.inputUser)))
          const seen = yield* Fiber.join(watcher).pipe(Effect.timeout("5 seconds"))
          yield* Fiber.interrupt(marker)
          const discards = seen.filter(
            (u) => u._tag === "UpdatePhoneCall" && u.phoneCall._tag === "PhoneCallDiscarded"
          )
          // the layer forwards result updates itself; the echo push makes a second copy
          assert.lengthOf(discards, echo ? 2 : 1)
          assert.strictEqual((yield* world.calls)[0]?.state, "Discarded")
        })
    )
  }

  it.live("hanging up at once: the caller sends no signalling packet after the hang-up began", () =>
    Effect.gen(function* () {
      // 11.0.0 (the default) opens an SCTP association at activation; a caller who hangs up as
      // soon as the call is active must not send its first packets to the discarded call
      const { world, alice, bob } = yield* world3
      const server = yield* LoopbackServer.serve(world, { echoResultUpdates: false })
      const aliceSide = yield* liveSide(server, alice.id, "alice")
      const bobSide = yield* liveSide(server, bob.id, "bob")
      const incoming = yield* bobSide.calls.listen
      const bobFiber = yield* Effect.forkChild(
        Effect.gen(function* () {
          const call = yield* Effect.fromOption(yield* Stream.runHead(incoming))
          return yield* call.accept()
        })
      )
      const aliceCall = yield* aliceSide.calls.call("@bob_b")
      yield* aliceCall.hangUp
      const bobCall = yield* Fiber.join(bobFiber)
      yield* bobCall.ended.pipe(Effect.timeout("5 seconds"))
      // one more request from each side: the server answers it after everything sent before it
      yield* aliceSide.rpc.callConfig
      yield* bobSide.rpc.callConfig
      const requests = yield* world.requests
      const discard = requests.find((r) => r.method === "phone.discardCall" && r.userId === alice.id)
      assert.isDefined(discard)
      const late = requests.filter(
        (r) => r.method === "phone.sendSignalingData" && r.userId === alice.id && r.seq > discard!.seq
      )
      assert.deepStrictEqual(
        late.map((r) => r.outcome._tag),
        []
      )
      // (Bob may still send one before he learns of the hang-up: that race is the peer's)
      const refused = requests.filter(
        (r) => r.method === "phone.sendSignalingData" && r.userId === alice.id && r.outcome._tag === "Failure"
      )
      assert.deepStrictEqual(refused, [])
    })
  )

  it.live("layerWorld: users added after the server started get sessions and can call", () =>
    Effect.gen(function* () {
      const context = yield* Layer.build(
        LoopbackServer.layerWorld().pipe(Layer.provideMerge(TestTelegram.layer({ seed: "layer" })))
      )
      const world = Context.get(context, TestTelegram.TestTelegram)
      const server = Context.get(context, LoopbackServer.LoopbackServer)
      const dave = yield* Effect.orDie(world.addUser({ firstName: "Dave", username: "dave_d" }))
      const erin = yield* Effect.orDie(world.addUser({ firstName: "Erin", username: "erin_e" }))
      const d = yield* stockClient(server, dave.id)
      const e = yield* stockClient(server, erin.id)
      const me = yield* Effect.promise(() => d.client.getMe())
      assert.strictEqual(me.firstName, "Dave")
      yield* d.invoke(
        new Api.phone.RequestCall({
          userId: new Api.InputUser({ userId: toLong(erin.id), accessHash: toLong(erin.accessHash) }),
          randomId: 5,
          gAHash: Buffer.alloc(32, 2),
          protocol: gramjsProtocol()
        })
      )
      const requested = yield* e.next(Api.PhoneCallRequested)
      assert.strictEqual(requested.participantId.toString(), erin.id.toString())
    })
  )
})
