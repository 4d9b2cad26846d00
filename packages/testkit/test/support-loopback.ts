/** Clients of the loopback server for its tests (not a test file itself). */
import { PhoneCalls, TelegramRpc } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import * as Teleproto from "@tgphone/core/Teleproto"
import { SecureRandom } from "@tgphone/crypto"
import { Context, Effect, Layer, Redacted } from "effect"
import { Api, TelegramClient } from "telegram"
import { StringSession } from "telegram/sessions/index.js"
import type * as LoopbackServer from "../src/LoopbackServer.js"

/** An unmodified GramJS client logged in as `userId` on `server`, destroyed with the scope. */
export const stockClient = (
  server: LoopbackServer.Server,
  userId: bigint,
  transport: LoopbackServer.ClientTransport = "full"
) =>
  Effect.gen(function* () {
    const session = yield* server.mintSession(userId)
    return yield* Effect.acquireRelease(
      Effect.promise(async () => {
        const client = new TelegramClient(
          new StringSession(Redacted.value(session)),
          1,
          "loopback", // the loopback server takes any api id and hash
          server.clientOptions({ transport })
        )
        await client.connect()
        return client
      }),
      (client) => Effect.promise(() => client.destroy())
    )
  })

/**
 * One side of a call over `server`: tgphone's live layer of `backend` (GramJS by default)
 * logged in as `userId`, with `PhoneCalls` (given `phoneCalls` options) on it and a seeded
 * `SecureRandom`; built in the caller's scope.
 */
export const liveSide = (
  server: LoopbackServer.Server,
  userId: bigint,
  seed: string,
  options: { readonly backend?: "GramJs" | "Teleproto"; readonly phoneCalls?: PhoneCalls.Options } = {}
) =>
  Effect.gen(function* () {
    const liveOptions = {
      apiId: 1,
      apiHash: Redacted.make("loopback"),
      session: yield* server.mintSession(userId),
      server: { ip: server.host, port: server.port, dcId: 2 },
      requestTimeout: "10 seconds"
    } as const
    const rpc: Layer.Layer<
      TelegramRpc.TelegramRpc,
      Layer.Error<ReturnType<typeof GramJs.layer>> | Layer.Error<ReturnType<typeof Teleproto.layer>>
    > = options.backend === "Teleproto" ? Teleproto.layer(liveOptions) : GramJs.layer(liveOptions)
    const context = yield* Layer.build(
      Layer.merge(
        PhoneCalls.layer(options.phoneCalls).pipe(
          Layer.provide(Layer.merge(rpc, SecureRandom.layerTest(seed)))
        ),
        rpc
      )
    )
    return {
      calls: Context.get(context, PhoneCalls.PhoneCalls),
      rpc: Context.get(context, TelegramRpc.TelegramRpc)
    }
  })

/** The `phoneCallProtocol` the loopback tests' stock GramJS clients offer (layers 65–92, 9.0.0). */
export const gramjsProtocol = () =>
  new Api.PhoneCallProtocol({
    udpP2p: true,
    udpReflector: true,
    minLayer: 65,
    maxLayer: 92,
    libraryVersions: ["9.0.0"]
  })
