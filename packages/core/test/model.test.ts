import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Redacted, Result, Schema, SchemaAST } from "effect"
import * as Model from "../src/Model.js"
import {
  isMethodName,
  type MethodName,
  methodByConstructorId,
  methodNames,
  RpcMethods
} from "../src/RpcMethods.js"

// The shipped TL of layers 198 and 229 (catalog/tl/), parsed here independently of the
// generators, so the generated registry is checked against the data rather than against itself.
interface TlFunction {
  readonly name: string
  readonly id: number
  readonly params: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly result: string
}

const functionsOf = (layer: number): ReadonlyArray<TlFunction> => {
  const tl = readFileSync(fileURLToPath(new URL(`../catalog/tl/api-${layer}.tl`, import.meta.url)), "utf8")
  return tl
    .slice(tl.indexOf("\n---functions---"))
    .split("\n")
    .map((line) =>
      /^((?:phone\.|messages\.getDhConfig)[\w.]*)#([0-9a-f]+) (.*)= ([\w.<>]+);$/.exec(line.trim())
    )
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      name: m[1] as string,
      id: Number.parseInt(m[2] as string, 16),
      params: (m[3] as string)
        .split(" ")
        .filter((p) => p.length > 0 && p !== "flags:#")
        .map((p) => {
          const [name, type] = p.split(":") as [string, string]
          return { name, type }
        }),
      result: m[4] as string
    }))
}
const functions229 = functionsOf(229)
const functions198 = functionsOf(198)

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

const resultSchemas: Record<string, Schema.Top> = {
  "messages.DhConfig": Model.DhConfig,
  DataJSON: Model.DataJson,
  "phone.PhoneCall": Model.PhonePhoneCall,
  Bool: Schema.Boolean,
  Updates: Model.Updates,
  "phone.GroupCall": Model.PhoneGroupCall,
  "phone.GroupParticipants": Model.PhoneGroupParticipants,
  "Vector<int>": Schema.Array(Model.Int32),
  "phone.JoinAsPeers": Model.PhoneJoinAsPeers,
  "phone.ExportedGroupCallInvite": Model.PhoneExportedGroupCallInvite,
  "phone.GroupCallStreamChannels": Model.PhoneGroupCallStreamChannels,
  "phone.GroupCallStreamRtmpUrl": Model.PhoneGroupCallStreamRtmpUrl,
  "phone.GroupCallStars": Model.PhoneGroupCallStars
}

const layersOf = (name: MethodName): Readonly<Record<number, number>> => RpcMethods[name].layers

describe("RpcMethods registry against the shipped TL", () => {
  it("carries exactly the 43 phone.* functions of layer 229 and messages.getDhConfig", () => {
    assert.lengthOf(functions229, 44)
    assert.deepStrictEqual([...methodNames].sort(), functions229.map((f) => f.name).sort())
    assert.lengthOf(
      functions229.filter((f) => f.name.startsWith("phone.")),
      43
    )
  })

  for (const fn of functions229) {
    it(`${fn.name}: layer-229 constructor id, fields, optionality, result`, () => {
      if (!isMethodName(fn.name)) return assert.fail(`${fn.name} is not a registry method name`)
      const entry = RpcMethods[fn.name]
      assert.strictEqual(entry.constructorId >>> 0, fn.id)
      assert.strictEqual(layersOf(fn.name)[229], fn.id)
      assert.strictEqual(methodByConstructorId(fn.id), fn.name)
      const old = Object.hasOwn(layersOf(fn.name), 198)
        ? functions198.find((f) => f.name === fn.name)
        : undefined
      const fields = entry.params.fields as Record<string, Schema.Top>
      assert.deepStrictEqual(Object.keys(fields).sort(), fn.params.map((p) => camel(p.name)).sort())
      for (const p of fn.params) {
        const field = fields[camel(p.name)]
        assert.isDefined(field, p.name)
        const optional = SchemaAST.isOptional(field.ast)
        // flags.N?true is a required boolean, any other flags.N?X an optional key, and so is a
        // field layer 198's form of the method lacks
        const flagged = /^flags\.\d+\?/.test(p.type)
        const missingIn198 = old !== undefined && !old.params.some((q) => q.name === p.name)
        assert.strictEqual(
          optional,
          !p.type.endsWith("?true") && (flagged || missingIn198),
          `${fn.name}.${p.name}`
        )
      }
      const expected = resultSchemas[fn.result]
      assert.isDefined(expected, fn.result)
      if (fn.result === "Vector<int>" || fn.result === "Bool") {
        assert.strictEqual(entry.result.ast._tag, expected.ast._tag)
      } else {
        assert.strictEqual<Schema.Top>(entry.result, expected)
      }
    })
  }

  it("layer 198: every method but the draft createConferenceCall, under its layer-198 id", () => {
    assert.lengthOf(functions198, 33)
    for (const fn of functions198) {
      if (fn.name === "phone.createConferenceCall") continue
      assert.strictEqual(isMethodName(fn.name) && layersOf(fn.name)[198], fn.id, fn.name)
      assert.strictEqual(methodByConstructorId(fn.id), fn.name)
    }
    // layer 198's draft (peer, key_fingerprint) is not layer 229's method: not in 198 here
    assert.isFalse(Object.hasOwn(layersOf("phone.createConferenceCall"), 198))
    assert.isUndefined(methodByConstructorId(0xdfc909ab))
    assert.deepStrictEqual(methodNames.filter((m) => !Object.hasOwn(layersOf(m), 198)).sort(), [
      "phone.createConferenceCall",
      "phone.declineConferenceCallInvite",
      "phone.deleteConferenceCallParticipants",
      "phone.deleteGroupCallMessages",
      "phone.deleteGroupCallParticipantMessages",
      "phone.getGroupCallChainBlocks",
      "phone.getGroupCallStars",
      "phone.inviteConferenceCallParticipant",
      "phone.saveDefaultSendAs",
      "phone.sendConferenceCallBroadcast",
      "phone.sendGroupCallEncryptedMessage",
      "phone.sendGroupCallMessage"
    ])
  })

  it("rejects unknown method names and constructor ids", () => {
    assert.isFalse(isMethodName("phone.nope"))
    assert.isFalse(isMethodName("toString"))
    assert.isUndefined(methodByConstructorId(0x12345678))
  })
})

