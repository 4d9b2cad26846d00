import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Redacted, Result, Schema, SchemaAST } from "effect"
import * as Model from "../src/Model.js"
import { isMethodName, methodByConstructorId, methodNames, RpcMethods } from "../src/RpcMethods.js"

// The layer-198 TL the package ships, copied into the repo (catalog/phone-types.tl).
const tl = readFileSync(fileURLToPath(new URL("../catalog/phone-types.tl", import.meta.url)), "utf8")

interface TlFunction {
  readonly name: string
  readonly id: number
  readonly params: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly result: string
}

const functions: ReadonlyArray<TlFunction> = tl
  .slice(tl.indexOf("---functions---"))
  .split("\n")
  .map((line) => /^([\w.]+)#([0-9a-f]+) (.*)= ([\w.<>]+);$/.exec(line.trim()))
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
  "phone.GroupCallStreamRtmpUrl": Model.PhoneGroupCallStreamRtmpUrl
}

describe("RpcMethods registry against the layer-198 TL", () => {
  it("carries exactly the 32 phone.* functions and messages.getDhConfig", () => {
    expect(functions).toHaveLength(33)
    expect([...methodNames].sort()).toEqual(functions.map((f) => f.name).sort())
    expect(functions.filter((f) => f.name.startsWith("phone."))).toHaveLength(32)
  })

  for (const fn of functions) {
    it(`${fn.name}: constructor id, fields, optionality, result`, () => {
      expect(isMethodName(fn.name)).toBe(true)
      if (!isMethodName(fn.name)) return
      const entry = RpcMethods[fn.name]
      expect(entry.constructorId >>> 0).toBe(fn.id)
      expect(methodByConstructorId(fn.id)).toBe(fn.name)
      const fields = entry.params.fields as Record<string, Schema.Top>
      expect(Object.keys(fields).sort()).toEqual(fn.params.map((p) => camel(p.name)).sort())
      for (const p of fn.params) {
        const field = fields[camel(p.name)]
        expect(field, p.name).toBeDefined()
        if (field === undefined) continue
        const optional = SchemaAST.isOptional(field.ast)
        // flags.N?true is a required boolean, any other flags.N?X an optional key
        expect(optional, `${fn.name}.${p.name}`).toBe(
          /^flags\.\d+\?/.test(p.type) && !p.type.endsWith("?true")
        )
      }
      const expected = resultSchemas[fn.result]
      expect(expected, fn.result).toBeDefined()
      if (fn.result === "Vector<int>" || fn.result === "Bool") {
        expect(entry.result.ast._tag).toBe(expected?.ast._tag)
      } else {
        expect(entry.result).toBe(expected)
      }
    })
  }

  it("rejects unknown method names and constructor ids", () => {
    expect(isMethodName("phone.deleteConferenceCallParticipants")).toBe(false)
    expect(isMethodName("toString")).toBe(false)
    expect(methodByConstructorId(0x8ca60525)).toBeUndefined()
  })
})

describe("Model schemas", () => {
  const call = Model.InputGroupCall.make({ id: 1n, accessHash: -2n })

  it("toggleGroupCallRecord ties videoPortrait to video (shared flags.2)", () => {
    const decode = Schema.decodeUnknownResult(RpcMethods["phone.toggleGroupCallRecord"].params)
    expect(Result.isSuccess(decode({ start: true, video: true, call, videoPortrait: false }))).toBe(true)
    expect(Result.isSuccess(decode({ start: true, video: false, call }))).toBe(true)
    const bad = decode({ start: true, video: true, call })
    expect(Result.isFailure(bad)).toBe(true)
    if (Result.isFailure(bad))
      expect(bad.failure.message).toContain("videoPortrait must be set exactly when video")
    expect(Result.isFailure(decode({ start: false, video: false, call, videoPortrait: true }))).toBe(true)
  })

  it("Long rejects values outside the signed 64-bit range", () => {
    const decode = Schema.decodeUnknownResult(Model.Long)
    expect(Result.isSuccess(decode(2n ** 63n - 1n))).toBe(true)
    expect(Result.isFailure(decode(2n ** 63n))).toBe(true)
    expect(Result.isFailure(decode(1))).toBe(true)
  })

  it("Int32 rejects values outside the signed 32-bit range", () => {
    const decode = Schema.decodeUnknownResult(Model.Int32)
    expect(Result.isSuccess(decode(-(2 ** 31)))).toBe(true)
    expect(Result.isFailure(decode(2 ** 31))).toBe(true)
    expect(Result.isFailure(decode(1.5))).toBe(true)
  })

  it("Updates defaults chats to empty when constructed", () => {
    expect(new Model.Updates({ updates: [], users: [] }).chats).toEqual([])
  })

  it("the RTMP stream key is redacted", () => {
    const url = new Model.PhoneGroupCallStreamRtmpUrl({ url: "rtmps://x", key: Redacted.make("secret-key") })
    expect(String(url.key)).not.toContain("secret-key")
    expect(JSON.stringify(url)).not.toContain("secret-key")
    expect(Redacted.value(url.key)).toBe("secret-key")
  })

  it("group-call updates are part of Update", () => {
    const decode = Schema.decodeUnknownResult(Model.Update)
    const ok = decode({
      _tag: "UpdateGroupCall",
      call: { _tag: "GroupCallDiscarded", id: 1n, accessHash: 2n, duration: 3 }
    })
    expect(Result.isSuccess(ok)).toBe(true)
    expect(Result.isFailure(decode({ _tag: "UpdateGroupCall", call: { _tag: "Nope" } }))).toBe(true)
  })
})
