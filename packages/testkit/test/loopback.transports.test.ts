/**
 * The loopback server's transports and message layer, driven by a small raw MTProto client
 * (GramJS 2.26 has no Intermediate client): Intermediate, Padded Intermediate, Abridged and
 * Full framing; bad_server_salt, new_session_created, containers, inbound gzip, pings,
 * server msg_id/seq_no rules and pushes.
 */
import * as Zlib from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Api } from "telegram"
import { randomBytes } from "../src/internal/mtproto/crypto.js"
import type { TransportKind } from "../src/internal/mtproto/framing.js"
import { RawClient, type ServerMessage } from "../src/internal/mtproto/rawClient.js"
import { Ids, msgContainer, readObject, serializeBytes, toLong } from "../src/internal/mtproto/tl.js"
import * as LoopbackServer from "../src/LoopbackServer.js"

const alice: LoopbackServer.Account = { userId: 42n, accessHash: 4242n, firstName: "Alice" }

/** The auth key inside a minted StringSession (the last 256 bytes). */
const keyOf = (session: Redacted.Redacted<string>): Buffer => {
  const raw = Buffer.from(Redacted.value(session).slice(1), "base64")
  return raw.subarray(raw.length - 256)
}

const getConfig = () =>
  new Api.InvokeWithLayer({
    layer: 198,
    query: new Api.InitConnection({
      apiId: 1,
      deviceModel: "raw",
      systemVersion: "1",
      appVersion: "1",
      systemLangCode: "en",
      langPack: "",
      langCode: "en",
      query: new Api.help.GetConfig()
    })
  }).getBytes()

/** `rpc_result` → [req_msg_id, result object]; unpacks gzip_packed. */
const readRpcResult = (body: Buffer): [bigint, unknown] => {
  assert.strictEqual(body.readUInt32LE(0), Ids.rpcResult)
  const req = body.readBigInt64LE(4)
  let inner = body.subarray(12)
  if (inner.readUInt32LE(0) === Ids.gzipPacked) {
    const len = inner[4]! < 254 ? inner[4]! : inner.readUIntLE(5, 3)
    const start = inner[4]! < 254 ? 5 : 8
    inner = Zlib.gunzipSync(inner.subarray(start, start + len))
  }
  return [req, readObject(inner)]
}

/** Reads server messages until one satisfies `done`; returns everything read. */
const collect = async (c: RawClient, key: Buffer, done: (m: ServerMessage) => boolean) => {
  const seen: Array<ServerMessage> = []
  for (let i = 0; i < 20; i++) {
    const batch = await c.nextMessages(key)
    if (batch === undefined) break
    seen.push(...batch)
    if (batch.some(done)) return seen
  }
  throw new Error(`no matching message in ${seen.length} received`)
}

const isResultFor = (msgId: bigint) => (m: ServerMessage) =>
  m.body.readUInt32LE(0) === Ids.rpcResult && m.body.readBigInt64LE(4) === msgId

const kinds: ReadonlyArray<TransportKind> = ["intermediate", "padded", "abridged", "full"]

