/**
 * `PhoneCallProtocol`: what a client declares it can speak on a 1:1 call
 * (`phoneCallProtocol#fc878fc8`), as an Effect Schema, with the presets official clients
 * send, `validate` (the rules of [DOC-CALLS] "Populating phoneCallProtocol") and `negotiate`
 * (what the server does when it merges both sides' protocols, spec §5).
 *
 * The error tags mirror the server errors without reusing their tags (core generates RPC
 * error classes named after those):
 *
 * | our error                 | mirrors (server error)                                   |
 * |---------------------------|----------------------------------------------------------|
 * | `ProtocolFlagsInvalid`    | `CALL_PROTOCOL_FLAGS_INVALID` (400)                      |
 * | `ProtocolLayerInvalid`    | `CALL_PROTOCOL_LAYER_INVALID` (400)                      |
 * | `ProtocolVersionsInvalid` | (no server error; malformed `library_versions`)          |
 * | `ProtocolMalformed`       | (no server error; a field of the wrong type, from JavaScript) |
 * | `ProtocolIncompatible`    | `CALL_PROTOCOL_COMPAT_LAYER_INVALID` (406), `PARTICIPANT_VERSION_OUTDATED` (400) |
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"

/**
 * A `phoneCallProtocol`: transport flags, the libtgvoip layer range and the ordered list of
 * tgcalls library versions (preferred first).
 *
 * @since 0.1.0
 * @category models
 */
export class PhoneCallProtocol extends Schema.Class<PhoneCallProtocol>("@tgphone/crypto/PhoneCallProtocol")({
  udpP2p: Schema.Boolean,
  udpReflector: Schema.Boolean,
  minLayer: Schema.Int,
  maxLayer: Schema.Int,
  libraryVersions: Schema.Array(Schema.String)
}) {}

/**
 * The lowest `max_layer` we accept: libtgvoip layer 65 is the `min_layer` every current
 * client sends ([DOC-CALLS]: 65 / 92, "hardcoded and immutable").
 *
 * @since 0.1.0
 * @category constants
 */
export const MIN_LAYER = 65

/**
 * The highest `max_layer` we accept. Every tgcalls implementation reports 92; the bound only
 * rejects nonsense (e.g. an int32 overflow), leaving room for future layers.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_LAYER = 1000

/**
 * What Telegram Android sends (`VoIPService` + `Instance.java`): both flags, 65 / 92, and its
 * tgcalls versions in the ascending order it uses (spec §5).
 *
 * @since 0.1.0
 * @category presets
 */
export const android: PhoneCallProtocol = new PhoneCallProtocol({
  udpP2p: true,
  udpReflector: true,
  minLayer: 65,
  maxLayer: 92,
  libraryVersions: ["2.4.4", "2.7.7", "5.0.0", "6.0.0", "7.0.0", "8.0.0", "9.0.0", "10.0.0", "11.0.0"]
})

/**
 * What telegram-tt (Telegram Web A) sends (`apiBuilders/calls.ts`): both flags, 92 / 92,
 * `["4.0.0"]`.
 *
 * @since 0.1.0
 * @category presets
 */
export const telegramTt: PhoneCallProtocol = new PhoneCallProtocol({
  udpP2p: true,
  udpReflector: true,
  minLayer: 92,
  maxLayer: 92,
  libraryVersions: ["4.0.0"]
})

/**
 * The default: both flags and 65 / 92 as [DOC-CALLS] prescribes, and Android's version set in
 * **preferred-first** (descending) order, as [DOC-CALLS] asks and tdesktop does. Android's
 * set is the widest list an official client sends, so the server finds a common version with
 * every official client that shares one with Android. This SDK does signalling only: if your
 * media engine supports a different set of tgcalls versions, send that set instead.
 *
 * @since 0.1.0
 * @category presets
 */
export const defaultProtocol: PhoneCallProtocol = new PhoneCallProtocol({
  udpP2p: true,
  udpReflector: true,
  minLayer: 65,
  maxLayer: 92,
  libraryVersions: ["11.0.0", "10.0.0", "9.0.0", "8.0.0", "7.0.0", "6.0.0", "5.0.0", "2.7.7", "2.4.4"]
})

