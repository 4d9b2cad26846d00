import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { assert, describe, it } from "@effect/vitest"
import { Api } from "telegram"
import { extract } from "../../../scripts/extract-tl.js"
import { outputs } from "../../../scripts/generators/tl.js"
import * as Tl from "../src/Tl.js"

const require = createRequire(import.meta.url)
const shipped = (file: string) => readFileSync(new URL(`../catalog/tl/${file}`, import.meta.url), "utf8")

describe("TL data", () => {
  it("the shipped .tl files are what the installed client packages say (scripts/extract-tl.ts)", () => {
    const { files } = extract()
    assert.deepStrictEqual(
      files.map((f) => f.name),
      ["api-198.tl", "api-229.tl", "mtproto.tl"]
    )
    for (const f of files) assert.strictEqual(shipped(f.name), f.contents, f.name)
  })

  it("the generated tables are what the generator makes from the .tl files", () => {
    for (const out of outputs())
      assert.strictEqual(
        readFileSync(new URL(`../../../${out.path}`, import.meta.url), "utf8"),
        out.contents,
        out.path
      )
  })

  it("ships layers 198 and 229, and serves unknown layers from the nearest one", () => {
    assert.deepStrictEqual(Tl.layers, [198, 229])
    assert.strictEqual(Tl.newest, 229)
    assert.strictEqual(Tl.layerFor(229), 229)
    assert.strictEqual(Tl.layerFor(300), 229)
    assert.strictEqual(Tl.layerFor(228), 198)
    assert.strictEqual(Tl.layerFor(100), 198)
    assert.strictEqual(Tl.schema(300).layer, 229)
  })

  it("knows the constructors the issue names per layer", () => {
    assert.strictEqual(Tl.schema(198).byName.get("phone.requestCall")?.id, 0xa6c4600c)
    assert.strictEqual(Tl.schema(229).byName.get("phone.requestCall")?.id, 0x42ff96ed)
    assert.strictEqual(Tl.schema(198).byName.get("user")?.id, 0x4b46c37e)
    assert.strictEqual(Tl.schema(229).byName.get("user")?.id, 0xb1b8cc83)
    assert.isUndefined(Tl.schema(198).byName.get("phoneCallDiscardReasonMigrateConferenceCall"))
    const migrate = Tl.schema(229).byName.get("phoneCallDiscardReasonMigrateConferenceCall")
    assert.deepStrictEqual(migrate?.params, [{ name: "slug", type: "string", flag: undefined }])
    const video = Tl.schema(229)
      .byName.get("phone.requestCall")
      ?.params.find((p) => p.name === "video")
    assert.deepStrictEqual(video, { name: "video", type: "true", flag: { field: "flags", bit: 0 } })
    const sources = Tl.schema(229).byName.get("phone.checkGroupCall")
    assert.deepStrictEqual(sources?.type, ["Vector", "int"])
    assert.strictEqual(Tl.schema(229).byName.get("invokeWithLayer")?.generic, true)
    assert.strictEqual(Tl.schema(198).byName.get("pong")?.id, 0x347773c5)
    assert.deepStrictEqual(
      Tl.schema(229)
        .constructorsOf.get("PhoneCall")
        ?.map((d) => d.name),
      [
        "phoneCallEmpty",
        "phoneCallWaiting",
        "phoneCallRequested",
        "phoneCallAccepted",
        "phoneCall",
        "phoneCallDiscarded"
      ]
    )
  })

  it("layer 198 agrees with every class of telegram's Api (id and name)", () => {
    const s = Tl.schema(198)
    let checked = 0
    const visit = (ns: object) => {
      for (const value of Object.values(ns)) {
        if (typeof value !== "function") {
          if (typeof value === "object" && value !== null) visit(value)
          continue
        }
        const cls = value as { CONSTRUCTOR_ID?: number; className?: string }
        if (typeof cls.CONSTRUCTOR_ID !== "number") continue
        if ((cls.className ?? "").startsWith("Tls")) continue // MTProto's id-less helper types
        const def = s.byId.get(cls.CONSTRUCTOR_ID >>> 0)
        assert.isDefined(def, cls.className)
        const tail = (def?.name ?? "").split(".").pop() ?? ""
        assert.strictEqual(
          (cls.className ?? "").split(".").pop()?.toLowerCase(),
          tail.replace(/_/g, "").toLowerCase(),
          cls.className
        )
        checked++
      }
    }
    visit(Api)
    // telegram@2.26.22's classes with a constructor id
    assert.strictEqual(checked, 2135)
  })

  it("layer 229 holds every combinator teleproto compiled, with its argument names and flags", () => {
    const compiled = require("teleproto/tl/generated/api-definitions.js") as ReadonlyArray<{
      readonly constructorId: number
      readonly name: string
      readonly argsConfig: Record<string, { readonly isFlag: boolean; readonly flagIndex: number }>
    }>
    const s = Tl.schema(229)
    const camel = (n: string) => n.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    let checked = 0
    for (const c of compiled) {
      const def = s.byId.get(c.constructorId >>> 0)
      if (def === undefined) {
        // Only MTProto's id-less helper types (tlsBlock*) are left out.
        assert.match(c.name, /^Tls/)
        continue
      }
      assert.deepStrictEqual(
        def.params.map((p) => [camel(p.name), p.flag?.bit ?? -1]),
        Object.entries(c.argsConfig).map(([k, a]) => [k, a.isFlag ? a.flagIndex : -1]),
        def.name
      )
      checked++
    }
    // teleproto@1.229.0's compiled combinators
    assert.strictEqual(checked, 2518)
  })
})

