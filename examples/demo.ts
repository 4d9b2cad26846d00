/**
 * The main demo: a whole end-to-end encrypted 1:1 call between two real GramJS clients.
 *
 * 1. An in-memory Telegram (`TestTelegram`) with two users, Alice and Bob, behind a real
 *    MTProto 2.0 server on 127.0.0.1 (`LoopbackServer`).
 * 2. Each user connects with a stock GramJS `TelegramClient` through tgphone's live layer
 *    (`@tgphone/core/GramJs`), over TCP.
 * 3. Alice calls Bob; Bob's device acknowledges and he accepts; both sides run the
 *    Diffie–Hellman exchange and verify it (`PhoneCalls`); both print the same 4 emoji and
 *    key fingerprint; Alice rates the call; Alice hangs up and Bob sees the call end.
 *
 * Run it: `npx pnpm@10.34.9 demo` (or `npx tsx examples/demo.ts`).
 */
import { fileURLToPath } from "node:url"
import { PhoneCalls } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import { SecureRandom } from "@tgphone/crypto"
import { LoopbackServer, TestTelegram } from "@tgphone/testkit"
import { Clock, Context, Effect, Fiber, Layer, Redacted, Stream } from "effect"

/** What the demo returns (the test checks it). */
export interface DemoResult {
  readonly alice: { readonly emojis: ReadonlyArray<string>; readonly fingerprint: bigint }
  readonly bob: { readonly emojis: ReadonlyArray<string>; readonly fingerprint: bigint }
  readonly callId: bigint
  readonly rating: number | undefined
  readonly bobSawEnd: string
}

/**
 * The demo as an Effect. `log` receives each line (the command prints them).
 */
export const demo = (log: (line: string) => void = console.log): Effect.Effect<DemoResult, unknown> =>
  Effect.scoped(
    Effect.gen(function* () {
      const start = yield* Clock.currentTimeMillis
      const step = (who: string, text: string) =>
        Effect.map(Clock.currentTimeMillis, (now) =>
          log(`${`+${String(now - start)} ms`.padStart(9)}  ${who.padEnd(6)} ${text}`)
        )

      // 1. The world and its server.
      const world = yield* TestTelegram.make({ seed: "demo" })
      const alice = yield* world.addUser({ firstName: "Alice", username: "alice", phone: "+15550001" })
      const bob = yield* world.addUser({ firstName: "Bob", username: "bobby", phone: "+15550002" })
      const server = yield* LoopbackServer.serve(world, { echoResultUpdates: false })
      yield* step("server", `MTProto 2.0 loopback server listening on ${server.host}:${server.port}`)

      // 2. Two real GramJS clients, each behind tgphone's live layer.
      const connect = (user: TestTelegram.TestUser) =>
        Effect.gen(function* () {
          const session = yield* server.mintSession(user.id)
          const rpc = GramJs.layer({
            apiId: 1,
            apiHash: Redacted.make("loopback"),
            session,
            server: { ip: server.host, port: server.port, dcId: 2 },
            requestTimeout: "10 seconds"
          })
          const context = yield* Layer.build(
            PhoneCalls.layer().pipe(Layer.provide(Layer.merge(rpc, SecureRandom.layer)))
          )
          yield* step(user.firstName, "connected (GramJS TelegramClient over TCP)")
          return Context.get(context, PhoneCalls.PhoneCalls)
        })
      const aliceCalls = yield* connect(alice)
      const bobCalls = yield* connect(bob)

      // 3. Bob listens for calls and accepts the first one.
      const incoming = yield* bobCalls.listen
      const bobSide = yield* Effect.forkChild(
        Effect.gen(function* () {
          const call = yield* Effect.fromOption(yield* Stream.runHead(incoming))
          yield* step("Bob", `incoming call from user ${call.callerId} — ringing, accepting`)
          const active = yield* call.accept()
          yield* step("Bob", `call active, key verified (g_a matches g_a_hash, fingerprint matches)`)
          return active
        })
      )

      // 4. Alice calls Bob.
      const aliceCall = yield* aliceCalls.call("@bobby", {
        onState: (state) => step("Alice", `call state: ${state._tag}`)
      })
      const bobCall = yield* Fiber.join(bobSide)

      const show = (who: string, call: PhoneCalls.ActiveCall) =>
        step(who, `emoji ${call.emojis.join(" ")}   fingerprint ${call.keyFingerprint}`)
      yield* show("Alice", aliceCall)
      yield* show("Bob", bobCall)
      const same =
        aliceCall.emojis.join("") === bobCall.emojis.join("") &&
        aliceCall.keyFingerprint === bobCall.keyFingerprint
      yield* step("both", same ? "the emoji and fingerprints match: no one is in the middle" : "MISMATCH")

      // 5. Alice rates the call and hangs up; Bob sees the end.
      yield* aliceCall.rate(5, "crystal clear")
      yield* step("Alice", "rated the call 5 stars")
      yield* aliceCall.hangUp
      yield* step("Alice", "hung up")
      const ended = yield* bobCall.ended.pipe(Effect.timeout("10 seconds"))
      yield* step(
        "Bob",
        `call ended by the ${ended.by === "peer" ? "peer" : "server"} (reason ${ended.reason})`
      )

      const rating = (yield* world.feedback).find((f) => f._tag === "Rating")
      return {
        alice: { emojis: aliceCall.emojis, fingerprint: aliceCall.keyFingerprint },
        bob: { emojis: bobCall.emojis, fingerprint: bobCall.keyFingerprint },
        callId: aliceCall.id,
        rating: rating?._tag === "Rating" ? rating.rating : undefined,
        bobSawEnd: ended.reason
      }
    })
  )

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  Effect.runPromise(demo()).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("demo failed:", error)
      process.exit(1)
    }
  )
}
