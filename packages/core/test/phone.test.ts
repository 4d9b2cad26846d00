import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schema, Stream } from "effect"
import { assertMatches } from "../../../test-support/assert.js"
import * as Errors from "../src/Errors.js"
import { InputPhoneCall, type InputUser } from "../src/Model.js"
import * as Phone from "../src/Phone.js"
import { type MethodName, RpcMethods } from "../src/RpcMethods.js"
import {
  type ResolveFailure,
  RpcError,
  type RpcFailure,
  resolveFailure,
  TelegramRpc,
  TransportError,
  type UserNotFound,
  type UserRef
} from "../src/TelegramRpc.js"
import * as Tl from "../src/Tl.js"

// ---------------------------------------------------------------------------------------------
// A small fake TelegramRpc that records what crosses the seam
// ---------------------------------------------------------------------------------------------

interface Recorded {
  readonly method: string
  readonly params: unknown
  readonly span: string | undefined
  readonly spanAttributes: Readonly<Record<string, unknown>>
}

const alice: InputUser = { _tag: "InputUser", userId: 1001n, accessHash: 77n }

const fake = (
  options: {
    readonly isBot?: boolean
    readonly layer?: number
    readonly respond?: (method: string, params: unknown) => Effect.Effect<unknown, RpcFailure>
    readonly resolve?: (ref: UserRef) => Effect.Effect<InputUser, ResolveFailure>
  } = {}
) => {
  const calls: Array<Recorded> = []
  const resolved: Array<UserRef> = []
  const layer = Layer.succeed(TelegramRpc, {
    account: { userId: 1n, isBot: options.isBot ?? false },
    layer: options.layer ?? Tl.newest,
    invoke: <M extends MethodName>(method: M, params: unknown) =>
      Effect.gen(function* () {
        const span = yield* Effect.currentSpan.pipe(Effect.option)
        calls.push({
          method,
          params,
          span: span._tag === "Some" ? span.value.name : undefined,
          spanAttributes: span._tag === "Some" ? Object.fromEntries(span.value.attributes) : {}
        })
        return yield* (options.respond ?? (() => Effect.succeed(true)))(method, params)
      }) as Effect.Effect<never, RpcFailure>,
    resolveUser: (ref) => {
      resolved.push(ref)
      return (options.resolve ?? (() => Effect.succeed(alice)))(ref)
    },
    subscribe: Effect.succeed(Stream.empty),
    connection: Effect.succeed(Stream.succeed("Connected" as const)),
    callConfig: Effect.succeed({
      callReceiveTimeoutMs: 20_000,
      callRingTimeoutMs: 90_000,
      callConnectTimeoutMs: 30_000,
      callPacketTimeoutMs: 10_000
    })
  })
  return { calls, resolved, layer }
}

const rpcError = (method: string, code: number, type: string) =>
  Effect.fail(new RpcError({ method, code, type }))

// ---------------------------------------------------------------------------------------------
// A valid input for every function
// ---------------------------------------------------------------------------------------------

const protocol = { udpP2p: true, udpReflector: true, minLayer: 65, maxLayer: 92, libraryVersions: ["4.0.0"] }
const peer = { id: 5n, accessHash: -6n }
const call = { id: 7n, accessHash: 8n }
const chat = { _tag: "InputPeerChannel", channelId: 9n, accessHash: 10n } as const
const self = { _tag: "InputPeerSelf" } as const

