/**
 * Every documented 1:1 error, reproduced by the situation that causes it on Telegram's server
 * (not by fault injection).
 */
import { assert, describe, it } from "@effect/vitest"
import { Model, TelegramRpc } from "@tgphone/core"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { Effect } from "effect"
import { as, duo, gA, gB, invoke, peerOf, protocol, requestParams, ring, rpcError } from "./support.js"

const withProtocol = (overrides: Partial<ConstructorParameters<typeof PhoneCallProtocol>[0]>) =>
  new PhoneCallProtocol({ ...protocol, ...overrides })

const hangUp = (peer: Model.InputPhoneCall, reason: Model.DiscardReason = { _tag: "Hangup" }) =>
  invoke("phone.discardCall", { video: false, peer, duration: 0, reason, connectionId: 0n })

describe("TestTelegram 1:1 errors, by situation", () => {
  describe("phone.requestCall", () => {
    it.effect(
      "USER_PRIVACY_RESTRICTED (403): the callee allows calls from nobody / contacts only / not from the caller",
      () =>
        Effect.gen(function* () {
          const d = yield* duo()
          const call = as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob)))
          yield* d.world.setPrivacy(d.bob, { allow: "nobody" })
          assert.deepStrictEqual(yield* rpcError(call), { code: 403, type: "USER_PRIVACY_RESTRICTED" })
          yield* d.world.setPrivacy(d.bob, { allow: "contacts" })
          assert.deepStrictEqual(yield* rpcError(call), { code: 403, type: "USER_PRIVACY_RESTRICTED" })
          yield* d.world.setPrivacy(d.bob, { allow: "everybody", neverAllow: [d.alice] })
          assert.deepStrictEqual(yield* rpcError(call), { code: 403, type: "USER_PRIVACY_RESTRICTED" })
          // …and the rules that let her through
          yield* d.world.setPrivacy(d.bob, { allow: "nobody", alwaysAllow: [d.alice] })
          const ok = yield* as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob, 2)))
          yield* as(d.world, d.alice)(hangUp(peerOf(ok.phoneCall)))
          yield* d.world.setPrivacy(d.bob, { allow: "contacts" })
          yield* d.world.addContact(d.bob, d.alice)
          const ok2 = yield* as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob, 3)))
          assert.strictEqual(ok2.phoneCall._tag, "PhoneCallWaiting")
        })
    )

    it.effect("USER_PRIVACY_RESTRICTED (403): bots cannot be called", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const bot = yield* d.world.addUser({ firstName: "Helper", bot: true })
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.alice)(invoke("phone.requestCall", requestParams(bot)))),
          {
            code: 403,
            type: "USER_PRIVACY_RESTRICTED"
          }
        )
      })
    )

    it.effect("USER_IS_BLOCKED (403): the callee blocked the caller", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        yield* d.world.block(d.bob, d.alice)
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob)))),
          {
            code: 403,
            type: "USER_IS_BLOCKED"
          }
        )
        yield* d.world.unblock(d.bob, d.alice)
        yield* as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob)))
      })
    )

    it.effect("INPUT_USER_DEACTIVATED (400): the callee deleted their account", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        yield* d.world.deactivate(d.bob)
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob)))),
          {
            code: 400,
            type: "INPUT_USER_DEACTIVATED"
          }
        )
        // and the deleted account's own requests fail with 401 USER_DEACTIVATED
        assert.deepStrictEqual(yield* rpcError(as(d.world, d.bob)(invoke("phone.getCallConfig", {}))), {
          code: 401,
          type: "USER_DEACTIVATED"
        })
      })
    )

    it.effect("USER_ID_INVALID (400): wrong access hash, unknown user, or calling yourself", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const call = (userId: Model.InputUser) =>
          rpcError(as(d.world, d.alice)(invoke("phone.requestCall", { ...requestParams(d.bob), userId })))
        const invalid = { code: 400, type: "USER_ID_INVALID" }
        assert.deepStrictEqual(
          yield* call({ _tag: "InputUser", userId: d.bob.id, accessHash: d.bob.accessHash + 1n }),
          invalid
        )
        assert.deepStrictEqual(yield* call({ _tag: "InputUser", userId: 42n, accessHash: 0n }), invalid)
        assert.deepStrictEqual(yield* call(d.alice.inputUser), invalid)
        assert.deepStrictEqual(yield* call({ _tag: "InputUserSelf" }), invalid)
      })
    )

    it.effect("CALL_PROTOCOL_FLAGS_INVALID (400): neither transport flag set", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const p = { ...requestParams(d.bob), protocol: withProtocol({ udpP2p: false, udpReflector: false }) }
        assert.deepStrictEqual(yield* rpcError(as(d.world, d.alice)(invoke("phone.requestCall", p))), {
          code: 400,
          type: "CALL_PROTOCOL_FLAGS_INVALID"
        })
      })
    )

    it.effect("CALL_PROTOCOL_LAYER_INVALID (400): 42/42 (Telethon#4398) and min > max", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        for (const layers of [
          { minLayer: 42, maxLayer: 42 },
          { minLayer: 92, maxLayer: 65 }
        ]) {
          const p = { ...requestParams(d.bob), protocol: withProtocol(layers) }
          assert.deepStrictEqual(yield* rpcError(as(d.world, d.alice)(invoke("phone.requestCall", p))), {
            code: 400,
            type: "CALL_PROTOCOL_LAYER_INVALID"
          })
        }
      })
    )

    it.effect(
      "PARTICIPANT_VERSION_OUTDATED (400): the callee's client has no call support or too old a layer",
      () =>
        Effect.gen(function* () {
          const d = yield* duo()
          const outdated = { code: 400, type: "PARTICIPANT_VERSION_OUTDATED" }
          yield* d.world.setClientProtocol(d.bob, null)
          assert.deepStrictEqual(
            yield* rpcError(as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob)))),
            outdated
          )
          yield* d.world.setClientProtocol(d.bob, withProtocol({ minLayer: 65, maxLayer: 74 }))
          const modern = { ...requestParams(d.bob), protocol: withProtocol({ minLayer: 92, maxLayer: 92 }) }
          assert.deepStrictEqual(
            yield* rpcError(as(d.world, d.alice)(invoke("phone.requestCall", modern))),
            outdated
          )
        })
    )

    it.effect("RANDOM_ID_DUPLICATE (500): the caller reuses a random_id", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const carol = yield* d.world.addUser({ firstName: "Carol" })
        yield* as(d.world, d.alice)(invoke("phone.requestCall", requestParams(d.bob, 7)))
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.alice)(invoke("phone.requestCall", requestParams(carol, 7)))),
          {
            code: 500,
            type: "RANDOM_ID_DUPLICATE"
          }
        )
      })
    )

    it.effect("BOT_METHOD_INVALID (400): bots may not call any phone method", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const bot = yield* d.world.addUser({ firstName: "Helper", bot: true })
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, bot)(invoke("phone.requestCall", requestParams(d.alice)))),
          {
            code: 400,
            type: "BOT_METHOD_INVALID"
          }
        )
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, bot)(invoke("messages.getDhConfig", { version: 0, randomLength: 0 }))),
          {
            code: 400,
            type: "BOT_METHOD_INVALID"
          }
        )
      })
    )
  })

  describe("after the call exists", () => {
    it.effect("CALL_PEER_INVALID (400): wrong access hash, a stranger, or the wrong side of the call", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const carol = yield* d.world.addUser({ firstName: "Carol" })
        const peer = yield* ring(d)
        const invalid = { code: 400, type: "CALL_PEER_INVALID" }
        const wrongHash = new Model.InputPhoneCall({ id: peer.id, accessHash: peer.accessHash ^ 1n })
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.bob)(invoke("phone.receivedCall", { peer: wrongHash }))),
          invalid
        )
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, carol)(invoke("phone.receivedCall", { peer }))),
          invalid
        )
        assert.deepStrictEqual(
          yield* rpcError(
            as(d.world, carol)(invoke("phone.sendSignalingData", { peer, data: new Uint8Array(1) }))
          ),
          invalid
        )
        // tdlib/td#2540: accepting one's own outgoing call
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.alice)(invoke("phone.acceptCall", { peer, gB, protocol }))),
          invalid
        )
        // the callee cannot confirm, and the caller cannot confirm before the callee accepted
        assert.deepStrictEqual(
          yield* rpcError(
            as(d.world, d.bob)(invoke("phone.confirmCall", { peer, gA, keyFingerprint: 1n, protocol }))
          ),
          invalid
        )
        assert.deepStrictEqual(
          yield* rpcError(
            as(d.world, d.alice)(invoke("phone.confirmCall", { peer, gA, keyFingerprint: 1n, protocol }))
          ),
          invalid
        )
        assert.deepStrictEqual(yield* rpcError(as(d.world, carol)(hangUp(peer))), invalid)
        assert.deepStrictEqual(
          yield* rpcError(
            as(
              d.world,
              carol
            )(invoke("phone.setCallRating", { userInitiative: true, peer, rating: 1, comment: "" }))
          ),
          invalid
        )
      })
    )

    it.effect("CALL_ALREADY_ACCEPTED (400): accepting twice", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const peer = yield* ring(d)
        yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))),
          {
            code: 400,
            type: "CALL_ALREADY_ACCEPTED"
          }
        )
      })
    )

    it.effect("CALL_ALREADY_DECLINED (400): answering, acknowledging or confirming a call that ended", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const declined = { code: 400, type: "CALL_ALREADY_DECLINED" }
        const peer = yield* ring(d)
        yield* as(d.world, d.alice)(hangUp(peer, { _tag: "Missed" }))
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))),
          declined
        )
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.bob)(invoke("phone.receivedCall", { peer }))),
          declined
        )
        const second = yield* ring(d, 2)
        yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer: second, gB, protocol }))
        yield* as(d.world, d.bob)(hangUp(second, { _tag: "Busy" }))
        assert.deepStrictEqual(
          yield* rpcError(
            as(
              d.world,
              d.alice
            )(invoke("phone.confirmCall", { peer: second, gA, keyFingerprint: 1n, protocol }))
          ),
          declined
        )
        // discarding an ended call (MarshalX/tgcalls test.py treats this as "done")
        assert.deepStrictEqual(yield* rpcError(as(d.world, d.alice)(hangUp(second))), declined)
      })
    )

    it.effect(
      "CALL_PROTOCOL_COMPAT_LAYER_INVALID (406): the callee shares no library version with the caller",
      () =>
        Effect.gen(function* () {
          const d = yield* duo()
          const peer = yield* ring(d)
          const webA = withProtocol({ minLayer: 92, maxLayer: 92, libraryVersions: ["4.0.0"] })
          assert.deepStrictEqual(
            yield* rpcError(as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol: webA }))),
            {
              code: 406,
              type: "CALL_PROTOCOL_COMPAT_LAYER_INVALID"
            }
          )
        })
    )

    it.effect("CALL_PROTOCOL_FLAGS_INVALID / CALL_PROTOCOL_LAYER_INVALID on acceptCall", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const peer = yield* ring(d)
        const noFlags = withProtocol({ udpP2p: false, udpReflector: false })
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol: noFlags }))),
          {
            code: 400,
            type: "CALL_PROTOCOL_FLAGS_INVALID"
          }
        )
        const badLayer = withProtocol({ minLayer: 42, maxLayer: 42 })
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol: badLayer }))),
          {
            code: 400,
            type: "CALL_PROTOCOL_LAYER_INVALID"
          }
        )
      })
    )

    it.effect("CALL_OCCUPY_FAILED (500): accepting while making another call", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const carol = yield* d.world.addUser({ firstName: "Carol" })
        const peer = yield* ring(d)
        yield* as(d.world, d.bob)(invoke("phone.requestCall", requestParams(carol, 9)))
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))),
          {
            code: 500,
            type: "CALL_OCCUPY_FAILED"
          }
        )
      })
    )

    it.effect("CALL_NOT_ACTIVE (400): signalling before the key exchange completed", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const peer = yield* ring(d)
        assert.deepStrictEqual(
          yield* rpcError(
            as(d.world, d.alice)(invoke("phone.sendSignalingData", { peer, data: new Uint8Array(4) }))
          ),
          {
            code: 400,
            type: "CALL_NOT_ACTIVE"
          }
        )
      })
    )

    it.effect("DATA_JSON_INVALID (400): saveCallDebug with text that is not JSON", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const peer = yield* ring(d)
        assert.deepStrictEqual(
          yield* rpcError(
            as(
              d.world,
              d.alice
            )(invoke("phone.saveCallDebug", { peer, debug: new Model.DataJson({ data: "{oops" }) }))
          ),
          { code: 400, type: "DATA_JSON_INVALID" }
        )
      })
    )

    it.effect("DH_G_A_INVALID (400): confirmCall's g_a does not match the g_a_hash of requestCall", () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const peer = yield* ring(d)
        yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
        const wrong = new Uint8Array(256).fill(8)
        assert.deepStrictEqual(
          yield* rpcError(
            as(
              d.world,
              d.alice
            )(invoke("phone.confirmCall", { peer, gA: wrong, keyFingerprint: 1n, protocol }))
          ),
          { code: 400, type: "DH_G_A_INVALID" }
        )
      })
    )
  })

  it.effect("RANDOM_LENGTH_INVALID (400): getDhConfig with a negative or too large random_length", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      for (const randomLength of [-1, 257]) {
        assert.deepStrictEqual(
          yield* rpcError(as(d.world, d.alice)(invoke("messages.getDhConfig", { version: 0, randomLength }))),
          {
            code: 400,
            type: "RANDOM_LENGTH_INVALID"
          }
        )
      }
    })
  )

  it.effect(
    "resolveUser: by id, username and phone; unknown ones are UserNotFound with the server's reason",
    () =>
      Effect.gen(function* () {
        const d = yield* duo()
        const resolve = (ref: TelegramRpc.UserRef) =>
          as(d.world, d.alice)(TelegramRpc.TelegramRpc.use((rpc) => rpc.resolveUser(ref)))
        assert.deepStrictEqual(yield* resolve("@bob_b"), d.bob.inputUser)
        assert.deepStrictEqual(yield* resolve("BOB_B"), d.bob.inputUser)
        assert.deepStrictEqual(yield* resolve("+1 555 0002"), d.bob.inputUser)
        assert.deepStrictEqual(yield* resolve(d.bob.id), d.bob.inputUser)
        const notFound = (ref: TelegramRpc.UserRef) =>
          Effect.map(Effect.flip(resolve(ref)), (e) => (e._tag === "UserNotFound" ? [e.ref, e.reason] : e))
        assert.deepStrictEqual(yield* notFound("@nobody_here"), ["@nobody_here", "USERNAME_NOT_OCCUPIED"])
        assert.deepStrictEqual(yield* notFound("+999"), ["+999", "PHONE_NOT_OCCUPIED"])
        assert.deepStrictEqual(yield* notFound(5n), ["5", "USER_ID_INVALID"])
      })
  )
})
