/**
 * Hostile traffic against the loopback server (issue 12), 127.0.0.1 only, bounded in count and
 * time: while attackers send what the issue reproduced, a well-behaved client pings the server
 * and the test records its worst wait and the process's RSS. Correctness bounds, not speed
 * tuning: the worst wait must stay under 1 s and the RSS growth under the documented bound.
 */
import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Api, TelegramClient } from "telegram"
import { StringSession } from "telegram/sessions/index.js"
import { authKeyId } from "../src/internal/mtproto/crypto.js"
import { RawClient } from "../src/internal/mtproto/rawClient.js"
import { readObject, toLong } from "../src/internal/mtproto/tl.js"
import * as LoopbackServer from "../src/LoopbackServer.js"

const good: LoopbackServer.Account = { userId: 1n, accessHash: 11n, firstName: "Good" }
const mallory: LoopbackServer.Account = { userId: 2n, accessHash: 22n, firstName: "Mallory" }

const keyOf = (session: Redacted.Redacted<string>): Buffer => {
  const raw = Buffer.from(Redacted.value(session).slice(1), "base64")
  return raw.subarray(raw.length - 256)
}

/** `u32 0x1cb5c415 ‖ u32 n ‖ n × (u32 0xbe7e8ef1 ‖ 16 random bytes)`. */
const reqPqVector = (n: number): Buffer => {
  const body = Buffer.alloc(8 + n * 20)
  body.writeUInt32LE(0x1cb5c415, 0)
  body.writeUInt32LE(n, 4)
  const nonces = randomBytes(n * 16)
  for (let i = 0; i < n; i++) {
    body.writeUInt32LE(0xbe7e8ef1, 8 + i * 20)
    nonces.copy(body, 12 + i * 20, i * 16, i * 16 + 16)
  }
  return body
}

/** An unencrypted message: auth_key_id 0 ‖ msg_id ‖ length ‖ body. */
const plain = (c: RawClient, body: Buffer): Buffer => {
  const head = Buffer.alloc(20)
  head.writeBigInt64LE(c.nextMsgId(), 8)
  head.writeInt32LE(body.length, 16)
  return Buffer.concat([head, body])
}

const rssMb = () => process.memoryUsage().rss / 1024 / 1024