type AnyFn = (input: never) => Effect.Effect<unknown, Errors.TgPhoneError | UserNotFound, TelegramRpc>
const fns: Record<keyof typeof Phone.inputs, readonly [AnyFn, unknown]> = {
  "messages.getDhConfig": [Phone.getDhConfig, { version: 3 }],
  "phone.getCallConfig": [Phone.getCallConfig, undefined],
  "phone.requestCall": [
    Phone.requestCall,
    { userId: "@alice", randomId: 42, gAHash: new Uint8Array(32).fill(1), protocol }
  ],
  "phone.acceptCall": [Phone.acceptCall, { peer, gB: new Uint8Array(256).fill(2), protocol }],
  "phone.confirmCall": [
    Phone.confirmCall,
    { peer, gA: new Uint8Array(256).fill(3), keyFingerprint: -123456789012345678n, protocol }
  ],
  "phone.receivedCall": [Phone.receivedCall, { peer }],
  "phone.discardCall": [Phone.discardCall, { peer, reason: "Hangup", duration: 61 }],
  "phone.setCallRating": [Phone.setCallRating, { peer, rating: 4 }],
  "phone.saveCallDebug": [Phone.saveCallDebug, { peer, debug: '{"rtt":12}' }],
  "phone.sendSignalingData": [Phone.sendSignalingData, { peer, data: new Uint8Array([1, 2, 3]) }],
  "phone.createGroupCall": [Phone.createGroupCall, { peer: chat, randomId: -5, title: "standup" }],
  "phone.joinGroupCall": [Phone.joinGroupCall, { call, joinAs: self, params: "{}", muted: true }],
  "phone.leaveGroupCall": [Phone.leaveGroupCall, { call, source: 1234 }],
  "phone.inviteToGroupCall": [Phone.inviteToGroupCall, { call, users: ["@alice", 1001n] }],
  "phone.discardGroupCall": [Phone.discardGroupCall, { call }],
  "phone.toggleGroupCallSettings": [Phone.toggleGroupCallSettings, { call, joinMuted: true }],
  "phone.getGroupCall": [Phone.getGroupCall, { call, limit: 50 }],
  "phone.getGroupParticipants": [Phone.getGroupParticipants, { call, limit: 100 }],
  "phone.checkGroupCall": [Phone.checkGroupCall, { call, sources: [1, 2] }],
  "phone.toggleGroupCallRecord": [Phone.toggleGroupCallRecord, { call, start: true, video: "portrait" }],
  "phone.editGroupCallParticipant": [
    Phone.editGroupCallParticipant,
    { call, participant: self, volume: 5000 }
  ],
  "phone.editGroupCallTitle": [Phone.editGroupCallTitle, { call, title: "retro" }],
  "phone.getGroupCallJoinAs": [Phone.getGroupCallJoinAs, { peer: chat }],
  "phone.exportGroupCallInvite": [Phone.exportGroupCallInvite, { call }],
  "phone.toggleGroupCallStartSubscription": [
    Phone.toggleGroupCallStartSubscription,
    { call, subscribed: true }
  ],
  "phone.startScheduledGroupCall": [Phone.startScheduledGroupCall, { call }],
  "phone.saveDefaultGroupCallJoinAs": [Phone.saveDefaultGroupCallJoinAs, { peer: chat, joinAs: self }],
  "phone.joinGroupCallPresentation": [Phone.joinGroupCallPresentation, { call, params: "{}" }],
  "phone.leaveGroupCallPresentation": [Phone.leaveGroupCallPresentation, { call }],
  "phone.getGroupCallStreamChannels": [Phone.getGroupCallStreamChannels, { call }],
  "phone.getGroupCallStreamRtmpUrl": [Phone.getGroupCallStreamRtmpUrl, { peer: chat, revoke: true }],
  "phone.saveCallLog": [
    Phone.saveCallLog,
    { peer, file: { _tag: "InputFile", id: 1n, parts: 1, name: "log.txt", md5Checksum: "" } }
  ],
  "phone.createConferenceCall": [Phone.createConferenceCall, { randomId: 99 }],
  "phone.deleteConferenceCallParticipants": [
    Phone.deleteConferenceCallParticipants,
    { call, ids: [1001n], block: new Uint8Array([1, 2]), kick: true }
  ],
  "phone.sendConferenceCallBroadcast": [
    Phone.sendConferenceCallBroadcast,
    { call, block: new Uint8Array([3]) }
  ],
  "phone.inviteConferenceCallParticipant": [
    Phone.inviteConferenceCallParticipant,
    { call, userId: "@alice" }
  ],
  "phone.declineConferenceCallInvite": [Phone.declineConferenceCallInvite, { msgId: 12 }],
  "phone.getGroupCallChainBlocks": [
    Phone.getGroupCallChainBlocks,
    { call, subChainId: 0, offset: 0, limit: 10 }
  ],
  "phone.sendGroupCallMessage": [
    Phone.sendGroupCallMessage,
    { call, randomId: 5n, message: { text: "hi", entities: [] } }
  ],
  "phone.sendGroupCallEncryptedMessage": [
    Phone.sendGroupCallEncryptedMessage,
    { call, encryptedMessage: new Uint8Array([4, 5]) }
  ],
  "phone.deleteGroupCallMessages": [Phone.deleteGroupCallMessages, { call, messages: [1, 2] }],
  "phone.deleteGroupCallParticipantMessages": [
    Phone.deleteGroupCallParticipantMessages,
    { call, participant: self, reportSpam: true }
  ],
  "phone.getGroupCallStars": [Phone.getGroupCallStars, { call }],
  "phone.saveDefaultSendAs": [Phone.saveDefaultSendAs, { call, sendAs: self }]
}
const run = (method: keyof typeof fns, input: unknown = fns[method][1]) => fns[method][0](input as never)
const methods = Object.keys(fns) as Array<keyof typeof fns>

