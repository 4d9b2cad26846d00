/**
 * The live layer is generic over a GramJS-family client library (`internal/gramjs/live.ts`):
 * a library record that is not GramJS (its own name, TL layer, errors, event builder and
 * config request) drives the same `TelegramRpc`, so a backend over another fork (teleproto)
 * only supplies that record.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Result, Schema, Stream } from "effect"
import * as Live from "../src/internal/gramjs/live.js"
import { InputPhoneCall } from "../src/Model.js"
import { RpcError, TelegramRpc, TransportError } from "../src/TelegramRpc.js"

class FakeSessionInvalid extends Schema.TaggedError<FakeSessionInvalid>()("SessionInvalid", {
  message: Schema.String
}) {}
class FakeConfigInvalid extends Schema.TaggedError<FakeConfigInvalid>()("ConfigInvalid", {
  message: Schema.String,
  variables: Schema.Array(Schema.String)
}) {}

interface FakeClient extends Live.ClientLike {
  readonly sent: Array<unknown>
  readonly handlers: Set<(event: unknown) => unknown>
  readonly builders: Array<unknown>
}

/** A request object of the fake library. */
class Request {
  constructor(
    readonly className: string,
    readonly args: unknown
  ) {}
}

const fakeClient = (): FakeClient => {
  const client: FakeClient = {
    sent: [],
    handlers: new Set(),
    builders: [],
    invoke: (request: never) => {
      client.sent.push(request)
      const name = (request as Request).className
      return name === "help.GetConfig" ? Promise.resolve({ fakeConfig: [1, 2, 3, 4] }) : Promise.resolve(true)
    },
    getMe: () => Promise.resolve({ id: 5, bot: false }),
    getInputEntity: () => Promise.reject(new Error("no entity")),
    addEventHandler: (callback: (event: never) => unknown, builder: never) => {
      client.handlers.add(callback as (event: unknown) => unknown)
      client.builders.push(builder)
    },
    removeEventHandler: (callback: (event: never) => unknown) => {
      client.handlers.delete(callback as (event: unknown) => unknown)
    }
  }
  return client
}

/**
 * The fake library's `errors` module: like teleproto's, it builds its own error from an
 * `rpc_error` with its own code (400), not the server's.
 */
const fakeErrors: Live.Library<FakeClient, FakeSessionInvalid, FakeConfigInvalid>["errors"] = {
  RPCMessageToError: (rpcError) => ({ code: 400, errorMessage: rpcError.errorMessage })
}

const unused = (what: string) => () => {
  throw new Error(`${what} is not used by these tests`)
}

const library: Live.Library<FakeClient, FakeSessionInvalid, FakeConfigInvalid> = {
  name: "FakeGram",
  module: "FakeGram",
  layer: 7,
  newClient: unused("newClient"),
  newSession: unused("newSession"),
  ConnectionTCPFull: class {
    readonly socket = undefined
    async connect() {}
  },
  silentLogger: () => undefined,
  rawEvents: () => "fake-raw-builder",
  getConfig: () => new Request("help.GetConfig", {}),
  callConfigOf: (result) => {
    const c = (result as { fakeConfig?: ReadonlyArray<number> }).fakeConfig
    return c === undefined
      ? undefined
      : {
          callReceiveTimeoutMs: c[0]!,
          callRingTimeoutMs: c[1]!,
          callConnectTimeoutMs: c[2]!,
          callPacketTimeoutMs: c[3]!
        }
  },
  ping: (disconnectDelay) => new Request("PingDelayDisconnect", { disconnectDelay }),
  afterConnect: unused("afterConnect"),
  toLibraryInteger: (n) => n,
  classify: (method, error) => new TransportError({ method, message: `fake: ${String(error)}` }),
  errors: fakeErrors,
  codec: {
    encodeRequest: (method, params) => Result.succeed(new Request(method, params)),
    decodeResult: (_method, result) => Result.succeed(result as never),
    decodeUpdate: unused("decodeUpdate"),
    decodeUpdates: unused("decodeUpdates"),
    inputUserFromEntity: unused("inputUserFromEntity"),
    isModelledUpdate: () => false,
    classNameOf: (wire) => (wire instanceof Request ? wire.className : undefined),
    toBigInt: (value) => BigInt(value as number)
  },
  sessionInvalid: (message) => new FakeSessionInvalid({ message }),
  configInvalid: (message, variables) => new FakeConfigInvalid({ message, variables }),
  isConfigInvalid: (u): u is FakeConfigInvalid => u instanceof FakeConfigInvalid
}

class FakeRaw extends Context.Service<FakeRaw, Live.RawClient<FakeClient>>()("test/FakeRaw") {}

const live = Live.makeLive(library, FakeRaw)

