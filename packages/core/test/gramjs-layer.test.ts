import { createServer, type Socket } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Redacted, Scope, Stream, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { Api } from "telegram"
import { AuthKey } from "telegram/crypto/AuthKey.js"
import { FloodWaitError, RPCError, RPCMessageToError } from "telegram/errors/index.js"
import { UpdateConnectionState } from "telegram/network/index.js"
import { StringSession } from "telegram/sessions/index.js"
import { assertMatches } from "../../../test-support/assert.js"
import * as GramJs from "../src/GramJs.js"
import { InputPhoneCall, PhoneCallProtocol } from "../src/Model.js"
import { RpcError, TelegramRpc, TransportError } from "../src/TelegramRpc.js"

// ---- a fake GramJS client -------------------------------------------------------------------

interface Fake {
  readonly client: GramJs.ClientLike
  readonly requests: Array<unknown>
  readonly handlers: Set<(event: unknown) => unknown>
  respond: (request: unknown) => Promise<unknown>
  entity: (ref: unknown) => Promise<unknown>
}

const makeFake = (me: object = new Api.User({ id: 77n as never, self: true })): Fake => {
  const fake: Fake = {
    requests: [],
    handlers: new Set(),
    respond: () => Promise.reject(new Error("no response configured")),
    entity: () => Promise.reject(new Error("no entity configured")),
    client: {
      invoke: (request: never) => {
        fake.requests.push(request)
        return fake.respond(request)
      },
      getMe: () => Promise.resolve(me),
      getInputEntity: (ref: never) => fake.entity(ref),
      addEventHandler: (callback: (event: never) => unknown) => {
        fake.handlers.add(callback as (event: unknown) => unknown)
      },
      removeEventHandler: (callback: (event: never) => unknown) => {
        fake.handlers.delete(callback as (event: unknown) => unknown)
      }
    }
  }
  return fake
}

const push = (fake: Fake, event: unknown) => {
  for (const h of fake.handlers) h(event)
}

const rpcWith = (fake: Fake, options?: GramJs.MakeOptions) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(GramJs.layerFromClient(fake.client, options), scope)
    return { rpc: context.mapUnsafe.get(TelegramRpc.key) as TelegramRpc["Service"], scope }
  })

const peer = new InputPhoneCall({ id: 1n, accessHash: 2n })
const request = new Api.phone.ReceivedCall({
  peer: new Api.InputPhoneCall({ id: 1n as never, accessHash: 2n as never })
})
const fromWire = (errorMessage: string, errorCode: number) =>
  RPCMessageToError({ errorMessage, errorCode } as never, request as never)

// ---- the classifier table -------------------------------------------------------------------