// ---------------------------------------------------------------------------------------------

describe("every method", () => {
  it("has a function and an input schema for each of the 44 registry methods", () => {
    assert.deepStrictEqual(methods.sort(), Object.keys(RpcMethods).sort())
    assert.deepStrictEqual(Object.keys(Phone.inputs).sort(), methods.sort())
  })

  it.effect.each(methods)(
    "%s: sends params that satisfy the registry, inside a span named after it",
    (method) =>
      Effect.gen(function* () {
        const { calls, layer } = fake()
        yield* run(method).pipe(Effect.provide(layer))
        assert.lengthOf(calls, 1)
        const sent = calls[0]!
        assert.strictEqual(sent.method, method)
        assert.strictEqual(sent.span, method)
        assert.deepStrictEqual(sent.spanAttributes, { "rpc.system": "telegram", "rpc.method": method })
        const params = RpcMethods[method].params as unknown as Schema.Decoder<unknown>
        assert.isTrue(Schema.is(params)(sent.params))
      })
  )

  it.effect.each(methods)("%s: a bot account is refused without a round trip", (method) =>
    Effect.gen(function* () {
      const { calls, resolved, layer } = fake({ isBot: true })
      const error = yield* run(method).pipe(Effect.flip, Effect.provide(layer))
      assert.instanceOf(error, Errors.BotMethodForbidden)
      assert.strictEqual(error.method, method)
      assert.strictEqual(error.code, 400)
      assert.strictEqual(error.type, "BOT_METHOD_INVALID")
      assert.include(error.message, "user accounts only")
      assert.lengthOf(calls, 0)
      assert.lengthOf(resolved, 0)
    })
  )
})

