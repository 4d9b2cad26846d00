/**
 * The Effect-native model of Telegram's phone types (layer 198): Schema types with `bigint`
 * ids, `Uint8Array` bytes, camelCase fields and `_tag`ged unions. GramJS classes never
 * appear here; `GramJs` converts at the boundary.
 *
 * TL reference: `packages/core/catalog/phone-types.tl`.
 *
 * @since 0.1.0
 */
import { PhoneCallProtocol } from "@tgphone/crypto"
import { Schema } from "effect"

export { PhoneCallProtocol }

/**
 * A TL `long`: a signed 64-bit integer, always a `bigint`.
 *
 * @since 0.1.0
 * @category primitives
 */
export const Long = Schema.BigInt.check(
  Schema.isBetweenBigInt({ minimum: -(2n ** 63n), maximum: 2n ** 63n - 1n })
)

/**
 * A TL `int`: a signed 32-bit integer.
 *
 * @since 0.1.0
 * @category primitives
 */
export const Int32 = Schema.Int.check(Schema.isBetween({ minimum: -(2 ** 31), maximum: 2 ** 31 - 1 }))

/**
 * TL `bytes`.
 *
 * @since 0.1.0
 * @category primitives
 */
export const Bytes = Schema.Uint8Array

/**
 * `inputUser` / `inputUserSelf`: a user as a request names it.
 *
 * @since 0.1.0
 * @category models
 */