/**
 * The transport flags are not both set ([DOC-CALLS]: set `udp_p2p` and `udp_reflector`).
 * Mirrors `CALL_PROTOCOL_FLAGS_INVALID`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolFlagsInvalid extends Schema.TaggedError<ProtocolFlagsInvalid>()("ProtocolFlagsInvalid", {
  udpP2p: Schema.Boolean,
  udpReflector: Schema.Boolean
}) {
  /** The field to fix: `udpP2p` when it is unset, otherwise `udpReflector`. */
  get field(): "udpP2p" | "udpReflector" {
    return this.udpP2p ? "udpReflector" : "udpP2p"
  }
  override get message(): string {
    return `both udp_p2p and udp_reflector must be set (got udp_p2p=${this.udpP2p}, udp_reflector=${this.udpReflector})`
  }
}

/**
 * The layer range is invalid: a layer that is not an integer (`NaN`, `1.5`), `max_layer`
 * outside [`MIN_LAYER`, `MAX_LAYER`], `min_layer < 1`, or `min_layer > max_layer` (checked in
 * this order, so `field` names the layer to fix). Mirrors `CALL_PROTOCOL_LAYER_INVALID`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolLayerInvalid extends Schema.TaggedError<ProtocolLayerInvalid>()("ProtocolLayerInvalid", {
  minLayer: Schema.Number,
  maxLayer: Schema.Number,
  reason: Schema.Literals([
    "min-not-integer",
    "max-not-integer",
    "max-below-65",
    "max-above-limit",
    "min-below-1",
    "min-above-max"
  ])
}) {
  /** The field to fix: `minLayer` for the `min-*` reasons, otherwise `maxLayer`. */
  get field(): "minLayer" | "maxLayer" {
    return this.reason.startsWith("min") ? "minLayer" : "maxLayer"
  }
  override get message(): string {
    const range = `min_layer=${this.minLayer}, max_layer=${this.maxLayer}`
    const messages = {
      "min-not-integer": `min_layer must be an integer (${range})`,
      "max-not-integer": `max_layer must be an integer (${range})`,
      "min-above-max": `min_layer is greater than max_layer (${range})`,
      "min-below-1": `min_layer must be at least 1 (${range})`,
      "max-below-65": `max_layer must be at least ${MIN_LAYER} (${range})`,
      "max-above-limit": `max_layer must be at most ${MAX_LAYER} (${range})`
    }
    return messages[this.reason]
  }
}

/**
 * `library_versions` is empty, has an entry that is not `major.minor.patch` digits, or lists
 * a version twice.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolVersionsInvalid extends Schema.TaggedError<ProtocolVersionsInvalid>()(
  "ProtocolVersionsInvalid",
  {
    reason: Schema.Literals(["empty", "malformed", "duplicate"]),
    /** The offending entry (empty for `"empty"`). */
    version: Schema.String
  }
) {
  /** The field to fix: always `libraryVersions`. */
  get field(): "libraryVersions" {
    return "libraryVersions"
  }
  override get message(): string {
    const messages = {
      empty: "library_versions is empty",
      malformed: `library version ${JSON.stringify(this.version)} is not of the form major.minor.patch`,
      duplicate: `library version ${this.version} is listed twice`
    }
    return messages[this.reason]
  }
}