describe("a method the backend's layer lacks fails at once with MethodNotInLayer", () => {
  it.effect("phone.createGroupCall (layer 122) on a layer-121 backend: typed error, nothing sent", () =>
    Effect.gen(function* () {
      const { calls, layer } = fake({ layer: 121 })
      const error = yield* run("phone.createGroupCall").pipe(Effect.flip, Effect.provide(layer))
      assert.instanceOf(error, Errors.MethodNotInLayer)
      assert.strictEqual(error.method, "phone.createGroupCall")
      assert.strictEqual(error.layer, 121)
      assert.strictEqual(error.firstLayer, 122)
      assert.include(error.message, "first appears in layer 122")
      assert.strictEqual(calls.length, 0)
    })
  )
  it.effect("every function: sent on each shipped layer that has it, refused at once on the others", () =>
    Effect.gen(function* () {
      for (const method of Object.keys(fns) as Array<keyof typeof fns>) {
        const info = RpcMethods[method]
        for (const shipped of Tl.layers) {
          const backend = fake({ layer: shipped })
          const exit = yield* run(method).pipe(Effect.provide(backend.layer), Effect.exit)
          if (Object.hasOwn(info.layers, shipped)) {
            assert.isTrue(Exit.isSuccess(exit), `${method} on ${shipped}`)
            assert.strictEqual(backend.calls.length, 1, method)
          } else {
            assert.isTrue(Exit.isFailure(exit), `${method} on ${shipped}`)
            assert.strictEqual(backend.calls.length, 0, method)
          }
        }
        const first: number | undefined = info.firstLayer
        if (first === undefined) continue
        const before = fake({ layer: first - 1 })
        const error = yield* run(method).pipe(Effect.flip, Effect.provide(before.layer))
        assert.instanceOf(error, Errors.MethodNotInLayer, method)
        assert.strictEqual(before.calls.length, 0, method)
      }
    })
  )
  // the methods the oldest shipped layer lacks, with the first layer the registry gives each
  const oldest = Tl.layers[0] ?? Tl.newest
  const notInOldest = (Object.keys(fns) as Array<keyof typeof fns>)
    .filter((m) => !Object.hasOwn(RpcMethods[m].layers, oldest))
    .map((m) => [m, RpcMethods[m].firstLayer] as const)
  it.effect("some methods are not in the oldest shipped layer, each with a first layer above it", () =>
    Effect.sync(() => {
      assert.isNotEmpty(notInOldest)
      for (const [method, first] of notInOldest) assert.isAbove(first ?? 0, oldest, method)
    })
  )
  it.effect.each(notInOldest)(
    `%s on a layer-${oldest} backend: MethodNotInLayer naming layer ${oldest} and layer %i`,
    ([method, first]) =>
      Effect.gen(function* () {
        const { calls, resolved, layer } = fake({ layer: oldest })
        const error = yield* run(method).pipe(Effect.flip, Effect.provide(layer))
        assert.instanceOf(error, Errors.MethodNotInLayer)
        assert.strictEqual(error.method, method)
        assert.strictEqual(error.layer, oldest)
        assert.strictEqual(error.firstLayer, first)
        assert.include(
          error.message,
          `${method} is not in layer ${oldest} (it first appears in layer ${first})`
        )
        assert.strictEqual(calls.length, 0)
        assert.strictEqual(resolved.length, 0)
      })
  )
})

describe("input validation: inputs that throw when read fail as InvalidInput (issue 12)", () => {
  const request = fns["phone.requestCall"][1] as Record<string, unknown>
  const throwingGetter = () => {
    const input = { ...request }
    Object.defineProperty(input, "randomId", {
      enumerable: true,
      get: () => {
        throw new Error("boom")
      }
    })
    return input
  }
  const throwingProxy = () =>
    new Proxy(
      { ...request },
      {
        get: () => {
          throw new Error("proxy says no")
        }
      }
    )
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({ ...request }, {})
    revoke()
    return proxy
  }
  it.effect.each([
    ["a throwing getter", throwingGetter, "boom"],
    ["a proxy whose get throws", throwingProxy, "proxy says no"],
    ["a revoked proxy", revoked, "revoked"]
  ] as const)("phone.requestCall given %s", ([, make, problem]) =>
    Effect.gen(function* () {
      const { calls, layer } = fake()
      const error = yield* Effect.flip(run("phone.requestCall", make())).pipe(Effect.provide(layer))
      assert.instanceOf(error, Errors.InvalidInput)
      assert.strictEqual(error.method, "phone.requestCall")
      assert.include(error.problem, problem)
      assert.strictEqual(calls.length, 0)
    })
  )
})

