/**
 * The loopback server speaks each client's layer: it reads the layer from `invokeWithLayer`
 * (kept per auth key), reads requests and writes results and pushes in it, and serves a layer
 * it has no schema for in the nearest one it has. Also: the generic TL ↔ model mapping, and the
 * MTProto service combinators checked against mtcute's own MTProto schema.
 */
import { createRequire } from "node:module"
import { assert, describe, it } from "@effect/vitest"
import { RpcMethods } from "@tgphone/core"
import * as Tl from "@tgphone/core/Tl"
import { Effect, Redacted } from "effect"
import { Api } from "telegram"
import { fromModelValue, toModel } from "../src/internal/mtproto/modelTl.js"
import { RawClient, type ServerMessage } from "../src/internal/mtproto/rawClient.js"
import { Ids } from "../src/internal/mtproto/tl.js"
import {
  isTlObject,
  readBoxed,
  servedLayer,
  type TlObject,
  writeBoxed
} from "../src/internal/mtproto/tlCodec.js"
import * as LoopbackServer from "../src/LoopbackServer.js"

const alice: LoopbackServer.Account = { userId: 42n, accessHash: 4242n, firstName: "Alice" }
const bob: LoopbackServer.Account = { userId: 43n, accessHash: 4343n, firstName: "Bob" }

const USER_198 = 0x4b46c37e
const USER_229 = 0xb1b8cc83
const PHONE_CALL_198 = 0x3ba5940c
const PHONE_CALL_229 = 0x30535af5
const s198 = Tl.schema(198)
const s229 = Tl.schema(229)

const keyOf = (session: Redacted.Redacted<string>): Buffer => {
  const raw = Buffer.from(Redacted.value(session).slice(1), "base64")
  return raw.subarray(raw.length - 256)
}

let sessions = 0n

/**
 * A raw client on an auth key, in a session of its own (two connections of one session could
 * send the same time-based msg_id, which the server ignores as a duplicate): sends TL objects,
 * reads results and pushes.
 */
const rawOn = (server: LoopbackServer.Server, key: Buffer) =>
  Effect.acquireRelease(
    Effect.promise(() => RawClient.connect(server.port, "full")),
    (c) => Effect.promise(() => c.close())
  ).pipe(
    Effect.map((c) => {
      const sessionId = ++sessions
      const wait = async (done: (m: ServerMessage) => boolean): Promise<ServerMessage> => {
        for (let i = 0; i < 10; i++) {
          const got = await c.nextMessages(key)
          if (got === undefined) break
          const hit = got.find(done)
          if (hit !== undefined) return hit
        }
        throw new Error("no such message")
      }
      /** Sends `body` and returns the body of its rpc_result's result. */
      const call = (body: Buffer) =>
        Effect.promise(async () => {
          const msgId = c.nextMsgId()
          c.sendEncrypted(key, { salt: 0n, sessionId, msgId, seqNo: 1, body })
          const m = await wait(
            (x) => x.body.readUInt32LE(0) === Ids.rpcResult && x.body.readBigInt64LE(4) === msgId
          )
          return m.body.subarray(12)
        })
      const pushed = Effect.promise(() => wait((x) => x.body.readUInt32LE(0) !== Ids.rpcResult))
      return { call, pushed }
    })
  )

const getUsers: TlObject = { _: "users.getUsers", id: [{ _: "inputUserSelf" }] }
/** `invokeWithLayer(layer, query)` written in `schema` (the layer's constructor ids). */
const withLayer = (layer: number, query: TlObject, schema: Tl.Schema = s229): Buffer =>
  writeBoxed(schema, { _: "invokeWithLayer", layer, query })
/** The constructor id of the first user of a `Vector<User>` result. */
const firstUserId = (result: Buffer): number => result.readUInt32LE(8)