const table: ReadonlyArray<{
  readonly name: string
  readonly error: unknown
  readonly expected:
    | { readonly _tag: "RpcError"; readonly code: number; readonly type: string }
    | { readonly _tag: "TransportError" }
}> = [
  {
    name: "plain RPCError 400",
    error: fromWire("CALL_ALREADY_DECLINED", 400),
    expected: { _tag: "RpcError", code: 400, type: "CALL_ALREADY_DECLINED" }
  },
  {
    name: "plain RPCError 403",
    error: fromWire("USER_PRIVACY_RESTRICTED", 403),
    expected: { _tag: "RpcError", code: 403, type: "USER_PRIVACY_RESTRICTED" }
  },
  {
    name: "406 compat layer",
    error: fromWire("CALL_PROTOCOL_COMPAT_LAYER_INVALID", 406),
    expected: { _tag: "RpcError", code: 406, type: "CALL_PROTOCOL_COMPAT_LAYER_INVALID" }
  },
  {
    name: "401 stays a base RPCError",
    error: fromWire("AUTH_KEY_UNREGISTERED", 401),
    expected: { _tag: "RpcError", code: 401, type: "AUTH_KEY_UNREGISTERED" }
  },
  {
    name: "500 stays a base RPCError",
    error: fromWire("PARTICIPANT_CALL_FAILED", 500),
    expected: { _tag: "RpcError", code: 500, type: "PARTICIPANT_CALL_FAILED" }
  },
  {
    name: "FloodWaitError (errorMessage FLOOD, .seconds)",
    error: fromWire("FLOOD_WAIT_7", 420),
    expected: { _tag: "RpcError", code: 420, type: "FLOOD_WAIT_7" }
  },
  {
    name: "FLOOD_PREMIUM_WAIT becomes FloodWaitError in GramJS",
    error: fromWire("FLOOD_PREMIUM_WAIT_5", 420),
    expected: { _tag: "RpcError", code: 420, type: "FLOOD_WAIT_5" }
  },
  {
    name: "FLOOD_TEST_PHONE_WAIT",
    error: fromWire("FLOOD_TEST_PHONE_WAIT_3", 420),
    expected: { _tag: "RpcError", code: 420, type: "FLOOD_TEST_PHONE_WAIT_3" }
  },
  {
    name: "SLOWMODE_WAIT",
    error: fromWire("SLOWMODE_WAIT_10", 420),
    expected: { _tag: "RpcError", code: 420, type: "SLOWMODE_WAIT_10" }
  },
  {
    name: "USER_MIGRATE (InvalidDCError, code 303)",
    error: fromWire("USER_MIGRATE_4", 303),
    expected: { _tag: "RpcError", code: 303, type: "USER_MIGRATE_4" }
  },
  {
    name: "EMAIL_UNCONFIRMED",
    error: fromWire("EMAIL_UNCONFIRMED_6", 400),
    expected: { _tag: "RpcError", code: 400, type: "EMAIL_UNCONFIRMED_6" }
  },
  {
    name: "RPCError built directly",
    error: new RPCError("GROUPCALL_INVALID", request as never, 400),
    expected: { _tag: "RpcError", code: 400, type: "GROUPCALL_INVALID" }
  },
  {
    name: "RPCError-shaped object from another copy of GramJS",
    error: { code: 400, errorMessage: "CALL_PEER_INVALID" },
    expected: { _tag: "RpcError", code: 400, type: "CALL_PEER_INVALID" }
  },
  {
    name: "request retries exhausted",
    error: new Error("Request was unsuccessful 1 time(s)"),
    expected: { _tag: "TransportError" }
  },
  {
    name: "disconnected client",
    error: new Error("Cannot send requests while disconnected. You need to call .connect()"),
    expected: { _tag: "TransportError" }
  },
  {
    name: "socket error (string code)",
    error: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
    expected: { _tag: "TransportError" }
  },
  { name: "a thrown string", error: "boom", expected: { _tag: "TransportError" } },
  { name: "undefined", error: undefined, expected: { _tag: "TransportError" } },
  {
    name: "RPCError without a message",
    error: { code: 400, errorMessage: "" },
    expected: { _tag: "TransportError" }
  }
]

describe("classifyGramJsError", () => {
  it("GramJS really builds FloodWaitError with errorMessage FLOOD and .seconds", () => {
    const e = fromWire("FLOOD_WAIT_7", 420)
    assert.instanceOf(e, FloodWaitError)
    assert.deepStrictEqual(
      [(e as FloodWaitError).errorMessage, (e as FloodWaitError).seconds, (e as FloodWaitError).code],
      ["FLOOD", 7, 420]
    )
  })

  for (const row of table) {
    it(`classifies: ${row.name}`, () => {
      const failure = GramJs.classifyGramJsError("phone.receivedCall", row.error)
      assert.strictEqual(failure._tag, row.expected._tag)
      assert.strictEqual(failure.method, "phone.receivedCall")
      if (row.expected._tag === "RpcError") {
        assert.instanceOf(failure, RpcError)
        assert.deepStrictEqual(
          { code: (failure as RpcError).code, type: (failure as RpcError).type },
          {
            code: row.expected.code,
            type: row.expected.type
          }
        )
      } else {
        assert.instanceOf(failure, TransportError)
        assert.isAbove((failure as TransportError).message.length, 0)
      }
    })

    it.effect(`invoke through layerFromClient fails the same way: ${row.name}`, () =>
      Effect.gen(function* () {
        const fake = makeFake()
        fake.respond = () => Promise.reject(row.error)
        const { rpc } = yield* rpcWith(fake)
        const exit = yield* Effect.exit(rpc.invoke("phone.receivedCall", { peer }))
        assert.isTrue(Exit.isFailure(exit))
        const failure = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
        assert.strictEqual(failure?._tag, "Fail")
        const error = failure?._tag === "Fail" ? (failure.error as RpcError | TransportError) : undefined
        assert.strictEqual(error?._tag, row.expected._tag)
        if (row.expected._tag === "RpcError" && error?._tag === "RpcError") {
          assert.deepStrictEqual([error.code, error.type], [row.expected.code, row.expected.type])
        }
      })
    )
  }
})

