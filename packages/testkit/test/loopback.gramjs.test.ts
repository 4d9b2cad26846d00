/**
 * Stock GramJS clients (no tgphone core) against the loopback server over TCP.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, type Scope } from "effect"
import { Api, TelegramClient } from "telegram"
import { FloodWaitError, RPCError } from "telegram/errors/index.js"
import { Raw } from "telegram/events/index.js"
import { StringSession } from "telegram/sessions/index.js"
import { toLong } from "../src/internal/mtproto/tl.js"
import * as LoopbackServer from "../src/LoopbackServer.js"
import { stockClient } from "./support-loopback.js"

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
const connect = stockClient

const withServer = <A, E>(
  f: (server: LoopbackServer.Server) => Effect.Effect<A, E, Scope.Scope>,
  options: LoopbackServer.Options = {}
) =>
  // the server lives in the test's scope
  Effect.gen(function* () {
    const server = yield* LoopbackServer.make({ accounts: [alice, bob], handler, ...options })
    return yield* f(server)
  })

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
        assert.strictEqual(dh.ok && dh.value instanceof Api.messages.DhConfig && dh.value.g, 3)

        const me = yield* Effect.promise(() => a.getMe())
        assert.strictEqual(me.id.toString(), "1001")
        assert.strictEqual(me.firstName, "Alice")

        const declined = yield* invoke(
          a,
          new Api.phone.DiscardCall({
            peer: new Api.InputPhoneCall({ id: toLong(1n), accessHash: toLong(2n) }),
            duration: 0,
            reason: new Api.PhoneCallDiscardReasonHangup(),
            connectionId: toLong(0n)
          })
        )
        assert.isFalse(declined.ok)
        if (!declined.ok) {
          assert.instanceOf(declined.error, RPCError)
          assert.strictEqual((declined.error as RPCError).code, 400)
          assert.strictEqual((declined.error as RPCError).errorMessage, "CALL_ALREADY_DECLINED")
        }

        const flood = yield* invoke(
          a,
          new Api.phone.SetCallRating({
            peer: new Api.InputPhoneCall({ id: toLong(1n), accessHash: toLong(2n) }),
            rating: 5,
            comment: ""
          })
        )
        assert.isFalse(flood.ok)
        if (!flood.ok) {
          assert.instanceOf(flood.error, FloodWaitError)
          assert.strictEqual((flood.error as FloodWaitError).seconds, 7)
        }

        const unknown = yield* invoke(a, new Api.help.GetAppConfig({ hash: 0 }))
        assert.strictEqual(!unknown.ok && (unknown.error as RPCError).errorMessage, "METHOD_NOT_SUPPORTED")

        const defect = yield* invoke(a, new Api.help.GetPremiumPromo())
        assert.strictEqual(!defect.ok && (defect.error as RPCError).code, 500)

        const stats = yield* server.stats
        assert.strictEqual(stats.newSessionsCreated, 1)
        assert.strictEqual(stats.badServerSaltsSent, 1) // the first message carries salt 0
      })
    )
  )

  it.live("pushes updates to another client's Raw handler", () =>
    withServer((server) =>
      Effect.gen(function* () {
        yield* connect(server, alice.userId)
        const b = yield* connect(server, bob.userId)
        const received = yield* Deferred.make<Api.UpdatePhoneCall>()
        b.addEventHandler(
          (update: Api.TypeUpdate) => {
            if (update instanceof Api.UpdatePhoneCall) Deferred.doneUnsafe(received, Effect.succeed(update))
          },
          new Raw({ types: [Api.UpdatePhoneCall] })
        )
        // the handler's first dispatch makes GramJS call users.getUsers([inputUserSelf]) itself
        const update = new Api.UpdatePhoneCall({
          phoneCall: new Api.PhoneCallRequested({
            id: toLong(77n),
            accessHash: toLong(78n),
            date: 1_700_000_000,
            adminId: toLong(alice.userId),
            participantId: toLong(bob.userId),
            gAHash: Buffer.alloc(32, 1),
            protocol: new Api.PhoneCallProtocol({
              minLayer: 65,
              maxLayer: 92,
              libraryVersions: ["9.0.0"],
              udpP2p: true
            })
          })
        })
        const delivered = yield* server.push(bob.userId, new Api.UpdateShort({ update, date: 1_700_000_000 }))
        assert.strictEqual(delivered, 1)
        const got = yield* Deferred.await(received).pipe(Effect.timeout("5 seconds"))
        assert.instanceOf(got.phoneCall, Api.PhoneCallRequested)
        assert.strictEqual(got.phoneCall.id.toString(), "77")
        // Alice has no handler for it and Bob got exactly his own push
        assert.strictEqual((yield* server.stats).updatesPushed, 1)
      })
    )
  )

  it.live("gzips large results and updates (gzip_packed outbound)", () =>
    withServer(
      (server) =>
        Effect.gen(function* () {
          const a = yield* connect(server, alice.userId)
          const before = (yield* server.stats).gzipPackedSent
          const r = yield* invoke(a, new Api.phone.GetCallConfig())
          assert.strictEqual(
            r.ok && r.value instanceof Api.DataJSON && JSON.parse(r.value.data).pad.length,
            4000
          )
          // the result came packed
          assert.strictEqual((yield* server.stats).gzipPackedSent, before + 1)
        }),
      { gzipMinBytes: 0 }
    )
  )

  it.live("recovers from bad_server_salt after a salt rotation", () =>
    withServer((server) =>
      Effect.gen(function* () {
        const a = yield* connect(server, alice.userId)
        const before = (yield* server.stats).badServerSaltsSent
        yield* server.rotateSalt
        const r = yield* invoke(
          a,
          new Api.phone.ReceivedCall({
            peer: new Api.InputPhoneCall({ id: toLong(1n), accessHash: toLong(2n) })
          })
        )
        assert.isTrue(r.ok && r.value)
        assert.strictEqual((yield* server.stats).badServerSaltsSent, before + 1)
      })
    )
  )

  it.live("serves a stock client on TCP Abridged", () =>
    withServer((server) =>
      Effect.gen(function* () {
        const a = yield* connect(server, alice.userId, "abridged")
        const r = yield* invoke(a, new Api.messages.GetDhConfig({ version: 0, randomLength: 256 }))
        assert.isTrue(r.ok && r.value instanceof Api.messages.DhConfig)
      })
    )
  )

  it.live("lets a fresh client create an auth key and log in with a code", () =>
    withServer((server) =>
      Effect.gen(function* () {
        yield* LoopbackServer.trustTestRsaKey
        const carol: LoopbackServer.Account = {
          userId: 1003n,
          accessHash: 0x3333n,
          firstName: "Carol",
          phone: "+999 661 0003"
        }
        yield* server.addAccount(carol)
        const client = yield* Effect.acquireRelease(
          Effect.sync(() => new TelegramClient(new StringSession(""), 1, "loopback", server.clientOptions())),
          (c) => Effect.promise(() => c.destroy())
        )
        yield* Effect.promise(() => client.connect())
        assert.strictEqual((yield* server.stats).authKeysCreated, 1)
        // not logged in yet: GramJS's own check (updates.getState) gets 401
        const state = yield* invoke(client, new Api.updates.GetState())
        assert.strictEqual(!state.ok && (state.error as RPCError).errorMessage, "AUTH_KEY_UNREGISTERED")
        // GramJS asks for the code through a Promise callback: run the lookup with this test's services
        const runWithTest = Effect.runPromiseWith(yield* Effect.context<never>())
        yield* Effect.promise(() =>
          client.start({
            phoneNumber: "+9996610003",
            phoneCode: () => runWithTest(server.loginCode("+9996610003")).then((c) => c ?? ""),
            onError: (e) => {
              throw e
            }
          })
        )
        const me = yield* Effect.promise(() => client.getMe())
        assert.strictEqual(me.id.toString(), "1003")
        const saved = client.session.save() as unknown as string
        assert.isTrue(saved.startsWith("1"))
      })
    )
  )

  it.live("a dropped connection is re-established by GramJS and pending work resumes", () =>
    withServer((server) =>
      Effect.gen(function* () {
        const a = yield* connect(server, alice.userId)
        assert.strictEqual(yield* server.disconnect(alice.userId), 1)
        const r = yield* invoke(a, new Api.messages.GetDhConfig({ version: 0, randomLength: 256 }))
        assert.isTrue(r.ok && r.value instanceof Api.messages.DhConfig)
        const stats = yield* server.stats
        assert.strictEqual(stats.connectionsAccepted, 2)
        assert.strictEqual(stats.newSessionsCreated, 2) // GramJS starts a new session after reconnecting
      })
    )
  )

  it.live("refuses to mint a session for an unknown account", () =>
    withServer((server) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(server.mintSession(999n))
        assert.strictEqual(error._tag, "UnknownAccount")
        assert.strictEqual(error.userId, 999n)
      })
    )
  )
})
