/** A stock GramJS client for the loopback tests (not a test file itself). */
import { Effect, Redacted } from "effect"
import { TelegramClient } from "telegram"
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
