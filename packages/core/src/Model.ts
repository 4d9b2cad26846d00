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
import { Effect, Schema } from "effect"

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
    port: Int32,
    peerTag: Bytes
  }),
  Schema.TaggedStruct("PhoneConnectionWebrtc", {
    turn: Schema.Boolean,
    stun: Schema.Boolean,
    id: Long,
    ip: Schema.String,
    ipv6: Schema.String,
    port: Int32,
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
  date: Int32,
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
    receiveDate: Schema.optionalKey(Int32),
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
    startDate: Int32,
    customParameters: Schema.optionalKey(DataJson),
    conferenceCall: Schema.optionalKey(InputGroupCall)
  }),
  Schema.TaggedStruct("PhoneCallDiscarded", {
    needRating: Schema.Boolean,
    needDebug: Schema.Boolean,
    video: Schema.Boolean,
    id: Long,
    reason: Schema.optionalKey(DiscardReason),
    duration: Schema.optionalKey(Int32),
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
  Schema.TaggedStruct("DhConfig", { g: Int32, p: Bytes, version: Int32, random: Bytes }),
  Schema.TaggedStruct("DhConfigNotModified", { random: Bytes })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type DhConfig = typeof DhConfig.Type

/**
 * `inputPeer*`: a peer (user, basic group or channel) as a request names it. `InputPeerRaw`
 * carries a backend object for the kinds not modelled here (`inputPeerUserFromMessage`,
 * `inputPeerChannelFromMessage`); it is backend-specific and passed through as is.
 *
 * @since 0.1.0
 * @category models
 */
export const InputPeer = Schema.Union([
  Schema.TaggedStruct("InputPeerEmpty", {}),
  Schema.TaggedStruct("InputPeerSelf", {}),
  Schema.TaggedStruct("InputPeerUser", { userId: Long, accessHash: Long }),
  Schema.TaggedStruct("InputPeerChat", { chatId: Long }),
  Schema.TaggedStruct("InputPeerChannel", { channelId: Long, accessHash: Long }),
  Schema.TaggedStruct("InputPeerRaw", { raw: Schema.Unknown })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type InputPeer = typeof InputPeer.Type

/**
 * `peerUser` / `peerChat` / `peerChannel`: a peer as results name it.
 *
 * @since 0.1.0
 * @category models
 */
export const Peer = Schema.Union([
  Schema.TaggedStruct("PeerUser", { userId: Long }),
  Schema.TaggedStruct("PeerChat", { chatId: Long }),
  Schema.TaggedStruct("PeerChannel", { channelId: Long })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type Peer = typeof Peer.Type

/**
 * A basic group or channel as results carry it (`Chat`), minimal: what group-call
 * applications need to name and display it. The photo, rights and other fields are not
 * modelled; `raw` holds the backend's own object when the value was decoded from one.
 *
 * @since 0.1.0
 * @category models
 */
export const Chat = Schema.Union([
  Schema.TaggedStruct("ChatEmpty", { id: Long }),
  Schema.TaggedStruct("Chat", {
    creator: Schema.Boolean,
    left: Schema.Boolean,
    deactivated: Schema.Boolean,
    callActive: Schema.Boolean,
    callNotEmpty: Schema.Boolean,
    id: Long,
    title: Schema.String,
    participantsCount: Int32,
    date: Int32,
    version: Int32,
    raw: Schema.optionalKey(Schema.Unknown)
  }),
  Schema.TaggedStruct("ChatForbidden", { id: Long, title: Schema.String }),
  Schema.TaggedStruct("Channel", {
    creator: Schema.Boolean,
    left: Schema.Boolean,
    broadcast: Schema.Boolean,
    megagroup: Schema.Boolean,
    min: Schema.Boolean,
    callActive: Schema.Boolean,
    callNotEmpty: Schema.Boolean,
    id: Long,
    accessHash: Schema.optionalKey(Long),
    title: Schema.String,
    username: Schema.optionalKey(Schema.String),
    date: Int32,
    participantsCount: Schema.optionalKey(Int32),
    raw: Schema.optionalKey(Schema.Unknown)
  }),
  Schema.TaggedStruct("ChannelForbidden", {
    broadcast: Schema.Boolean,
    megagroup: Schema.Boolean,
    id: Long,
    accessHash: Long,
    title: Schema.String,
    untilDate: Schema.optionalKey(Int32)
  })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type Chat = typeof Chat.Type

/**
 * `inputFile` / `inputFileBig`: a file uploaded with `upload.saveFilePart` (used by
 * `phone.saveCallLog`).
 *
 * @since 0.1.0
 * @category models
 */
export const InputFile = Schema.Union([
  Schema.TaggedStruct("InputFile", {
    id: Long,
    parts: Int32,
    name: Schema.String,
    md5Checksum: Schema.String
  }),
  Schema.TaggedStruct("InputFileBig", { id: Long, parts: Int32, name: Schema.String })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type InputFile = typeof InputFile.Type

/**
 * A group call (`GroupCall`): `GroupCallDiscarded` once it ended, else `GroupCall` with
 * its settings and counters.
 *
 * @since 0.1.0
 * @category models
 */
export const GroupCall = Schema.Union([
  Schema.TaggedStruct("GroupCallDiscarded", { id: Long, accessHash: Long, duration: Int32 }),
  Schema.TaggedStruct("GroupCall", {
    joinMuted: Schema.Boolean,
    canChangeJoinMuted: Schema.Boolean,
    joinDateAsc: Schema.Boolean,
    scheduleStartSubscribed: Schema.Boolean,
    canStartVideo: Schema.Boolean,
    recordVideoActive: Schema.Boolean,
    rtmpStream: Schema.Boolean,
    listenersHidden: Schema.Boolean,
    id: Long,
    accessHash: Long,
    participantsCount: Int32,
    title: Schema.optionalKey(Schema.String),
    streamDcId: Schema.optionalKey(Int32),
    recordStartDate: Schema.optionalKey(Int32),
    scheduleDate: Schema.optionalKey(Int32),
    unmutedVideoCount: Schema.optionalKey(Int32),
    unmutedVideoLimit: Int32,
    version: Int32,
    conferenceFromCall: Schema.optionalKey(Long)
  })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type GroupCall = typeof GroupCall.Type

/**
 * `groupCallParticipantVideoSourceGroup`: SSRC group of a video stream (`semantics` such as
 * `"SIM"` or `"FID"`).
 *
 * @since 0.1.0
 * @category models
 */
export class GroupCallParticipantVideoSourceGroup extends Schema.Class<GroupCallParticipantVideoSourceGroup>(
  "@tgphone/core/GroupCallParticipantVideoSourceGroup"
)({
  semantics: Schema.String,
  sources: Schema.Array(Int32)
}) {}

/**
 * `groupCallParticipantVideo`: a participant's camera or screen-sharing stream.
 *
 * @since 0.1.0
 * @category models
 */
export class GroupCallParticipantVideo extends Schema.Class<GroupCallParticipantVideo>(
  "@tgphone/core/GroupCallParticipantVideo"
)({
  paused: Schema.Boolean,
  endpoint: Schema.String,
  sourceGroups: Schema.Array(GroupCallParticipantVideoSourceGroup),
  audioSource: Schema.optionalKey(Int32)
}) {}

/**
 * `groupCallParticipant`: one participant of a group call and its state.
 *
 * @since 0.1.0
 * @category models
 */
export class GroupCallParticipant extends Schema.Class<GroupCallParticipant>(
  "@tgphone/core/GroupCallParticipant"
)({
  muted: Schema.Boolean,
  left: Schema.Boolean,
  canSelfUnmute: Schema.Boolean,
  justJoined: Schema.Boolean,
  versioned: Schema.Boolean,
  min: Schema.Boolean,
  mutedByYou: Schema.Boolean,
  volumeByAdmin: Schema.Boolean,
  self: Schema.Boolean,
  videoJoined: Schema.Boolean,
  peer: Peer,
  date: Int32,
  activeDate: Schema.optionalKey(Int32),
  source: Int32,
  volume: Schema.optionalKey(Int32),
  about: Schema.optionalKey(Schema.String),
  raiseHandRating: Schema.optionalKey(Long),
  video: Schema.optionalKey(GroupCallParticipantVideo),
  presentation: Schema.optionalKey(GroupCallParticipantVideo)
}) {}

/**
 * `phone.groupCall`: a group call, the first page of its participants, and the chats and
 * users they mention.
 *
 * @since 0.1.0
 * @category models
 */
export class PhoneGroupCall extends Schema.Class<PhoneGroupCall>("@tgphone/core/PhoneGroupCall")({
  call: GroupCall,
  participants: Schema.Array(GroupCallParticipant),
  participantsNextOffset: Schema.String,
  chats: Schema.Array(Chat),
  users: Schema.Array(User)
}) {}

/**
 * `phone.groupParticipants`: one page of a group call's participants.
 *
 * @since 0.1.0
 * @category models
 */
export class PhoneGroupParticipants extends Schema.Class<PhoneGroupParticipants>(
  "@tgphone/core/PhoneGroupParticipants"
)({
  count: Int32,
  participants: Schema.Array(GroupCallParticipant),
  nextOffset: Schema.String,
  chats: Schema.Array(Chat),
  users: Schema.Array(User),
  version: Int32
}) {}

/**
 * `phone.joinAsPeers`: the peers this account may join a group call as.
 *
 * @since 0.1.0
 * @category models
 */
export class PhoneJoinAsPeers extends Schema.Class<PhoneJoinAsPeers>("@tgphone/core/PhoneJoinAsPeers")({
  peers: Schema.Array(Peer),
  chats: Schema.Array(Chat),
  users: Schema.Array(User)
}) {}

/**
 * `phone.exportedGroupCallInvite`: an invite link to a group call.
 *
 * @since 0.1.0
 * @category models
 */
export class PhoneExportedGroupCallInvite extends Schema.Class<PhoneExportedGroupCallInvite>(
  "@tgphone/core/PhoneExportedGroupCallInvite"
)({
  link: Schema.String
}) {}

/**
 * `groupCallStreamChannel`: one channel of an RTMP stream and its last timestamp.
 *
 * @since 0.1.0
 * @category models
 */
export class GroupCallStreamChannel extends Schema.Class<GroupCallStreamChannel>(
  "@tgphone/core/GroupCallStreamChannel"
)({
  channel: Int32,
  scale: Int32,
  lastTimestampMs: Long
}) {}

/**
 * `phone.groupCallStreamChannels`: the channels of an RTMP stream.
 *
 * @since 0.1.0
 * @category models
 */
export class PhoneGroupCallStreamChannels extends Schema.Class<PhoneGroupCallStreamChannels>(
  "@tgphone/core/PhoneGroupCallStreamChannels"
)({
  channels: Schema.Array(GroupCallStreamChannel)
}) {}

/**
 * `phone.groupCallStreamRtmpUrl`: where an external streamer publishes. The stream `key`
 * lets anyone publish to the call, so it is `Redacted`.
 *
 * @since 0.1.0
 * @category models
 */
export class PhoneGroupCallStreamRtmpUrl extends Schema.Class<PhoneGroupCallStreamRtmpUrl>(
  "@tgphone/core/PhoneGroupCallStreamRtmpUrl"
)({
  url: Schema.String,
  key: Schema.Redacted(Schema.String)
}) {}

/**
 * The updates this SDK models. Everything else the server pushes is dropped at the boundary.
 *
 * @since 0.1.0
 * @category models
 */
export const Update = Schema.Union([
  Schema.TaggedStruct("UpdatePhoneCall", { phoneCall: PhoneCall }),
  Schema.TaggedStruct("UpdatePhoneCallSignalingData", { phoneCallId: Long, data: Bytes }),
  Schema.TaggedStruct("UpdateGroupCall", { chatId: Schema.optionalKey(Long), call: GroupCall }),
  Schema.TaggedStruct("UpdateGroupCallParticipants", {
    call: InputGroupCall,
    participants: Schema.Array(GroupCallParticipant),
    version: Int32
  }),
  Schema.TaggedStruct("UpdateGroupCallConnection", { presentation: Schema.Boolean, params: DataJson })
]).pipe(Schema.toTaggedUnion("_tag"))
/** @since 0.1.0 @category models */
export type Update = typeof Update.Type

/**
 * An `Updates` result (`phone.discardCall`, `phone.setCallRating`, the group-call methods),
 * flattened: the modelled updates in order, and the users and chats it carried. `chats`
 * defaults to empty when constructing.
 *
 * @since 0.1.0
 * @category models
 */
export class Updates extends Schema.Class<Updates>("@tgphone/core/Updates")({
  updates: Schema.Array(Update),
  users: Schema.Array(User),
  chats: Schema.Array(Chat).pipe(Schema.withConstructorDefault(Effect.succeed([])))
}) {}
