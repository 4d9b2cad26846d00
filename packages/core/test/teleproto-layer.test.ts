/**
 * `@tgphone/core/Teleproto`: the live layer over teleproto 1.229 (layer 229), with a fake client
 * that records the teleproto `Api` objects it is given: `phone.requestCall` goes out as layer
 * 229's `#42ff96ed`, results decode with the layer-229 codec, teleproto's errors classify to the
 * raw TL text, and the configuration and session errors are typed.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Teleproto from "@tgphone/core/Teleproto"
import { PhoneCallProtocol } from "@tgphone/crypto"
import { ConfigProvider, Context, Effect, Layer, Redacted } from "effect"
import { Api, errors } from "teleproto"
import { InputPhoneCall } from "../src/Model.js"
import { TelegramRpc } from "../src/TelegramRpc.js"

interface Fake {
  readonly client: Teleproto.ClientLike
  readonly sent: Array<unknown>
  respond: (request: unknown) => Promise<unknown>
}

const makeFake = (): Fake => {
  const fake: Fake = {
    sent: [],
    respond: () => Promise.resolve(true),
    client: {
      invoke: (request: never) => {
        fake.sent.push(request)
        return fake.respond(request)
      },
      getMe: () => Promise.resolve(new Api.User({ id: 77n as never, self: true })),
      getInputEntity: () => Promise.reject(new Error("no entity configured")),
      addEventHandler: () => {},
      removeEventHandler: () => {}
    }
  }
  return fake
}

const rpcOf = (fake: Fake) =>
  Effect.map(Layer.build(Teleproto.layerFromClient(fake.client)), (context) =>
    Context.get(context, TelegramRpc)
  )

const protocol = new PhoneCallProtocol({
  udpP2p: true,
  udpReflector: true,
  minLayer: 65,
  maxLayer: 92,
  libraryVersions: ["11.0.0"]
})

/** teleproto's own error for an `rpc_error`, as its sender builds it. */
const rpcError = (errorMessage: string, errorCode: number) =>
  errors.RPCMessageToError(new Api.RpcError({ errorCode, errorMessage }), new Api.help.GetConfig())

describe("Teleproto.layerFromClient", () => {
  it.effect("speaks layer 229: phone.requestCall goes out as #42ff96ed", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      fake.respond = () =>
        Promise.resolve(
          new Api.phone.PhoneCall({
            phoneCall: new Api.PhoneCallWaiting({
              id: 1n as never,
              accessHash: 2n as never,
              date: 3,
              adminId: 77n as never,
              participantId: 78n as never,
              protocol: new Api.PhoneCallProtocol({
                udpP2p: true,
                udpReflector: true,
                minLayer: 65,
                maxLayer: 92,
                libraryVersions: ["11.0.0"]
              })
            }),
            users: []
          })
        )
      const rpc = yield* rpcOf(fake)
      assert.strictEqual(rpc.layer, 229)
      assert.deepStrictEqual(rpc.account, { userId: 77n, isBot: false })
      const result = yield* rpc.invoke("phone.requestCall", {
        video: false,
        userId: { _tag: "InputUser", userId: 78n, accessHash: 5n },
        randomId: 9,
        gAHash: new Uint8Array(32).fill(1),
        protocol
      })
      assert.strictEqual(result.phoneCall._tag, "PhoneCallWaiting")
      assert.strictEqual(result.phoneCall.id, 1n)
      const [request] = fake.sent as Array<{ CONSTRUCTOR_ID: number; className: string; getBytes(): Buffer }>
      assert.strictEqual(request?.className, "phone.RequestCall")
      assert.strictEqual(request?.CONSTRUCTOR_ID, 0x42ff96ed)
      assert.strictEqual(request?.getBytes().readUInt32LE(0), 0x42ff96ed)
    })
  )

  it.effect("teleproto's errors keep their TL text: FLOOD_WAIT_7 (420), CALL_PEER_INVALID (400)", () =>
    Effect.gen(function* () {
      const fake = makeFake()
      const rpc = yield* rpcOf(fake)
      const peer = new InputPhoneCall({ id: 1n, accessHash: 2n })
      for (const [text, code] of [
        ["FLOOD_WAIT_7", 420],
        ["FLOOD_PREMIUM_WAIT_3", 420],
        ["CALL_PEER_INVALID", 400],
        ["SOMETHING_NEW", 400]
      ] as const) {
        fake.respond = () => Promise.reject(rpcError(text, code))
        const error = yield* Effect.flip(rpc.invoke("phone.receivedCall", { peer }))
        assert.deepStrictEqual(
          error._tag === "RpcError" ? [error.method, error.code, error.type] : error._tag,
          ["phone.receivedCall", code, text]
        )
      }
      fake.respond = () => Promise.reject(new Error("Not connected"))
      const transport = yield* Effect.flip(rpc.invoke("phone.receivedCall", { peer }))
      assert.strictEqual(transport._tag, "TransportError")
    })
  )
})

describe("Teleproto.layer / layerConfig", () => {
  it.effect(
    "a session that is not a teleproto StringSession fails with SessionInvalid, before any socket",
    () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Layer.build(
            Teleproto.layer({
              apiId: 1,
              apiHash: Redacted.make("x"),
              session: Redacted.make("not a session")
            })
          )
        )
        assert.instanceOf(error, Teleproto.SessionInvalid)
        assert.include(error.message, "is not a teleproto StringSession (13 characters;")
      })
  )

  it.effect("names every missing TG_* variable at once, in Teleproto's ConfigInvalid", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(Teleproto.layerConfig()).pipe(
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: {} }))
        )
      )
      assert.instanceOf(error, Teleproto.ConfigInvalid)
      assert.deepStrictEqual((error as Teleproto.ConfigInvalid).variables, [
        "TG_API_ID",
        "TG_API_HASH",
        "TG_SESSION"
      ])
      assert.strictEqual(
        error.message,
        "Teleproto.layerConfig: TG_API_ID is not set (the api_id of your app, from my.telegram.org); " +
          "TG_API_HASH is not set (the api_hash of your app, from my.telegram.org); " +
          "TG_SESSION is not set (a teleproto StringSession of a logged-in account)"
      )
    })
  )
})