describe("input validation: InvalidInput names the field, nothing is sent", () => {
  const request = fns["phone.requestCall"][1] as Record<string, unknown>
  const rating = fns["phone.setCallRating"][1] as Record<string, unknown>
  it.effect.each([
    // the methods of layer 229
    ["phone.createConferenceCall", { randomId: 1.5 }, "randomId", "integer"],
    ["phone.createConferenceCall", { randomId: 1, join: true }, "publicKey", "share TL flags.3"],
    [
      "phone.createConferenceCall",
      { randomId: 1, join: true, publicKey: new Uint8Array(32), block: new Uint8Array(1), params: "{" },
      "params",
      "valid JSON"
    ],
    [
      "phone.joinGroupCall",
      { call, joinAs: self, params: "{}", publicKey: new Uint8Array(31), block: new Uint8Array(1) },
      "publicKey",
      "exactly 32 bytes"
    ],
    [
      "phone.joinGroupCall",
      { call, joinAs: self, params: "{}", block: new Uint8Array(1) },
      "publicKey",
      "flags.3"
    ],
    [
      "phone.deleteConferenceCallParticipants",
      { call, ids: [1], block: new Uint8Array(1) },
      "ids[0]",
      "bigint"
    ],
    ["phone.sendConferenceCallBroadcast", { call, block: "AAEC" }, "block", "Uint8Array"],
    ["phone.inviteConferenceCallParticipant", { call, userId: "not a user!" }, "userId", "a username"],
    ["phone.declineConferenceCallInvite", { msgId: 2 ** 31 }, "msgId", "between"],
    [
      "phone.getGroupCallChainBlocks",
      { call, subChainId: 0, offset: 0, limit: -1 },
      "limit",
      "greater than or equal to 0"
    ],
    [
      "phone.sendGroupCallMessage",
      { call, randomId: 5, message: { text: "hi", entities: [] } },
      "randomId",
      "bigint"
    ],
    [
      "phone.sendGroupCallMessage",
      { call, randomId: 5n, message: { text: "hi", entities: [{ _tag: "MessageEntityBold", offset: 0 }] } },
      "message.entities[0].length",
      "Missing key"
    ],
    ["phone.sendGroupCallEncryptedMessage", { call }, "encryptedMessage", "Missing key"],
    ["phone.deleteGroupCallMessages", { call, messages: [1.5] }, "messages[0]", "integer"],
    [
      "phone.deleteGroupCallParticipantMessages",
      { call, participant: { _tag: "Nope" } },
      "participant",
      "InputPeerSelf"
    ],
    ["phone.getGroupCallStars", { call: { id: 1n } }, "call.accessHash", "Missing key"],
    ["phone.requestCall", { ...request, randomId: 2 ** 31 }, "randomId", "between"],
    ["phone.requestCall", { ...request, randomId: 1.5 }, "randomId", "integer"],
    ["phone.requestCall", { ...request, gAHash: new Uint8Array(31) }, "gAHash", "exactly 32 bytes"],
    ["phone.requestCall", { ...request, gAHash: "abc" }, "gAHash", "Uint8Array"],
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, minLayer: 93 } },
      "protocol.minLayer",
      "min_layer"
    ],
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, minLayer: -1 } },
      "protocol.minLayer",
      "at least 1"
    ],
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, minLayer: 42, maxLayer: 42 } },
      "protocol.maxLayer",
      "at least 65"
    ],
    // issue 12: a bad maxLayer below minLayer was reported as protocol.minLayer
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, maxLayer: -1 } },
      "protocol.maxLayer",
      "at least 65"
    ],
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, maxLayer: 0 } },
      "protocol.maxLayer",
      "at least 65"
    ],
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, maxLayer: -(2 ** 31) - 1 } },
      "protocol.maxLayer",
      "at least 65"
    ],
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, udpReflector: false } },
      "protocol.udpReflector",
      "both udp_p2p and udp_reflector must be set"
    ],
    [
      "phone.acceptCall",
      { peer, gB: new Uint8Array(256), protocol: { ...protocol, libraryVersions: ["1.8.23", "1.8.23"] } },
      "protocol.libraryVersions",
      "twice"
    ],
    [
      "phone.confirmCall",
      {
        peer,
        gA: new Uint8Array(256),
        keyFingerprint: 1n,
        protocol: { ...protocol, libraryVersions: ["v4"] }
      },
      "protocol.libraryVersions",
      "major.minor.patch"
    ],
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, libraryVersions: [] } },
      "protocol.libraryVersions",
      "empty"
    ],
    [
      "phone.requestCall",
      { ...request, protocol: { ...protocol, udpP2p: "yes" } },
      "protocol.udpP2p",
      "boolean"
    ],
    [
      "phone.requestCall",
      { ...request, userId: "" },
      "userId",
      "a username (alice or @alice) or a phone number"
    ],
    ["phone.requestCall", { ...request, userId: "not a name!" }, "userId", "a username (alice or @alice)"],
    ["phone.requestCall", { ...request, userId: 5 }, "userId", "Expected bigint | string"],
    [
      "phone.requestCall",
      { ...request, userId: 2n ** 64n },
      "userId",
      "between -9223372036854775808n and 9223372036854775807n"
    ],
    ["phone.requestCall", { ...request, video: 1 }, "video", "boolean"],
    ["phone.setCallRating", { ...rating, rating: 0 }, "rating", "1 to 5"],
    ["phone.setCallRating", { ...rating, rating: 6 }, "rating", "1 to 5"],
    ["phone.setCallRating", { ...rating, rating: 2.5 }, "rating", "integer"],
    ["phone.setCallRating", { ...rating, comment: 3 }, "comment", "string"],
    ["phone.setCallRating", { rating: 3 }, "peer", "Missing"],
    ["phone.setCallRating", { ...rating, peer: { id: 1, accessHash: 2n } }, "peer.id", "bigint"],
    [
      "phone.setCallRating",
      { ...rating, peer: { id: 2n ** 63n, accessHash: 2n } },
      "peer.id",
      "between -9223372036854775808n and 9223372036854775807n"
    ],
    ["phone.acceptCall", { peer, gB: new Uint8Array(0), protocol }, "gB", "1 to 256 significant bytes"],
    ["phone.acceptCall", { peer, gB: new Uint8Array(258), protocol }, "gB", "1 to 256 significant bytes"],
    ["phone.confirmCall", { peer, gA: new Uint8Array(0), keyFingerprint: 1n, protocol }, "gA", "1 to 256"],
    [
      "phone.confirmCall",
      { peer, gA: new Uint8Array(256), keyFingerprint: 1, protocol },
      "keyFingerprint",
      "bigint"
    ],
    ["phone.saveCallDebug", { peer, debug: "{not json" }, "debug", "JSON"],
    ["phone.discardCall", { peer, reason: "Nope" }, "reason", '"Missed" | "Disconnect" | "Hangup" | "Busy"'],
    ["phone.discardCall", { peer, reason: "Busy", duration: -1 }, "duration", "greater than or equal to 0"],
    ["phone.sendSignalingData", { peer, data: new Uint8Array(0) }, "data", "a length of at least 1"],
    ["phone.inviteToGroupCall", { call, users: [] }, "users", "a length of at least 1"],
    ["phone.inviteToGroupCall", { call, users: ["@ok", ""] }, "users[1]", "a username"],
    ["messages.getDhConfig", { randomLength: -1 }, "randomLength", "greater than or equal to 0"],
    ["phone.receivedCall", null, "", "object"]
  ] as const)("%s: %o → %s", ([method, input, field, problem]) =>
    Effect.gen(function* () {
      const { calls, resolved, layer } = fake()
      const error = yield* run(method, input).pipe(Effect.flip, Effect.provide(layer))
      assert.instanceOf(error, Errors.InvalidInput)
      assert.strictEqual(error.method, method)
      assert.strictEqual(error.field, field)
      assert.include(error.problem, problem)
      assert.include(error.message, method)
      assert.lengthOf(calls, 0)
      assert.lengthOf(resolved, 0)
    })
  )
})