/**
 * A value that the TypeScript types rule out, reached from JavaScript (or through `as any`):
 * the protocol is not an object, a flag is not a boolean, a layer is not a number, or
 * `libraryVersions` is not an array of strings. `field` names it (`"protocol"` for the whole
 * value), `actual` describes what was found.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolMalformed extends Schema.TaggedError<ProtocolMalformed>()("ProtocolMalformed", {
  field: Schema.Literals(["protocol", "udpP2p", "udpReflector", "minLayer", "maxLayer", "libraryVersions"]),
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message(): string {
    const name = this.field === "protocol" ? "the protocol" : this.field
    return `${name} must be ${this.expected} (got ${this.actual})`
  }
}

/**
 * What `validate` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type ProtocolInvalid =
  | ProtocolMalformed
  | ProtocolFlagsInvalid
  | ProtocolLayerInvalid
  | ProtocolVersionsInvalid

/**
 * The two protocols have no layer or no library version in common. Carries both protocols
 * so the user can see which side has to update. Mirrors `CALL_PROTOCOL_COMPAT_LAYER_INVALID`
 * (and, at request time, `PARTICIPANT_VERSION_OUTDATED`).
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolIncompatible extends Schema.TaggedError<ProtocolIncompatible>()("ProtocolIncompatible", {
  reason: Schema.Literals(["layer", "library-versions"]),
  ours: PhoneCallProtocol,
  theirs: PhoneCallProtocol
}) {
  override get message(): string {
    return this.reason === "layer"
      ? `no common layer: ours ${this.ours.minLayer}..${this.ours.maxLayer}, theirs ${this.theirs.minLayer}..${this.theirs.maxLayer}`
      : `no common library version: ours [${this.ours.libraryVersions.join(", ")}], theirs [${this.theirs.libraryVersions.join(", ")}]`
  }
}

const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/

/** A short description of a value for `ProtocolMalformed.actual` (never the whole value). */
const describe = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return `an array of ${value.length}`
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value)
    case "object":
      return "an object"
    case "function":
      return "a function"
    case "symbol":
      return "a symbol"
    case "bigint":
      return `${value}n`
    default:
      return String(value)
  }
}

const isBoolean = Schema.is(PhoneCallProtocol.fields.udpP2p)
const isNumber = Schema.is(Schema.Number)
const isInt = Schema.is(PhoneCallProtocol.fields.minLayer)
const isVersionList = Schema.is(PhoneCallProtocol.fields.libraryVersions)

/** The type checks the Schema makes, as a typed error instead of a SchemaError. */
const malformed = (protocol: unknown): ProtocolMalformed | undefined => {
  if (typeof protocol !== "object" || protocol === null)
    return new ProtocolMalformed({ field: "protocol", expected: "an object", actual: describe(protocol) })
  const p = protocol as Record<string, unknown>
  for (const field of ["udpP2p", "udpReflector"] as const)
    if (!isBoolean(p[field]))
      return new ProtocolMalformed({ field, expected: "a boolean", actual: describe(p[field]) })
  for (const field of ["minLayer", "maxLayer"] as const)
    if (!isNumber(p[field]))
      return new ProtocolMalformed({ field, expected: "a number", actual: describe(p[field]) })
  if (!isVersionList(p.libraryVersions)) {
    const list = p.libraryVersions
    const actual = Array.isArray(list)
      ? `an entry ${describe(list.find((v) => typeof v !== "string"))}`
      : describe(list)
    return new ProtocolMalformed({ field: "libraryVersions", expected: "an array of strings", actual })
  }
  return undefined
}

