/**
 * Use a GramJS `TelegramClient` you already have. `GramJs.layerFromClient(client)` builds
 * `TelegramRpc` over it without taking ownership: releasing the layer removes tgphone's update
 * handler, and the client stays connected for the rest of your app.
 *
 *   npx tsx examples/existing-client.ts
 *
 * By default the client is a stock `TelegramClient` connected to a loopback world; Alice
 * reads the call configuration and calls Bob (played by this program) through it.
 *
 * Live: `TG_API_ID=… TG_API_HASH=… TG_SESSION=… npx tsx examples/existing-client.ts` creates and
 * connects a `TelegramClient` the usual GramJS way, then reads your account's call
 * configuration and DH parameters through tgphone (no call is placed).
 */
import { Phone, PhoneCalls } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import { SecureRandom } from "@tgphone/crypto"
import { Config, Console, Effect, Layer, Option, Redacted, Stream } from "effect"
import { TelegramClient } from "telegram"
import { StringSession } from "telegram/sessions/index.js"
import * as Env from "./_shared/env.js"

/** tgphone's services over a client you own (connected, logged in). */
export const servicesFor = (client: TelegramClient) =>
  PhoneCalls.layer().pipe(
    Layer.provideMerge(GramJs.layerFromClient(client, { requestTimeout: "10 seconds" })),
    Layer.provide(SecureRandom.layer)
  )

/** The application code: a few reads through tgphone. */
export const describeAccount = Effect.gen(function* () {
  const config = yield* Phone.getCallConfig()
  const timeouts = JSON.parse(config.data) as Record<string, unknown>
  const dh = yield* Phone.getDhConfig({ version: 0, randomLength: 256 })
  const summary = {
    ringTimeoutMs: timeouts.call_ring_timeout_ms,
    dhVersion: dh._tag === "DhConfig" ? dh.version : undefined
  }
  yield* Console.log(
    `call config: ring timeout ${String(summary.ringTimeoutMs)} ms, DH group version ${summary.dhVersion}`
  )
  return summary
})

/** Your client, your lifecycle: connect on acquire, `destroy()` on release (GramJS keeps timers otherwise). */
const ownClient = (make: () => TelegramClient) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = make()
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.destroy())
  )

/** Default mode: a stock client of Alice's in a loopback world, used through tgphone. */
export const loopback = Effect.scoped(
  Effect.gen(function* () {
    const { server, signIn, users } = yield* Env.loopback((world) =>
      Effect.all({
        alice: world.addUser({ firstName: "Alice", username: "alice_demo" }),
        bob: world.addUser({ firstName: "Bob", username: "bob_demo" })
      })
    )
    // The app's own client, created the GramJS way (the loopback server's options pin 127.0.0.1).
    const session = yield* server.mintSession(users.alice.id)
    const client = yield* ownClient(
      () =>
        new TelegramClient(new StringSession(Redacted.value(session)), 1, "loopback", server.clientOptions())
    )
    const bobAccount = yield* signIn(users.bob)
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

    const result = yield* Effect.gen(function* () {
      const summary = yield* describeAccount
      const emojis = yield* Effect.scoped(Effect.map(PhoneCalls.call("@bob_demo"), (call) => call.emojis))
      yield* Console.log(`called Bob through the existing client: ${emojis.join(" ")}`)
      return { ...summary, emojis }
    }).pipe(Effect.provide(servicesFor(client)))

    // The layer is released, but the client is still ours and still connected.
    const me = yield* Effect.promise(() => client.getMe())
    yield* Console.log(`the client is still connected as ${me.firstName}`)
    return { ...result, stillConnectedAs: me.firstName }
  })
)

/** Live mode: a client built from the `TG_*` variables, the way a GramJS app already does it. */
export const live = Effect.scoped(
  Effect.gen(function* () {
    const apiId = yield* Config.Int("TG_API_ID")
    const apiHash = yield* Config.Redacted("TG_API_HASH")
    const session = yield* Config.Redacted("TG_SESSION")
    const client = yield* ownClient(
      () =>
        new TelegramClient(new StringSession(Redacted.value(session)), apiId, Redacted.value(apiHash), {
          floodSleepThreshold: 0, // let flood waits reach your code as FloodWait
          connectionRetries: 2
        })
    )
    return yield* describeAccount.pipe(Effect.provide(servicesFor(client)))
  })
)

/** The program `npx tsx examples/existing-client.ts` runs: `live` when the `TG_*` variables are set, `loopback` otherwise. */
export const main = Env.choose({ loopback, live })

Env.runIfMain(import.meta.url, main)