// ---- the live layer over a fake client ------------------------------------------------------

describe("layerFromClient", () => {
  it.effect("reads the account from getMe", () =>
    Effect.gen(function* () {
      const { rpc } = yield* rpcWith(
        makeFake(new Api.User({ id: 5n as never, bot: true, botInfoVersion: 1 }))
      )
      assert.deepStrictEqual(rpc.account, { userId: 5n, isBot: true })
    })
  )

  it.effect("invoke encodes the request and decodes the result", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      fake.respond = (r) =>
        Promise.resolve(r instanceof Api.phone.GetCallConfig ? new Api.DataJSON({ data: '{"a":1}' }) : true)
      const { rpc } = yield* rpcWith(fake)
      assert.strictEqual(yield* rpc.invoke("phone.receivedCall", { peer }), true)
      const sent = fake.requests[0]
      assert.instanceOf(sent, Api.phone.ReceivedCall)
      assert.strictEqual(String((sent as Api.phone.ReceivedCall).peer.className), "InputPhoneCall")
      const config = yield* rpc.invoke("phone.getCallConfig", {})
      assert.strictEqual(config.data, '{"a":1}')
    })
  )

  it.effect("an unexpected result is a TransportError naming the mismatch", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      fake.respond = () => Promise.resolve(new Api.DataJSON({ data: "{}" }))
      const { rpc } = yield* rpcWith(fake)
      const error = yield* Effect.flip(
        rpc.invoke("phone.acceptCall", {
          peer,
          gB: new Uint8Array([1]),
          protocol: new PhoneCallProtocol({
            udpP2p: true,
            udpReflector: true,
            minLayer: 65,
            maxLayer: 92,
            libraryVersions: ["4.0.0"]
          })
        })
      )
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "expected phone.PhoneCall, got DataJSON")
    })
  )

  it.effect("a request that never gets an answer times out with TransportError", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      fake.respond = () => new Promise(() => {})
      const { rpc } = yield* rpcWith(fake, { requestTimeout: "5 seconds" })
      const fiber = yield* Effect.forkChild(Effect.flip(rpc.invoke("phone.receivedCall", { peer })))
      yield* TestClock.adjust("4 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "no answer within 5s")
    })
  )

  it.effect("pushed updates reach every subscriber; unmodelled events are ignored", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      const { rpc, scope } = yield* rpcWith(fake)
      // both subscriptions are live once `subscribe` returns: no yielding before the pushes
      const a = yield* Effect.forkChild((yield* rpc.subscribe).pipe(Stream.take(2), Stream.runCollect))
      const b = yield* Effect.forkChild((yield* rpc.subscribe).pipe(Stream.take(2), Stream.runCollect))
      push(fake, new UpdateConnectionState(1))
      push(fake, new Api.UpdateConfig())
      push(fake, new Api.UpdatePhoneCall({ phoneCall: new Api.PhoneCallEmpty({ id: 1n as never }) }))
      push(fake, new Api.UpdatePhoneCallSignalingData({ phoneCallId: 1n as never, data: Buffer.from([9]) }))
      const expected = [
        { _tag: "UpdatePhoneCall", phoneCall: { _tag: "PhoneCallEmpty", id: 1n } },
        { _tag: "UpdatePhoneCallSignalingData", phoneCallId: 1n, data: new Uint8Array([9]) }
      ]
      assert.deepStrictEqual<unknown>(yield* Fiber.join(a), expected)
      assert.deepStrictEqual<unknown>(yield* Fiber.join(b), expected)
      assert.strictEqual(fake.handlers.size, 1)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(fake.handlers.size, 0)
    })
  )

  it.effect("connection follows GramJS's UpdateConnectionState events, live when it returns", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      const { rpc, scope } = yield* rpcWith(fake)
      const states = yield* rpc.connection
      push(fake, new UpdateConnectionState(UpdateConnectionState.disconnected))
      push(fake, new UpdateConnectionState(UpdateConnectionState.connected))
      push(fake, new UpdateConnectionState(UpdateConnectionState.broken))
      push(fake, new Api.UpdateConfig())
      // a later subscriber starts with the latest state
      const later = yield* rpc.connection
      push(fake, new UpdateConnectionState(UpdateConnectionState.connected))
      assert.deepStrictEqual(yield* Stream.runCollect(Stream.take(states, 5)), [
        "Connected",
        "Disconnected",
        "Connected",
        "Disconnected",
        "Connected"
      ])
      assert.deepStrictEqual(yield* Stream.runCollect(Stream.take(later, 2)), ["Disconnected", "Connected"])
      // connection states are not updates
      const updates = yield* rpc.subscribe
      push(fake, new UpdateConnectionState(UpdateConnectionState.disconnected))
      push(fake, new Api.UpdatePhoneCall({ phoneCall: new Api.PhoneCallEmpty({ id: 3n as never }) }))
      assert.deepStrictEqual(yield* Stream.runCollect(Stream.take(updates, 1)), [
        { _tag: "UpdatePhoneCall", phoneCall: { _tag: "PhoneCallEmpty", id: 3n } }
      ])
      yield* Scope.close(scope, Exit.void)
    })
  )

  it.effect("updates carried in an Updates result are published (GramJS never dispatches them)", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      fake.respond = () =>
        Promise.resolve(
          new Api.Updates({
            updates: [
              new Api.UpdatePhoneCall({
                phoneCall: new Api.PhoneCallDiscarded({
                  id: 1n as never,
                  reason: new Api.PhoneCallDiscardReasonHangup()
                })
              })
            ],
            users: [],
            chats: [],
            date: 0,
            seq: 0
          })
        )
      const { rpc } = yield* rpcWith(fake)
      const sub = yield* Effect.forkChild((yield* rpc.subscribe).pipe(Stream.take(1), Stream.runCollect))
      const result = yield* rpc.invoke("phone.discardCall", {
        video: false,
        peer,
        duration: 3,
        reason: { _tag: "Hangup" },
        connectionId: 0n
      })
      assert.lengthOf(result.updates, 1)
      const [update] = yield* Fiber.join(sub)
      assert.strictEqual(update?._tag, "UpdatePhoneCall")
    })
  )

  it.effect("resolveUser: user peers resolve, other peers and unknown entities are UserNotFound", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      const { rpc } = yield* rpcWith(fake)
      const seen: Array<unknown> = []
      fake.entity = (ref) => {
        seen.push(ref)
        return Promise.resolve(new Api.InputPeerUser({ userId: 10n as never, accessHash: 11n as never }))
      }
      assert.deepStrictEqual(yield* rpc.resolveUser("@alice"), {
        _tag: "InputUser",
        userId: 10n,
        accessHash: 11n
      })
      assert.deepStrictEqual(yield* rpc.resolveUser(10n), { _tag: "InputUser", userId: 10n, accessHash: 11n })
      assert.strictEqual(String(seen[1]), "10")
      const given = { _tag: "InputUser" as const, userId: 1n, accessHash: 2n }
      assert.strictEqual(yield* rpc.resolveUser(given), given)
      assert.lengthOf(seen, 2)

      fake.entity = () =>
        Promise.resolve(new Api.InputPeerChannel({ channelId: 1n as never, accessHash: 2n as never }))
      const channel = yield* Effect.flip(rpc.resolveUser("@channel"))
      assertMatches(channel, { _tag: "UserNotFound", ref: "@channel", reason: "USER_ID_INVALID" })

      fake.entity = () => Promise.reject(new Error('Could not find the input entity for {"userId":"99"}'))
      const missing = yield* Effect.flip(rpc.resolveUser(99n))
      assertMatches(missing, { _tag: "UserNotFound", ref: "99", reason: "USER_ID_INVALID" })

      fake.entity = () => Promise.reject(fromWire("USERNAME_NOT_OCCUPIED", 400))
      const unknown = yield* Effect.flip(rpc.resolveUser("nobody"))
      assertMatches(unknown, { _tag: "UserNotFound", ref: "nobody", reason: "USERNAME_NOT_OCCUPIED" })

      // GramJS rewrites the server's USERNAME_NOT_OCCUPIED into a plain Error
      fake.entity = () => Promise.reject(new Error('No user has "nobody" as username'))
      const rewritten = yield* Effect.flip(rpc.resolveUser("@nobody"))
      assertMatches(rewritten, {
        _tag: "UserNotFound",
        ref: "@nobody",
        reason: "USERNAME_NOT_OCCUPIED"
      })

      fake.entity = () => Promise.reject(new Error('Cannot find any entity corresponding to "+15550009"'))
      const phone = yield* Effect.flip(rpc.resolveUser("+15550009"))
      assertMatches(phone, { _tag: "UserNotFound", reason: "PHONE_NOT_OCCUPIED" })
    })
  )

  it.live("a request that never gets an answer times out on the live clock too (no TestClock)", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      fake.respond = () => new Promise(() => {})
      const { rpc } = yield* rpcWith(fake, { requestTimeout: "50 millis" })
      const error = yield* Effect.flip(rpc.invoke("phone.receivedCall", { peer }))
      assertMatches(error, { _tag: "TransportError", method: "phone.receivedCall" })
    })
  )

  it.effect("every invoke runs in a span named after the TL method", () =>
    Effect.gen(function* () {
      const names: Array<string> = []
      const tracer = Tracer.make({
        span: (options) => {
          names.push(options.name)
          return Tracer.nativeTracer.span(options)
        }
      })
      const fake = makeFake()
      fake.respond = () => Promise.resolve(true)
      const { rpc } = yield* rpcWith(fake)
      yield* rpc.invoke("phone.receivedCall", { peer }).pipe(Effect.provideService(Tracer.Tracer, tracer))
      assert.include(names, "phone.receivedCall")
    })
  )

  it.effect("invokeRaw sends any GramJS request and classifies its errors", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      fake.respond = () => Promise.reject(fromWire("METHOD_INVALID", 400))
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(GramJs.layerFromClient(fake.client), scope)
      const raw = context.mapUnsafe.get(GramJs.GramJsClient.key) as GramJs.GramJsClient["Service"]
      const error = yield* Effect.flip(raw.invokeRaw(new Api.help.GetConfig()))
      assert.deepStrictEqual(error._tag === "RpcError" && [error.method, error.type], [
        "help.GetConfig",
        "METHOD_INVALID"
      ])
    })
  )
})

