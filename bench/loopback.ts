/**
 * Benchmark of the loopback MTProto server: sequential `phone.receivedCall` round trips over
 * TCP (127.0.0.1) from one connected stock client, for each backend (GramJS over `telegram`,
 * Teleproto over `teleproto`; `bench/backends.ts`), measured several ways in the same run on
 * the same connection:
 *
 * - raw: `client.invoke(new Api.phone.ReceivedCall({ peer }))` with the library's own `Api`
 * - tgphone: `Phone.receivedCall({ peer })` over the backend's `layerFromClient(client)` (Schema
 *   input validation, domain ↔ library codecs, error classification, span, timeout)
 * - for reference, `TelegramRpc.invoke` alone, and the raw request inside an `Effect.promise`
 *   (what any Effect wrapper costs at least)
 *
 * Both go through the same server backed by the in-memory world (the call is ringing, so
 * `receivedCall` keeps answering `true`). Rounds alternate between the arms, and the order of
 * the arms rotates from round to round (so no arm always runs right after the same other arm,
 * e.g. into its garbage collection). Printed per arm: the median and the best (minimum) time
 * per round trip; and the overhead ratio tgphone / raw three ways: of the medians, of the
 * minima, and the median of the per-round ratios (each round pairs the arms run back to back,
 * which cancels slow drifts in machine load); and the same paired ratio of CPU time (the
process's user CPU per round trip: client and server share the one event loop, so the run is
CPU-bound, and CPU time is far less disturbed than wall time by other processes on a shared
machine). Target: ≤ 1.10x.
 *
 * Run: `npx tsx bench/loopback.ts` (or `pnpm bench loopback`).
 */
import { pathToFileURL } from "node:url"
import { Model, Phone, TelegramRpc } from "@tgphone/core"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { LoopbackServer, TestTelegram } from "@tgphone/testkit"
import { Context, Effect, Layer } from "effect"
import { type Backend, backends } from "./backends.js"

const ROUNDS = 15
const PER_ROUND = 500

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

/** A round's wall-clock and CPU time (ms). */
interface Times {
  readonly wall: number
  readonly cpu: number
}
const start = (): Times => ({ wall: performance.now(), cpu: process.cpuUsage().user / 1000 })
const stop = (t0: Times): Times => ({
  wall: performance.now() - t0.wall,
  cpu: process.cpuUsage().user / 1000 - t0.cpu
})

