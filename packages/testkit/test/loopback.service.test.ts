/**
 * MTProto service messages answered as Telegram answers them (get_future_salts,
 * msgs_state_req, destroy_session), and the update-state methods (updates.getState,
 * updates.getDifference) consistent with what was pushed; driven by the raw client.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Api } from "telegram"
import { RawClient, type ServerMessage } from "../src/internal/mtproto/rawClient.js"
import { Ids, readObject, toLong } from "../src/internal/mtproto/tl.js"
import * as LoopbackServer from "../src/LoopbackServer.js"
import { stockClient } from "./support-loopback.js"

const alice: LoopbackServer.Account = { userId: 42n, accessHash: 4242n, firstName: "Alice" }

const keyOf = (session: Redacted.Redacted<string>): Buffer => {
  const raw = Buffer.from(Redacted.value(session).slice(1), "base64")
  return raw.subarray(raw.length - 256)
}

/** Sends one message and reads server messages until one satisfies `done`. */
const ask = async (
  c: RawClient,
  key: Buffer,
  sessionId: bigint,
  body: Buffer,
  done: (m: ServerMessage) => boolean
): Promise<{ readonly msgId: bigint; readonly answer: ServerMessage }> => {
  const msgId = c.nextMsgId()
  c.sendEncrypted(key, { salt: 0n, sessionId, msgId, seqNo: 1, body })
  for (let i = 0; i < 10; i++) {
    const got = await c.nextMessages(key)
    if (got === undefined) break
    const hit = got.find(done)
    if (hit !== undefined) return { msgId, answer: hit }
  }
  throw new Error("no answer")
}

const ctorIs = (id: number) => (m: ServerMessage) => m.body.readUInt32LE(0) === id

const rpcResultOf = (m: ServerMessage): unknown => readObject(m.body.subarray(12))

describe("LoopbackServer service messages", () => {
  it.live("answers get_future_salts, msgs_state_req and destroy_session", () =>
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice], strictSalt: false })
      const key = keyOf(yield* server.mintSession(alice.userId))
      const c = yield* Effect.acquireRelease(
        Effect.promise(() => RawClient.connect(server.port, "full")),
        (c) => Effect.promise(() => c.close())
      )
      const out = yield* Effect.promise(async () => {
        const salts = await ask(c, key, 1n, new Api.GetFutureSalts({ num: 3 }).getBytes(), ctorIs(0xae500895))
        const pinged = await ask(
          c,
          key,
          1n,
          new Api.Ping({ pingId: toLong(1n) }).getBytes(),
          ctorIs(0x347773c5)
        )
        const tooNew = pinged.msgId + (3600n << 32n)
        const state = await ask(
          c,
          key,
          1n,
          new Api.MsgsStateReq({ msgIds: [toLong(pinged.msgId), toLong(tooNew), toLong(4n)] }).getBytes(),
          ctorIs(0x04deb57d)
        )
        const none = await ask(
          c,
          key,
          1n,
          new Api.DestroySession({ sessionId: toLong(999n) }).getBytes(),
          ctorIs(0x62d350c9)
        )
        await ask(c, key, 2n, new Api.Ping({ pingId: toLong(2n) }).getBytes(), ctorIs(0x347773c5))
        const ok = await ask(
          c,
          key,
          1n,
          new Api.DestroySession({ sessionId: toLong(2n) }).getBytes(),
          ctorIs(Ids.destroySessionOk)
        )
        return { salts, state, none, ok }
      })
      // future_salts req_msg_id:long now:int salts:vector<future_salt> (bare)
      const s = out.salts.answer.body
      assert.strictEqual(s.readBigInt64LE(4), out.salts.msgId)
      assert.strictEqual(s.readInt32LE(16), 3)
      const now = s.readInt32LE(12)
      for (let i = 0; i < 3; i++) {
        assert.isAtMost(s.readInt32LE(20 + 16 * i), now + 3600 * i)
        assert.isAbove(s.readInt32LE(24 + 16 * i), now + 3600 * i)
        assert.strictEqual(s.readBigInt64LE(28 + 16 * i), s.readBigInt64LE(28))
      }
      // msgs_state_info req_msg_id:long info:string: received, too new, too old
      const info = out.state.answer.body
      assert.strictEqual(info.readBigInt64LE(4), out.state.msgId)
      assert.strictEqual(info[12], 3)
      assert.deepStrictEqual([...info.subarray(13, 16)], [4, 3, 1])
      assert.strictEqual(out.none.answer.body.readBigInt64LE(4), 999n)
      assert.strictEqual(out.ok.answer.body.readBigInt64LE(4), 2n)
    })
  )

  it.live("updates.getState and updates.getDifference agree with the pushed updates", () =>
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice], strictSalt: false })
      const key = keyOf(yield* server.mintSession(alice.userId))
      const c = yield* Effect.acquireRelease(
        Effect.promise(() => RawClient.connect(server.port, "full")),
        (c) => Effect.promise(() => c.close())
      )
      const isResult = ctorIs(Ids.rpcResult)
      const before = yield* Effect.promise(() =>
        ask(c, key, 1n, new Api.updates.GetState().getBytes(), isResult)
      )
      const date = Math.floor(Date.now() / 1000) + 100
      yield* server.push(alice.userId, new Api.Updates({ updates: [], users: [], chats: [], date, seq: 5 }))
      const after = yield* Effect.promise(async () => {
        const state = await ask(c, key, 1n, new Api.updates.GetState().getBytes(), isResult)
        const diff = await ask(
          c,
          key,
          1n,
          new Api.updates.GetDifference({ pts: 1, date, qts: 0 }).getBytes(),
          isResult
        )
        return { state, diff }
      })
      const s0 = rpcResultOf(before.answer)
      const s1 = rpcResultOf(after.state.answer)
      const d = rpcResultOf(after.diff.answer)
      assert.instanceOf(s0, Api.updates.State)
      assert.instanceOf(s1, Api.updates.State)
      assert.instanceOf(d, Api.updates.DifferenceEmpty)
      if (!(s0 instanceof Api.updates.State && s1 instanceof Api.updates.State)) return
      if (!(d instanceof Api.updates.DifferenceEmpty)) return
      assert.strictEqual(s0.seq, 0)
      assert.strictEqual(s1.seq, 5)
      assert.isAtLeast(s1.date, date)
      assert.strictEqual(s1.pts, s0.pts + 1) // pts is the position in the update log: one push
      assert.strictEqual(d.seq, 5)
      assert.isAtLeast(d.date, date)
    })
  )

  it.live("a stock GramJS client sees the same state in getState and getDifference after a push", () =>
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice] })
      const client = yield* stockClient(server, alice.userId)
      const date = Math.floor(Date.now() / 1000) + 50
      const pushed = yield* server.push(
        alice.userId,
        new Api.Updates({ updates: [], users: [], chats: [], date, seq: 3 })
      )
      assert.strictEqual(pushed, 1)
      const state = yield* Effect.promise(() => client.invoke(new Api.updates.GetState()))
      const diff = yield* Effect.promise(() =>
        client.invoke(new Api.updates.GetDifference({ pts: state.pts, date: state.date, qts: state.qts }))
      )
      assert.strictEqual(state.seq, 3)
      assert.isAtLeast(state.date, date)
      assert.instanceOf(diff, Api.updates.DifferenceEmpty)
      if (diff instanceof Api.updates.DifferenceEmpty) assert.strictEqual(diff.seq, state.seq)
    })
  )
})
