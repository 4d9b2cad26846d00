import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect, Redacted, Result, Schema } from "effect"
import { Api } from "telegram"
import * as Rpc from "../src/internal/gramjs/rpc.js"
import * as Model from "../src/Model.js"
import { type MethodName, methodNames, RpcMethods } from "../src/RpcMethods.js"
import * as Tl from "../src/Tl.js"

// ---- helpers --------------------------------------------------------------------------------

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Values TL can carry: TL ints are 32-bit, strings are UTF-8, `raw` escapes are backend objects. */
const wireable = (value: unknown): boolean => {
  if (typeof value === "number") return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31
  if (typeof value === "string") return !LONE_SURROGATE.test(value)
  if (Redacted.isRedacted(value)) return wireable(Redacted.value(value))
  if (value instanceof Uint8Array) return true
  if (Array.isArray(value)) return value.every(wireable)
  if (typeof value === "object" && value !== null) {
    if ((value as { _tag?: unknown })._tag === "InputPeerRaw") return false
    return Object.entries(value).every(([k, v]) => k === "raw" || wireable(v))
  }
  return true
}

/** Plain-data view for comparison: drops `raw`, opens `Redacted`, turns -0 into 0. */
const plain = (value: unknown): unknown => {
  if (typeof value === "number") return value === 0 ? 0 : value
  if (Redacted.isRedacted(value)) return { redacted: plain(Redacted.value(value)) }
  if (value instanceof Uint8Array) return Array.from(value)
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (k !== "raw") out[k] = plain(v)
    return out
  }
  return value
}

const sample = <S extends Schema.Top>(schema: S, count: number, seed: string) =>
  Arbitrary.sampleEffect(Arbitrary.schema(schema).pipe(Arbitrary.filter(wireable)), {
    count,
    seed,
    size: 6,
    maxDiscards: count * 200
  })

