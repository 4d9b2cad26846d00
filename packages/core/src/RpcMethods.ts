/**
 * The registry of RPC methods that cross the seam (`TelegramRpc.invoke`): for each TL method
 * of layer 198 that tgphone carries (every `phone.*` function plus `messages.getDhConfig`), its
 * TL constructor id, its parameters and its result in the Effect-native model. Parameters here
 * are the *resolved* wire-level values (an `InputUser`, not a username); `Phone` decodes and
 * resolves user input before it builds them.
 *
 * Flag fields follow one rule: a `flags.N?true` field is a required `boolean`; any other
 * optional field (`flags.N?int`, `flags.N?Bool`, …) is an optional key.
 *
 * TL reference: `packages/core/catalog/phone-types.tl`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import {
  Bytes,
  DataJson,
  DhConfig,
  DiscardReason,
  InputFile,
  InputGroupCall,
  InputPeer,
  InputPhoneCall,
  InputUser,
  Int32,
  Long,
  PhoneCallProtocol,
  PhoneExportedGroupCallInvite,
  PhoneGroupCall,
  PhoneGroupCallStreamChannels,
  PhoneGroupCallStreamRtmpUrl,
  PhoneGroupParticipants,
  PhoneJoinAsPeers,
  PhonePhoneCall,
  Updates
} from "./Model.js"

const callOnly = Schema.Struct({ call: InputGroupCall })

/**
 * `phone.toggleGroupCallRecord` shares flag 2 between `video` (true) and `video_portrait`
 * (Bool): on the wire one is present exactly when the other is.
 */
const toggleGroupCallRecordParams = Schema.Struct({
  start: Schema.Boolean,
  video: Schema.Boolean,
  call: InputGroupCall,
  title: Schema.optionalKey(Schema.String),
  videoPortrait: Schema.optionalKey(Schema.Boolean)
}).check(
  Schema.makeFilter((p) =>
    p.video === (p.videoPortrait !== undefined)
      ? undefined
      : {
          path: ["videoPortrait"],
          issue: "videoPortrait must be set exactly when video is true (TL flags.2)"
        }
  )
)

/**
 * Constructor id, parameter and result schemas for every method the seam carries.
 *
 * @since 0.1.0
 * @category registry
 */