export const InputUser = Schema.Union([
  Schema.TaggedStruct("InputUser", { userId: Long, accessHash: Long }),
  Schema.TaggedStruct("InputUserSelf", {})
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type InputUser = typeof InputUser.Type

/**
 * `inputPhoneCall`: names a 1:1 call in a request.
 *
 * @since 0.1.0
 * @category models
 */
export class InputPhoneCall extends Schema.Class<InputPhoneCall>("@tgphone/core/InputPhoneCall")({
  id: Long,
  accessHash: Long
}) {}

/**
 * `inputGroupCall`: names a group call in a request.
 *
 * @since 0.1.0
 * @category models
 */
export class InputGroupCall extends Schema.Class<InputGroupCall>("@tgphone/core/InputGroupCall")({
  id: Long,
  accessHash: Long
}) {}

/**
 * `dataJSON`: a JSON document carried as text.
 *
 * @since 0.1.0
 * @category models
 */
export class DataJson extends Schema.Class<DataJson>("@tgphone/core/DataJson")({
  data: Schema.String
}) {}

/**
 * Why a 1:1 call ended (`PhoneCallDiscardReason`).
 *
 * @since 0.1.0
 * @category models
 */
export const DiscardReason = Schema.Union([
  Schema.TaggedStruct("Missed", {}),
  Schema.TaggedStruct("Disconnect", {}),
  Schema.TaggedStruct("Hangup", {}),
  Schema.TaggedStruct("Busy", {}),
  Schema.TaggedStruct("AllowGroupCall", { encryptedKey: Bytes })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type DiscardReason = typeof DiscardReason.Type

/**
 * A network endpoint of a call (`phoneConnection` / `phoneConnectionWebrtc`).
 *
 * @since 0.1.0
 * @category models
 */
export const PhoneConnection = Schema.Union([
  Schema.TaggedStruct("PhoneConnection", {
    tcp: Schema.Boolean,
    id: Long,
    ip: Schema.String,
    ipv6: Schema.String,
    port: Schema.Int,
    peerTag: Bytes
  }),
  Schema.TaggedStruct("PhoneConnectionWebrtc", {
    turn: Schema.Boolean,
    stun: Schema.Boolean,
    id: Long,
    ip: Schema.String,
    ipv6: Schema.String,
    port: Schema.Int,
    username: Schema.String,
    password: Schema.String
  })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type PhoneConnection = typeof PhoneConnection.Type

const callHeader = {
  video: Schema.Boolean,
  id: Long,
  accessHash: Long,
  date: Schema.Int,
  adminId: Long,
  participantId: Long
}

/**
 * The state of a 1:1 call as the server reports it (`PhoneCall`).
 *
 * - `PhoneCallEmpty`: the call does not exist (any more).
 * - `PhoneCallWaiting`: the caller's view while the callee has not answered; `receiveDate`
 *   appears once the callee's device acknowledged it (`phone.receivedCall`): "ringing".
 * - `PhoneCallRequested`: the callee's view of an incoming call, with the caller's `gAHash`.
 * - `PhoneCallAccepted`: the caller's view once the callee accepted, with `gB`.
 * - `PhoneCall`: the key exchange is complete; `gAOrB` is the caller's `g_a` on the callee side.
 * - `PhoneCallDiscarded`: the call ended.
 *
 * @since 0.1.0
 * @category models
 */
export const PhoneCall = Schema.Union([
  Schema.TaggedStruct("PhoneCallEmpty", { id: Long }),
  Schema.TaggedStruct("PhoneCallWaiting", {
    ...callHeader,
    protocol: PhoneCallProtocol,
    receiveDate: Schema.optionalKey(Schema.Int),
    conferenceCall: Schema.optionalKey(InputGroupCall)
  }),
  Schema.TaggedStruct("PhoneCallRequested", {
    ...callHeader,
    gAHash: Bytes,
    protocol: PhoneCallProtocol,
    conferenceCall: Schema.optionalKey(InputGroupCall)
  }),
  Schema.TaggedStruct("PhoneCallAccepted", {
    ...callHeader,
    gB: Bytes,
    protocol: PhoneCallProtocol,
    conferenceCall: Schema.optionalKey(InputGroupCall)
  }),
  Schema.TaggedStruct("PhoneCall", {
    ...callHeader,
    p2pAllowed: Schema.Boolean,
    gAOrB: Bytes,
    keyFingerprint: Long,
    protocol: PhoneCallProtocol,
    connections: Schema.Array(PhoneConnection),
    startDate: Schema.Int,
    customParameters: Schema.optionalKey(DataJson),
    conferenceCall: Schema.optionalKey(InputGroupCall)
  }),
  Schema.TaggedStruct("PhoneCallDiscarded", {
    needRating: Schema.Boolean,
    needDebug: Schema.Boolean,
    video: Schema.Boolean,
    id: Long,
    reason: Schema.optionalKey(DiscardReason),
    duration: Schema.optionalKey(Schema.Int),
    conferenceCall: Schema.optionalKey(InputGroupCall)
  })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type PhoneCall = typeof PhoneCall.Type

/**
 * A user as results carry it. Only what call applications need is modelled; the rest of the
 * TL object stays reachable through `raw` (the backend's own object, untyped).
 *
 * @since 0.1.0
 * @category models
 */
export class User extends Schema.Class<User>("@tgphone/core/User")({
  id: Long,
  accessHash: Schema.optionalKey(Long),
  firstName: Schema.optionalKey(Schema.String),
  lastName: Schema.optionalKey(Schema.String),
  username: Schema.optionalKey(Schema.String),
  phone: Schema.optionalKey(Schema.String),
  bot: Schema.Boolean,
  self: Schema.Boolean,
  deleted: Schema.Boolean,
  raw: Schema.optionalKey(Schema.Unknown)
}) {}

/**
 * `phone.phoneCall`: a call and the users it mentions.
 *
 * @since 0.1.0
 * @category models
 */
export class PhonePhoneCall extends Schema.Class<PhonePhoneCall>("@tgphone/core/PhonePhoneCall")({
  phoneCall: PhoneCall,
  users: Schema.Array(User)
}) {}

/**
 * `messages.DhConfig`: the Diffie–Hellman group (or "not modified") plus fresh server random bytes.
 *
 * @since 0.1.0
 * @category models
 */
export const DhConfig = Schema.Union([
  Schema.TaggedStruct("DhConfig", { g: Schema.Int, p: Bytes, version: Schema.Int, random: Bytes }),
  Schema.TaggedStruct("DhConfigNotModified", { random: Bytes })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type DhConfig = typeof DhConfig.Type

/**
 * The updates this SDK models. Everything else the server pushes is dropped at the boundary.
 *
 * @since 0.1.0
 * @category models
 */
export const Update = Schema.Union([
  Schema.TaggedStruct("UpdatePhoneCall", { phoneCall: PhoneCall }),
  Schema.TaggedStruct("UpdatePhoneCallSignalingData", { phoneCallId: Long, data: Bytes })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type Update = typeof Update.Type

/**
 * An `Updates` result (`phone.discardCall`, `phone.setCallRating`, the group-call methods),
 * flattened: the modelled updates in order, and the users it carried.
 *
 * @since 0.1.0
 * @category models
 */
export class Updates extends Schema.Class<Updates>("@tgphone/core/Updates")({
  updates: Schema.Array(Update),
  users: Schema.Array(User)
}) {}
