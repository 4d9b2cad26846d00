import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Redacted, Schema } from "effect"
import { Api } from "telegram"
import { LAYER as GRAMJS } from "telegram/tl/AllTLObjects.js"
import { failure, success as getOk } from "../../../test-support/assert.js"
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

const bytesOf = (o: unknown): Uint8Array => (o as { getBytes(): Buffer }).getBytes()

const RUNS = 25

/** GramJS 2.26 speaks layer 198 (its `LAYER`): the methods it has, and the params that layer can carry. */
const inGramJs = methodNames.filter((m) => Object.hasOwn(RpcMethods[m].layers, GRAMJS))
const camel = Tl.fieldName
/** Model variants (of `_tag`ged unions) GramJS's layer has no constructor for, from the model table. */
const NOT_IN_198 = new Set(
  Tl.modelConstructorNames
    .filter((n) => !Tl.schema(GRAMJS).byName.has(n))
    .flatMap((n) => {
      const c = Tl.modelConstructor(n)
      return c !== undefined && Tl.modelType(c.type)?.kind === "union" ? [c.tag] : []
    })
)
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
    assert.isTrue(Array.isArray(original), path)
    // the updates layer 198 has no constructor for are dropped
    const list = (original as ReadonlyArray<unknown>).filter(
      (o) => !NOT_IN_198.has(String((o as { _tag?: unknown } | null)?._tag))
    )
    assert.strictEqual(decoded.length, list.length, path)
    for (const [i, d] of decoded.entries()) subsetOf(d, list[i], `${path}[${i}]`)
    return
  }
  if (typeof decoded === "object" && decoded !== null && !(decoded instanceof Uint8Array)) {
    const o = original as Record<string, unknown>
    for (const [k, v] of Object.entries(decoded)) {
      if (k === "raw") continue
      // the reason a layer-198 client sees for a call moved into a conference
      if (k === "reason" && (o[k] as { _tag?: unknown } | undefined)?._tag === "MigrateConferenceCall") {
        assert.deepStrictEqual(v, { _tag: "Hangup" }, `${path}.${k}`)
        continue
      }
      // a flag the layer lacks reads back as false
      if (v === false && o[k] !== false) {
        assert.strictEqual(o[k], true, `${path}.${k}`)
        continue
      }
      subsetOf(v, o[k], `${path}.${k}`)
    }
    return
  }
  assert.deepStrictEqual(plain(decoded), plain(original), path)
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
        assert.lengthOf(values, RUNS)
        for (const params of values) {
          const request = getOk(Rpc.encodeRequest(method, params as never))
          const wire = bytesOf(request)
          const id = Buffer.from(wire).readUInt32LE(0)
          assert.strictEqual(id, (RpcMethods[method].layers as Readonly<Record<number, number>>)[GRAMJS])
          const read = getOk(Rpc.readObject(wire))
          const decoded = getOk(Rpc.decodeRequest(read))
          assert.strictEqual(decoded.method, method)
          assert.deepStrictEqual(plain(decoded.params), plain(params))
          // and the decoded params are valid registry values
          assert.isTrue(Schema.is(RpcMethods[method].params as Schema.Top)(decoded.params))
        }
      })
    )
  }

  it("the registry's layer-198 constructor ids are GramJS's, and it has no others", () => {
    for (const method of inGramJs) {
      assert.strictEqual(
        (Rpc.requestClassOf(method) as unknown as { CONSTRUCTOR_ID: number }).CONSTRUCTOR_ID,
        (RpcMethods[method].layers as Readonly<Record<number, number>>)[GRAMJS],
        method
      )
    }
    assert.lengthOf(inGramJs, 32)
    assert.deepStrictEqual(
      methodNames.filter((m) => !inGramJs.includes(m)).map((m) => Rpc.encodeRequest(m, {} as never)._tag),
      Array(12).fill("Failure")
    )
  })

  it("a parameter layer 198 lacks is a CodecError naming it, not dropped", () => {
    const error = failure(
      Rpc.encodeRequest("phone.getGroupCallStreamRtmpUrl", {
        liveStory: true,
        peer: { _tag: "InputPeerSelf" },
        revoke: false
      })
    )
    assert.strictEqual(error.message, "phone.getGroupCallStreamRtmpUrl.liveStory is not in layer 198")
  })
})

