/**
 * Benchmark of the loopback MTProto server: sequential `phone.receivedCall` round trips over
 * TCP (127.0.0.1) from one connected stock client, for each backend (GramJS over `telegram`,
 * Teleproto over `teleproto`; `bench/backends.ts`), measured several ways in the same run on
 * the same connection:
 *
 * - raw: `client.invoke(new Api.phone.ReceivedCall({ peer }))` with the library's own `Api`
 * - tgphone: `Phone.receivedCall({ peer })` over the backend's `layerFromClient(client)` (input
 *   check, domain ↔ library codecs, error classification, span, deadline), in a program the
 *   layer is provided to once, as an application provides it
 * - for reference, `TelegramRpc.invoke` alone (the layer without `Phone`)
 *
 * All go through the same server backed by the in-memory world (the call is ringing, so
 * `receivedCall` keeps answering `true`). The arms are interleaved request by request: each
 * step sends one request of every arm, in an order that rotates from step to step, so every arm
 * sees the same machine, the same garbage collections and the same caches. A round is
 * PER_ROUND steps; per round and arm the wall time and the process's user CPU time are summed
 * per request, and the headline is the median over the rounds of the per-round ratio to raw
 * (wall, then CPU). Target: `Phone.*` ≤ 1.10x raw.
 *
 * Then it shows where one round trip's wall time goes, per segment, for raw and for
 * `Phone.receivedCall` (median µs over SEGMENT_STEPS steps): from the start of the request to
 * the library's `invoke` (the SDK's work before sending), the library until its socket write,
 * the server from the frame's arrival to its answer, the library from the answer's arrival to
 * the promise settling, and from there to the caller (the SDK's work after the answer). It hooks
 * `net.Socket` writes and `data` events for that phase only.
 *
 * Run: `npx tsx bench/loopback.ts` (or `pnpm bench loopback`).
 */
import net from "node:net"
import { pathToFileURL } from "node:url"
import { Model, Phone, TelegramRpc } from "@tgphone/core"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { LoopbackServer, TestTelegram } from "@tgphone/testkit"
import { Context, Effect, Layer } from "effect"
import { type Backend, backends } from "./backends.js"

const ROUNDS = 25
const PER_ROUND = 200
const WARM_UP = 500
const SEGMENT_STEPS = 2000

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

/** Where one request is, in a round trip's timeline (see `segments`). */
type Mark =
  | "start"
  | "invoke"
  | "clientWrite"
  | "serverData"
  | "serverWrite"
  | "clientData"
  | "settled"
  | "end"

/** The timeline marks of the request in flight, while `segments` runs. */
let marks: Array<readonly [Mark, number]> | undefined
const mark = (name: Mark): void => {
  marks?.push([name, performance.now()])
}

/**
 * Hooks socket writes and `data` events (a server socket is one whose local port is the
 * server's) so that each lands in the timeline; returns the unhook.
 */
const hookSockets = (serverPort: number): (() => void) => {
  const write = net.Socket.prototype.write
  const emit = net.Socket.prototype.emit
  net.Socket.prototype.write = function (this: net.Socket, ...args: Array<unknown>) {
    mark(this.localPort === serverPort ? "serverWrite" : "clientWrite")
    return (write as (...a: Array<unknown>) => boolean).apply(this, args)
  } as typeof write
  net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: Array<unknown>) {
    if (event === "data") mark(this.localPort === serverPort ? "serverData" : "clientData")
    return (emit as (...a: Array<unknown>) => boolean).call(this, event, ...args)
  } as typeof emit
  return () => {
    net.Socket.prototype.write = write
    net.Socket.prototype.emit = emit
  }
}

