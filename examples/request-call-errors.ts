/**
 * Handle every error `phone.requestCall` documents, and tell the user what to do about it.
 *
 *   npx tsx examples/request-call-errors.ts
 *
 * `PhoneCalls.call`'s error channel is a union of tagged classes: the errors Telegram
 * documents for each method of the handshake, the generic ones (flood wait, unauthorised,
 * transport, …), the crypto checks and the call's own outcomes. `Effect.catchTags` handles
 * them by name, and the compiler rejects a tag the call cannot fail with.
 *
 * By default Alice calls a cast of loopback users, each set up to cause one error: one with
 * strict privacy, one who blocked her, a deleted account, a client without call support,
 * herself, someone whose device is offline, and Bob, who declines. The errors a world cannot
 * cause on its own (a duplicate random id, a server-side failure, a flood wait…) are injected
 * with `world.failNext`. Every one of them crosses the real MTProto wire.
 *
 * Live: `TG_API_ID=… TG_API_HASH=… TG_SESSION=… TG_PEER=@someone npx tsx examples/request-call-errors.ts`
 * calls TG_PEER once and prints the advice for whatever happens (hangs up at once if they answer).
 */
import { PhoneCalls, type TelegramRpc } from "@tgphone/core"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { Console, Duration, Effect, Stream } from "effect"
import * as Env from "./_shared/env.js"

/** How a call attempt ended, and what to tell the user. */
export interface Outcome {
  readonly tag: string
  readonly advice: string
}

const outcome = (tag: string, advice: string): Effect.Effect<Outcome> => Effect.succeed({ tag, advice })

/**
 * The application code: call `peer` (hang up at once if it connects) and turn every failure
 * into advice. The first nine handlers are exactly the errors Telegram documents for
 * `phone.requestCall`.
 */
export const callWithAdvice = (peer: TelegramRpc.UserRef, options?: PhoneCalls.CallOptions) =>
  Effect.scoped(PhoneCalls.call(peer, options)).pipe(
    Effect.flatMap(() => outcome("Connected", "the call went through")),
    Effect.catchTags({
      // --- documented for phone.requestCall ---
      UserPrivacyRestricted: () =>
        outcome(
          "UserPrivacyRestricted",
          "they only take calls from some people: send them a message instead"
        ),
      UserIsBlocked: () => outcome("UserIsBlocked", "they blocked you: you cannot call them"),
      InputUserDeactivated: () => outcome("InputUserDeactivated", "this account was deleted"),
      ParticipantVersionOutdated: () =>
        outcome("ParticipantVersionOutdated", "their app cannot take calls: ask them to update Telegram"),
      UserIdInvalid: () =>
        outcome("UserIdInvalid", "that is not someone you can call (yourself, or an unknown id)"),
      RandomIdDuplicate: () => outcome("RandomIdDuplicate", "a retry reused a random id: just call again"),
      ParticipantCallFailed: () =>
        outcome("ParticipantCallFailed", "Telegram could not reach them: try later"),
      CallProtocolFlagsInvalid: () =>
        outcome(
          "CallProtocolFlagsInvalid",
          "this app's call protocol is misconfigured (P2P/reflector flags)"
        ),
      CallProtocolLayerInvalid: () =>
        outcome("CallProtocolLayerInvalid", "this app's call protocol is misconfigured (layer range)"),
      // --- generic errors any method can fail with ---
      FloodWait: (e) =>
        outcome(
          "FloodWait",
          `too many calls: wait ${Duration.format(e.retryAfter)} (see flood-wait-retry.ts)`
        ),
      Unauthorized: (e) =>
        outcome("Unauthorized", `the session is no longer valid (${e.type}): log in again`),
      TransportFailure: () => outcome("TransportFailure", "no connection to Telegram: check the network"),
      InvalidInput: (e) => outcome("InvalidInput", `a bug in this app: ${e.field} ${e.problem}`),
      // --- how the call itself can end before it is active ---
      CallDiscarded: (e) =>
        outcome(
          "CallDiscarded",
          e.reason === "Busy" ? "they declined or are busy" : `the call ended (${e.reason})`
        ),
      CallTimeout: (e) =>
        outcome(
          "CallTimeout",
          e.phase === "receive"
            ? "their phone seems offline"
            : e.phase === "ring"
              ? "no answer"
              : "could not connect"
        )
    }),
    // Everything else (server errors, crypto check failures, an undocumented answer): one message.
    Effect.catch((e) => outcome(e._tag, `the call failed: ${e.message}`)),
    Effect.tap((o) => Console.log(`${String(peer).padEnd(16)} → ${o.tag.padEnd(26)} ${o.advice}`))
  )