const getOk = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${String(r.failure)}`)
  return r.success
}

const bytesOf = (o: unknown): Uint8Array => (o as { getBytes(): Buffer }).getBytes()

const RUNS = 25

/** GramJS 2.26 speaks layer 198: the methods it has, and the params that layer can carry. */
const GRAMJS = 198
const inGramJs = methodNames.filter((m) => Object.hasOwn(RpcMethods[m].layers, GRAMJS))
const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
/** Model variants layer 198 has no constructor for. */
const NOT_IN_198 = new Set([
  "MigrateConferenceCall",
  "UpdateGroupCallChainBlocks",
  "UpdateGroupCallMessage",
  "UpdateGroupCallEncryptedMessage",
  "UpdateDeleteGroupCallMessages"
])
const hasVariantNotIn198 = (value: unknown): boolean =>
  Array.isArray(value)
    ? value.some(hasVariantNotIn198)
    : typeof value === "object" && value !== null && !(value instanceof Uint8Array)
      ? NOT_IN_198.has(String((value as { _tag?: unknown })._tag)) ||
        Object.values(value).some(hasVariantNotIn198)
      : false
const carriedBy198 =
  (method: MethodName) =>
  (params: unknown): boolean => {
    const def = Tl.schema(GRAMJS).byName.get(method)
    const flags = new Set(
      Tl.schema(Tl.newest)
        .byName.get(method)
        ?.params.filter((p) => p.type === "true")
        .map((p) => camel(p.name))
    )
    return (
      !hasVariantNotIn198(params) &&
      Object.entries(params as Record<string, unknown>).every(
        ([k, v]) =>
          v === undefined ||
          (v === false && flags.has(k)) ||
          def?.params.some((p) => camel(p.name) === k) === true
      )
    )
  }

/**
 * `decoded` is `original` less what layer 198 cannot carry: every field it has equals the
 * original's, a field it lacks is one the original had (not a field invented on the way).
 */
const subsetOf = (decoded: unknown, original: unknown, path = "$"): void => {
  if (Array.isArray(decoded)) {
    expect(Array.isArray(original), path).toBe(true)
    // the updates layer 198 has no constructor for are dropped
    const list = (original as ReadonlyArray<unknown>).filter(
      (o) => !NOT_IN_198.has(String((o as { _tag?: unknown } | null)?._tag))
    )
    expect(decoded.length, path).toBe(list.length)
    for (const [i, d] of decoded.entries()) subsetOf(d, list[i], `${path}[${i}]`)
    return
  }
  if (typeof decoded === "object" && decoded !== null && !(decoded instanceof Uint8Array)) {
    const o = original as Record<string, unknown>
    for (const [k, v] of Object.entries(decoded)) {
      if (k === "raw") continue
      // the reason a layer-198 client sees for a call moved into a conference
      if (k === "reason" && (o[k] as { _tag?: unknown } | undefined)?._tag === "MigrateConferenceCall") {
        expect(v, `${path}.${k}`).toEqual({ _tag: "Hangup" })
        continue
      }
      // a flag the layer lacks reads back as false
      if (v === false && o[k] !== false) {
        expect(o[k], `${path}.${k}`).toBe(true)
        continue
      }
      subsetOf(v, o[k], `${path}.${k}`)
    }
    return
  }
  expect(plain(decoded), path).toEqual(plain(original))
}

// ---- requests -------------------------------------------------------------------------------

describe("request codecs: domain → Api → TL bytes → tgReadObject → domain", () => {
  for (const method of inGramJs) {
    it.effect(method, () =>
      Effect.gen(function* () {
        const values = yield* Arbitrary.sampleEffect(
          Arbitrary.schema(RpcMethods[method].params).pipe(
            Arbitrary.filter(wireable),
            Arbitrary.filter(carriedBy198(method))
          ),
          { count: RUNS, seed: `req:${method}`, size: 6, maxDiscards: RUNS * 200 }
        )
        expect(values.length).toBe(RUNS)
        for (const params of values) {
          const request = getOk(Rpc.encodeRequest(method, params as never))
          const wire = bytesOf(request)
          const id = Buffer.from(wire).readUInt32LE(0)
          expect(id).toBe((RpcMethods[method].layers as Readonly<Record<number, number>>)[GRAMJS])
          const read = getOk(Rpc.readObject(wire))
          const decoded = getOk(Rpc.decodeRequest(read))
          expect(decoded.method).toBe(method)
          expect(plain(decoded.params)).toEqual(plain(params))
          // and the decoded params are valid registry values
          expect(Schema.is(RpcMethods[method].params as Schema.Top)(decoded.params)).toBe(true)
        }
      })
    )
  }

  it("the registry's layer-198 constructor ids are GramJS's, and it has no others", () => {
    for (const method of inGramJs) {
      expect((Rpc.requestClassOf(method) as unknown as { CONSTRUCTOR_ID: number }).CONSTRUCTOR_ID).toBe(
        (RpcMethods[method].layers as Readonly<Record<number, number>>)[GRAMJS]
      )
    }
    expect(inGramJs.length).toBe(32)
    expect(
      methodNames.filter((m) => !inGramJs.includes(m)).map((m) => Rpc.encodeRequest(m, {} as never)._tag)
    ).toEqual(Array(12).fill("Failure"))
  })

  it("a parameter layer 198 lacks is a CodecError naming it, not dropped", () => {
    const failure = Rpc.encodeRequest("phone.getGroupCallStreamRtmpUrl", {
      liveStory: true,
      peer: { _tag: "InputPeerSelf" },
      revoke: false
    })
    expect(Result.isFailure(failure) && failure.failure.message).toBe(
      "phone.getGroupCallStreamRtmpUrl.liveStory is not in layer 198"
    )
  })
})

// ---- results --------------------------------------------------------------------------------

describe("result codecs: domain → serializeResult bytes → readResult (GramJS) → domain", () => {
  for (const method of inGramJs) {
    it.effect(method, () =>
      Effect.gen(function* () {
        const values = yield* sample(RpcMethods[method].result as Schema.Top, RUNS, `res:${method}`)
        expect(values.length).toBe(RUNS)
        for (const result of values) {
          const data = getOk(Rpc.serializeResult(method, result as never))
          const decoded = getOk(Rpc.readResult(method, data))
          subsetOf(decoded, result)
          expect(Schema.is(RpcMethods[method].result as Schema.Top)(decoded)).toBe(true)
          // what layer 198 carries survives unchanged
          expect(
            plain(getOk(Rpc.readResult(method, getOk(Rpc.serializeResult(method, decoded as never)))))
          ).toEqual(plain(decoded))
          // the in-memory path (client.invoke resolves to the GramJS object) agrees
          const wire = getOk(Rpc.encodeResult(method, result as never))
          expect(plain(getOk(Rpc.decodeResult(method, wire)))).toEqual(plain(decoded))
        }
      })
    )
  }
})

// ---- updates --------------------------------------------------------------------------------

describe("update codecs", () => {
  it.effect("every modelled Update survives the wire", () =>
    Effect.gen(function* () {
      const in198 = [
        "UpdatePhoneCall",
        "UpdatePhoneCallSignalingData",
        "UpdateGroupCall",
        "UpdateGroupCallParticipants",
        "UpdateGroupCallConnection"
      ]
      const values = (yield* sample(Model.Update, 120, "update")).filter((u) => in198.includes(u._tag))
      const tags = new Set(values.map((u) => u._tag))
      expect(tags.size).toBe(5)
      for (const update of values) {
        const wire = bytesOf(getOk(Rpc.encodeUpdate(update)))
        const decoded = getOk(Rpc.decodeUpdate(getOk(Rpc.readObject(wire))))
        subsetOf(decoded, update)
      }
    })
  )

  const phoneCall = new Api.UpdatePhoneCall({
    phoneCall: new Api.PhoneCallEmpty({ id: 9n as never })
  })
  const unmodelled = new Api.UpdateConfig()
  const user = new Api.User({
    id: 5n as never,
    accessHash: 6n as never,
    firstName: "Ann",
    bot: true,
    botInfoVersion: 1
  })
  const roundTrip = (o: object) => getOk(Rpc.readObject(bytesOf(o)))

  it("flattens updates and drops unmodelled updates", () => {
    const u = getOk(
      Rpc.decodeUpdates(
        roundTrip(
          new Api.Updates({ updates: [unmodelled, phoneCall], users: [user], chats: [], date: 1, seq: 0 })
        )
      )
    )
    expect(u.updates).toEqual([{ _tag: "UpdatePhoneCall", phoneCall: { _tag: "PhoneCallEmpty", id: 9n } }])
    expect(u.users.map((x) => [x.id, x.accessHash, x.firstName, x.bot])).toEqual([[5n, 6n, "Ann", true]])
    expect(u.users[0]?.raw).toBeInstanceOf(Api.User)
  })

  it("flattens updatesCombined, updateShort, updatesTooLong and short messages", () => {
    const combined = new Api.UpdatesCombined({
      updates: [phoneCall],
      users: [],
      chats: [new Api.ChatForbidden({ id: 3n as never, title: "t" })],
      date: 1,
      seqStart: 0,
      seq: 0
    })
    const c = getOk(Rpc.decodeUpdates(roundTrip(combined)))
    expect(c.updates).toHaveLength(1)
    expect(c.chats).toEqual([{ _tag: "ChatForbidden", id: 3n, title: "t" }])
    const short = getOk(Rpc.decodeUpdates(roundTrip(new Api.UpdateShort({ update: phoneCall, date: 1 }))))
    expect(short.updates.map((x) => x._tag)).toEqual(["UpdatePhoneCall"])
    const shortOther = getOk(
      Rpc.decodeUpdates(roundTrip(new Api.UpdateShort({ update: unmodelled, date: 1 })))
    )
    expect(shortOther.updates).toEqual([])
    expect(getOk(Rpc.decodeUpdates(roundTrip(new Api.UpdatesTooLong()))).updates).toEqual([])
    const msg = new Api.UpdateShortMessage({
      id: 1,
      userId: 2n as never,
      message: "hi",
      pts: 1,
      ptsCount: 1,
      date: 1
    })
    expect(getOk(Rpc.decodeUpdates(roundTrip(msg))).updates).toEqual([])
  })

  it("a single Update decodes as a one-element Updates", () => {
    expect(getOk(Rpc.decodeUpdates(roundTrip(phoneCall))).updates).toHaveLength(1)
  })

  it("decodeUpdate fails typed on an unmodelled update", () => {
    const r = Rpc.decodeUpdate(unmodelled)
    expect(Result.isFailure(r) && r.failure._tag).toBe("CodecError")
  })
})

// ---- failures and escapes -------------------------------------------------------------------

describe("codec failures are values", () => {
  it("decodeRequest: a request outside the registry is UnsupportedRequest", () => {
    const r = Rpc.decodeRequest(getOk(Rpc.readObject(bytesOf(new Api.help.GetConfig()))))
    expect(Result.isFailure(r) && r.failure._tag).toBe("UnsupportedRequest")
    if (Result.isFailure(r) && r.failure._tag === "UnsupportedRequest")
      expect(r.failure.className).toBe("help.GetConfig")
    const n = Rpc.decodeRequest(null)
    expect(Result.isFailure(n) && n.failure._tag).toBe("UnsupportedRequest")
  })

  it("unwrapRequest strips invokeWithLayer > initConnection > invokeWithoutUpdates", () => {
    const inner = getOk(Rpc.encodeRequest("phone.getCallConfig", {}))
    const wrapped = new Api.InvokeWithLayer({
      layer: 198,
      query: new Api.InitConnection({
        apiId: 1,
        deviceModel: "d",
        systemVersion: "s",
        appVersion: "1.0",
        systemLangCode: "en",
        langPack: "",
        langCode: "en",
        query: new Api.InvokeWithoutUpdates({ query: inner as never })
      })
    })
    const read = getOk(Rpc.readObject(bytesOf(wrapped)))
    expect(getOk(Rpc.decodeRequest(Rpc.unwrapRequest(read))).method).toBe("phone.getCallConfig")
    const direct = Rpc.decodeRequest(read)
    expect(Result.isFailure(direct) && direct.failure._tag).toBe("UnsupportedRequest")
    expect(Rpc.unwrapRequest(inner)).toBe(inner)
  })

  it("decodeResult: a wrong constructor is a CodecError naming what was expected", () => {
    const r = Rpc.decodeResult("phone.requestCall", new Api.DataJSON({ data: "{}" }))
    expect(Result.isFailure(r)).toBe(true)
    if (Result.isFailure(r)) {
      expect(r.failure._tag).toBe("CodecError")
      expect(r.failure.message).toContain("expected phone.PhoneCall, got DataJSON")
    }
    const b = Rpc.decodeResult("phone.receivedCall", 1)
    expect(Result.isFailure(b)).toBe(true)
  })

  it("encodeRequest: a missing required field is a CodecError, not a throw", () => {
    const r = Rpc.encodeRequest("phone.receivedCall", {} as never)
    expect(Result.isFailure(r) && r.failure.message).toContain("peer is missing")
  })

  it("serializeResult: an out-of-range int is a CodecError, not a throw", () => {
    const r = Rpc.serializeResult("phone.checkGroupCall", [2 ** 40])
    expect(Result.isFailure(r)).toBe(true)
  })

  it("InputPeerRaw passes a GramJS InputPeer through, and rejects anything else", () => {
    const fromMessage = new Api.InputPeerUserFromMessage({
      peer: new Api.InputPeerSelf(),
      msgId: 7,
      userId: 8n as never
    })
    const params = { peer: { _tag: "InputPeerRaw" as const, raw: fromMessage } }
    const request = getOk(Rpc.encodeRequest("phone.getGroupCallJoinAs", params))
    const decoded = getOk(Rpc.decodeRequest(getOk(Rpc.readObject(bytesOf(request)))))
    expect(decoded.method).toBe("phone.getGroupCallJoinAs")
    const peer = (decoded.params as { peer: Model.InputPeer }).peer
    expect(peer._tag).toBe("InputPeerRaw")
    const bad = Rpc.encodeRequest("phone.getGroupCallJoinAs", {
      peer: { _tag: "InputPeerRaw", raw: { x: 1 } }
    })
    expect(Result.isFailure(bad) && bad.failure.message).toContain(
      "InputPeerRaw.raw is not a backend InputPeer object"
    )
  })

  it("inputUserFromEntity accepts user peers only", () => {
    expect(
      getOk(Rpc.inputUserFromEntity(new Api.InputPeerUser({ userId: 1n as never, accessHash: -2n as never })))
    ).toEqual({
      _tag: "InputUser",
      userId: 1n,
      accessHash: -2n
    })
    expect(getOk(Rpc.inputUserFromEntity(new Api.InputPeerSelf()))).toEqual({ _tag: "InputUserSelf" })
    const r = Rpc.inputUserFromEntity(
      new Api.InputPeerChannel({ channelId: 1n as never, accessHash: 2n as never })
    )
    expect(Result.isFailure(r) && r.failure.message).toContain("not a user: InputPeerChannel")
  })

  it("userEmpty decodes to a User with its id", () => {
    const u = getOk(Rpc.decodeUser(new Api.UserEmpty({ id: 42n as never })))
    expect([u.id, u.bot, u.deleted]).toEqual([42n, false, false])
  })
})

const _typecheck: ReadonlyArray<MethodName> = methodNames
void _typecheck