describe("user resolution", () => {
  it.effect.each([["@alice"], ["alice"], ["+15551234567"], [1001n]] as const)(
    "requestCall resolves %s through TelegramRpc.resolveUser",
    ([ref]) =>
      Effect.gen(function* () {
        const { calls, resolved, layer } = fake()
        yield* run("phone.requestCall", { ...(fns["phone.requestCall"][1] as object), userId: ref }).pipe(
          Effect.provide(layer)
        )
        assert.deepStrictEqual(resolved, [ref])
        assertMatches(calls[0]?.params, { userId: alice, randomId: 42, video: false })
      })
  )

  it.effect("an InputUser is used as is, without a resolve round trip", () =>
    Effect.gen(function* () {
      const bob: InputUser = { _tag: "InputUser", userId: 2002n, accessHash: -1n }
      const { calls, resolved, layer } = fake()
      yield* run("phone.requestCall", { ...(fns["phone.requestCall"][1] as object), userId: bob }).pipe(
        Effect.provide(layer)
      )
      assert.lengthOf(resolved, 0)
      assertMatches(calls[0]?.params, { userId: bob })
    })
  )

  it.effect("inviteToGroupCall resolves every user, in order", () =>
    Effect.gen(function* () {
      const { calls, resolved, layer } = fake({
        resolve: (ref) =>
          Effect.succeed({ _tag: "InputUser", userId: typeof ref === "bigint" ? ref : 5n, accessHash: 0n })
      })
      yield* run("phone.inviteToGroupCall").pipe(Effect.provide(layer))
      assert.deepStrictEqual(resolved, ["@alice", 1001n])
      assertMatches(calls[0]?.params, {
        users: [
          { _tag: "InputUser", userId: 5n },
          { _tag: "InputUser", userId: 1001n }
        ]
      })
    })
  )

  it.effect(
    "a user the resolution does not find is UserNotFound (the failing step), and nothing is sent",
    () =>
      Effect.gen(function* () {
        const { calls, layer } = fake({
          resolve: (ref) =>
            Effect.fail(
              resolveFailure(
                ref,
                typeof ref === "bigint"
                  ? new RpcError({ method: "users.getUsers", code: 400, type: "USER_ID_INVALID" })
                  : new RpcError({
                      method: "contacts.resolveUsername",
                      code: 400,
                      type: "USERNAME_NOT_OCCUPIED"
                    })
              )
            )
        })
        const base = fns["phone.requestCall"][1] as object
        const byName = yield* run("phone.requestCall", { ...base, userId: "@ghost" }).pipe(
          Effect.flip,
          Effect.provide(layer)
        )
        assertMatches(byName, { _tag: "UserNotFound", ref: "@ghost", reason: "USERNAME_NOT_OCCUPIED" })
        const byId = yield* run("phone.requestCall", { ...base, userId: 404n }).pipe(
          Effect.flip,
          Effect.provide(layer)
        )
        assertMatches(byId, { _tag: "UserNotFound", ref: "404", reason: "USER_ID_INVALID" })
        assert.lengthOf(calls, 0)
      })
  )
})

