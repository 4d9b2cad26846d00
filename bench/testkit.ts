/**
 * Benchmark of @tgphone/testkit: N complete 1:1 calls (requestCall → acceptCall → confirmCall →
 * discardCall, dummy g_a / g_b bytes) run concurrently through one in-memory world, at
 * N = 1 000, 5 000 and 10 000. It prints the time and the retained heap per call at each size
 * and the per-call ratio 10k vs 1k: a ratio near 1.0x means the world's cost grows linearly with
 * the number of calls (no hidden quadratic work in lookups, timers or update delivery).
 *
 * Each size runs in a fresh world (default options: requests and updates are recorded, the
 * g_a_hash is verified on confirm); the median of 3 rounds is reported. Users are added before
 * the clock starts. Memory is the heap the world retains after the calls (everything it records
 * included: two users per call, the calls, the request log, the update logs), measured after a
 * forced GC as the heap with the world minus the heap before it was built, divided by N.
 *
 * Run: `npx tsx bench/testkit.ts` (or `pnpm bench testkit`).
 */
import { createHash } from "node:crypto"
import { pathToFileURL } from "node:url"
import v8 from "node:v8"
import vm from "node:vm"
import { Model } from "@tgphone/core"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { TestTelegram } from "@tgphone/testkit"
import { Effect, Exit, Scope } from "effect"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const SIZES = [1_000, 5_000, 10_000] as const
const ROUNDS = 5

const protocol = new PhoneCallProtocol({
  udpP2p: true,
  udpReflector: true,
  minLayer: 65,
  maxLayer: 92,
  libraryVersions: ["11.0.0"]
})
const gA = new Uint8Array(256).fill(7)
const gAHash = new Uint8Array(createHash("sha256").update(gA).digest())
const gB = new Uint8Array(256).fill(9)

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

/**
 * Lets go of garbage before a heap reading: Effect's scheduler keeps references to the fibers
 * it ran last until new work overwrites them, so run a burst of trivial fibers, then a full GC.
 */
const settle = Effect.gen(function* () {
  yield* Effect.forEach(
    Array.from({ length: 50_000 }, () => 0),
    () => Effect.yieldNow,
    {
      concurrency: "unbounded",
      discard: true
    }
  )
  gc()
})

/** One complete call between `caller` and `callee`. */
const oneCall = (world: TestTelegram.Service, caller: TestTelegram.TestUser, callee: TestTelegram.TestUser) =>
  Effect.gen(function* () {
    const a = yield* world.rpcFor(caller)
    const b = yield* world.rpcFor(callee)
    const requested = yield* a.invoke("phone.requestCall", {
      video: false,
      userId: callee.inputUser,
      randomId: 1,
      gAHash,
      protocol
    })
    const c = requested.phoneCall
    if (c._tag !== "PhoneCallWaiting") return yield* Effect.die(`unexpected ${c._tag}`)
    const peer = new Model.InputPhoneCall({ id: c.id, accessHash: c.accessHash })
    yield* b.invoke("phone.acceptCall", { peer, gB, protocol })
    yield* a.invoke("phone.confirmCall", { peer, gA, keyFingerprint: 1n, protocol })
    yield* b.invoke("phone.discardCall", {
      video: false,
      peer,
      duration: 1,
      reason: { _tag: "Hangup" },
      connectionId: 0n
    })
  })

/** Runs `n` concurrent calls in a fresh world; returns ms per call and retained bytes per call. */
const measure = (n: number) =>
  Effect.gen(function* () {
    yield* settle
    const baseline = process.memoryUsage().heapUsed
    const scope = yield* Scope.make()
    const world = yield* TestTelegram.make({ seed: n }).pipe(Scope.provide(scope))
    const pairs = yield* Effect.forEach(
      Array.from({ length: n }, (_, i) => i),
      (i) =>
        Effect.all([world.addUser({ firstName: `Caller${i}` }), world.addUser({ firstName: `Callee${i}` })])
    )
    gc()
    const t0 = performance.now()
    yield* Effect.forEach(pairs, ([caller, callee]) => oneCall(world, caller, callee), {
      concurrency: "unbounded",
      discard: true
    })
    const elapsed = performance.now() - t0
    const discarded = (yield* world.calls).filter((c) => c.state === "Discarded").length
    if (discarded !== n) return yield* Effect.die(`expected ${n} discarded calls, got ${discarded}`)
    yield* settle
    const retained = process.memoryUsage().heapUsed - baseline
    // keep the world reachable until the measurement is taken (V8 drops dead generator locals)
    if ((yield* world.users).length !== 2 * n) return yield* Effect.die("users went missing")
    yield* Scope.close(scope, Exit.void)
    return { msPerCall: elapsed / n, bytesPerCall: retained / n }
  })

/** Runs the benchmark and prints one line per size and the 10k/1k ratios. */
export const run = async (): Promise<void> => {
  // warm-up: JIT the whole path once
  await Effect.runPromise(Effect.orDie(measure(500)))
  const results = new Map<number, { msPerCall: number; bytesPerCall: number }>()
  for (const n of SIZES) {
    const rounds: Array<{ msPerCall: number; bytesPerCall: number }> = []
    for (let r = 0; r < ROUNDS; r++) rounds.push(await Effect.runPromise(Effect.orDie(measure(n))))
    const result = {
      msPerCall: median(rounds.map((x) => x.msPerCall)),
      bytesPerCall: median(rounds.map((x) => x.bytesPerCall))
    }
    results.set(n, result)
    console.log(
      `${String(n).padStart(6)} concurrent calls: ${(result.msPerCall * 1000).toFixed(1)} µs/call, ` +
        `${(result.msPerCall * n).toFixed(0)} ms total, ${(result.bytesPerCall / 1024).toFixed(2)} KiB retained/call`
    )
  }
  const small = results.get(1_000)!
  const large = results.get(10_000)!
  console.log(
    `node ${process.version}; median of ${ROUNDS} rounds; 4 RPCs per call (request, accept, confirm, discard)`
  )
  console.log(
    `per-call ratio 10k vs 1k: time ${(large.msPerCall / small.msPerCall).toFixed(2)}x, memory ${(large.bytesPerCall / small.bytesPerCall).toFixed(2)}x (linear growth = ~1.0x)`
  )
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run()
}