// ---- the owned client: the server pin really dials the given port ---------------------------

describe("layer (owned client)", () => {
  it.effect(
    "a session string that is not a GramJS StringSession fails with SessionInvalid, before any socket",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Layer.build(
            GramJs.layer({
              apiId: 1,
              apiHash: Redacted.make("x"),
              session: Redacted.make("definitely-not-a-session"),
              server: { ip: "127.0.0.1", port: 9, dcId: 2 }
            })
          )
        )
        assert.strictEqual(error._tag, "SessionInvalid")
        assert.notInclude(error.message, "definitely-not-a-session")
        assert.notInclude(error.message, "Not a valid string")
        // a session GramJS decodes into garbage (no IP address, no 256-byte key) is refused too,
        // and its message carries nothing decoded from it
        const garbage = `1${Buffer.from("garbage\u0000\u0001\u00ff bytes here").toString("base64")}`
        const decoded = yield* Effect.flip(
          Layer.build(
            GramJs.layer({ apiId: 1, apiHash: Redacted.make("x"), session: Redacted.make(garbage) })
          ).pipe(Effect.scoped)
        )
        assert.strictEqual(decoded._tag, "SessionInvalid")
        assert.strictEqual(
          [...decoded.message].every((c) => c >= " " && c <= "~"),
          true
        )
        assert.notInclude(decoded.message, "garbage")
      })
  )

  it.live(
    "dials the pinned 127.0.0.1 port (not the session's) and fails typed when the server is silent",
    () =>
      Effect.gen(function* () {
        const sockets: Array<Socket> = []
        const server = createServer((socket) => {
          sockets.push(socket)
        })
        const port = yield* Effect.promise(
          () =>
            new Promise<number>((resolve) => {
              server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port))
            })
        )
        yield* Effect.addFinalizer(() =>
          Effect.promise(
            () =>
              new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy()
                server.close(() => resolve())
              })
          )
        )
        const authKey = new AuthKey()
        yield* Effect.promise(() => authKey.setKey(Buffer.alloc(256, 7)))
        const session = new StringSession("")
        session.setDC(2, "127.0.0.1", 443)
        session.setAuthKey(authKey)
        const error = yield* Effect.flip(
          Layer.build(
            GramJs.layer({
              apiId: 1,
              apiHash: Redacted.make("hash"),
              session: Redacted.make(session.save()),
              server: { ip: "127.0.0.1", port, dcId: 2 },
              connectTimeout: "1500 millis",
              connectionRetries: 1
            })
          ).pipe(Effect.scoped)
        )
        assertMatches(error, { _tag: "TransportFailure", method: "connect" })
        assert.isAtLeast(sockets.length, 1)
      }),
    20_000
  )

  it.live(
    "a refused connection fails at once with TransportFailure: 'connection refused', with the socket error as cause",
    () =>
      Effect.gen(function* () {
        // a port nothing listens on: bind one, then close it
        const port = yield* Effect.promise(
          () =>
            new Promise<number>((resolve) => {
              const probe = createServer()
              probe.listen(0, "127.0.0.1", () => {
                const p = (probe.address() as { port: number }).port
                probe.close(() => resolve(p))
              })
            })
        )
        const session = new StringSession("")
        session.setDC(2, "127.0.0.1", 443)
        const error = yield* Effect.flip(
          Layer.build(
            GramJs.layer({
              apiId: 1,
              apiHash: Redacted.make("hash"),
              session: Redacted.make(session.save()),
              server: { ip: "127.0.0.1", port, dcId: 2 },
              requestTimeout: "3 seconds",
              connectionRetries: 1
            })
          ).pipe(Effect.scoped)
        )
        assert.strictEqual(error._tag, "TransportFailure")
        if (error._tag !== "TransportFailure") return
        assert.strictEqual(error.method, "connect")
        assert.strictEqual(error.message, `could not connect to 127.0.0.1:${port}: connection refused`)
        assert.strictEqual((error.cause as { code?: unknown } | undefined)?.code, "ECONNREFUSED")
      }),
    20_000
  )

  it.effect("config reads TG_* variables, pins the server only when ip and port are both set", () =>
    Effect.gen(function* () {
      const env = { TG_API_ID: "12345", TG_API_HASH: "abcdef", TG_SESSION: "1session" }
      const plain = yield* GramJs.config.pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord(env))
      )
      assert.strictEqual(plain.apiId, 12345)
      assert.strictEqual(Redacted.value(plain.apiHash), "abcdef")
      assert.notInclude(String(plain.session), "1session")
      assert.isUndefined(plain.server)
      const pinned = yield* GramJs.config.pipe(
        Effect.provideService(
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromEnvRecord({
            ...env,
            TG_SERVER_IP: "127.0.0.1",
            TG_SERVER_PORT: "4444",
            TG_DC_ID: "3"
          })
        )
      )
      assert.deepStrictEqual(pinned.server, { ip: "127.0.0.1", port: 4444, dcId: 3 })
    })
  )

  it.effect("layerConfig fails with a ConfigInvalid naming TG_API_ID when it is missing", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(GramJs.layerConfig()).pipe(
          Effect.scoped,
          Effect.provideService(
            ConfigProvider.ConfigProvider,
            ConfigProvider.fromEnvRecord({ TG_API_HASH: "x" })
          )
        )
      )
      assert.strictEqual(error._tag, "ConfigInvalid")
      assert.include(error.message, "TG_API_ID is not set")
    })
  )
})
