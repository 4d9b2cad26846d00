/**
 * Retry on flood wait. tgphone never sleeps on a `FLOOD_WAIT_X` by itself (GramJS's
 * `floodSleepThreshold` is 0 in its layers): the error arrives as `FloodWait` with
 * `retryAfter`, and you choose a `Schedule`.
 *
 *   npx tsx examples/flood-wait-retry.ts
 *
 * Two ways are shown:
 * - `Errors.floodWaitSchedule({ maxWait, times })`: retries only flood waits no longer than
 *   `maxWait`, waiting exactly `retryAfter` each time;
 * - a hand-written `Schedule` doing the same, to adapt (add jitter, log, cap the total…).
 *
 * By default Alice calls Bob in a loopback world where her first two `phone.requestCall`s get
 * `420 FLOOD_WAIT_1`; the third goes through and Bob (played by this program) answers.
 *
 * Live: `TG_API_ID=… TG_API_HASH=… TG_SESSION=… npx tsx examples/flood-wait-retry.ts` fetches
 * the call configuration of your account with the retry (a real flood wait is unlikely).
 */
import { Errors, Phone, PhoneCalls, type TelegramRpc } from "@tgphone/core"
import { Console, Duration, Effect, Option, Schedule, Stream } from "effect"
import * as Env from "./_shared/env.js"

/** Prints each flood wait as it happens (before the schedule decides to wait). */
const logFloodWait = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.tapError(self, (e) =>
    Errors.isFloodWait(e)
      ? Console.log(`  flood wait on ${e.method}: retrying in ${Duration.format(e.retryAfter)}`)
      : Effect.void
  )

/**
 * The application code, way 1: the ready-made schedule. Flood waits longer than a minute
 * are not worth waiting for in an interactive app, so they fail through unchanged.
 */
export const callWithRetry = (peer: TelegramRpc.UserRef) =>
  PhoneCalls.call(peer).pipe(
    logFloodWait,
    Effect.retry(Errors.floodWaitSchedule({ maxWait: "1 minute", times: 3 }))
  )

/**
 * Way 2, by hand: recur while the failure is a `FloodWait` of at most `maxWait`, at most
 * `times` times, each time waiting its `retryAfter`.
 */
export const honourRetryAfter = (maxWait: Duration.Input, times: number) =>
  Schedule.recurs(times).pipe(
    Schedule.setInputType<unknown>(),
    Schedule.while(
      ({ input }) =>
        Errors.isFloodWait(input) &&
        Duration.isLessThanOrEqualTo(input.retryAfter, Duration.fromInputUnsafe(maxWait))
    ),
    Schedule.addDelay(({ input }) =>
      Effect.succeed(Errors.isFloodWait(input) ? input.retryAfter : Duration.zero)
    )
  )

/** Way 2 in use, on a plain phone method. */
export const callConfigWithRetry = Phone.getCallConfig().pipe(
  logFloodWait,
  Effect.retry(honourRetryAfter("30 seconds", 5))
)

/**
 * Default mode: flood waits injected on Alice's first two `requestCall`s and her first
 * `getCallConfig`. Returns how many requests each took and what the call ended with.
 */
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
    yield* Effect.orDie(world.floodWait("phone.requestCall", 1, { user: alice, times: 2 }))
    yield* Effect.orDie(world.floodWait("phone.getCallConfig", 1, { user: alice }))

    // Bob answers the call that finally gets through, and stays until Alice hangs up.
    const incoming = yield* PhoneCalls.PhoneCalls.use((calls) => calls.listen).pipe(
      Effect.provide(bobAccount)
    )
    yield* Effect.forkChild(
      Effect.scoped(
        Effect.gen(function* () {
          const offered = yield* Stream.runHead(incoming)
          if (Option.isSome(offered)) yield* (yield* offered.value.accept()).ended
        })
      ).pipe(Effect.provide(bobAccount))
    )

    yield* Console.log("way 1: PhoneCalls.call with Errors.floodWaitSchedule")
    const emojis = yield* Effect.scoped(
      Effect.gen(function* () {
        const call = yield* callWithRetry("@bob_demo")
        yield* Console.log(`  connected: ${call.emojis.join(" ")}`)
        return call.emojis
      })
    ).pipe(Effect.provide(aliceAccount))
    yield* Console.log("way 2: Phone.getCallConfig with a hand-written schedule")
    const config = yield* callConfigWithRetry.pipe(Effect.provide(aliceAccount))
    yield* Console.log(`  call config: ${config.data.slice(0, 60)}…`)

    const requestCalls = yield* world.requestsOf("phone.requestCall", alice)
    const configCalls = yield* world.requestsOf("phone.getCallConfig", alice)
    return { emojis, requestCallAttempts: requestCalls.length, getCallConfigAttempts: configCalls.length }
  })
)

/** Live mode: the call configuration of your account, retried on flood waits. */
export const live = callConfigWithRetry.pipe(
  Effect.tap((config) => Console.log(`call config: ${config.data}`)),
  Effect.provide(Env.liveLayer())
)

/** The program `npx tsx examples/flood-wait-retry.ts` runs: `live` when the `TG_*` variables are set, `loopback` otherwise. */
export const main = Env.choose({ loopback, live })

Env.runIfMain(import.meta.url, main)
