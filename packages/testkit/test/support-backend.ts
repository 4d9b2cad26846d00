/**
 * Backends for the shared suite (`test/suite/`): the same world reached in memory
 * (`world.layerFor(user)`) or over the real MTProto wire (a `LoopbackServer` serving the world,
 * and one live layer per user pointed at 127.0.0.1: `@tgphone/core/GramJs`, layer 198, or
 * `@tgphone/core/Teleproto`, layer 229).
 */
import { createHash } from "node:crypto"
import { type Model, PhoneCalls, type RpcMethods, TelegramRpc } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import * as Teleproto from "@tgphone/core/Teleproto"
import * as Tl from "@tgphone/core/Tl"
import { PhoneCallProtocol, SecureRandom } from "@tgphone/crypto"
import { Context, Effect, Layer, Redacted, type Scope, Semaphore } from "effect"
import * as TeleprotoLib from "teleproto"
import { _serverKeys as teleprotoKeys } from "teleproto/crypto/RSA.js"
import { testRsaKey } from "../src/internal/mtproto/handshake.js"
import * as LoopbackServer from "../src/LoopbackServer.js"
import * as TestTelegram from "../src/TestTelegram.js"

/** How a test reaches the world: a `TelegramRpc` layer per user. */
export interface Clients {
  readonly layerFor: (user: TestTelegram.TestUser) => Layer.Layer<TelegramRpc.TelegramRpc>
  /** A second, independent client of `user`'s account (another session), fresh per use. */
  readonly anotherClient: (user: TestTelegram.TestUser) => Layer.Layer<TelegramRpc.TelegramRpc>
}

/** One way of reaching the world; `setup` lives in the test's scope and cleans up after it. */
export interface Backend {
  readonly name: "in-memory" | "loopback" | "loopback-teleproto"
  readonly setup: (world: TestTelegram.Service) => Effect.Effect<Clients, never, Scope.Scope>
}

/** The world's own `TelegramRpc` per user. */
export const inMemory: Backend = {
  name: "in-memory",
  setup: (world) =>
    Effect.succeed({
      layerFor: (user) => Layer.orDie(world.layerFor(user)),
      anotherClient: (user) => Layer.orDie(world.layerFor(user))
    })
}

/** The options every live layer of the suite gets: a minted session and the loopback server. */
interface LiveOptions {
  readonly apiId: number
  readonly apiHash: Redacted.Redacted<string>
  readonly session: Redacted.Redacted<string>
  readonly server: { readonly ip: string; readonly port: number; readonly dcId: number }
  readonly requestTimeout: "10 seconds"
}

/**
 * One loopback server per test (result updates not echoed: tgphone's live layers forward them
 * themselves) and, per user, one live layer from `live` with a minted session, connected on
 * first use and disconnected when the test's scope closes (before the server stops).
 */
const overLoopback = (
  name: "loopback" | "loopback-teleproto",
  prepare: Effect.Effect<void>,
  live: (options: LiveOptions) => Layer.Layer<TelegramRpc.TelegramRpc, unknown>
): Backend => ({
  name,
  setup: (world) =>
    Effect.gen(function* () {
      yield* prepare
      const scope = yield* Effect.scope
      const server = yield* Effect.orDie(LoopbackServer.serve(world, { echoResultUpdates: false }))
      const lock = yield* Semaphore.make(1)
      const connected = new Map<bigint, TelegramRpc.TelegramRpc["Service"]>()
      const connect = (user: TestTelegram.TestUser) =>
        Effect.map(server.mintSession(user.id), (session) =>
          live({
            apiId: 1,
            apiHash: Redacted.make("loopback"),
            session,
            server: { ip: server.host, port: server.port, dcId: 2 },
            requestTimeout: "10 seconds"
          })
        )
      const rpcFor = (user: TestTelegram.TestUser) =>
        lock
          .withPermits(1)(
            Effect.suspend(() => {
              const known = connected.get(user.id)
              if (known !== undefined) return Effect.succeed(known)
              return Effect.gen(function* () {
                const context = yield* Layer.buildWithScope(yield* connect(user), scope)
                const rpc = Context.get(context, TelegramRpc.TelegramRpc)
                connected.set(user.id, rpc)
                return rpc
              })
            })
          )
          .pipe(Effect.orDie)
      return {
        layerFor: (user) => Layer.effect(TelegramRpc.TelegramRpc, rpcFor(user)),
        anotherClient: (user) =>
          Layer.effect(
            TelegramRpc.TelegramRpc,
            Effect.flatMap(connect(user), Layer.build).pipe(
              Effect.map((context) => Context.get(context, TelegramRpc.TelegramRpc)),
              Effect.orDie
            )
          )
      }
    })
})

/** The world behind the loopback server, reached with `@tgphone/core/GramJs` (layer 198). */
export const loopback: Backend = overLoopback("loopback", Effect.void, (options) => GramJs.layer(options))

