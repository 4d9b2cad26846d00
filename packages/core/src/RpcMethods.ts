/**
 * The registry of RPC methods that cross the seam (`TelegramRpc.invoke`): for each TL method,
 * its parameters and its result in the Effect-native model. Parameters here are the *resolved*
 * wire-level values (an `InputUser`, not a username); `Phone` decodes and resolves user input
 * before it builds them.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import {
  Bytes,
  DataJson,
  DhConfig,
  DiscardReason,
  InputGroupCall,
  InputPhoneCall,
  InputUser,
  Int32,
  Long,
  PhoneCallProtocol,
  PhonePhoneCall,
  Updates
} from "./Model.js"

/**
 * Parameter and result schemas for every method the seam carries.
 *
 * @since 0.1.0
 * @category registry
 */
export const RpcMethods = {
  "messages.getDhConfig": {
    params: Schema.Struct({ version: Int32, randomLength: Int32 }),
    result: DhConfig
  },
  "phone.getCallConfig": {
    params: Schema.Struct({}),
    result: DataJson
  },
  "phone.requestCall": {
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
    params: Schema.Struct({ peer: InputPhoneCall, gB: Bytes, protocol: PhoneCallProtocol }),
    result: PhonePhoneCall
  },
  "phone.confirmCall": {
    params: Schema.Struct({
      peer: InputPhoneCall,
      gA: Bytes,
      keyFingerprint: Long,
      protocol: PhoneCallProtocol
    }),
    result: PhonePhoneCall
  },
  "phone.receivedCall": {
    params: Schema.Struct({ peer: InputPhoneCall }),
    result: Schema.Boolean
  },
  "phone.discardCall": {
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
    params: Schema.Struct({
      userInitiative: Schema.Boolean,
      peer: InputPhoneCall,
      rating: Int32,
      comment: Schema.String
    }),
    result: Updates
  },
  "phone.saveCallDebug": {
    params: Schema.Struct({ peer: InputPhoneCall, debug: DataJson }),
    result: Schema.Boolean
  },
  "phone.sendSignalingData": {
    params: Schema.Struct({ peer: InputPhoneCall, data: Bytes }),
    result: Schema.Boolean
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