describe("LoopbackServer transports (raw client)", () => {
  for (const kind of kinds) {
    it.live(`speaks MTProto 2.0 over ${kind} framing`, () =>
      Effect.gen(function* () {
        const server = yield* LoopbackServer.make({
          accounts: [alice],
          callConfig: { callRingTimeoutMs: 12345 }
        })
        const key = keyOf(yield* server.mintSession(alice.userId))
        const c = yield* Effect.acquireRelease(
          Effect.promise(() => RawClient.connect(server.port, kind)),
          (c) => Effect.promise(() => c.close())
        )
        const sessionId = randomBytes(8).readBigInt64LE(0)
        const { bad, got, gz, pongs } = yield* Effect.promise(async () => {
          // 1. salt 0 → bad_server_salt with the server's salt
          const first = c.nextMsgId()
          c.sendEncrypted(key, { salt: 0n, sessionId, msgId: first, seqNo: 1, body: getConfig() })
          const [bad] = (await c.nextMessages(key)) ?? []
          const badSalt = readObject(bad!.body)
          assert.instanceOf(badSalt, Api.BadServerSalt)
          const salt = BigInt((badSalt as Api.BadServerSalt).newServerSalt.toString())
          assert.strictEqual((badSalt as Api.BadServerSalt).badMsgId.toString(), first.toString())

          // 2. resent with the salt → new_session_created + rpc_result(Config)
          const second = c.nextMsgId()
          c.sendEncrypted(key, { salt, sessionId, msgId: second, seqNo: 1, body: getConfig() })
          const got = await collect(c, key, isResultFor(second))
          const created = got.map((m) => readObject(m.body)).filter((o) => o instanceof Api.NewSessionCreated)
          assert.lengthOf(created, 1)
          const [, config] = readRpcResult(got.find(isResultFor(second))!.body)
          assert.instanceOf(config, Api.Config)
          assert.strictEqual((config as Api.Config).callRingTimeoutMs, 12345)
          assert.strictEqual(
            (config as Api.Config).callReceiveTimeoutMs,
            LoopbackServer.defaultCallConfig.callReceiveTimeoutMs
          )

          // 3. inbound gzip_packed request
          const third = c.nextMsgId()
          const packed = Buffer.concat([
            Buffer.from([0xa1, 0xcf, 0x72, 0x30]),
            serializeBytes(Zlib.gzipSync(new Api.help.GetNearestDc().getBytes()))
          ])
          c.sendEncrypted(key, { salt, sessionId, msgId: third, seqNo: 3, body: packed })
          const gz = await collect(c, key, isResultFor(third))
          assert.instanceOf(readRpcResult(gz.find(isResultFor(third))!.body)[1], Api.NearestDc)

          // 4. a container with ping + msgs_ack → pong for the ping's msg_id
          const pingId = c.nextMsgId()
          const ackId = c.nextMsgId()
          const containerId = c.nextMsgId()
          const container = msgContainer([
            { msgId: pingId, seqNo: 4, body: new Api.Ping({ pingId: toLong(99n) }).getBytes() },
            { msgId: ackId, seqNo: 4, body: new Api.MsgsAck({ msgIds: [toLong(second)] }).getBytes() }
          ])
          c.sendEncrypted(key, { salt, sessionId, msgId: containerId, seqNo: 4, body: container })
          const pongs = await collect(c, key, (m) => readObject(m.body) instanceof Api.Pong)
          const pong = pongs.map((m) => readObject(m.body)).find((o) => o instanceof Api.Pong) as Api.Pong
          assert.strictEqual(pong.pingId.toString(), "99")
          assert.strictEqual(pong.msgId.toString(), pingId.toString())

          return { bad: bad!, got, gz, pongs }
        })

        // 5. a pushed update: msg_id ≡ 3 (mod 4), odd seq_no
        assert.strictEqual(yield* server.push(alice.userId, new Api.UpdatesTooLong()), 1)
        const push = yield* Effect.promise(async () => ((await c.nextMessages(key)) ?? [])[0])
        assert.isDefined(push)
        assert.instanceOf(readObject(push!.body), Api.UpdatesTooLong)
        assert.strictEqual(push!.msgId % 4n, 3n)
        assert.strictEqual(push!.seqNo % 2, 1)

        // server msg_ids: responses ≡ 1 (mod 4), all strictly increasing, same session
        const all = [bad, ...got, ...gz, ...pongs, push!]
        for (const m of all) assert.strictEqual(m.sessionId, sessionId)
        for (const m of [...got, ...gz]) assert.strictEqual(m.msgId % 4n, 1n)
        const ids = all.map((m) => m.msgId)
        for (let i = 1; i < ids.length; i++) assert.isTrue(ids[i]! > ids[i - 1]!)
        // content-related (rpc_result, new_session_created) carry odd seq_nos
        for (const m of got) assert.strictEqual(m.seqNo % 2, 1)
        const stats = yield* server.stats
        assert.strictEqual(stats.gzipPackedReceived, 1)
        assert.strictEqual(stats.containersReceived, 1)
        assert.strictEqual(stats.pings, 1)
      })
    )
  }

  it.live("answers a message with an unknown auth_key_id with transport error -404 and closes", () =>
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice] })
      const c = yield* Effect.promise(() => RawClient.connect(server.port, "intermediate"))
      const frame = yield* Effect.promise(async () => {
        c.sendEncrypted(randomBytes(256), {
          salt: 0n,
          sessionId: 1n,
          msgId: c.nextMsgId(),
          seqNo: 1,
          body: getConfig()
        })
        const f = await c.nextFrame()
        await c.closedPromise
        return f
      })
      assert.strictEqual(frame?.length, 4)
      assert.strictEqual(frame?.readInt32LE(0), -404)
      assert.strictEqual((yield* server.stats).transportErrorsSent, 1)
    })
  )

  it.live("rejects msg_ids that are not ≡ 0 (mod 4) with bad_msg_notification 18", () =>
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice], strictSalt: false })
      const key = keyOf(yield* server.mintSession(alice.userId))
      const c = yield* Effect.acquireRelease(
        Effect.promise(() => RawClient.connect(server.port, "full")),
        (c) => Effect.promise(() => c.close())
      )
      const notes = yield* Effect.promise(async () => {
        c.sendEncrypted(key, {
          salt: 0n,
          sessionId: 5n,
          msgId: c.nextMsgId() + 1n,
          seqNo: 1,
          body: getConfig()
        })
        return collect(c, key, (m) => readObject(m.body) instanceof Api.BadMsgNotification)
      })
      const note = notes.map((m) => readObject(m.body)).find((o) => o instanceof Api.BadMsgNotification)
      assert.strictEqual((note as Api.BadMsgNotification).errorCode, 18)
    })
  )

  it.live("closes connections that stay silent past idleTimeoutMs", () =>
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice], idleTimeoutMs: 100 })
      const c = yield* Effect.promise(() => RawClient.connect(server.port, "intermediate"))
      c.writeRaw(Buffer.from([8, 0, 0, 0, 1, 2])) // half a frame, then nothing
      yield* Effect.promise(() => c.closedPromise).pipe(Effect.timeout("3 seconds"))
      assert.strictEqual(yield* server.connectionCount, 0)
      assert.strictEqual((yield* server.stats).connectionsClosedForErrors, 1)
    })
  )
})
