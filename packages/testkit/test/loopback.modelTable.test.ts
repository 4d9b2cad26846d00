/**
 * The loopback server's TL ↔ model mapping (`internal/mtproto/modelTl.ts`) agrees with core's
 * generated model table (`Tl.modelType`, `Tl.modelConstructor`) in every shipped layer: each
 * modelled constructor a layer has decodes into the model value with the table's `_tag` (or its
 * type's class) and encodes back as that constructor (a merged class as its primary one); one a
 * layer lacks is written as the table's fallback, or refused.
 */
import { assert, describe, it } from "@effect/vitest"
import { Model } from "@tgphone/core"
import * as Tl from "@tgphone/core/Tl"
import { Effect, type Schema } from "effect"
import { fromModelValue, toModel } from "../src/internal/mtproto/modelTl.js"
import { isTlObject, type TlObject, type TlValue } from "../src/internal/mtproto/tlCodec.js"

/** A TL value of `type` whose model decoding passes its Schema's checks (lengths, JSON text). */
const sample = (schema: Tl.Schema, type: Tl.Type, param: string, depth: number): TlValue => {
  if (typeof type !== "string") return []
  switch (type) {
    case "int":
      return param === "max_layer" || param === "min_layer" ? 92 : 1
    case "double":
      return 1
    case "long":
      return 7n
    case "string":
      return param === "data" ? "{}" : "s"
    case "bytes":
      return new Uint8Array(32)
    case "int128":
      return new Uint8Array(16)
    case "int256":
      return new Uint8Array(32)
    case "Bool":
    case "true":
      return true
  }
  const def = constructorOf(schema, type)
  if (def === undefined) throw new Error(`no constructor for ${type} in layer ${schema.layer}`)
  return objectOf(schema, def, depth + 1)
}

/** The constructor of `type` to build a nested value with: the model's first modelled one, else the simplest. */
const constructorOf = (schema: Tl.Schema, type: string): Tl.Definition | undefined => {
  const modelled = Tl.modelType(type)?.constructors.find((c) => schema.byName.has(c))
  if (modelled !== undefined) return schema.byName.get(modelled)
  const ctors = schema.constructorsOf.get(type) ?? []
  return [...ctors].sort((a, b) => a.params.length - b.params.length)[0]
}

const objectOf = (schema: Tl.Schema, def: Tl.Definition, depth: number): TlObject => {
  if (depth > 6) throw new Error(`${def.name}: too deep`)
  const out: Record<string, TlValue> = { _: def.name }
  for (const p of def.params) {
    if (p.type === "#" || (p.flag !== undefined && p.type !== "true")) continue
    out[p.name] = p.name === "library_versions" ? ["9.0.0"] : sample(schema, p.type, p.name, depth)
  }
  return out as TlObject
}

const modelSchemaOf = (type: Tl.ModelType): Schema.Top =>
  (Model as unknown as Record<string, Schema.Top>)[type.model] as Schema.Top

describe("the loopback server's TL ↔ model mapping is core's model table", () => {
  it.effect("the table covers what the server maps", () =>
    Effect.sync(() => {
      assert.isAbove(Tl.modelConstructorNames.length, 50)
      for (const name of Tl.modelConstructorNames) {
        const ctor = Tl.modelConstructor(name)
        assert.isDefined(ctor, name)
        assert.include(Tl.modelType(ctor?.type ?? "")?.constructors ?? [], name)
      }
    })
  )

  for (const layer of Tl.layers) {
    it.effect(`layer ${layer}: every modelled constructor decodes to its table tag and encodes back`, () =>
      Effect.sync(() => {
        const schema = Tl.schema(layer)
        let checked = 0
        for (const name of Tl.modelConstructorNames) {
          const ctor = Tl.modelConstructor(name)
          const type = ctor === undefined ? undefined : Tl.modelType(ctor.type)
          if (ctor === undefined || type === undefined) continue
          const def = schema.byName.get(name)
          if (def === undefined) {
            // a constructor this layer lacks: written as the table's fallback, or refused
            const value = { _tag: ctor.tag, ...Object.fromEntries(ctor.fields.map((f) => [f.name, "x"])) }
            if (ctor.fallback === undefined || type.kind === "class") continue
            const written = fromModelValue(schema, ctor.type, value)
            assert.strictEqual(isTlObject(written) ? written._ : written, ctor.fallback, name)
            checked++
            continue
          }
          const wire = objectOf(schema, def, 0)
          const decoded = toModel(schema, wire, modelSchemaOf(type))
          assert.strictEqual(decoded._tag, "Ok", `${name}: ${decoded._tag === "Fail" ? decoded.message : ""}`)
          if (decoded._tag !== "Ok") continue
          const value = decoded.value as { readonly _tag?: unknown }
          assert.strictEqual(value._tag, type.kind === "class" ? undefined : ctor.tag, name)
          const { raw: _raw, ...plain } = value as Record<string, unknown>
          const back = fromModelValue(schema, ctor.type, plain)
          const expected = type.kind === "class" ? type.constructors[0] : name
          assert.strictEqual(isTlObject(back) ? back._ : back, expected, name)
          checked++
        }
        // every modelled constructor of the layer was checked
        const inLayer = Tl.modelConstructorNames.filter((n) => schema.byName.has(n)).length
        assert.isAtLeast(checked, inLayer)
      })
    )
  }
})
