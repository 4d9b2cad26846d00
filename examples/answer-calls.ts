/**
 * Answer incoming calls: accept calls from your contacts, decline everybody else.
 *
 *   npx tsx examples/answer-calls.ts
 *
 * By default Alice answers in a loopback world; this program also plays Bob (one of Alice's
 * contacts, who is accepted) and Carol (a stranger, who is declined and sees reason Busy).
 *
 * Live: `TG_API_ID=… TG_API_HASH=… TG_SESSION=… npx tsx examples/answer-calls.ts` answers
 * `TG_ANSWER_CALLS` calls (default 1) within `TG_LISTEN_SECONDS` (default 120) on your
 * account, using your Telegram contact list; accepted calls are hung up after
 * `TG_HOLD_SECONDS` (default 15).
 */
import { PhoneCalls } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import { Config, Console, Duration, Effect, Fiber, Stream } from "effect"
import { Api, helpers } from "telegram"
import * as Env from "./_shared/env.js"

/** What the answering machine did with one call. */
export type Decision =
  | { readonly _tag: "Accepted"; readonly callerId: bigint; readonly emojis: ReadonlyArray<string> }
  | { readonly _tag: "Declined"; readonly callerId: bigint }
  | { readonly _tag: "Failed"; readonly callerId: bigint; readonly error: string }

/** Settings of `answerCalls`. */
export interface AnswerOptions {
  /** Your address book: whether `userId` is one of your contacts. */
  readonly isContact: (userId: bigint) => Effect.Effect<boolean>
  /** How many calls to handle before returning. */
  readonly calls: number
  /** How long to stay on an accepted call unless the caller hangs up first. */
  readonly holdFor: Duration.Input
}

/** Accepts one call, prints its emoji, stays on the line, hangs up (by leaving the scope). */
const acceptAndTalk = (call: PhoneCalls.IncomingCall, holdFor: Duration.Input) =>
  Effect.scoped(
    Effect.gen(function* () {
      const active = yield* call.accept()
      yield* Console.log(`accepted a call from ${call.callerId}: emoji ${active.emojis.join(" ")}`)
      yield* Effect.raceFirst(Effect.asVoid(active.ended), Effect.sleep(holdFor))
      return { _tag: "Accepted", callerId: call.callerId, emojis: active.emojis } satisfies Decision
    })
  )

/**
 * The application code: handle the next `calls` incoming calls, each on its own fiber (a call
 * from a stranger is declined even while you talk to a contact). Get `incoming` from
 * `PhoneCalls.listen`, which subscribes at once: no call that arrives after it is missed.
 */
export const answerCalls = (incoming: Stream.Stream<PhoneCalls.IncomingCall>, options: AnswerOptions) =>
  Effect.gen(function* () {
    yield* Console.log(`answering the next ${options.calls} call(s)…`)
    return yield* incoming.pipe(
      Stream.take(options.calls),
      Stream.mapEffect(
        (call): Effect.Effect<Decision> =>
          Effect.gen(function* () {
            if (!(yield* options.isContact(call.callerId))) {
              yield* call.decline // reason Busy, as official clients send
              yield* Console.log(`declined a call from ${call.callerId} (not a contact)`)
              return { _tag: "Declined", callerId: call.callerId } satisfies Decision
            }
            return yield* acceptAndTalk(call, options.holdFor)
          }).pipe(
            // A failed call must not stop the answering machine: report it and go on.
            Effect.catch((error) =>
              Effect.as(Console.log(`call from ${call.callerId} failed: ${error.message}`), {
                _tag: "Failed",
                callerId: call.callerId,
                error: error._tag
              } satisfies Decision)
            )
          ),
        { concurrency: "unbounded" }
      ),
      Stream.runCollect
    )
  })

/**
 * Default mode: Alice answers two calls. Bob (her contact) is accepted, Carol is declined.
 * Returns Alice's decisions and what each caller saw.
 */