/** Error types the world cannot cause by itself; the loopback run injects each once. */
const injected = [
  { code: 400, type: "RANDOM_ID_DUPLICATE" },
  { code: 500, type: "PARTICIPANT_CALL_FAILED" },
  { code: 400, type: "CALL_PROTOCOL_FLAGS_INVALID" },
  { code: 400, type: "CALL_PROTOCOL_LAYER_INVALID" },
  { code: 420, type: "FLOOD_WAIT_42" }
] as const

/** Default mode: one call per situation; returns every outcome in order. */
export const loopback = Effect.scoped(
  Effect.gen(function* () {
    const { signIn, users, world } = yield* Env.loopback((world) =>
      Effect.gen(function* () {
        const add = (firstName: string) =>
          world.addUser({ firstName, username: `${firstName.toLowerCase()}_demo` })
        const alice = yield* add("Alice")
        const bob = yield* add("Bob")
        const dave = yield* add("Dave")
        const erin = yield* add("Erin")
        const frank = yield* add("Frank")
        const grace = yield* add("Grace")
        yield* add("Henry")
        yield* world.setPrivacy(dave, { allow: "nobody" })
        yield* world.block(erin, alice)
        yield* world.deactivate(frank)
        yield* world.setClientProtocol(grace, null) // an app without call support
        return { alice, bob }
      })
    )
    const { alice, bob } = users

    // Henry never signs in, so his device never acknowledges: a short receive timeout shows it.
    const aliceAccount = yield* signIn(alice, { timeouts: { receive: Duration.seconds(1) } })
    const bobAccount = yield* signIn(bob)

    // Bob declines whoever calls.
    const incoming = yield* PhoneCalls.PhoneCalls.use((calls) => calls.listen).pipe(
      Effect.provide(bobAccount)
    )
    yield* Effect.forkChild(
      Stream.runForEach(incoming, (call) => call.decline).pipe(Effect.ignore, Effect.provide(bobAccount))
    )

    const attempt = (peer: string, options?: PhoneCalls.CallOptions) =>
      callWithAdvice(peer, options).pipe(Effect.provide(aliceAccount))
    const outcomes: Array<Outcome> = []
    for (const peer of [
      "@dave_demo",
      "@erin_demo",
      "@frank_demo",
      "@grace_demo",
      "@alice_demo",
      "@henry_demo"
    ]) {
      outcomes.push(yield* attempt(peer))
    }
    outcomes.push(yield* attempt("@bob_demo"))
    for (const error of injected) {
      yield* Effect.orDie(world.failNext("phone.requestCall", error, { user: alice }))
      outcomes.push(yield* attempt("@bob_demo"))
    }
    // A protocol the SDK refuses to send: caught before anything goes over the wire.
    const broken = new PhoneCallProtocol({
      udpP2p: false,
      udpReflector: false,
      minLayer: 65,
      maxLayer: 92,
      libraryVersions: ["11.0.0"]
    })
    outcomes.push(yield* attempt("@bob_demo", { protocol: broken }))
    return outcomes
  })
)

/** Live mode: one call to `TG_PEER`, with advice for whatever happens. */
export const live = Effect.gen(function* () {
  const peer = yield* Env.liveSetting("TG_PEER")
  return yield* callWithAdvice(peer).pipe(Effect.provide(Env.liveLayer()))
})

/** The program `npx tsx examples/request-call-errors.ts` runs: `live` when the `TG_*` variables are set, `loopback` otherwise. */
export const main = Env.choose({ loopback, live })

Env.runIfMain(import.meta.url, main)