describe("the live layer over a library that is not GramJS", () => {
  it.effect("invoke, callConfig, the layer and the raw client come from the library record", () =>
    Effect.gen(function* () {
      const client = fakeClient()
      const context = yield* Layer.build(live.layerFromClient(client))
      const rpc = Context.get(context, TelegramRpc)
      assert.strictEqual(rpc.layer, 7)
      assert.deepStrictEqual(rpc.account, { userId: 5n, isBot: false })
      assert.deepStrictEqual(client.builders, ["fake-raw-builder"])
      const peer = new InputPhoneCall({ id: 1n, accessHash: 2n })
      assert.strictEqual(yield* rpc.invoke("phone.receivedCall", { peer }), true)
      assert.deepStrictEqual(yield* rpc.callConfig, {
        callReceiveTimeoutMs: 1,
        callRingTimeoutMs: 2,
        callConnectTimeoutMs: 3,
        callPacketTimeoutMs: 4
      })
      assert.deepStrictEqual(
        client.sent.map((r) => (r as Request).className),
        ["phone.receivedCall", "help.GetConfig"]
      )
      const raw = Context.get(context, FakeRaw)
      assert.strictEqual(raw.client, client)
      assert.deepStrictEqual(Array.from(yield* Stream.runCollect(Stream.take(yield* rpc.connection, 1))), [
        "Connected"
      ])
    })
  )

  it.effect("a failure is classified by the library's classifier", () =>
    Effect.gen(function* () {
      const client = fakeClient()
      const failing: FakeClient = { ...client, invoke: () => Promise.reject("boom") }
      const rpc = Context.get(yield* Layer.build(live.layerFromClient(failing)), TelegramRpc)
      const error = yield* Effect.flip(
        rpc.invoke("phone.receivedCall", { peer: new InputPhoneCall({ id: 1n, accessHash: 2n }) })
      )
      assert.strictEqual(error.message, "fake: boom")
    })
  )

  it.effect("an invoke that throws instead of rejecting is a classified failure, not a defect", () =>
    Effect.gen(function* () {
      const client = fakeClient()
      const throwing: FakeClient = {
        ...client,
        invoke: () => {
          throw "not connected"
        }
      }
      const rpc = Context.get(yield* Layer.build(live.layerFromClient(throwing)), TelegramRpc)
      const error = yield* Effect.flip(
        rpc.invoke("phone.receivedCall", { peer: new InputPhoneCall({ id: 1n, accessHash: 2n }) })
      )
      assert.strictEqual(error.message, "fake: not connected")
    })
  )

  it.effect(
    "the first of the raw answer and the library's own outcome decides; the later one is dropped",
    () =>
      Effect.gen(function* () {
        const client = fakeClient()
        // the library answers first (a result), and a stray raw answer for the same request
        // arrives later: the result stands, and the stray answer reaches nobody
        let request: unknown
        const answered: FakeClient = {
          ...client,
          invoke: (r: never) => {
            request = r
            return Promise.resolve(true)
          }
        }
        const rpc = Context.get(yield* Layer.build(live.layerFromClient(answered)), TelegramRpc)
        const result = yield* rpc.invoke("phone.receivedCall", {
          peer: new InputPhoneCall({ id: 1n, accessHash: 2n })
        })
        assert.strictEqual(result, true)
        fakeErrors.RPCMessageToError({ errorCode: 500, errorMessage: "RPC_CALL_FAIL" }, request)
        const again = yield* rpc.invoke("phone.receivedCall", {
          peer: new InputPhoneCall({ id: 1n, accessHash: 2n })
        })
        assert.strictEqual(again, true)
      })
  )

  it.effect("an rpc_error is the server's: its code and text, also when the library then gives up", () =>
    Effect.gen(function* () {
      const client = fakeClient()
      // as the libraries' senders do: the answer becomes the library's error through the errors
      // module (here with its own code), for the request wrapped in invokeWithLayer; the library
      // then retries no more and rejects with a text of its own (the server's answer lost)
      const failing: FakeClient = {
        ...client,
        invoke: (request: never) => {
          fakeErrors.RPCMessageToError(
            { errorCode: 403, errorMessage: "USER_PRIVACY_RESTRICTED" },
            { className: "InvokeWithLayer", query: request }
          )
          return Promise.reject(new Error("Request was unsuccessful 1 time(s)"))
        }
      }
      const rpc = Context.get(yield* Layer.build(live.layerFromClient(failing)), TelegramRpc)
      const error = yield* Effect.flip(
        rpc.invoke("phone.receivedCall", { peer: new InputPhoneCall({ id: 1n, accessHash: 2n }) })
      )
      assert.instanceOf(error, RpcError)
      assert.deepStrictEqual(
        { code: error.code, type: error.type, method: error.method },
        { code: 403, type: "USER_PRIVACY_RESTRICTED", method: "phone.receivedCall" }
      )
    })
  )

  it.effect("layerConfig fails with the library's ConfigInvalid, named after its module", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(live.layerConfig()).pipe(
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: {} }))
        )
      )
      assert.instanceOf(error, FakeConfigInvalid)
      assert.strictEqual(
        error.message,
        "FakeGram.layerConfig: TG_API_ID is not set (the api_id of your app, from my.telegram.org); " +
          "TG_API_HASH is not set (the api_hash of your app, from my.telegram.org); " +
          "TG_SESSION is not set (a FakeGram StringSession of a logged-in account)"
      )
    })
  )
})
