/**
 * Rate the last call and send its debug log, as official clients do when the server asks for
 * it (`needRating` / `needDebug` on the discarded call).
 *
 *   npx tsx examples/rate-last-call.ts
 *
 * By default Alice calls Bob in a loopback world, Bob (played by this program) answers and
 * hangs up, and Alice rates the call 4 stars and saves a debug log. The world records both.
 *
 * Live: `TG_API_ID=… TG_API_HASH=… TG_SESSION=… TG_PEER=@someone npx tsx examples/rate-last-call.ts`
 * calls TG_PEER, waits until the call ends (at most `TG_HOLD_SECONDS`, default 30), then rates
 * it `TG_RATING` stars (default 5) and saves the debug log.
 */
import { Phone, PhoneCalls, type TelegramRpc } from "@tgphone/core"
import { Config, Console, Duration, Effect, Option, Stream } from "effect"
import * as Env from "./_shared/env.js"

/** A finished call, as the app remembers it: enough to rate it later. */
export interface LastCall {
  readonly id: bigint
  readonly accessHash: bigint
  readonly durationSeconds: number
  readonly needRating: boolean
  readonly needDebug: boolean
}

/**
 * The application code, part 1: make a call and remember it once it has ended (the peer hung
 * up, or we did after `holdFor`).
 */
export const callAndRemember = (peer: TelegramRpc.UserRef, holdFor: Duration.Input) =>
  Effect.gen(function* () {
    const started = Date.now()
    const { call, ended } = yield* Effect.scoped(
      Effect.gen(function* () {
        const call = yield* PhoneCalls.call(peer)
        yield* Console.log(`talking (emoji ${call.emojis.join(" ")})…`)
        const ended = yield* Effect.timeoutOption(call.ended, holdFor)
        return { call, ended }
      })
    )
    // We hung up by leaving the scope if the peer did not; `call.ended` now holds the final state.
    const final = Option.isSome(ended) ? ended.value : yield* call.ended
    yield* Console.log(`call ended by ${final.by} (${final.reason}); rating wanted: ${final.needRating}`)
    return {
      id: call.id,
      accessHash: call.accessHash,
      durationSeconds: Math.round((Date.now() - started) / 1000),
      needRating: final.needRating,
      needDebug: final.needDebug
    } satisfies LastCall
  })

/**
 * The application code, part 2: rate the call (`phone.setCallRating`) and send the client's
 * debug log (`phone.saveCallDebug`, JSON text). Both work on a call that has ended.
 */
export const rateCall = (last: LastCall, stars: number, comment: string) =>
  Effect.gen(function* () {
    const peer = { id: last.id, accessHash: last.accessHash }
    yield* Phone.setCallRating({ peer, rating: stars, comment, userInitiative: !last.needRating })
    yield* Console.log(`rated call ${last.id}: ${"★".repeat(stars)}${"☆".repeat(5 - stars)} "${comment}"`)
    // What a media layer would log; any JSON object is accepted.
    const debugLog = { duration: last.durationSeconds, transport: "loopback", packetsLost: 0 }
    yield* Phone.saveCallDebug({ peer, debug: JSON.stringify(debugLog) })
    yield* Console.log(`saved the debug log of call ${last.id}`)
  })

/** Default mode: Alice calls Bob, Bob hangs up, Alice rates the call. Returns the world's record. */
export const loopback = Effect.scoped(
  Effect.gen(function* () {
    const { signIn, users, world } = yield* Env.loopback((world) =>
      Effect.all({
        alice: world.addUser({ firstName: "Alice", username: "alice_demo" }),
        bob: world.addUser({ firstName: "Bob", username: "bob_demo" })
      })
    )
    const { alice, bob } = users
    const aliceAccount = yield* signIn(alice)
    const bobAccount = yield* signIn(bob)

    // Bob answers the first call and hangs up after half a second.
    const incoming = yield* PhoneCalls.PhoneCalls.use((calls) => calls.listen).pipe(
      Effect.provide(bobAccount)
    )
    yield* Effect.forkChild(
      Effect.scoped(
        Effect.gen(function* () {
          const offered = yield* Stream.runHead(incoming)
          if (Option.isSome(offered)) {
            yield* offered.value.accept()
            yield* Effect.sleep("500 millis")
          }
        })
      ).pipe(Effect.provide(bobAccount))
    )

    const last = yield* callAndRemember("@bob_demo", "10 seconds").pipe(Effect.provide(aliceAccount))
    yield* rateCall(last, 4, "a bit of echo").pipe(Effect.provide(aliceAccount))
    return { last, feedback: yield* world.feedback }
  })
)

/** Live mode: call `TG_PEER`, then rate that call. */
export const live = Effect.gen(function* () {
  const peer = yield* Env.liveSetting("TG_PEER")
  const hold = yield* Config.Int("TG_HOLD_SECONDS").pipe(Config.withDefault(30))
  const stars = yield* Config.Int("TG_RATING").pipe(Config.withDefault(5))
  return yield* Effect.gen(function* () {
    const last = yield* callAndRemember(peer, Duration.seconds(hold))
    yield* rateCall(last, stars, "rated by the tgphone example")
    return last
  }).pipe(Effect.provide(Env.liveLayer()))
})

/** The program `npx tsx examples/rate-last-call.ts` runs: `live` when the `TG_*` variables are set, `loopback` otherwise. */
export const main = Env.choose({ loopback, live })

Env.runIfMain(import.meta.url, main)
