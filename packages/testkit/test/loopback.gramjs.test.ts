/**
 * Stock GramJS clients (no tgphone core) against the loopback server over TCP.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Redacted, type Scope } from "effect"
import { Api, TelegramClient } from "telegram"
import { FloodWaitError, RPCError } from "telegram/errors/index.js"
import { Raw } from "telegram/events/index.js"
import { StringSession } from "telegram/sessions/index.js"
import * as LoopbackServer from "../src/LoopbackServer.js"

const alice: LoopbackServer.Account = {
  userId: 1001n,
  accessHash: 0x1111n,
  firstName: "Alice",
  username: "alice",
  phone: "+999 661 0001"
}
const bob: LoopbackServer.Account = {
  userId: 1002n,
  accessHash: 0x2222n,
  firstName: "Bob",
  username: "bob",
  phone: "+999 661 0002"
}

const dhConfig = new Api.messages.DhConfig({
  g: 3,
  p: Buffer.alloc(256, 0xff),
  version: 1,
  random: Buffer.alloc(256, 7)
})

const handler: LoopbackServer.Handler = ({ request }) => {
  if (request instanceof Api.messages.GetDhConfig) return Effect.succeed(dhConfig)
  if (request instanceof Api.phone.DiscardCall)
    return Effect.fail(LoopbackServer.rpcError(400, "CALL_ALREADY_DECLINED"))
  if (request instanceof Api.phone.SetCallRating) return Effect.fail(LoopbackServer.floodWait(7))
  if (request instanceof Api.phone.ReceivedCall) return Effect.succeed(true)
  if (request instanceof Api.phone.GetCallConfig)
    return Effect.succeed(new Api.DataJSON({ data: JSON.stringify({ pad: "x".repeat(4000) }) }))
  if (request instanceof Api.help.GetPremiumPromo) return Effect.die("boom")
  return Effect.succeed(undefined)
}

/** A connected stock client for an account; destroyed when the scope closes. */
const connect = (
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
          "loopback",
          server.clientOptions({ transport })
        )
        await client.connect()
        return client
      }),
      (client) => Effect.promise(() => client.destroy())
    )
  })

const withServer = <A, E>(
  f: (server: LoopbackServer.Server) => Effect.Effect<A, E, Scope.Scope>,
  options: LoopbackServer.Options = {}
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const server = yield* LoopbackServer.make({ accounts: [alice, bob], handler, ...options })
      return yield* f(server)
    })
  )

const invoke = <R extends Api.AnyRequest>(client: TelegramClient, request: R) =>
  Effect.promise(() =>
    client.invoke(request).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error })
    )
  )

describe("LoopbackServer with stock GramJS clients", () => {
  it.live("answers requests, errors and flood waits over TCP Full", () =>
    withServer((server) =>
      Effect.gen(function* () {
        const a = yield* connect(server, alice.userId)
        const dh = yield* invoke(a, new Api.messages.GetDhConfig({ version: 0, randomLength: 256 }))
        expect(dh.ok && dh.value instanceof Api.messages.DhConfig && dh.value.g).toBe(3)

        const me = yield* Effect.promise(() => a.getMe())
        expect(me.id.toString()).toBe("1001")
        expect(me.firstName).toBe("Alice")

        const declined = yield* invoke(
          a,
          new Api.phone.DiscardCall({
            peer: new Api.InputPhoneCall({ id: 1n as never, accessHash: 2n as never }),
            duration: 0,
            reason: new Api.PhoneCallDiscardReasonHangup(),
            connectionId: 0n as never
          })
        )
        expect(declined.ok).toBe(false)
        if (!declined.ok) {
          expect(declined.error).toBeInstanceOf(RPCError)
          expect((declined.error as RPCError).code).toBe(400)
          expect((declined.error as RPCError).errorMessage).toBe("CALL_ALREADY_DECLINED")
        }

        const flood = yield* invoke(
          a,
          new Api.phone.SetCallRating({
            peer: new Api.InputPhoneCall({ id: 1n as never, accessHash: 2n as never }),
            rating: 5,
            comment: ""
          })
        )
        expect(flood.ok).toBe(false)
        if (!flood.ok) {
          expect(flood.error).toBeInstanceOf(FloodWaitError)
          expect((flood.error as FloodWaitError).seconds).toBe(7)
        }

        const unknown = yield* invoke(a, new Api.help.GetAppConfig({ hash: 0 }))
        expect(!unknown.ok && (unknown.error as RPCError).errorMessage).toBe("METHOD_NOT_SUPPORTED")

        const defect = yield* invoke(a, new Api.help.GetPremiumPromo())
        expect(!defect.ok && (defect.error as RPCError).code).toBe(500)

        const stats = yield* server.stats
        expect(stats.newSessionsCreated).toBe(1)
        expect(stats.badServerSaltsSent).toBeGreaterThanOrEqual(1) // the first message carries salt 0
      })
    )
  )
})
