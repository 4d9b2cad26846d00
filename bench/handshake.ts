/**
 * Complete two-party handshakes per second over the loopback MTProto server, and as a ratio to
 * the pure crypto cost of the same handshake measured in the same run.
 *
 * Subject: Alice calls Bob through `PhoneCalls` over one of tgphone's live layers (two real
 * clients on TCP: GramJS, then teleproto; `bench/backends.ts`), Bob accepts, both verify,
 * Alice hangs up — one handshake each round, sequentially, on connections set up once.
 * Baseline: the crypto both sides do for one handshake, in process (two key pairs with the
 * DH config check of a cached group, two shared keys, g_a_hash and its check, the fingerprint
 * and its check, the emoji on both sides).
 *
 * Run: `npx tsx bench/handshake.ts` (or `npx pnpm@10.34.9 bench handshake`).
 */
import { createDiffieHellman } from "node:crypto"
import { fileURLToPath } from "node:url"
import { PhoneCalls } from "@tgphone/core"
import { DhGroup, Fingerprint, KeyExchange, SecureRandom } from "@tgphone/crypto"
import { LoopbackServer, TestTelegram } from "@tgphone/testkit"
import { Context, Effect, Layer, Redacted, Stream } from "effect"
import { type Backend, backends } from "./backends.js"

const HANDSHAKES = 60
const CRYPTO_ROUNDS = 60

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** The crypto of one whole handshake, both sides. */
const cryptoHandshake = (group: DhGroup.DhGroup, serverRandom: Uint8Array) =>
  Effect.gen(function* () {
    const a = yield* KeyExchange.generateKeyPair(group, serverRandom)
    const hash = Fingerprint.gAHash(a.publicValue)
    const b = yield* KeyExchange.generateKeyPair(group, serverRandom)
    const keyA = yield* KeyExchange.computeSharedKey(group, a.secret, b.publicValue)
    const fingerprint = Fingerprint.keyFingerprint(Redacted.value(keyA))
    yield* Effect.fromResult(Fingerprint.verifyGAHash(a.publicValue, hash))
    const keyB = yield* KeyExchange.computeSharedKey(group, b.secret, a.publicValue)
    yield* Effect.fromResult(Fingerprint.verifyKeyFingerprint(Redacted.value(keyB), fingerprint))
    Fingerprint.emojiFingerprint(Redacted.value(keyA), a.publicValue)
    Fingerprint.emojiFingerprint(Redacted.value(keyB), a.publicValue)
  })

const program = (backend: Backend) =>
  Effect.scoped(
    Effect.gen(function* () {
      const world = yield* TestTelegram.make({ seed: "bench" })
      const alice = yield* world.addUser({ firstName: "Alice", username: "alice" })
      const bob = yield* world.addUser({ firstName: "Bob", username: "bobby" })
      const server = yield* LoopbackServer.serve(world, { echoResultUpdates: false })
      const connect = (user: TestTelegram.TestUser) =>
        Effect.gen(function* () {
          const rpc = backend.layer({
            apiId: 1,
            apiHash: Redacted.make("loopback"),
            session: yield* server.mintSession(user.id),
            server: { ip: server.host, port: server.port, dcId: 2 },
            requestTimeout: "10 seconds"
          })
          const context = yield* Layer.build(
            PhoneCalls.layer().pipe(Layer.provide(Layer.merge(rpc, SecureRandom.layer)))
          )
          return Context.get(context, PhoneCalls.PhoneCalls)
        })
      const aliceCalls = yield* connect(alice)
      const bobCalls = yield* connect(bob)
      const incoming = yield* bobCalls.listen
      // Bob accepts every call for the whole run.
      yield* Effect.forkScoped(
        Stream.runForEach(incoming, (call) =>
          Effect.forkScoped(
            Effect.scoped(Effect.flatMap(call.accept(), (active) => active.ended)).pipe(Effect.ignore)
          )
        )
      )
      const oneCall = Effect.scoped(
        Effect.gen(function* () {
          const call = yield* aliceCalls.call("@bobby")
          yield* call.hangUp
        })
      )
      // warm-up: DH config cached, JIT warm. Run alone, this is the first handshake in the
      // process: it also pays OpenSSL's DH_check of the group (see `dhCheck` below)
      let t = performance.now()
      yield* oneCall
      const first = performance.now() - t
      // what `createDiffieHellman` costs for Telegram's prime, measured on a fresh object (the
      // SDK's native backend makes one per group and process, then re-keys it)
      t = performance.now()
      createDiffieHellman(DhGroup.telegramPrime(), 3)
      const dhCheck = performance.now() - t

      const group = yield* Effect.fromResult(DhGroup.telegram(3))
      const serverRandom = new Uint8Array(256).fill(0x5a)
      const crypto = cryptoHandshake(group, serverRandom).pipe(Effect.provide(SecureRandom.layer))
      yield* crypto

      // Alternate the subject and the baseline so both see the same machine load.
      const wire: Array<number> = []
      const pure: Array<number> = []
      for (let round = 0; round < Math.max(HANDSHAKES, CRYPTO_ROUNDS); round++) {
        t = performance.now()
        yield* oneCall
        wire.push(performance.now() - t)
        t = performance.now()
        yield* crypto
        pure.push(performance.now() - t)
      }
      return {
        wire: median(wire),
        pure: median(pure),
        wireMin: Math.min(...wire),
        pureMin: Math.min(...pure),
        first,
        dhCheck
      }
    })
  )

/**
 * Runs the benchmark and prints its figures.
 */
export const run = async (): Promise<void> => {
  for (const backend of backends) {
    const r = await Effect.runPromise(program(backend))
    console.log(
      `handshakes over loopback (Alice calls Bob, two ${backend.name} clients, TCP): ${HANDSHAKES} rounds`
    )
    console.log(
      `  one handshake over the wire: median ${r.wire.toFixed(2)} ms  (${(1000 / r.wire).toFixed(1)}/s)`
    )
    console.log(
      `  its pure crypto, in process: median ${r.pure.toFixed(2)} ms  (${(1000 / r.pure).toFixed(1)}/s)`
    )
    console.log(
      `  ratio wire / crypto: ${(r.wire / r.pure).toFixed(2)}x (min/min ${(r.wireMin / r.pureMin).toFixed(2)}x)`
    )
    console.log(
      `  first handshake of the run: ${r.first.toFixed(1)} ms (${(r.first / r.wire).toFixed(1)}x the median); ` +
        `OpenSSL's DH_check in createDiffieHellman (once per group and process): ${r.dhCheck.toFixed(1)} ms`
    )
  }
  console.log(`node ${process.version}; subject and crypto alternate round by round in one process`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