/** The segments of a round trip, in order: label and the marks that bound it. */
const SEGMENTS: ReadonlyArray<readonly [string, Mark, Mark]> = [
  ["before the library's invoke (SDK)", "start", "invoke"],
  ["library: invoke → socket write", "invoke", "clientWrite"],
  ["kernel: to the server", "clientWrite", "serverData"],
  ["server: request → answer", "serverData", "serverWrite"],
  ["kernel: to the client", "serverWrite", "clientData"],
  ["library: answer → promise settled", "clientData", "settled"],
  ["after the answer (SDK)", "settled", "end"],
  ["whole round trip", "start", "end"]
]

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

    const rawRequest = backend.receivedCall(call.id, call.accessHash)
    const peer = new Model.InputPhoneCall({ id: call.id, accessHash: call.accessHash })
    const seamRpc = Context.get(rpc, TelegramRpc.TelegramRpc)
    const check = (name: string) => (ok: unknown) =>
      ok === true ? Effect.void : Effect.die(`${name}: receivedCall did not answer true`)
    const arms = [
      // the baseline: the library's own request object and promise, awaited from the same
      // fiber as the other arms (an `Effect.promise` around a bare `await`: 0.98–1.01x of a
      // plain `await` loop when the previous version of this benchmark measured both)
      {
        name: "raw client.invoke",
        once: Effect.flatMap(
          Effect.promise(() => client.invoke(rawRequest())),
          check("raw")
        )
      },
      { name: "Phone.receivedCall", once: Effect.flatMap(Phone.receivedCall({ peer }), check("Phone")) },
      {
        name: "TelegramRpc.invoke",
        once: Effect.flatMap(seamRpc.invoke("phone.receivedCall", { peer }), check("seam"))
      }
    ] as const

    const program = Effect.gen(function* () {
      // warm-up every path
      for (let i = 0; i < WARM_UP; i++) for (const arm of arms) yield* arm.once

      const wall = arms.map(() => [] as Array<number>)
      const cpu = arms.map(() => [] as Array<number>)
      for (let r = 0; r < ROUNDS; r++) {
        const w = arms.map(() => 0)
        const c = arms.map(() => 0)
        for (let i = 0; i < PER_ROUND; i++) {
          for (let k = 0; k < arms.length; k++) {
            const a = (i + k) % arms.length
            const c0 = process.cpuUsage().user
            const t0 = performance.now()
            yield* arms[a]!.once
            w[a]! += performance.now() - t0
            c[a]! += process.cpuUsage().user - c0
          }
        }
        for (let a = 0; a < arms.length; a++) {
          wall[a]!.push((w[a]! * 1000) / PER_ROUND)
          cpu[a]!.push(c[a]! / PER_ROUND)
        }
      }

      // where one round trip's wall time goes, raw against Phone.receivedCall
      const original = client.invoke
      client.invoke = (request: object) => {
        mark("invoke")
        const sent = original.call(client, request)
        sent.then(
          () => mark("settled"),
          () => mark("settled")
        )
        return sent
      }
      const unhook = hookSockets(server.port)
      const segments = [0, 1].map(() => SEGMENTS.map(() => [] as Array<number>))
      for (let i = 0; i < SEGMENT_STEPS; i++) {
        for (const a of i % 2 === 0 ? [0, 1] : [1, 0]) {
          marks = [["start", performance.now()]]
          yield* arms[a]!.once
          mark("end")
          const at = new Map<Mark, number>()
          for (const [name, t] of marks) if (!at.has(name)) at.set(name, t)
          marks = undefined
          SEGMENTS.forEach(([, from, to], j) => {
            const t0 = at.get(from)
            const t1 = at.get(to)
            if (t0 !== undefined && t1 !== undefined) segments[a]![j]!.push((t1 - t0) * 1000)
          })
        }
      }
      unhook()
      client.invoke = original
      return { wall, cpu, segments }
    })
    const { wall, cpu, segments } = yield* Effect.provide(program, rpc)

    const paired = (xs: ReadonlyArray<ReadonlyArray<number>>, a: number) =>
      median(xs[a]!.map((x, i) => x / xs[0]![i]!))
    const µs = (x: number) => `${x.toFixed(0)} µs`
    console.log(`backend: ${backend.name}`)
    arms.forEach((arm, a) => {
      console.log(
        `  ${arm.name.padEnd(20)} wall ${µs(median(wall[a]!)).padStart(8)}  CPU ${µs(median(cpu[a]!)).padStart(8)} per round trip` +
          (a === 0 ? "" : `   / raw: wall ${paired(wall, a).toFixed(3)}x, CPU ${paired(cpu, a).toFixed(3)}x`)
      )
    })
    console.log("  where one round trip's wall time goes (median µs)   raw    Phone.receivedCall")
    SEGMENTS.forEach(([label], j) => {
      console.log(
        `    ${label.padEnd(40)} ${median(segments[0]![j]!).toFixed(1).padStart(8)} ${median(segments[1]![j]!).toFixed(1).padStart(10)}`
      )
    })
    console.log(
      `  node ${process.version}; ${ROUNDS} rounds of ${PER_ROUND} interleaved requests per arm; ` +
        `overhead Phone / raw: ${paired(wall, 1).toFixed(3)}x wall, ${paired(cpu, 1).toFixed(3)}x CPU (median of per-round ratios; target <= 1.10x)`
    )
    const stats = yield* server.stats
    console.log(
      `  server: ${stats.requests} requests, ${stats.connectionsAccepted} connection(s), ${stats.rpcErrorsSent} rpc_errors`
    )
  })

/** Runs the benchmark for each backend and prints the rates and their ratios. */
export const run = async (): Promise<void> => {
  for (const backend of backends) await Effect.runPromise(Effect.scoped(Effect.orDie(bench(backend))))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run()
}