export const RpcMethods = {
  "messages.getDhConfig": {
    constructorId: 0x26cf8950,
    params: Schema.Struct({ version: Int32, randomLength: Int32 }),
    result: DhConfig
  },
  "phone.getCallConfig": {
    constructorId: 0x55451fa9,
    params: Schema.Struct({}),
    result: DataJson
  },
  "phone.requestCall": {
    constructorId: 0xa6c4600c,
    params: Schema.Struct({
      video: Schema.Boolean,
      userId: InputUser,
      conferenceCall: Schema.optionalKey(InputGroupCall),
      randomId: Int32,
      gAHash: Bytes,
      protocol: PhoneCallProtocol
    }),
    result: PhonePhoneCall
  },
  "phone.acceptCall": {
    constructorId: 0x3bd2b4a0,
    params: Schema.Struct({ peer: InputPhoneCall, gB: Bytes, protocol: PhoneCallProtocol }),
    result: PhonePhoneCall
  },
  "phone.confirmCall": {
    constructorId: 0x2efe1722,
    params: Schema.Struct({
      peer: InputPhoneCall,
      gA: Bytes,
      keyFingerprint: Long,
      protocol: PhoneCallProtocol
    }),
    result: PhonePhoneCall
  },
  "phone.receivedCall": {
    constructorId: 0x17d54f61,
    params: Schema.Struct({ peer: InputPhoneCall }),
    result: Schema.Boolean
  },
  "phone.discardCall": {
    constructorId: 0xb2cbc1c0,
    params: Schema.Struct({
      video: Schema.Boolean,
      peer: InputPhoneCall,
      duration: Int32,
      reason: DiscardReason,
      connectionId: Long
    }),
    result: Updates
  },
  "phone.setCallRating": {
    constructorId: 0x59ead627,
    params: Schema.Struct({
      userInitiative: Schema.Boolean,
      peer: InputPhoneCall,
      rating: Int32,
      comment: Schema.String
    }),
    result: Updates
  },
  "phone.saveCallDebug": {
    constructorId: 0x277add7e,
    params: Schema.Struct({ peer: InputPhoneCall, debug: DataJson }),
    result: Schema.Boolean
  },
  "phone.sendSignalingData": {
    constructorId: 0xff7a9383,
    params: Schema.Struct({ peer: InputPhoneCall, data: Bytes }),
    result: Schema.Boolean
  },
  "phone.createGroupCall": {
    constructorId: 0x48cdc6d8,
    params: Schema.Struct({
      rtmpStream: Schema.Boolean,
      peer: InputPeer,
      randomId: Int32,
      title: Schema.optionalKey(Schema.String),
      scheduleDate: Schema.optionalKey(Int32)
    }),
    result: Updates
  },
  "phone.joinGroupCall": {
    constructorId: 0xd61e1df3,
    params: Schema.Struct({
      muted: Schema.Boolean,
      videoStopped: Schema.Boolean,
      call: InputGroupCall,
      joinAs: InputPeer,
      inviteHash: Schema.optionalKey(Schema.String),
      keyFingerprint: Schema.optionalKey(Long),
      params: DataJson
    }),
    result: Updates
  },
  "phone.leaveGroupCall": {
    constructorId: 0x500377f9,
    params: Schema.Struct({ call: InputGroupCall, source: Int32 }),
    result: Updates
  },
  "phone.inviteToGroupCall": {
    constructorId: 0x7b393160,
    params: Schema.Struct({ call: InputGroupCall, users: Schema.Array(InputUser) }),
    result: Updates
  },
  "phone.discardGroupCall": {
    constructorId: 0x7a777135,
    params: callOnly,
    result: Updates
  },
  "phone.toggleGroupCallSettings": {
    constructorId: 0x74bbb43d,
    params: Schema.Struct({
      resetInviteHash: Schema.Boolean,
      call: InputGroupCall,
      joinMuted: Schema.optionalKey(Schema.Boolean)
    }),
    result: Updates
  },
  "phone.getGroupCall": {
    constructorId: 0x041845db,
    params: Schema.Struct({ call: InputGroupCall, limit: Int32 }),
    result: PhoneGroupCall
  },
  "phone.getGroupParticipants": {
    constructorId: 0xc558d8ab,
    params: Schema.Struct({
      call: InputGroupCall,
      ids: Schema.Array(InputPeer),
      sources: Schema.Array(Int32),
      offset: Schema.String,
      limit: Int32
    }),
    result: PhoneGroupParticipants
  },
  "phone.checkGroupCall": {
    constructorId: 0xb59cf977,
    params: Schema.Struct({ call: InputGroupCall, sources: Schema.Array(Int32) }),
    result: Schema.Array(Int32)
  },
  "phone.toggleGroupCallRecord": {
    constructorId: 0xf128c708,
    params: toggleGroupCallRecordParams,
    result: Updates
  },
  "phone.editGroupCallParticipant": {
    constructorId: 0xa5273abf,
    params: Schema.Struct({
      call: InputGroupCall,
      participant: InputPeer,
      muted: Schema.optionalKey(Schema.Boolean),
      volume: Schema.optionalKey(Int32),
      raiseHand: Schema.optionalKey(Schema.Boolean),
      videoStopped: Schema.optionalKey(Schema.Boolean),
      videoPaused: Schema.optionalKey(Schema.Boolean),
      presentationPaused: Schema.optionalKey(Schema.Boolean)
    }),
    result: Updates
  },
  "phone.editGroupCallTitle": {
    constructorId: 0x1ca6ac0a,
    params: Schema.Struct({ call: InputGroupCall, title: Schema.String }),
    result: Updates
  },
  "phone.getGroupCallJoinAs": {
    constructorId: 0xef7c213a,
    params: Schema.Struct({ peer: InputPeer }),
    result: PhoneJoinAsPeers
  },
  "phone.exportGroupCallInvite": {
    constructorId: 0xe6aa647f,
    params: Schema.Struct({ canSelfUnmute: Schema.Boolean, call: InputGroupCall }),
    result: PhoneExportedGroupCallInvite
  },
  "phone.toggleGroupCallStartSubscription": {
    constructorId: 0x219c34e6,
    params: Schema.Struct({ call: InputGroupCall, subscribed: Schema.Boolean }),
    result: Updates
  },
  "phone.startScheduledGroupCall": {
    constructorId: 0x5680e342,
    params: callOnly,
    result: Updates
  },
  "phone.saveDefaultGroupCallJoinAs": {
    constructorId: 0x575e1f8c,
    params: Schema.Struct({ peer: InputPeer, joinAs: InputPeer }),
    result: Schema.Boolean
  },
  "phone.joinGroupCallPresentation": {
    constructorId: 0xcbea6bc4,
    params: Schema.Struct({ call: InputGroupCall, params: DataJson }),
    result: Updates
  },
  "phone.leaveGroupCallPresentation": {
    constructorId: 0x1c50d144,
    params: callOnly,
    result: Updates
  },
  "phone.getGroupCallStreamChannels": {
    constructorId: 0x1ab21940,
    params: callOnly,
    result: PhoneGroupCallStreamChannels
  },
  "phone.getGroupCallStreamRtmpUrl": {
    constructorId: 0xdeb3abbf,
    params: Schema.Struct({ peer: InputPeer, revoke: Schema.Boolean }),
    result: PhoneGroupCallStreamRtmpUrl
  },
  "phone.saveCallLog": {
    constructorId: 0x41248786,
    params: Schema.Struct({ peer: InputPhoneCall, file: InputFile }),
    result: Schema.Boolean
  },
  "phone.createConferenceCall": {
    constructorId: 0xdfc909ab,
    params: Schema.Struct({ peer: InputPhoneCall, keyFingerprint: Long }),
    result: PhonePhoneCall
  }
} as const

/**
 * The name of a method the seam carries (`"phone.requestCall"`, …).
 *
 * @since 0.1.0
 * @category registry
 */
export type MethodName = keyof typeof RpcMethods

/**
 * Every method name of the registry, in TL order.
 *
 * @since 0.1.0
 * @category registry
 */
export const methodNames: ReadonlyArray<MethodName> = Object.keys(RpcMethods) as Array<MethodName>

/**
 * Whether a string names a method of the registry.
 *
 * @since 0.1.0
 * @category registry
 */
export const isMethodName = (name: string): name is MethodName => Object.hasOwn(RpcMethods, name)

/**
 * The method whose TL constructor id is `id`, if the registry carries it.
 *
 * @since 0.1.0
 * @category registry
 */
export const methodByConstructorId = (id: number): MethodName | undefined => byConstructorId.get(id >>> 0)

const byConstructorId: ReadonlyMap<number, MethodName> = new Map(
  methodNames.map((name) => [RpcMethods[name].constructorId >>> 0, name] as const)
)

/**
 * The resolved parameters of method `M`.
 *
 * @since 0.1.0
 * @category registry
 */
export type MethodParams<M extends MethodName> = (typeof RpcMethods)[M]["params"]["Type"]

/**
 * The result of method `M`.
 *
 * @since 0.1.0
 * @category registry
 */
export type MethodResult<M extends MethodName> = (typeof RpcMethods)[M]["result"]["Type"]