/** teleproto checks the server's RSA key against its own table: add the test server's key. */
const trustTestKeyInTeleproto = Effect.sync(() => {
  const key = testRsaKey()
  teleprotoKeys.set(key.fingerprint.toString(), {
    n: TeleprotoLib.helpers.readBigIntFromBuffer(Buffer.from(key.n), false, false),
    e: key.e
  })
})

/** The world behind the loopback server, reached with `@tgphone/core/Teleproto` (layer 229). */
export const loopbackTeleproto: Backend = overLoopback(
  "loopback-teleproto",
  trustTestKeyInTeleproto,
  (options) => Teleproto.layer(options)
)

/** All three backends, for `describe.each`. */
export const backends: ReadonlyArray<Backend> = [inMemory, loopback, loopbackTeleproto]

/** A world with Alice, Bob and Carol, reached through `backend`. */
export interface Scene {
  readonly world: TestTelegram.Service
  readonly alice: TestTelegram.TestUser
  readonly bob: TestTelegram.TestUser
  readonly carol: TestTelegram.TestUser
  readonly clients: Clients
  /** Runs `effect` as `user` through the backend. */
  readonly as: (
    user: TestTelegram.TestUser
  ) => <A, E>(effect: Effect.Effect<A, E, TelegramRpc.TelegramRpc>) => Effect.Effect<A, E>
  /** A `PhoneCalls` service for `user` over the backend, living in the test's scope. */
  readonly phoneCalls: (
    user: TestTelegram.TestUser,
    options?: PhoneCalls.Options
  ) => Effect.Effect<PhoneCalls.PhoneCalls["Service"], never, Scope.Scope>
}

/** Builds the three-user world and connects `backend` to it. */
export const scene = (
  backend: Backend,
  options?: TestTelegram.Options
): Effect.Effect<Scene, never, Scope.Scope> =>
  Effect.gen(function* () {
    const world = yield* TestTelegram.make({ seed: `suite-${backend.name}`, ...options })
    const alice = yield* Effect.orDie(
      world.addUser({ firstName: "Alice", username: "alice_a", phone: "+15550001" })
    )
    const bob = yield* Effect.orDie(
      world.addUser({ firstName: "Bob", username: "bob_b", phone: "+15550002" })
    )
    const carol = yield* Effect.orDie(
      world.addUser({ firstName: "Carol", username: "carol_c", phone: "+15550003" })
    )
    const clients = yield* backend.setup(world)
    const as =
      (user: TestTelegram.TestUser) =>
      <A, E>(effect: Effect.Effect<A, E, TelegramRpc.TelegramRpc>) =>
        Effect.provide(effect, clients.layerFor(user))
    const phoneCalls = (user: TestTelegram.TestUser, callOptions?: PhoneCalls.Options) =>
      Effect.map(
        Layer.build(
          PhoneCalls.layer(callOptions).pipe(
            Layer.provide(
              Layer.merge(clients.layerFor(user), SecureRandom.layerTest(`${backend.name}-${user.id}`))
            )
          )
        ),
        (context) => Context.get(context, PhoneCalls.PhoneCalls)
      )
    return { world, alice, bob, carol, clients, as, phoneCalls }
  })

/** `TelegramRpc.invoke` of the current user (the seam, below `Phone.*`'s local checks). */
export const invoke = <M extends RpcMethods.MethodName>(method: M, params: RpcMethods.MethodParams<M>) =>
  TelegramRpc.TelegramRpc.use((rpc) => rpc.invoke(method, params))

/** A modern client's protocol as a `Phone.*` input. */
/**
 * Whether TL layer `layer` (its shipped schema, as a backend's codec reads it) has constructor
 * `name` and, when given, its parameter `param`: the TL data, not a literal "first layer".
 */
export const layerHas = (layer: number, name: string, param?: string): boolean => {
  const def = Tl.schema(layer).byName.get(name)
  return def !== undefined && (param === undefined || def.params.some((p) => p.name === param))
}

export const protocolInput = {
  udpP2p: true,
  udpReflector: true,
  minLayer: 65,
  maxLayer: 92,
  libraryVersions: ["9.0.0", "11.0.0"]
}

/** The same protocol as the model class the seam carries. */
export const protocol = new PhoneCallProtocol(protocolInput)

/** Dummy key-exchange values (the world does not check them beyond `SHA-256(g_a)`). */
export const gA = new Uint8Array(256).fill(7)
export const gAHash = new Uint8Array(createHash("sha256").update(gA).digest())
export const gB = new Uint8Array(256).fill(9)

/** The `InputPhoneCall` of a call that still has an access hash. */
export const refOf = (call: Model.PhoneCall): { readonly id: bigint; readonly accessHash: bigint } => {
  if (call._tag === "PhoneCallEmpty" || call._tag === "PhoneCallDiscarded")
    throw new Error(`no access hash on ${call._tag}`)
  return { id: call.id, accessHash: call.accessHash }
}