describe("LoopbackServer under attack", () => {
  it.live(
    "a well-behaved client never waits 1 s, and RSS stays bounded",
    () =>
      Effect.gen(function* () {
        const server = yield* LoopbackServer.make({
          accounts: [good, mallory],
          strictSalt: false,
          limits: { frameTimeoutMs: 2000 }
        })
        const goodKey = keyOf(yield* server.mintSession(good.userId))
        const malloryKey = keyOf(yield* server.mintSession(mallory.userId))
        const clients: Array<RawClient> = []
        yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(clients.map((c) => c.close()))))
        const connect = async () => {
          const c = await RawClient.connect(server.port, "full")
          clients.push(c)
          return c
        }
        const result = yield* Effect.promise(async () => {
          const probe = await connect()
          const sessionId = 7n
          let worst = 0
          let pings = 0
          let peakRss = 0
          const baseRss = rssMb()
          /** Pings until `until` resolves; records the worst round trip. */
          const phases: Array<number> = []
          const probeWhile = async (until: Promise<unknown>) => {
            const before = worst
            worst = 0
            let done = false
            void until.then(() => {
              done = true
            })
            while (!done) {
              const t0 = performance.now()
              probe.sendEncrypted(goodKey, {
                salt: 0n,
                sessionId,
                msgId: probe.nextMsgId(),
                seqNo: 2 * pings + 1,
                body: new Api.Ping({ pingId: toLong(BigInt(pings)) }).getBytes()
              })
              for (;;) {
                const got = await probe.nextMessages(goodKey, 5000)
                if (got === undefined) throw new Error("the good client lost its connection")
                if (got.some((m) => readObject(m.body) instanceof Api.Pong)) break
              }
              pings++
              worst = Math.max(worst, performance.now() - t0)
              peakRss = Math.max(peakRss, rssMb())
              await new Promise((r) => setTimeout(r, 20))
            }
            phases.push(Math.round(worst))
            worst = Math.max(worst, before)
          }
          const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

          // 1. one ~1 MB unauthenticated frame: 50 000 req_pq_multi in a vector, twice
          const a1 = await connect()
          const a2 = await connect()
          await probeWhile(
            (async () => {
              a1.sendFrame(plain(a1, reqPqVector(50_000)))
              await sleep(100)
              a2.sendFrame(plain(a2, reqPqVector(50_000)))
              await sleep(1500)
            })()
          )
          // 2. the same body encrypted with a valid key, bare and as a request argument
          const a3 = await connect()
          await probeWhile(
            (async () => {
              a3.sendEncrypted(malloryKey, {
                salt: 0n,
                sessionId: 9n,
                msgId: a3.nextMsgId(),
                seqNo: 1,
                body: reqPqVector(50_000)
              })
              const selves = Buffer.alloc(8 + 4 * 50_000)
              selves.writeUInt32LE(0x1cb5c415, 0)
              selves.writeUInt32LE(50_000, 4)
              for (let i = 0; i < 50_000; i++) selves.writeUInt32LE(0xf7c1b13f, 8 + 4 * i) // inputUserSelf
              const getUsers = Buffer.concat([Buffer.from([0xdb, 0x2f, 0x91, 0x0d]), selves]) // users.getUsers
              const a4 = await connect()
              a4.sendEncrypted(malloryKey, {
                salt: 0n,
                sessionId: 10n,
                msgId: a4.nextMsgId(),
                seqNo: 1,
                body: getUsers
              })
              await sleep(1500)
            })()
          )
          // 3. a burst of 3 000 req_pq_multi on one connection
          const a5 = await connect()
          await probeWhile(
            (async () => {
              const frames: Array<Buffer> = []
              for (let i = 0; i < 3000; i++)
                frames.push(
                  plain(a5, Buffer.concat([Buffer.from([0xf1, 0x8e, 0x7e, 0xbe]), randomBytes(16)]))
                )
              for (const f of frames) a5.sendFrame(f)
              await sleep(1500)
            })()
          )
          // 4. 400 connections, each holding ~1 MiB of an unfinished frame of a logged-in key
          await probeWhile(
            (async () => {
              const partial = Buffer.alloc(1024 * 1024 - 64)
              partial.writeInt32LE(1024 * 1024, 0)
              partial.writeBigInt64LE(authKeyId(malloryKey), 8)
              for (let i = 0; i < 400; i++) {
                const c = await connect().catch(() => undefined)
                c?.writeRaw(partial)
                if (i % 50 === 49) await sleep(10)
              }
              await sleep(1500)
            })()
          )
          // 5. a slow client: one byte every 100 ms
          const slow = await connect()
          const frame = Buffer.alloc(64)
          frame.writeInt32LE(64, 0)
          let sent = 0
          await probeWhile(
            (async () => {
              while (!slow.closed && sent < 40) {
                slow.writeRaw(frame.subarray(sent % 64, (sent % 64) + 1))
                sent++
                await sleep(100)
              }
            })()
          )
          return { worst, phases, pings, growth: peakRss - baseRss, slowBytes: sent, slowClosed: slow.closed }
        })
        const stats = yield* server.stats
        console.log(
          `attack: good client's worst wait ${result.worst.toFixed(0)} ms (per attack ${result.phases.join(", ")}) over ${result.pings} pings; ` +
            `RSS growth ${result.growth.toFixed(0)} MB; slow client closed after ${result.slowBytes} bytes; ` +
            `refused ${stats.connectionsRefused}, closed for errors ${stats.connectionsClosedForErrors}`
        )
        assert.isBelow(result.worst, 1000)
        assert.isBelow(result.growth, 256)
        assert.isTrue(result.slowClosed)
        assert.isBelow(result.slowBytes, 40)
      }),
    40_000
  )

  it.live("a fresh auth key that has not logged in may send only small frames", () =>
    Effect.gen(function* () {
      const problems: Array<string> = []
      const server = yield* LoopbackServer.make({ accounts: [good], onProblem: (p) => problems.push(p) })
      yield* LoopbackServer.trustTestRsaKey
      const fresh = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const c = new TelegramClient(new StringSession(""), 1, "x", server.clientOptions())
          await c.connect()
          return c
        }),
        (c) => Effect.promise(() => c.destroy())
      )
      const authKey = fresh.session.getAuthKey()?.getKey()
      assert.isDefined(authKey)
      if (authKey === undefined) return
      const raw = yield* Effect.acquireRelease(
        Effect.promise(() => RawClient.connect(server.port, "full")),
        (c) => Effect.promise(() => c.close())
      )
      const closedEarly = yield* Effect.promise(async () => {
        raw.sendEncrypted(authKey, {
          salt: 0n,
          sessionId: 3n,
          msgId: raw.nextMsgId(),
          seqNo: 1,
          body: reqPqVector(50_000)
        })
        await raw.closedPromise
        return raw.closed
      })
      assert.isTrue(closedEarly)
      assert.isTrue(problems.some((p) => p.includes("exceeds the limit of 65536")))
      // the fresh client itself is served on
      const config = yield* Effect.promise(() => fresh.invoke(new Api.help.GetConfig()))
      assert.instanceOf(config, Api.Config)
    })
  )
})