export const loopback = Effect.scoped(
  Effect.gen(function* () {
    const { signIn, users, world } = yield* Env.loopback((world) =>
      Effect.gen(function* () {
        const alice = yield* world.addUser({ firstName: "Alice", username: "alice_demo" })
        const bob = yield* world.addUser({ firstName: "Bob", username: "bob_demo" })
        const carol = yield* world.addUser({ firstName: "Carol", username: "carol_demo" })
        yield* world.addContact(alice, bob)
        return { alice, bob, carol }
      })
    )
    const { alice, bob, carol } = users
    const [aliceAccount, bobAccount, carolAccount] = yield* Effect.all([
      signIn(alice),
      signIn(bob),
      signIn(carol)
    ])

    // Alice's address book. Against Telegram it is `contacts.getContacts` (see `live`); here it
    // is read straight from the world that plays Telegram.
    const isContact = (userId: bigint) =>
      Effect.map(world.user(alice.id), (me) => me._tag === "Some" && me.value.contacts.includes(userId))

    const incoming = yield* PhoneCalls.PhoneCalls.use((calls) => calls.listen).pipe(
      Effect.provide(aliceAccount)
    )
    const machine = yield* Effect.forkChild(
      answerCalls(incoming, { isContact, calls: 2, holdFor: "10 seconds" }).pipe(Effect.provide(aliceAccount))
    )

    // Bob calls, hears the emoji and hangs up after a moment.
    const bobCall = yield* Effect.scoped(
      Effect.gen(function* () {
        const call = yield* PhoneCalls.call("@alice_demo")
        yield* Effect.sleep("200 millis")
        return { _tag: "Connected" as const, emojis: call.emojis }
      })
    ).pipe(Effect.provide(bobAccount))

    // Carol calls and is declined: her call ends with `CallDiscarded`, reason Busy.
    const carolCall = yield* Effect.scoped(PhoneCalls.call("@alice_demo")).pipe(
      Effect.map(() => ({ _tag: "Connected" as const })),
      Effect.catchTag("CallDiscarded", (e) =>
        Effect.succeed({ _tag: "Discarded" as const, reason: e.reason })
      ),
      Effect.provide(carolAccount)
    )
    yield* Console.log(`Carol's call ended: ${JSON.stringify(carolCall)}`)

    const decisions = yield* Fiber.join(machine)
    return { decisions, bobCall, carolCall, bobId: bob.id, carolId: carol.id }
  })
)

/** Live mode: answer calls on the account in `TG_SESSION`, accepting only its contacts. */
export const live = Effect.gen(function* () {
  const calls = yield* Config.Int("TG_ANSWER_CALLS").pipe(Config.withDefault(1))
  const listen = yield* Config.Int("TG_LISTEN_SECONDS").pipe(Config.withDefault(120))
  const hold = yield* Config.Int("TG_HOLD_SECONDS").pipe(Config.withDefault(15))
  return yield* Effect.gen(function* () {
    // The contact list through the GramJS escape hatch (`contacts.getContacts` is not a phone method).
    const gramjs = yield* GramJs.GramJsClient
    const result = yield* gramjs.invokeRaw(new Api.contacts.GetContacts({ hash: helpers.returnBigInt(0) }))
    const contacts = new Set(
      result instanceof Api.contacts.Contacts ? result.contacts.map((c) => BigInt(c.userId.toString())) : []
    )
    yield* Console.log(`${contacts.size} contacts loaded`)
    const incoming = yield* PhoneCalls.PhoneCalls.use((calls) => calls.listen)
    return yield* answerCalls(incoming, {
      isContact: (userId) => Effect.succeed(contacts.has(userId)),
      calls,
      holdFor: Duration.seconds(hold)
    }).pipe(Effect.timeout(Duration.seconds(listen)))
  }).pipe(Effect.scoped, Effect.provide(Env.liveLayer()))
})

/** The program `npx tsx examples/answer-calls.ts` runs: `live` when the `TG_*` variables are set, `loopback` otherwise. */
export const main = Env.choose({ loopback, live })

Env.runIfMain(import.meta.url, main)
