/**
 * The Effect-native model of Telegram's phone types: Schema types with `bigint` ids,
 * `Uint8Array` bytes, camelCase fields and `_tag`ged unions. Backend classes (GramJS,
 * teleproto) never appear here; each backend converts at its boundary.
 *
 * One layer-independent set of shapes, generated from the newest shipped TL layer
 * (`packages/core/catalog/tl/api-229.tl`) by `scripts/generators/model.ts`, plus a small
 * hand-written overlay (`overlay/`: the primitives, `Updates`, and the choices TL cannot
 * make, in `overlay/modelSpec.ts`). A field an older layer lacks is optional (or, for a
 * `flags.N?true` field, `false`) there; what only an older layer has (layer 198's draft
 * `conference_call` on the call types and `phone.requestCall`, `chat_id` on `updateGroupCall`,
 * `conference_from_call` on `groupCall`, `phoneCallDiscardReasonAllowGroupCall`) is not modelled:
 * a layer-198 backend drops it when decoding and never sends it.
 *
 * @since 0.1.0
 */

export * from "./generated/Model.js"
export * from "./overlay/curated.js"
export * from "./overlay/primitives.js"