describe("params", () => {
  const sent = (method: keyof typeof fns, input: unknown) =>
    Effect.gen(function* () {
      const { calls, layer } = fake()
      yield* run(method, input).pipe(Effect.provide(layer))
      return calls[0]?.params
    })

  it.effect("fill TL defaults for left-out flags and optional fields", () =>
    Effect.gen(function* () {
      assertMatches(yield* sent("phone.setCallRating", { peer, rating: 5 }), {
        peer,
        rating: 5,
        comment: "",
        userInitiative: false
      })
      assertMatches(yield* sent("phone.discardCall", { peer, reason: "Busy" }), {
        video: false,
        duration: 0,
        connectionId: 0n,
        reason: { _tag: "Busy" }
      })
      assert.deepStrictEqual(yield* sent("messages.getDhConfig", {}), { version: 0, randomLength: 256 })
      assertMatches(yield* sent("phone.getGroupParticipants", { call, limit: 10 }), {
        ids: [],
        sources: [],
        offset: ""
      })
    })
  )

  it.effect("map friendly forms to the wire form", () =>
    Effect.gen(function* () {
      assertMatches(yield* sent("phone.toggleGroupCallRecord", { call, start: true, video: "landscape" }), {
        video: true,
        videoPortrait: false
      })
      const audioOnly = yield* sent("phone.toggleGroupCallRecord", { call, start: false })
      assertMatches(audioOnly, { video: false, start: false })
      assert.notProperty(audioOnly, "videoPortrait")
      assertMatches(yield* sent("phone.saveCallDebug", { peer, debug: "[1]" }), {
        debug: { data: "[1]" }
      })
      assertMatches(yield* sent("phone.discardCall", { peer, reason: { _tag: "Missed" } }), {
        reason: { _tag: "Missed" }
      })
    })
  )

  it.effect(
    "send public values in their minimal encoding (255 bytes) and Android's 00-prefixed form unchanged",
    () =>
      Effect.gen(function* () {
        const short = new Uint8Array(255).fill(5)
        const android = Uint8Array.from([0, ...short])
        assertMatches(yield* sent("phone.acceptCall", { peer, gB: short, protocol }), { gB: short })
        assertMatches(yield* sent("phone.confirmCall", { peer, gA: android, keyFingerprint: 1n, protocol }), {
          gA: android
        })
      })
  )

  it.effect("accept a PhoneCall-like object as peer (extra fields are dropped)", () =>
    Effect.gen(function* () {
      const params = yield* sent("phone.receivedCall", { peer: { ...peer, date: 1, adminId: 3n } })
      assert.deepStrictEqual(params, { peer: new InputPhoneCall(peer) })
    })
  )
})