const bench = (backend: Backend) =>
  Effect.gen(function* () {
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
        const c = backend.client(server, session)
        await c.connect()
        return c
      }),
      (c) => Effect.promise(() => c.destroy())
    )
    const context = yield* Layer.build(backend.layerFromClient(client))
    const rpc: Context.Context<TelegramRpc.TelegramRpc> = context
    const TelegramRpcService = TelegramRpc.TelegramRpc

    const rawRequest = backend.receivedCall(call.id, call.accessHash)
    const rawRound = Effect.promise(async () => {
      const t0 = start()
      for (let i = 0; i < PER_ROUND; i++) {
        const ok = await client.invoke(rawRequest())
        if (ok !== true) throw new Error("raw receivedCall did not answer true")
      }
      return stop(t0)
    })
    const peer = new Model.InputPhoneCall({ id: call.id, accessHash: call.accessHash })
    const sdkOnce = Phone.receivedCall({ peer }).pipe(Effect.provide(rpc))
    const sdkRound = Effect.gen(function* () {
      const t0 = start()
      for (let i = 0; i < PER_ROUND; i++) {
        const ok = yield* sdkOnce
        if (ok !== true) return yield* Effect.die("tgphone receivedCall did not answer true")
      }
      return stop(t0)
    })

    // the floor for any Effect-based SDK: the raw request in an `Effect.promise`, same loop shape
    const effectOnce = Effect.promise(() => client.invoke(rawRequest()))
    const effectRound = Effect.gen(function* () {
      const t0 = start()
      for (let i = 0; i < PER_ROUND; i++) {
        const ok = yield* effectOnce
        if (ok !== true) return yield* Effect.die("Effect.promise(client.invoke) did not answer true")
      }
      return stop(t0)
    })

    // the seam alone (no Schema input validation): splits the overhead between Phone and the layer
    const seamRpc = Context.get(rpc, TelegramRpcService)
    const seamOnce = seamRpc.invoke("phone.receivedCall", { peer })
    const seamRound = Effect.gen(function* () {
      const t0 = start()
      for (let i = 0; i < PER_ROUND; i++) {
        const ok = yield* seamOnce
        if (ok !== true) return yield* Effect.die("TelegramRpc.invoke did not answer true")
      }
      return stop(t0)
    })

    // warm-up every path
    yield* rawRound
    yield* sdkRound
    yield* seamRound
    yield* effectRound
    const arms = [
      { name: "raw", round: rawRound, times: [] as Array<number>, cpu: [] as Array<number> },
      { name: "sdk", round: sdkRound, times: [] as Array<number>, cpu: [] as Array<number> },
      { name: "seam", round: seamRound, times: [] as Array<number>, cpu: [] as Array<number> },
      { name: "effect", round: effectRound, times: [] as Array<number>, cpu: [] as Array<number> }
    ] as const
    const [raw, sdk, seam, effect] = arms
    for (let r = 0; r < ROUNDS; r++) {
      // rotate the order: raw-sdk-seam-effect, sdk-seam-effect-raw, seam-effect-raw-sdk, …
      for (let k = 0; k < arms.length; k++) {
        const arm = arms[(r + k) % arms.length]!
        const t = yield* arm.round
        arm.times.push(t.wall / PER_ROUND)
        arm.cpu.push(t.cpu / PER_ROUND)
      }
    }
    const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`
    const perSecond = (ms: number) => (1000 / ms).toFixed(0).padStart(6)
    const line = (label: string, times: ReadonlyArray<number>) =>
      `${label}${perSecond(median(times))} round trips/s (median ${us(median(times))}, best ${us(Math.min(...times))})`
    const pairedRatio = (times: ReadonlyArray<number>) => median(times.map((t, i) => t / raw.times[i]!))
    const pairedCpu = (cpu: ReadonlyArray<number>) => median(cpu.map((t, i) => t / raw.cpu[i]!))
    const ratios = (times: ReadonlyArray<number>) =>
      `${(median(times) / median(raw.times)).toFixed(3)}x medians, ` +
      `${(Math.min(...times) / Math.min(...raw.times)).toFixed(3)}x minima, ` +
      `${pairedRatio(times).toFixed(3)}x paired rounds`
    const cpuRatio = (arm: (typeof arms)[number]) =>
      `${pairedCpu(arm.cpu).toFixed(3)}x (CPU time per round trip, paired rounds: ${us(median(arm.cpu))} against ${us(median(raw.cpu))})`
    console.log(`backend: ${backend.name}`)
    console.log(line("raw client.invoke:           ", raw.times))
    console.log(line("tgphone Phone.receivedCall:  ", sdk.times))
    console.log(line("tgphone TelegramRpc.invoke:  ", seam.times))
    console.log(`TelegramRpc.invoke / raw:    ${ratios(seam.times)}`)
    console.log(`Phone.receivedCall / raw:    ${ratios(sdk.times)}`)
    console.log(`Effect.promise(raw) / raw:   ${ratios(effect.times)} (the floor of any Effect wrapper)`)
    console.log(`CPU TelegramRpc.invoke / raw: ${cpuRatio(seam)}`)
    console.log(`CPU Phone.receivedCall / raw: ${cpuRatio(sdk)}`)
    console.log(`CPU Effect.promise(raw) / raw: ${cpuRatio(effect)}`)
    console.log(
      `node ${process.version}; ${ROUNDS} rounds of ${PER_ROUND} sequential round trips per arm, arm order rotating; ` +
        `overhead tgphone / raw: ${pairedRatio(sdk.times).toFixed(3)}x (median of paired rounds; target <= 1.10x)`
    )
    const stats = yield* server.stats
    console.log(
      `server: ${stats.requests} requests, ${stats.connectionsAccepted} connection(s), ${stats.rpcErrorsSent} rpc_errors`
    )
  })

/** Runs the benchmark for each backend and prints the rates and their ratios. */
export const run = async (): Promise<void> => {
  for (const backend of backends) await Effect.runPromise(Effect.scoped(Effect.orDie(bench(backend))))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run()
}
