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
 * | `ProtocolIncompatible`    | `CALL_PROTOCOL_COMPAT_LAYER_INVALID` (406), `PARTICIPANT_VERSION_OUTDATED` (400) |
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"

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
  // Only versions whose signalling layout `Signaling` speaks (docs/security.md §8): tgcalls'
  // 5.0.0 / 2.7.7 (Manager: typed binary messages) and 2.4.4 (libtgvoip) are not offered.
  libraryVersions: ["11.0.0", "10.0.0", "9.0.0", "8.0.0", "7.0.0", "6.0.0"]
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
  override get message(): string {
    return `both udp_p2p and udp_reflector must be set (got udp_p2p=${this.udpP2p}, udp_reflector=${this.udpReflector})`
  }
}

/**
 * The layer range is invalid: `min_layer > max_layer`, `min_layer < 1`, or `max_layer`
 * outside [`MIN_LAYER`, `MAX_LAYER`]. Mirrors `CALL_PROTOCOL_LAYER_INVALID`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolLayerInvalid extends Schema.TaggedError<ProtocolLayerInvalid>()("ProtocolLayerInvalid", {
  minLayer: Schema.Number,
  maxLayer: Schema.Number,
  reason: Schema.Literals(["min-above-max", "min-below-1", "max-below-65", "max-above-limit"])
}) {
  override get message(): string {
    const range = `min_layer=${this.minLayer}, max_layer=${this.maxLayer}`
    const messages = {
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

/**
 * Checks a protocol against the rules of [DOC-CALLS]: both flags set, a sane layer range
 * (1 ≤ min ≤ max, 65 ≤ max ≤ 1000), and a non-empty list of distinct `major.minor.patch`
 * versions. Returns the protocol unchanged.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Protocol } from "@tgphone/crypto"
 *
 * Effect.runSync(Protocol.validate(Protocol.defaultProtocol)).maxLayer // 92
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (
  protocol: PhoneCallProtocol
): Effect.Effect<
  PhoneCallProtocol,
  ProtocolFlagsInvalid | ProtocolLayerInvalid | ProtocolVersionsInvalid
> => {
  const { udpP2p, udpReflector, minLayer, maxLayer, libraryVersions } = protocol
  if (!udpP2p || !udpReflector) return Effect.fail(new ProtocolFlagsInvalid({ udpP2p, udpReflector }))
  const layerReason =
    minLayer > maxLayer
      ? "min-above-max"
      : minLayer < 1
        ? "min-below-1"
        : maxLayer < MIN_LAYER
          ? "max-below-65"
          : maxLayer > MAX_LAYER
            ? "max-above-limit"
            : undefined
  if (layerReason !== undefined) {
    return Effect.fail(new ProtocolLayerInvalid({ minLayer, maxLayer, reason: layerReason }))
  }
  if (libraryVersions.length === 0)
    return Effect.fail(new ProtocolVersionsInvalid({ reason: "empty", version: "" }))
  const seen = new Set<string>()
  for (const version of libraryVersions) {
    if (!VERSION.test(version))
      return Effect.fail(new ProtocolVersionsInvalid({ reason: "malformed", version }))
    if (seen.has(version)) return Effect.fail(new ProtocolVersionsInvalid({ reason: "duplicate", version }))
    seen.add(version)
  }
  return Effect.succeed(protocol)
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
 * What both sides can speak (spec §5, [DOC-TL] phoneCallProtocol): the common layer is
 * `min(max_layer)` if it is at least `max(min_layer)`; the library version is the highest
 * version present in both lists (exact string match; unknown or malformed entries are
 * compared without failing). Fails with `ProtocolIncompatible` naming what is missing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Protocol } from "@tgphone/crypto"
 *
 * Effect.runSync(Protocol.negotiate(Protocol.defaultProtocol, Protocol.android))
 * // { layer: 92, libraryVersion: "11.0.0" }
 * ```
 *
 * @since 0.1.0
 * @category negotiation
 */
export const negotiate = (
  ours: PhoneCallProtocol,
  theirs: PhoneCallProtocol
): Effect.Effect<Negotiated, ProtocolIncompatible> => {
  const layer = Math.min(ours.maxLayer, theirs.maxLayer)
  if (layer < Math.max(ours.minLayer, theirs.minLayer)) {
    return Effect.fail(new ProtocolIncompatible({ reason: "layer", ours, theirs }))
  }
  const theirSet = new Set(theirs.libraryVersions)
  let best: string | undefined
  for (const v of ours.libraryVersions) {
    if (theirSet.has(v) && (best === undefined || compareVersions(v, best) > 0)) best = v
  }
  return best === undefined
    ? Effect.fail(new ProtocolIncompatible({ reason: "library-versions", ours, theirs }))
    : Effect.succeed({ layer, libraryVersion: best })
}