describe("error classification end to end", () => {
  const failing = (failure: RpcFailure) =>
    Effect.gen(function* () {
      const { layer } = fake({ respond: () => Effect.fail(failure) })
      return yield* run("phone.requestCall").pipe(Effect.flip, Effect.provide(layer))
    })
  const rpc = (code: number, type: string) => new RpcError({ method: "phone.requestCall", code, type })

  it.effect.each([
    [403, "USER_PRIVACY_RESTRICTED", "UserPrivacyRestricted"],
    [400, "CALL_PROTOCOL_FLAGS_INVALID", "CallProtocolFlagsInvalid"],
    [400, "PARTICIPANT_VERSION_OUTDATED", "ParticipantVersionOutdated"],
    [500, "RANDOM_ID_DUPLICATE", "RandomIdDuplicate"],
    [420, "FLOOD_WAIT_12", "FloodWait"],
    [401, "SESSION_REVOKED", "Unauthorized"],
    [500, "RPC_CALL_FAIL", "InternalServerError"],
    [-503, "Timeout", "RequestTimeout"],
    [400, "CALL_ALREADY_ACCEPTED", "UnknownRpcError"],
    [400, "BOT_METHOD_INVALID", "BotMethodForbidden"]
  ] as const)("requestCall failing with %i %s → %s", ([code, type, tag]) =>
    Effect.gen(function* () {
      const error = yield* failing(rpc(code, type))
      assertMatches(error, { _tag: tag, method: "phone.requestCall", code, type })
    })
  )

  it.effect("a transport failure → TransportFailure", () =>
    Effect.gen(function* () {
      const error = yield* failing(new TransportError({ method: "phone.requestCall", message: "closed" }))
      assertMatches(error, {
        _tag: "TransportFailure",
        method: "phone.requestCall",
        message: "closed"
      })
    })
  )

  it.effect("catchTag handles a documented error and leaves the rest", () =>
    Effect.gen(function* () {
      const { layer } = fake({ respond: () => rpcError("phone.requestCall", 403, "USER_PRIVACY_RESTRICTED") })
      const recovered = yield* run("phone.requestCall").pipe(
        Effect.catchTag("UserPrivacyRestricted", (e) => Effect.succeed(`blocked by privacy (${e.code})`)),
        Effect.provide(layer)
      )
      assert.strictEqual(recovered, "blocked by privacy (403)")
      const other = fake({ respond: () => rpcError("phone.requestCall", 420, "FLOOD_WAIT_3") })
      const left = yield* run("phone.requestCall").pipe(
        Effect.catchTag("UserPrivacyRestricted", () => Effect.succeed("nope")),
        Effect.provide(other.layer),
        Effect.flip
      )
      assertMatches(left, { _tag: "FloodWait", code: 420, type: "FLOOD_WAIT_3" })
    })
  )

  it.effect("results pass through unchanged", () =>
    Effect.gen(function* () {
      const { layer } = fake({ respond: () => Effect.succeed(true) })
      assert.isTrue(yield* Phone.receivedCall({ peer }).pipe(Effect.provide(layer)))
    })
  )
})
