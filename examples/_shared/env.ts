/**
 * What every example shares: picking the mode (loopback or live), building the layers a
 * tgphone application needs, and running a program from the command line.
 *
 * - **loopback** (the default): an in-memory Telegram (`TestTelegram`) behind a real MTProto
 *   server on 127.0.0.1 (`LoopbackServer`). Each user of that world gets a real GramJS client
 *   through tgphone's live layer (`GramJs.layer`), exactly as against Telegram.
 * - **live**: when `TG_API_ID`, `TG_API_HASH` and `TG_SESSION` are set, the examples talk to
 *   Telegram with `GramJs.layerConfig()` (which reads those variables) and only ever act as
 *   that account.
 */
import { pathToFileURL } from "node:url"
import { type Errors, PhoneCalls, type TelegramRpc } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import { SecureRandom } from "@tgphone/crypto"
import { LoopbackServer, TestTelegram, type TestTelegramError } from "@tgphone/testkit"
import { Cause, Config, Console, type Context, Effect, Exit, Layer, Redacted, type Scope } from "effect"

/** Everything an example's application code may ask for. */
export type Services = TelegramRpc.TelegramRpc | GramJs.GramJsClient | PhoneCalls.PhoneCalls

/** One signed-in account, ready to provide to a program: `program.pipe(Effect.provide(alice))`. */
export type Account = Context.Context<Services>

/**
 * Whether the `TG_*` variables of a live run are set. Only their presence is checked here;
 * `GramJs.layerConfig()` reads and validates them (`TG_SESSION` stays `Redacted`).
 */
export const isLive: Effect.Effect<boolean> = Effect.sync(
  () =>
    process.env.TG_API_ID !== undefined &&
    process.env.TG_API_HASH !== undefined &&
    process.env.TG_SESSION !== undefined
)

/** A required variable of a live run (e.g. `TG_PEER`), read through Effect's `Config`. */
export const liveSetting = (name: string): Effect.Effect<string, Config.ConfigError> => Config.String(name)

/**
 * The services of the account in `TG_*`: the GramJS live layer (connects on acquire,
 * disconnects and destroys the client on release), the handshake service and the platform's
 * CSPRNG for the key exchange.
 */
export const liveLayer = (options?: PhoneCalls.Options) =>
  PhoneCalls.layer(options).pipe(Layer.provideMerge(GramJs.layerConfig()), Layer.provide(SecureRandom.layer))

/** A running loopback world: the in-memory Telegram, its server, the cast, and a way to sign in. */
export interface Loopback<Users> {
  readonly world: TestTelegram.Service
  readonly server: LoopbackServer.Server
  /** What `setup` returned (usually the users it added). */
  readonly users: Users
  /**
   * Signs `user` in over TCP: mints a session on the server and builds tgphone's GramJS live
   * layer with it, plus `PhoneCalls`. The client is destroyed when the scope closes.
   */
  readonly signIn: (
    user: TestTelegram.TestUser,
    options?: PhoneCalls.Options
  ) => Effect.Effect<
    Account,
    TelegramRpc.RpcError | Errors.TransportFailure | GramJs.SessionInvalid | LoopbackServer.UnknownAccount,
    Scope.Scope
  >
}

/**
 * Starts a loopback world: an in-memory Telegram (`TestTelegram.make`), set up by `setup`
 * (add users, contacts, blocks…), then served over MTProto on 127.0.0.1. Users added in
 * `setup` are accounts of the server from the start, so anyone can look them up by
 * username. `echoResultUpdates: false` because tgphone's GramJS layer already forwards the
 * updates carried in RPC results itself. A `TestTelegramError` from `setup` is a bug in the
 * example, so it is a defect.
 */
export const loopback = <Users>(
  setup: (world: TestTelegram.Service) => Effect.Effect<Users, TestTelegramError.TestTelegramError>,
  options?: TestTelegram.Options
): Effect.Effect<Loopback<Users>, LoopbackServer.ListenError, Scope.Scope> =>
  Effect.gen(function* () {
    const world = yield* TestTelegram.make(options)
    const users = yield* Effect.orDie(setup(world))
    const server = yield* LoopbackServer.serve(world, { echoResultUpdates: false })
    const signIn = (user: TestTelegram.TestUser, callOptions?: PhoneCalls.Options) =>
      Effect.gen(function* () {
        const session = yield* server.mintSession(user.id)
        const rpc = GramJs.layer({
          apiId: 1, // the loopback server accepts any api id and hash
          apiHash: Redacted.make("loopback"),
          session,
          server: { ip: server.host, port: server.port, dcId: 2 },
          requestTimeout: "10 seconds"
        })
        const services = PhoneCalls.layer(callOptions).pipe(
          Layer.provideMerge(rpc),
          Layer.provide(SecureRandom.layer)
        )
        return yield* Layer.build(services)
      })
    return { world, server, users, signIn }
  })

/**
 * Picks the mode: `live` when the `TG_*` variables are set, `loopback` otherwise.
 */
export const choose = <A1, E1, A2, E2>(modes: {
  readonly loopback: Effect.Effect<A1, E1>
  readonly live: Effect.Effect<A2, E2>
}): Effect.Effect<A1 | A2, E1 | E2> =>
  Effect.flatMap(
    isLive,
    (live): Effect.Effect<A1 | A2, E1 | E2> =>
      live
        ? Effect.andThen(Console.log("mode: live (TG_* variables are set)"), modes.live)
        : Effect.andThen(Console.log("mode: loopback (an in-memory Telegram on 127.0.0.1)"), modes.loopback)
  )

/**
 * Runs `program` when the module is the script Node was started with (`npx tsx examples/x.ts`),
 * and does nothing when it is imported (by the test suite). A failure is printed and makes the
 * process exit with code 1.
 */
export const runIfMain = <A, E>(moduleUrl: string, program: Effect.Effect<A, E>): void => {
  const entry = process.argv[1]
  if (entry === undefined || pathToFileURL(entry).href !== moduleUrl) return
  void Effect.runPromiseExit(program).then((exit) => {
    if (Exit.isFailure(exit)) {
      console.error(Cause.pretty(exit.cause))
      process.exitCode = 1
    }
  })
}