// ---- results --------------------------------------------------------------------------------

describe("result codecs: domain → serializeResult bytes → readResult (GramJS) → domain", () => {
  for (const method of inGramJs) {
    it.effect(method, () =>
      Effect.gen(function* () {
        const values = yield* sample(RpcMethods[method].result as Schema.Top, RUNS, `res:${method}`)
        assert.lengthOf(values, RUNS)
        for (const result of values) {
          const data = getOk(Rpc.serializeResult(method, result as never))
          const decoded = getOk(Rpc.readResult(method, data))
          subsetOf(decoded, result)
          assert.isTrue(Schema.is(RpcMethods[method].result as Schema.Top)(decoded))
          // what layer 198 carries survives unchanged
          assert.deepStrictEqual(
            plain(getOk(Rpc.readResult(method, getOk(Rpc.serializeResult(method, decoded as never))))),
            plain(decoded)
          )
          // the in-memory path (client.invoke resolves to the GramJS object) agrees
          const wire = getOk(Rpc.encodeResult(method, result as never))
          assert.deepStrictEqual(plain(getOk(Rpc.decodeResult(method, wire))), plain(decoded))
        }
      })
    )
  }
})

// ---- updates --------------------------------------------------------------------------------

describe("update codecs", () => {
  it.effect("every modelled Update survives the wire", () =>
    Effect.gen(function* () {
      // the modelled updates GramJS's layer has (the model table's, less NOT_IN_198)
      const in198 = (Tl.modelType("Update")?.constructors ?? [])
        .map((n) => Tl.modelConstructor(n)?.tag ?? n)
        .filter((tag) => !NOT_IN_198.has(tag))
      assert.isNotEmpty(in198)
      const values = (yield* sample(Model.Update, 120, "update")).filter((u) => in198.includes(u._tag))
      const tags = new Set(values.map((u) => u._tag))
      assert.deepStrictEqual([...tags].sort(), [...in198].sort())
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
    assert.deepStrictEqual(u.updates, [
      { _tag: "UpdatePhoneCall", phoneCall: { _tag: "PhoneCallEmpty", id: 9n } }
    ])
    assert.deepStrictEqual(
      u.users.map((x) => [x.id, x.accessHash, x.firstName, x.bot]),
      [[5n, 6n, "Ann", true]]
    )
    assert.instanceOf(u.users[0]?.raw, Api.User)
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
    assert.deepStrictEqual(c.updates, [
      { _tag: "UpdatePhoneCall", phoneCall: { _tag: "PhoneCallEmpty", id: 9n } }
    ])
    assert.deepStrictEqual(c.chats, [{ _tag: "ChatForbidden", id: 3n, title: "t" }])
    const short = getOk(Rpc.decodeUpdates(roundTrip(new Api.UpdateShort({ update: phoneCall, date: 1 }))))
    assert.deepStrictEqual(
      short.updates.map((x) => x._tag),
      ["UpdatePhoneCall"]
    )
    const shortOther = getOk(
      Rpc.decodeUpdates(roundTrip(new Api.UpdateShort({ update: unmodelled, date: 1 })))
    )
    assert.deepStrictEqual(shortOther.updates, [])
    assert.deepStrictEqual(getOk(Rpc.decodeUpdates(roundTrip(new Api.UpdatesTooLong()))).updates, [])
    const msg = new Api.UpdateShortMessage({
      id: 1,
      userId: 2n as never,
      message: "hi",
      pts: 1,
      ptsCount: 1,
      date: 1
    })
    assert.deepStrictEqual(getOk(Rpc.decodeUpdates(roundTrip(msg))).updates, [])
  })

  it("a single Update decodes as a one-element Updates", () => {
    assert.deepStrictEqual(getOk(Rpc.decodeUpdates(roundTrip(phoneCall))).updates, [
      { _tag: "UpdatePhoneCall", phoneCall: { _tag: "PhoneCallEmpty", id: 9n } }
    ])
  })

  it("decodeUpdate fails typed on an unmodelled update", () => {
    assert.strictEqual(failure(Rpc.decodeUpdate(unmodelled))._tag, "CodecError")
  })
})

// ---- failures and escapes -------------------------------------------------------------------

describe("codec failures are values", () => {
  it("decodeRequest: a request outside the registry is UnsupportedRequest", () => {
    const r = failure(Rpc.decodeRequest(getOk(Rpc.readObject(bytesOf(new Api.help.GetConfig())))))
    if (r._tag !== "UnsupportedRequest") return assert.fail(`expected UnsupportedRequest, got ${r._tag}`)
    assert.strictEqual(r.className, "help.GetConfig")
    assert.strictEqual(failure(Rpc.decodeRequest(null))._tag, "UnsupportedRequest")
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
    assert.strictEqual(getOk(Rpc.decodeRequest(Rpc.unwrapRequest(read))).method, "phone.getCallConfig")
    assert.strictEqual(failure(Rpc.decodeRequest(read))._tag, "UnsupportedRequest")
    assert.strictEqual(Rpc.unwrapRequest(inner), inner)
  })

  it("decodeResult: a wrong constructor is a CodecError naming what was expected", () => {
    const r = failure(Rpc.decodeResult("phone.requestCall", new Api.DataJSON({ data: "{}" })))
    assert.strictEqual(r._tag, "CodecError")
    assert.include(r.message, "expected phone.PhoneCall, got DataJSON")
    assert.strictEqual(failure(Rpc.decodeResult("phone.receivedCall", 1))._tag, "CodecError")
  })

  it("encodeRequest: a missing required field is a CodecError, not a throw", () => {
    assert.include(failure(Rpc.encodeRequest("phone.receivedCall", {} as never)).message, "peer is missing")
  })

  it("serializeResult: an out-of-range int is a CodecError, not a throw", () => {
    assert.strictEqual(failure(Rpc.serializeResult("phone.checkGroupCall", [2 ** 40]))._tag, "CodecError")
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
    assert.strictEqual(decoded.method, "phone.getGroupCallJoinAs")
    const peer = (decoded.params as { peer: Model.InputPeer }).peer
    assert.strictEqual(peer._tag, "InputPeerRaw")
    const bad = failure(
      Rpc.encodeRequest("phone.getGroupCallJoinAs", {
        peer: { _tag: "InputPeerRaw", raw: { x: 1 } }
      })
    )
    assert.include(bad.message, "InputPeerRaw.raw is not a backend InputPeer object")
  })

  it("inputUserFromEntity accepts user peers only", () => {
    assert.deepStrictEqual(
      getOk(
        Rpc.inputUserFromEntity(new Api.InputPeerUser({ userId: 1n as never, accessHash: -2n as never }))
      ),
      {
        _tag: "InputUser",
        userId: 1n,
        accessHash: -2n
      }
    )
    assert.deepStrictEqual(getOk(Rpc.inputUserFromEntity(new Api.InputPeerSelf())), { _tag: "InputUserSelf" })
    const r = failure(
      Rpc.inputUserFromEntity(new Api.InputPeerChannel({ channelId: 1n as never, accessHash: 2n as never }))
    )
    assert.include(r.message, "not a user: InputPeerChannel")
  })

  it("userEmpty decodes to a User with its id", () => {
    const u = getOk(Rpc.decodeUser(new Api.UserEmpty({ id: 42n as never })))
    assert.deepStrictEqual([u.id, u.bot, u.deleted], [42n, false, false])
  })
})

const _typecheck: ReadonlyArray<MethodName> = methodNames
void _typecheck