describe("Model schemas", () => {
  const call = Model.InputGroupCall.make({ id: 1n, accessHash: -2n })

  it("toggleGroupCallRecord ties videoPortrait to video (shared flags.2)", () => {
    const decode = Schema.decodeUnknownResult(RpcMethods["phone.toggleGroupCallRecord"].params)
    assert.isTrue(Result.isSuccess(decode({ start: true, video: true, call, videoPortrait: false })))
    assert.isTrue(Result.isSuccess(decode({ start: true, video: false, call })))
    const bad = decode({ start: true, video: true, call })
    if (Result.isSuccess(bad)) return assert.fail("video without videoPortrait decoded")
    assert.include(bad.failure.message, "video, videoPortrait share TL flags.2: set all of them or none")
    assert.isTrue(Result.isFailure(decode({ start: false, video: false, call, videoPortrait: true })))
  })

  it("Long rejects values outside the signed 64-bit range", () => {
    const decode = Schema.decodeUnknownResult(Model.Long)
    assert.isTrue(Result.isSuccess(decode(2n ** 63n - 1n)))
    assert.isTrue(Result.isFailure(decode(2n ** 63n)))
    assert.isTrue(Result.isFailure(decode(1)))
  })

  it("Int32 rejects values outside the signed 32-bit range", () => {
    const decode = Schema.decodeUnknownResult(Model.Int32)
    assert.isTrue(Result.isSuccess(decode(-(2 ** 31))))
    assert.isTrue(Result.isFailure(decode(2 ** 31)))
    assert.isTrue(Result.isFailure(decode(1.5)))
  })

  it("Updates defaults chats to empty when constructed", () => {
    assert.deepStrictEqual(new Model.Updates({ updates: [], users: [] }).chats, [])
  })

  it("the RTMP stream key is redacted", () => {
    const url = new Model.PhoneGroupCallStreamRtmpUrl({ url: "rtmps://x", key: Redacted.make("secret-key") })
    assert.notInclude(String(url.key), "secret-key")
    assert.notInclude(JSON.stringify(url), "secret-key")
    assert.strictEqual(Redacted.value(url.key), "secret-key")
  })

  it("group-call updates are part of Update", () => {
    const decode = Schema.decodeUnknownResult(Model.Update)
    const ok = decode({
      _tag: "UpdateGroupCall",
      liveStory: false,
      call: { _tag: "GroupCallDiscarded", id: 1n, accessHash: 2n, duration: 3 }
    })
    assert.isTrue(Result.isSuccess(ok))
    assert.isTrue(
      Result.isFailure(decode({ _tag: "UpdateGroupCall", liveStory: false, call: { _tag: "Nope" } }))
    )
  })

  it("layer 229's call changes: conferenceSupported on PhoneCall, the MigrateConferenceCall reason", () => {
    const decodeCall = Schema.decodeUnknownResult(Model.PhoneCall)
    const protocol = {
      udpP2p: true,
      udpReflector: true,
      minLayer: 65,
      maxLayer: 92,
      libraryVersions: ["4.0.0"]
    }
    const active = {
      _tag: "PhoneCall",
      p2pAllowed: false,
      video: false,
      id: 1n,
      accessHash: 2n,
      date: 3,
      adminId: 4n,
      participantId: 5n,
      gAOrB: new Uint8Array(1),
      keyFingerprint: 6n,
      protocol,
      connections: [],
      startDate: 7
    }
    assert.isTrue(Result.isFailure(decodeCall(active)))
    const decoded = decodeCall({ ...active, conferenceSupported: true })
    assert.isTrue(
      Result.isSuccess(decoded) && decoded.success._tag === "PhoneCall" && decoded.success.conferenceSupported
    )
    const decodeReason = Schema.decodeUnknownResult(Model.DiscardReason)
    assert.deepStrictEqual(
      Result.getOrUndefined(decodeReason({ _tag: "MigrateConferenceCall", slug: "abc" })),
      {
        _tag: "MigrateConferenceCall",
        slug: "abc"
      }
    )
    assert.isTrue(Result.isFailure(decodeReason({ _tag: "MigrateConferenceCall" })))
    // layer 198's draft reason and conference_call field are not modelled
    assert.isTrue(Result.isFailure(decodeReason({ _tag: "AllowGroupCall", encryptedKey: new Uint8Array(1) })))
    assert.notInclude(Object.keys(Model.PhoneCall.cases.PhoneCallWaiting.fields), "conferenceCall")
  })
})