describe("method registry (generated/Methods.ts)", () => {
  it("has the 44 methods, each with its id per shipped layer as the client packages compile it", async () => {
    const { methods, catalogDisagreements } = await import("../src/generated/Methods.js")
    const all = Object.values(methods)
    assert.strictEqual(all.length, 44)
    assert.strictEqual(all.filter((m) => m.name.startsWith("phone.")).length, 43)
    assert.deepStrictEqual(catalogDisagreements, [])
    const compiled = require("teleproto/tl/generated/api-definitions.js") as ReadonlyArray<{
      readonly constructorId: number
      readonly name: string
      readonly namespace?: string
    }>
    const teleprotoId = (name: string) => {
      const [ns, fn = ""] = name.split(".")
      return compiled.find((c) => c.namespace === ns && c.name.toLowerCase() === fn.toLowerCase())
        ?.constructorId
    }
    const gramjsId = (name: string) => {
      const [ns = "", fn = ""] = name.split(".")
      const cls = (Api as unknown as Record<string, Record<string, { CONSTRUCTOR_ID?: number }> | undefined>)[
        ns
      ]?.[fn.charAt(0).toUpperCase() + fn.slice(1)]
      return cls?.CONSTRUCTOR_ID
    }
    const notIn198: Array<readonly [string, number | undefined]> = []
    for (const m of all) {
      const layers = m.layers as Readonly<Record<number, { readonly id: number }>>
      assert.strictEqual(layers[229]?.id, teleprotoId(m.name), m.name)
      assert.strictEqual(layers[198]?.id, gramjsId(m.name), m.name)
      if (layers[198] === undefined) notIn198.push([m.name, m.firstLayer])
    }
    assert.deepStrictEqual(
      [...notIn198].sort(([a], [b]) => a.localeCompare(b)),
      [
        ["phone.declineConferenceCallInvite", 202],
        ["phone.deleteConferenceCallParticipants", 202],
        ["phone.deleteGroupCallMessages", 217],
        ["phone.deleteGroupCallParticipantMessages", 217],
        ["phone.getGroupCallChainBlocks", 202],
        ["phone.getGroupCallStars", 217],
        ["phone.inviteConferenceCallParticipant", 202],
        ["phone.saveDefaultSendAs", 217],
        ["phone.sendConferenceCallBroadcast", 202],
        ["phone.sendGroupCallEncryptedMessage", 216],
        ["phone.sendGroupCallMessage", 216]
      ]
    )
    assert.strictEqual(methods["phone.requestCall"].layers[229].id, 0x42ff96ed)
    assert.strictEqual(methods["phone.requestCall"].layers[198].id, 0xa6c4600c)
    assert.isTrue(all.every((m) => m.usersOnly))
  })
})
