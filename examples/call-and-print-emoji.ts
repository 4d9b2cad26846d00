/**
 * Call a user and print the 4 emoji and the key fingerprint.
 *
 *   npx tsx examples/call-and-print-emoji.ts
 *
 * By default Alice calls Bob in a loopback world (an in-memory Telegram behind a real MTProto
 * server on 127.0.0.1); this program also plays Bob, who answers. Both sides print their emoji:
 * they match, because both derived the same key.
 *
 * Live: `TG_API_ID=… TG_API_HASH=… TG_SESSION=… TG_PEER=@someone npx tsx examples/call-and-print-emoji.ts`
 * calls TG_PEER from your account, prints the emoji once they answer, and hangs up after
 * `TG_HOLD_SECONDS` (default 15) or when they hang up.
 */
import { PhoneCalls, type TelegramRpc } from "@tgphone/core"
import { Config, Console, Duration, Effect, Fiber, Option, Stream } from "effect"
import * as Env from "./_shared/env.js"

/** What one side of a call saw. */
export interface CallSummary {
  readonly callId: bigint
  readonly emojis: ReadonlyArray<string>
  /** `key_fingerprint` as 16 hex digits. */
  readonly fingerprint: string
}

/** The TL `long` fingerprint as 16 hex digits (how clients show it). */
export const hexFingerprint = (fingerprint: bigint): string =>
  BigInt.asUintN(64, fingerprint).toString(16).padStart(16, "0")

/**
 * The application code: call `peer`, print the emoji and the fingerprint, keep the call for
 * `holdFor` (or until the peer hangs up), then hang up. It only needs `PhoneCalls`, so it runs
 * unchanged against Telegram, the loopback server or the in-memory test kit.
 */
export const callAndPrintEmoji = (peer: TelegramRpc.UserRef, holdFor: Duration.Input = Duration.zero) =>
  Effect.scoped(
    Effect.gen(function* () {
      // The whole handshake: DH config, g_a_hash, ringing, g_b, key check, confirmCall.
      const call = yield* PhoneCalls.call(peer, {
        onState: (state) => Console.log(`  caller: ${state._tag}`)
      })
      const summary: CallSummary = {
        callId: call.id,
        emojis: call.emojis,
        fingerprint: hexFingerprint(call.keyFingerprint)
      }
      yield* Console.log(`caller sees emoji ${call.emojis.join(" ")}  fingerprint ${summary.fingerprint}`)
      // Compare the emoji aloud with the other person: equal emoji = no man in the middle.
      yield* Effect.raceFirst(Effect.asVoid(call.ended), Effect.sleep(holdFor))
      return summary
    })
  ) // leaving the scope hangs up (reason Hangup)

/**
 * The other party, for the loopback run: answer the first incoming call, print the emoji,
 * stay on the line until the caller hangs up.
 */
export const answerFirstCall = (incoming: Stream.Stream<PhoneCalls.IncomingCall>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const offered = yield* Stream.runHead(incoming)
      if (Option.isNone(offered)) return yield* Effect.die("the incoming-call stream ended")
      const call = yield* offered.value.accept()
      yield* Console.log(
        `callee sees emoji ${call.emojis.join(" ")}  fingerprint ${hexFingerprint(call.keyFingerprint)}`
      )
      yield* call.ended
      return {
        callId: call.id,
        emojis: call.emojis,
        fingerprint: hexFingerprint(call.keyFingerprint)
      } satisfies CallSummary
    })
  )

/** Default mode: Alice calls Bob over the loopback server; returns what each side saw. */
export const loopback = Effect.scoped(
  Effect.gen(function* () {
    const { signIn, users } = yield* Env.loopback((world) =>
      Effect.all({
        alice: world.addUser({ firstName: "Alice", username: "alice_demo" }),
        bob: world.addUser({ firstName: "Bob", username: "bob_demo" })
      })
    )
    const { alice, bob } = users
    const aliceAccount = yield* signIn(alice)
    const bobAccount = yield* signIn(bob)

    // Bob listens before Alice dials, so his device cannot miss the call.
    const incoming = yield* PhoneCalls.PhoneCalls.use((calls) => calls.listen).pipe(
      Effect.provide(bobAccount)
    )
    const bobSide = yield* Effect.forkChild(answerFirstCall(incoming).pipe(Effect.provide(bobAccount)))

    const caller = yield* callAndPrintEmoji("@bob_demo").pipe(Effect.provide(aliceAccount))
    const callee = yield* Fiber.join(bobSide)
    yield* Console.log(caller.emojis.join() === callee.emojis.join() ? "emoji match ✔" : "EMOJI DIFFER ✘")
    return { caller, callee }
  })
)

/** Live mode: call `TG_PEER` from the account in `TG_SESSION`. */
export const live = Effect.gen(function* () {
  const peer = yield* Env.liveSetting("TG_PEER")
  const hold = yield* Config.Int("TG_HOLD_SECONDS").pipe(Config.withDefault(15))
  return yield* callAndPrintEmoji(peer, Duration.seconds(hold)).pipe(Effect.provide(Env.liveLayer()))
})

/** The program `npx tsx examples/call-and-print-emoji.ts` runs: `live` when the `TG_*` variables are set, `loopback` otherwise. */
export const main = Env.choose({ loopback, live })

Env.runIfMain(import.meta.url, main)