/**
 * Checks a protocol against the rules of [DOC-CALLS]: both flags set, integer layers in a sane
 * range (65 ≤ max ≤ 1000, then 1 ≤ min ≤ max), and a non-empty list of distinct
 * `major.minor.patch` versions. Values the types rule out (a flag `"yes"`, a layer `"92"`),
 * reached from JavaScript, fail with `ProtocolMalformed`: the check runs the
 * `PhoneCallProtocol` field Schemas at runtime. Never throws.
 *
 * Returns the protocol itself when it is a `PhoneCallProtocol`, or a `PhoneCallProtocol` with
 * the same fields when a plain object was passed.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Protocol } from "@tgphone/crypto"
 *
 * Result.getOrThrow(Protocol.validate(Protocol.defaultProtocol)).maxLayer // 92
 * Result.isFailure(Protocol.validate({ ...Protocol.defaultProtocol, maxLayer: 92.5 })) // true
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (protocol: PhoneCallProtocol): Result.Result<PhoneCallProtocol, ProtocolInvalid> => {
  const wrongType = malformed(protocol)
  if (wrongType !== undefined) return Result.fail(wrongType)
  const { udpP2p, udpReflector, minLayer, maxLayer, libraryVersions } = protocol
  if (!udpP2p || !udpReflector) return Result.fail(new ProtocolFlagsInvalid({ udpP2p, udpReflector }))
  const layerReason = !isInt(minLayer)
    ? "min-not-integer"
    : !isInt(maxLayer)
      ? "max-not-integer"
      : maxLayer < MIN_LAYER
        ? "max-below-65"
        : maxLayer > MAX_LAYER
          ? "max-above-limit"
          : minLayer < 1
            ? "min-below-1"
            : minLayer > maxLayer
              ? "min-above-max"
              : undefined
  if (layerReason !== undefined) {
    return Result.fail(new ProtocolLayerInvalid({ minLayer, maxLayer, reason: layerReason }))
  }
  if (libraryVersions.length === 0)
    return Result.fail(new ProtocolVersionsInvalid({ reason: "empty", version: "" }))
  const seen = new Set<string>()
  for (const version of libraryVersions) {
    if (!VERSION.test(version))
      return Result.fail(new ProtocolVersionsInvalid({ reason: "malformed", version }))
    if (seen.has(version)) return Result.fail(new ProtocolVersionsInvalid({ reason: "duplicate", version }))
    seen.add(version)
  }
  return Result.succeed(
    protocol instanceof PhoneCallProtocol
      ? protocol
      : new PhoneCallProtocol({
          udpP2p,
          udpReflector,
          minLayer,
          maxLayer,
          libraryVersions: [...libraryVersions]
        })
  )
}

/**
 * Orders tgcalls versions: well-formed `major.minor.patch` versions numerically (so
 * "10.0.0" > "9.0.0", unlike tdesktop's string order), any other string below every
 * well-formed one and among themselves by code units. Total, never throws.
 *
 * @since 0.1.0
 * @category negotiation
 */
export const compareVersions = (a: string, b: string): number => {
  const ma = VERSION.exec(a)
  const mb = VERSION.exec(b)
  if (ma === null || mb === null) {
    if (ma !== null) return 1
    if (mb !== null) return -1
    return a < b ? -1 : a > b ? 1 : 0
  }
  for (let i = 1; i <= 3; i++) {
    const x = BigInt(ma[i]!)
    const y = BigInt(mb[i]!)
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/**
 * The outcome of `negotiate`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Negotiated {
  /** The common layer: the smaller `max_layer`. */
  readonly layer: number
  /** The best common tgcalls version: the highest (by `compareVersions`) in both lists. */
  readonly libraryVersion: string
}

/**
 * What both sides can speak (spec §5, [DOC-TL] phoneCallProtocol). Both protocols are first
 * checked with `validate` (ours first), so negotiation only ever works on valid protocols;
 * then the common layer is `min(max_layer)` if it is at least `max(min_layer)`, and the
 * library version is the highest (by `compareVersions`) present in both lists (exact string
 * match). Fails with the first protocol's `validate` error, or with `ProtocolIncompatible`
 * naming what is missing. Never throws.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Protocol } from "@tgphone/crypto"
 *
 * Result.getOrThrow(Protocol.negotiate(Protocol.defaultProtocol, Protocol.android))
 * // { layer: 92, libraryVersion: "11.0.0" }
 * ```
 *
 * @since 0.1.0
 * @category negotiation
 */
export const negotiate = (
  ours: PhoneCallProtocol,
  theirs: PhoneCallProtocol
): Result.Result<Negotiated, ProtocolInvalid | ProtocolIncompatible> =>
  Result.flatMap(Result.all([validate(ours), validate(theirs)]), ([a, b]) => {
    const layer = Math.min(a.maxLayer, b.maxLayer)
    if (layer < Math.max(a.minLayer, b.minLayer)) {
      return Result.fail(new ProtocolIncompatible({ reason: "layer", ours: a, theirs: b }))
    }
    const theirSet = new Set(b.libraryVersions)
    let best: string | undefined
    for (const v of a.libraryVersions) {
      if (theirSet.has(v) && (best === undefined || compareVersions(v, best) > 0)) best = v
    }
    return best === undefined
      ? Result.fail(new ProtocolIncompatible({ reason: "library-versions", ours: a, theirs: b }))
      : Result.succeed({ layer, libraryVersion: best })
  })