describe("LoopbackServer layers", () => {
  it.effect(
    "the nearest-layer rule is Tl.layerFor but between two shipped layers where the newer is nearer",
    () =>
      Effect.sync(() => {
        const oldest = Tl.layers[0] ?? Tl.newest
        let differ = 0
        for (let declared = oldest - 50; declared <= Tl.newest + 50; declared++) {
          const served = servedLayer(declared)
          const client = Tl.layerFor(declared)
          if (served === client) continue
          // client: the shipped layer below; served: the one above, no farther away
          differ++
          const above = Tl.layers.find((l) => l > declared)
          assert.strictEqual(served, above, `declared ${declared}`)
          assert.strictEqual(
            client,
            [...Tl.layers].reverse().find((l) => l < declared),
            `declared ${declared}`
          )
          assert.isAtMost(served - declared, declared - client, `declared ${declared}`)
        }
        assert.isAbove(differ, 0)
        assert.strictEqual(servedLayer(227), 229)
        assert.strictEqual(Tl.layerFor(227), 198)
      })
  )

  it.live("serves each declared layer in the nearest layer it speaks, and keeps it per auth key", () =>
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice], strictSalt: false })
      const cases: ReadonlyArray<readonly [number, number]> = [
        [198, USER_198],
        [229, USER_229],
        [300, USER_229], // higher, unknown: the newest
        [227, USER_229], // between: the nearer (229)
        [214, USER_229],
        [213, USER_198],
        [150, USER_198] // lower, unknown: the oldest
      ]
      const seen: Array<readonly [number, number, number, number]> = []
      for (const [declared] of cases) {
        const key = keyOf(yield* server.mintSession(alice.userId))
        const first = yield* rawOn(server, key)
        const declaredNow = firstUserId(yield* first.call(withLayer(declared, getUsers)))
        // an unwrapped request later on the key, and on a new connection, is in the same layer
        const later = firstUserId(yield* first.call(writeBoxed(s229, getUsers)))
        const second = yield* rawOn(server, key)
        const reconnected = firstUserId(yield* second.call(writeBoxed(s229, getUsers)))
        seen.push([declared, declaredNow, later, reconnected])
      }
      assert.deepStrictEqual(
        seen,
        cases.map(([declared, id]) => [declared, id, id, id])
      )
    })
  )

  it.live("reads a request in its layer; a handler sees it as TL and as GramJS's layer-198 object", () =>
    Effect.gen(function* () {
      const seen: Array<{ layer: number; tl: string; gramjs: boolean; gAHashLength: number }> = []
      const server = yield* LoopbackServer.make({
        accounts: [alice, bob],
        strictSalt: false,
        handler: (req) => {
          if (req.tl._ !== "phone.requestCall") return Effect.succeed(undefined)
          const gAHash = req.tl.g_a_hash
          seen.push({
            layer: req.layer,
            tl: req.tl._,
            gramjs: req.request instanceof Api.phone.RequestCall,
            gAHashLength: gAHash instanceof Uint8Array ? gAHash.length : -1
          })
          return Effect.fail(LoopbackServer.rpcError(403, "USER_PRIVACY_RESTRICTED"))
        }
      })
      const requestCall: TlObject = {
        _: "phone.requestCall",
        user_id: { _: "inputUser", user_id: bob.userId, access_hash: bob.accessHash },
        random_id: 7,
        g_a_hash: new Uint8Array(32).fill(9),
        protocol: { _: "phoneCallProtocol", min_layer: 65, max_layer: 92, library_versions: ["9.0.0"] }
      }
      const errorOf = (result: Buffer) => readBoxed(result, s229)
      const on229 = yield* rawOn(server, keyOf(yield* server.mintSession(alice.userId)))
      const e229 = errorOf(yield* on229.call(withLayer(229, requestCall, s229)))
      const on198 = yield* rawOn(server, keyOf(yield* server.mintSession(alice.userId)))
      const e198 = errorOf(yield* on198.call(withLayer(198, requestCall, s198)))
      // layer 229's constructor (#42ff96ed) on a key served in 198 is not a method there
      const wrong = errorOf(yield* on198.call(writeBoxed(s229, requestCall)))
      assert.deepStrictEqual(seen, [
        { layer: 229, tl: "phone.requestCall", gramjs: true, gAHashLength: 32 },
        { layer: 198, tl: "phone.requestCall", gramjs: true, gAHashLength: 32 }
      ])
      const text = (r: ReturnType<typeof errorOf>) => (r._tag === "Ok" ? r.value.error_message : r.message)
      assert.deepStrictEqual(
        [text(e229), text(e198), text(wrong)],
        ["USER_PRIVACY_RESTRICTED", "USER_PRIVACY_RESTRICTED", "INPUT_CONSTRUCTOR_INVALID"]
      )
    })
  )

  it.live("writes a push in each connection's layer", () =>
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice], strictSalt: false })
      const old = yield* rawOn(server, keyOf(yield* server.mintSession(alice.userId)))
      const current = yield* rawOn(server, keyOf(yield* server.mintSession(alice.userId)))
      assert.strictEqual(firstUserId(yield* old.call(withLayer(198, getUsers))), USER_198)
      assert.strictEqual(firstUserId(yield* current.call(withLayer(229, getUsers))), USER_229)
      const phoneCall: TlObject = {
        _: "phoneCall",
        p2p_allowed: true,
        conference_supported: true,
        id: 5n,
        access_hash: 6n,
        date: 1_700_000_000,
        admin_id: 42n,
        participant_id: 43n,
        g_a_or_b: new Uint8Array(256).fill(2),
        key_fingerprint: 77n,
        protocol: { _: "phoneCallProtocol", min_layer: 65, max_layer: 92, library_versions: ["9.0.0"] },
        connections: [],
        start_date: 1_700_000_001
      }
      const updates: TlObject = {
        _: "updates",
        updates: [{ _: "updatePhoneCall", phone_call: phoneCall }],
        users: [],
        chats: [],
        date: 1_700_000_002,
        seq: 0
      }
      assert.strictEqual(yield* server.push(alice.userId, updates), 2)
      const inOld = (yield* old.pushed).body
      const inCurrent = (yield* current.pushed).body
      // updates#74ae4240, Vector, 1, updatePhoneCall#ab0f6b1e, then the call's constructor
      assert.deepStrictEqual(
        [inOld.readUInt32LE(16), inCurrent.readUInt32LE(16)],
        [PHONE_CALL_198, PHONE_CALL_229]
      )
      const callIn = (body: Buffer, schema: Tl.Schema) => {
        const read = readBoxed(body, schema)
        const update = read._tag === "Ok" ? (read.value.updates as ReadonlyArray<TlObject>)[0] : undefined
        const call = update?.phone_call
        return isTlObject(call) ? call : undefined
      }
      assert.strictEqual(callIn(inOld, s198)?.conference_supported, undefined)
      assert.strictEqual(callIn(inCurrent, s229)?.conference_supported, true)
      assert.strictEqual(callIn(inOld, s198)?.key_fingerprint, 77n)
    })
  )

  it.effect("maps TL and the model generically, in either layer", () =>
    Effect.sync(() => {
      const protocol = {
        _: "phoneCallProtocol",
        udp_p2p: true,
        min_layer: 65,
        max_layer: 92,
        library_versions: ["9"]
      }
      const request = (extra: Record<string, TlObject>): TlObject => ({
        _: "phone.requestCall",
        user_id: { _: "inputUserSelf" },
        random_id: 1,
        g_a_hash: new Uint8Array([1, 2]),
        protocol,
        ...extra
      })
      const params = RpcMethods.RpcMethods["phone.requestCall"].params
      const from229 = toModel(s229, request({}), params)
      const from198 = toModel(
        s198,
        request({ conference_call: { _: "inputGroupCall", id: 3n, access_hash: 4n } }),
        params
      )
      assert.strictEqual(from229._tag, "Ok")
      assert.strictEqual(from198._tag, "Ok")
      if (from229._tag !== "Ok" || from198._tag !== "Ok") return
      assert.deepStrictEqual(
        { video: from229.value.video, user: from229.value.userId._tag },
        { video: false, user: "InputUserSelf" }
      )
      // layer 198's conference_call has no home in the model (which follows layer 229): dropped
      assert.deepStrictEqual(from198.value, from229.value)
      assert.deepStrictEqual(from229.value.protocol.libraryVersions, ["9"])
      assert.strictEqual(from229.value.protocol.udpReflector, false)

      // a constructor the model has no variant for travels as InputPeerRaw, and back
      const fromMessage: TlObject = {
        _: "inputPeerUserFromMessage",
        peer: { _: "inputPeerSelf" },
        msg_id: 1,
        user_id: 2n
      }
      const joinAs = toModel(
        s229,
        { _: "phone.getGroupCallJoinAs", peer: fromMessage },
        RpcMethods.RpcMethods["phone.getGroupCallJoinAs"].params
      )
      assert.deepStrictEqual(joinAs, {
        _tag: "Ok",
        value: { peer: { _tag: "InputPeerRaw", raw: fromMessage } }
      })
      if (joinAs._tag === "Ok")
        assert.strictEqual(fromModelValue(s229, "InputPeer", joinAs.value.peer), fromMessage)

      // model → TL: fields a layer lacks are dropped; an optional value it cannot express is left out
      const discarded = {
        _tag: "PhoneCallDiscarded",
        needRating: true,
        needDebug: false,
        video: false,
        id: 9n,
        reason: { _tag: "MigrateConferenceCall", slug: "abc" },
        duration: 3
      }
      assert.deepStrictEqual(fromModelValue(s229, "PhoneCall", discarded), {
        _: "phoneCallDiscarded",
        need_rating: true,
        id: 9n,
        reason: { _: "phoneCallDiscardReasonMigrateConferenceCall", slug: "abc" },
        duration: 3
      })
      // layer 198 has no MigrateConferenceCall: it gets what Telegram sends instead (Tl.fallbackFor)
      assert.deepStrictEqual(fromModelValue(s198, "PhoneCall", discarded), {
        _: "phoneCallDiscarded",
        need_rating: true,
        id: 9n,
        reason: { _: "phoneCallDiscardReasonHangup" },
        duration: 3
      })
      const hangup = fromModelValue(s198, "PhoneCallDiscardReason", { _tag: "Hangup" })
      assert.deepStrictEqual(hangup, { _: "phoneCallDiscardReasonHangup" })
    })
  )

  it.effect("the MTProto service combinators are those of mtcute's MTProto schema", () =>
    Effect.sync(() => {
      const mtcute = createRequire(import.meta.url)("@mtcute/core/tl/mtp-schema.json") as ReadonlyArray<{
        readonly name: string
        readonly id: number
        readonly arguments?: ReadonlyArray<{ readonly name: string }>
      }>
      const names = [
        "future_salts",
        "future_salt",
        "get_future_salts",
        "msgs_state_req",
        "msgs_state_info",
        "destroy_session",
        "destroy_session_ok",
        "destroy_session_none",
        "ping",
        "ping_delay_disconnect",
        "pong",
        "new_session_created",
        "bad_server_salt",
        "bad_msg_notification",
        "rpc_error",
        "rpc_drop_answer",
        "rpc_answer_unknown",
        "msg_resend_req",
        "msgs_all_info",
        "http_wait"
      ]
      const ours = names.map((n) => {
        const d = Tl.mtproto.find((x) => x.name === n)
        return [n, d?.id, d?.params.map((p) => p.name)]
      })
      const theirs = names.map((n) => {
        const d = mtcute.find((x) => x.name === `mt_${n}`)
        return [n, d === undefined ? undefined : d.id >>> 0, d?.arguments?.map((a) => a.name) ?? []]
      })
      assert.deepStrictEqual(ours, theirs)
    })
  )
})
