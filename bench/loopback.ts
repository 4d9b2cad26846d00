/**
 * Benchmark of the loopback MTProto server: sequential `phone.receivedCall` round trips over
 * TCP (127.0.0.1) from one connected stock GramJS client, measured two ways in the same run on
 * the same connection:
 *
 * - raw GramJS: `client.invoke(new Api.phone.ReceivedCall({ peer }))`
 * - tgphone: `Phone.receivedCall({ peer })` over `GramJs.layerFromClient(client)` (Schema input
 *   validation, domain ↔ GramJS codecs, error classification, span, timeout)
 *
 * Both go through the same server backed by the in-memory world (the call is ringing, so
 * `receivedCall` keeps answering `true`). Rounds alternate between the two arms; the median
 * round trips per second of each are printed with the overhead ratio tgphone / raw (time per
 * round trip; target ≤ 1.05x).
 *
 * Run: `npx tsx bench/loopback.ts` (or `pnpm bench loopback`).
 */
import { pathToFileURL } from "node:url"
import { Model, Phone, TelegramRpc } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { LoopbackServer, TestTelegram } from "@tgphone/testkit"
import { Context, Effect, Layer, Redacted } from "effect"
import { Api, helpers, TelegramClient } from "telegram"
import { StringSession } from "telegram/sessions/index.js"

const ROUNDS = 7
const PER_ROUND = 1_000

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

const bench = Effect.gen(function* () {
  const world = yield* TestTelegram.make({
    seed: "bench",
    callRingTimeoutMs: 3_600_000,
    recordRequests: false
  })
  const alice = yield* world.addUser({ firstName: "Alice" })
  const bob = yield* world.addUser({ firstName: "Bob" })
  const server = yield* LoopbackServer.serve(world, { echoResultUpdates: false })

  // a ringing call from Alice to Bob, set up directly in the world
  const aliceRpc = yield* world.rpcFor(alice)
  const requested = yield* aliceRpc.invoke("phone.requestCall", {
    video: false,
    userId: bob.inputUser,
    randomId: 1,
    gAHash: new Uint8Array(32).fill(1),
    protocol: new PhoneCallProtocol({
      udpP2p: true,
      udpReflector: true,
      minLayer: 65,
      maxLayer: 92,
      libraryVersions: ["11.0.0"]
    })
  })
  const call = requested.phoneCall
  if (call._tag !== "PhoneCallWaiting") return yield* Effect.die(`unexpected ${call._tag}`)

  const session = yield* server.mintSession(bob.id)
  const client = yield* Effect.acquireRelease(
    Effect.promise(async () => {
      const c = new TelegramClient(
        new StringSession(Redacted.value(session)),
        1,
        "bench",
        server.clientOptions()
      )
      await c.connect()
      return c
    }),
    (c) => Effect.promise(() => c.destroy())
  )
  const context = yield* Layer.build(GramJs.layerFromClient(client))
  const rpc: Context.Context<TelegramRpc.TelegramRpc> = context
  const TelegramRpcService = TelegramRpc.TelegramRpc

  const rawPeer = new Api.InputPhoneCall({
    id: helpers.returnBigInt(call.id),
    accessHash: helpers.returnBigInt(call.accessHash)
  })
  const rawRound = Effect.promise(async () => {
    const t0 = performance.now()
    for (let i = 0; i < PER_ROUND; i++) {
      const ok = await client.invoke(new Api.phone.ReceivedCall({ peer: rawPeer }))
      if (ok !== true) throw new Error("raw receivedCall did not answer true")
    }
    return performance.now() - t0
  })
  const peer = new Model.InputPhoneCall({ id: call.id, accessHash: call.accessHash })
  const sdkOnce = Phone.receivedCall({ peer }).pipe(Effect.provide(rpc))
  const sdkRound = Effect.gen(function* () {
    const t0 = performance.now()
    for (let i = 0; i < PER_ROUND; i++) {
      const ok = yield* sdkOnce
      if (ok !== true) return yield* Effect.die("tgphone receivedCall did not answer true")
    }
    return performance.now() - t0
  })

  // the seam alone (no Schema input validation): splits the overhead between Phone and the layer
  const seam = Context.get(rpc, TelegramRpcService)
  const seamOnce = seam.invoke("phone.receivedCall", { peer })
  const seamRound = Effect.gen(function* () {
    const t0 = performance.now()
    for (let i = 0; i < PER_ROUND; i++) {
      const ok = yield* seamOnce
      if (ok !== true) return yield* Effect.die("TelegramRpc.invoke did not answer true")
    }
    return performance.now() - t0
  })

  // warm-up every path
  yield* rawRound
  yield* sdkRound
  yield* seamRound
  const raw: Array<number> = []
  const sdk: Array<number> = []
  const seamTimes: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    raw.push(yield* rawRound)
    sdk.push(yield* sdkRound)
    seamTimes.push(yield* seamRound)
  }
  const rawMs = median(raw) / PER_ROUND
  const sdkMs = median(sdk) / PER_ROUND
  const seamMs = median(seamTimes) / PER_ROUND
  console.log(
    `raw GramJS client.invoke:    ${(1000 / rawMs).toFixed(0).padStart(6)} round trips/s (${(rawMs * 1000).toFixed(0)} µs each)`
  )
  console.log(
    `tgphone Phone.receivedCall:  ${(1000 / sdkMs).toFixed(0).padStart(6)} round trips/s (${(sdkMs * 1000).toFixed(0)} µs each)`
  )
  console.log(
    `tgphone TelegramRpc.invoke:   ${(1000 / seamMs).toFixed(0).padStart(6)} round trips/s (${(seamMs * 1000).toFixed(0)} µs each; ${(seamMs / rawMs).toFixed(3)}x raw)`
  )
  console.log(
    `node ${process.version}; median of ${ROUNDS} alternating rounds of ${PER_ROUND} sequential round trips; ` +
      `overhead tgphone / raw: ${(sdkMs / rawMs).toFixed(3)}x (target <= 1.05x)`
  )
  const stats = yield* server.stats
  console.log(
    `server: ${stats.requests} requests, ${stats.connectionsAccepted} connection(s), ${stats.rpcErrorsSent} rpc_errors`
  )
})

/** Runs the benchmark and prints both rates and their ratio. */
export const run = (): Promise<void> => Effect.runPromise(Effect.scoped(Effect.orDie(bench)))

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run()
}
