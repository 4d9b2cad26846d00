/**
 * 1:1 calls: the state machine of `phone.requestCall` … `phone.discardCall` (waiting, accepted,
 * active, discarded, with the receive and ring timers), the DH and call configs, feedback and
 * signalling, and what a man in the middle makes the peer receive.
 */
import { Model, type RpcMethods } from "@tgphone/core"
import type { PhoneCallProtocol } from "@tgphone/crypto"
import { Effect, type Fiber, Option, type Scope } from "effect"
import type { CallFeedback, CallInfo, Service } from "../../TestTelegram.js"
import * as Dh from "../dh.js"
import * as Protocol from "../protocol.js"
import type { SeededRandom } from "../random.js"
import type { Delivery } from "./delivery.js"
import type { Directory, UserRec } from "./directory.js"
import { type Faults, tamperBytes } from "./faults.js"
import { atomically, type Ctx, type Handlers, reject } from "./step.js"

type MethodParams<M extends RpcMethods.MethodName> = RpcMethods.MethodParams<M>

export interface CallRec {
  readonly id: bigint
  readonly accessHash: bigint
  readonly video: boolean
  readonly caller: UserRec
  readonly callee: UserRec
  readonly date: number
  readonly gAHash: Uint8Array
  readonly callerProtocol: PhoneCallProtocol
  state: "waiting" | "accepted" | "active" | "discarded"
  receiveDate: number | undefined
  gB: Uint8Array | undefined
  gA: Uint8Array | undefined
  negotiated: PhoneCallProtocol | undefined
  keyFingerprint: bigint | undefined
  /** What a man in the middle (`tamper`) made the peer receive instead. */
  readonly relayed: { gAHash?: Uint8Array; gB?: Uint8Array; gA?: Uint8Array; keyFingerprint?: bigint }
  startDate: number | undefined
  connections: ReadonlyArray<Model.PhoneConnection>
  p2pAllowed: boolean
  discard: NonNullable<CallInfo["discard"]> | undefined
  timer: Fiber.Fiber<void> | undefined
  timerToken: number
}

/** The call timeouts and DH settings of a world. */
export interface CallSettings {
  readonly ringTimeoutMs: number
  readonly receiveTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly packetTimeoutMs: number
  readonly dhVersion: number
  readonly verifyGAHash: boolean
}

/** The methods 1:1 calls answer. */
export type CallMethod =
  | "messages.getDhConfig"
  | "phone.getCallConfig"
  | "phone.requestCall"
  | "phone.acceptCall"
  | "phone.confirmCall"
  | "phone.receivedCall"
  | "phone.discardCall"
  | "phone.setCallRating"
  | "phone.saveCallDebug"
  | "phone.sendSignalingData"
  | "phone.saveCallLog"

/** 1:1 calls' part of the service. */
export type CallOperations = Pick<Service, "calls" | "call" | "feedback">

export class Calls {
  private readonly callsById = new Map<bigint, CallRec>()
  private readonly feedbackLog: Array<CallFeedback> = []

  constructor(
    private readonly rng: SeededRandom,
    private readonly scope: Scope.Scope,
    private readonly settings: CallSettings,
    private readonly directory: Directory,
    private readonly delivery: Delivery,
    private readonly faults: Faults
  ) {}

  /**
   * The step of the world's `migrateToConference`: `ctx.actor` moves their active call `callId`
   * into the conference `open` creates for the peer; the call ends for both sides with reason
   * `MigrateConferenceCall` and the conference's slug.
   */
  migrate(
    ctx: Ctx,
    callId: bigint,
    open: (peer: UserRec, video: boolean) => string
  ): { readonly error: string } | { readonly slug: string } {
    const mover = ctx.actor
    const call = this.callsById.get(callId)
    if (call === undefined || (call.caller !== mover && call.callee !== mover))
      return { error: `user ${mover.id} takes part in no call ${callId}` }
    if (call.state !== "active") return { error: `call ${callId} is not active (it is ${call.state})` }
    const peer = call.caller === mover ? call.callee : call.caller
    if (!mover.conferenceCalls || !peer.conferenceCalls)
      return { error: `call ${callId} cannot move into a conference: conferenceSupported is false` }
    const slug = open(peer, call.video)
    this.endCall(ctx, call, mover.id, { _tag: "MigrateConferenceCall", slug }, undefined, [])
    return { slug }
  }

  /** Whether `a` and `b` had a 1:1 call (so each knows the other's access hash). */
  met(a: UserRec, b: UserRec): boolean {
    for (const call of this.callsById.values()) {
      const ids = [call.caller.id, call.callee.id]
      if (ids.includes(a.id) && ids.includes(b.id)) return true
    }
    return false
  }

  /** The call a request names, if `actor` takes part in it and the access hash matches. */
  callOf(ctx: Ctx, peer: Model.InputPhoneCall): CallRec {
    const call = this.callsById.get(peer.id)
    if (
      call === undefined ||
      call.accessHash !== peer.accessHash ||
      (call.caller !== ctx.actor && call.callee !== ctx.actor)
    )
      return reject(400, "CALL_PEER_INVALID")
    return call
  }

  /** The call as `viewer` sees it. */
  view(call: CallRec, viewer: UserRec): Model.PhoneCall {
    const header = {
      video: call.video,
      id: call.id,
      accessHash: call.accessHash,
      date: call.date,
      adminId: call.caller.id,
      participantId: call.callee.id
    }
    const isCaller = viewer === call.caller
    switch (call.state) {
      case "discarded": {
        const d = call.discard!
        return {
          _tag: "PhoneCallDiscarded",
          needRating: d.needRating,
          needDebug: d.needDebug,
          video: call.video,
          id: call.id,
          ...(d.reason !== undefined ? { reason: d.reason } : {}),
          ...(d.duration !== undefined ? { duration: d.duration } : {})
        }
      }
      case "waiting":
        return isCaller
          ? {
              _tag: "PhoneCallWaiting",
              ...header,
              protocol: call.callerProtocol,
              ...(call.receiveDate !== undefined ? { receiveDate: call.receiveDate } : {})
            }
          : {
              _tag: "PhoneCallRequested",
              ...header,
              gAHash: call.relayed.gAHash ?? call.gAHash,
              protocol: call.callerProtocol
            }
      case "accepted":
        return isCaller
          ? {
              _tag: "PhoneCallAccepted",
              ...header,
              gB: call.relayed.gB ?? call.gB!,
              protocol: call.negotiated!
            }
          : // e2e-calls §2 step 8 / §8.7: the callee's acceptCall result is phoneCallWaiting.
            {
              _tag: "PhoneCallWaiting",
              ...header,
              protocol: call.negotiated!,
              ...(call.receiveDate !== undefined ? { receiveDate: call.receiveDate } : {})
            }
      case "active":
        return {
          _tag: "PhoneCall",
          ...header,
          p2pAllowed: call.p2pAllowed,
          conferenceSupported: call.caller.conferenceCalls && call.callee.conferenceCalls,
          gAOrB: isCaller ? (call.relayed.gB ?? call.gB!) : (call.relayed.gA ?? call.gA!),
          keyFingerprint: isCaller
            ? call.keyFingerprint!
            : (call.relayed.keyFingerprint ?? call.keyFingerprint!),
          protocol: call.negotiated!,
          connections: call.connections,
          startDate: call.startDate!
        }
    }
  }

  private callUsers(call: CallRec, viewer: UserRec): Array<Model.User> {
    return [
      this.directory.userObject(call.caller, viewer.id),
      this.directory.userObject(call.callee, viewer.id)
    ]
  }

  private phoneCallResult(
    call: CallRec,
    viewer: UserRec,
    phoneCall = this.view(call, viewer)
  ): Model.PhonePhoneCall {
    return new Model.PhonePhoneCall({ phoneCall, users: this.callUsers(call, viewer) })
  }

  private cancelTimer(call: CallRec): void {
    call.timerToken++
    const timer = call.timer
    call.timer = undefined
    timer?.interruptUnsafe()
  }

  /** Arms the call's single timer: after `ms`, an unanswered call ends as Missed for both. */
  private armTimer(ctx: Ctx, call: CallRec, ms: number): void {
    this.cancelTimer(call)
    const token = call.timerToken
    const expire = Effect.sleep(ms).pipe(
      Effect.andThen(
        atomically(call.caller, (ctx2) => {
          if (call.timerToken !== token || call.state === "discarded") return
          call.timer = undefined
          this.endCall(ctx2, call, "server", { _tag: "Missed" }, undefined, [])
        })
      )
    )
    ctx.post.push(
      Effect.gen({ self: this }, function* () {
        const fiber = yield* Effect.forkIn(expire, this.scope)
        if (call.timerToken === token && call.state !== "discarded") call.timer = fiber
        else fiber.interruptUnsafe()
      })
    )
  }

  /** Ends a call; every participant not in `quiet` is pushed the discarded call. */
  private endCall(
    ctx: Ctx,
    call: CallRec,
    by: bigint | "server",
    reason: Model.DiscardReason | undefined,
    duration: number | undefined,
    quiet: ReadonlyArray<UserRec>
  ): void {
    this.cancelTimer(call)
    const wasActive = call.state === "active"
    call.state = "discarded"
    call.discard = {
      by,
      ...(reason !== undefined ? { reason } : {}),
      ...(wasActive ? { duration: Math.max(0, duration ?? ctx.date - (call.startDate ?? ctx.date)) } : {}),
      needRating: wasActive,
      needDebug: wasActive && reason?._tag === "Disconnect"
    }
    call.caller.calls.delete(call)
    call.callee.calls.delete(call)
    for (const user of [call.caller, call.callee]) {
      if (!quiet.includes(user))
        this.delivery.deliver(ctx, user, { _tag: "UpdatePhoneCall", phoneCall: this.view(call, user) }, true)
    }
  }

  /** Whether `user` is busy for a new incoming call (DOC-CALLS, e2e-calls §2 step 5). */
  private isBusy(user: UserRec): boolean {
    for (const call of user.calls) {
      if (call.caller === user || call.state !== "waiting" || call.receiveDate !== undefined) return true
    }
    return false
  }

  private mayCall(caller: UserRec, callee: UserRec): boolean {
    const p = callee.privacy
    if (p.neverAllow.has(caller.id)) return false
    if (p.alwaysAllow.has(caller.id)) return true
    switch (p.allow) {
      case "everybody":
        return true
      case "contacts":
        return callee.contacts.has(caller.id)
      case "nobody":
        return false
    }
  }

  private checkProtocol(protocol: PhoneCallProtocol): void {
    if (!Protocol.flagsValid(protocol)) reject(400, "CALL_PROTOCOL_FLAGS_INVALID")
    if (!Protocol.layerValid(protocol)) reject(400, "CALL_PROTOCOL_LAYER_INVALID")
  }

  private connectionsFor(p2pAllowed: boolean): Array<Model.PhoneConnection> {
    const reflector: Model.PhoneConnection = {
      _tag: "PhoneConnection",
      tcp: false,
      id: this.rng.nextPositiveLong(),
      ip: "192.0.2.10",
      ipv6: "2001:db8::10",
      port: 553,
      peerTag: this.rng.nextBytes(16)
    }
    if (!p2pAllowed) return [reflector]
    return [
      reflector,
      {
        _tag: "PhoneConnectionWebrtc",
        turn: false,
        stun: true,
        id: this.rng.nextPositiveLong(),
        ip: "192.0.2.20",
        ipv6: "2001:db8::20",
        port: 3478,
        username: "",
        password: ""
      }
    ]
  }

  private readonly requestCall = (ctx: Ctx, p: MethodParams<"phone.requestCall">): Model.PhonePhoneCall => {
    const caller = ctx.actor
    this.checkProtocol(p.protocol)
    if (p.userId._tag === "InputUserSelf") return reject(400, "USER_ID_INVALID")
    const callee = this.directory.usersById.get(p.userId.userId)
    if (callee === undefined || callee.accessHash !== p.userId.accessHash || callee === caller)
      return reject(400, "USER_ID_INVALID")
    if (callee.deactivated) return reject(400, "INPUT_USER_DEACTIVATED")
    if (callee.blocked.has(caller.id)) return reject(403, "USER_IS_BLOCKED")
    if (callee.bot || !this.mayCall(caller, callee)) return reject(403, "USER_PRIVACY_RESTRICTED")
    if (callee.protocol === null || !Protocol.layersMeet(callee.protocol, p.protocol))
      return reject(400, "PARTICIPANT_VERSION_OUTDATED")
    if (caller.randomIds.has(p.randomId)) return reject(500, "RANDOM_ID_DUPLICATE")
    caller.randomIds.add(p.randomId)
    const call: CallRec = {
      id: this.rng.nextPositiveLong(),
      accessHash: this.rng.nextPositiveLong(),
      video: p.video,
      caller,
      callee,
      date: ctx.date,
      gAHash: p.gAHash,
      callerProtocol: p.protocol,
      state: "waiting",
      receiveDate: undefined,
      gB: undefined,
      gA: undefined,
      negotiated: undefined,
      keyFingerprint: undefined,
      relayed: {},
      startDate: undefined,
      connections: [],
      p2pAllowed: false,
      discard: undefined,
      timer: undefined,
      timerToken: 0
    }
    this.callsById.set(call.id, call)
    if (this.faults.takeTamper("phone.requestCall", "gAHash", caller.id))
      call.relayed.gAHash = tamperBytes(p.gAHash)
    const busy = this.isBusy(callee)
    caller.calls.add(call)
    callee.calls.add(call)
    const result = this.phoneCallResult(call, caller)
    if (busy) {
      // Telegram answers a call to a busy user with phoneCallWaiting and then discards it with
      // reason Busy; the busy callee hears nothing.
      this.endCall(ctx, call, "server", { _tag: "Busy" }, undefined, [callee])
    } else {
      // Arm before delivering: the callee's reaction to the update must find the timer set.
      this.armTimer(ctx, call, this.settings.receiveTimeoutMs)
      this.delivery.deliver(
        ctx,
        callee,
        { _tag: "UpdatePhoneCall", phoneCall: this.view(call, callee) },
        true
      )
    }
    return result
  }

  private readonly receivedCall = (ctx: Ctx, p: MethodParams<"phone.receivedCall">): boolean => {
    const call = this.callOf(ctx, p.peer)
    if (call.callee !== ctx.actor) return reject(400, "CALL_PEER_INVALID")
    if (call.state === "discarded") return reject(400, "CALL_ALREADY_DECLINED")
    if (call.state === "waiting" && call.receiveDate === undefined) {
      call.receiveDate = ctx.date
      this.armTimer(ctx, call, this.settings.ringTimeoutMs)
      this.delivery.deliver(
        ctx,
        call.caller,
        { _tag: "UpdatePhoneCall", phoneCall: this.view(call, call.caller) },
        true
      )
    }
    return true
  }

  private readonly acceptCall = (ctx: Ctx, p: MethodParams<"phone.acceptCall">): Model.PhonePhoneCall => {
    const call = this.callOf(ctx, p.peer)
    if (call.callee !== ctx.actor) return reject(400, "CALL_PEER_INVALID")
    if (call.state === "discarded") return reject(400, "CALL_ALREADY_DECLINED")
    if (call.state !== "waiting") return reject(400, "CALL_ALREADY_ACCEPTED")
    this.checkProtocol(p.protocol)
    const negotiated = Protocol.negotiate(call.callerProtocol, p.protocol)
    if (negotiated === undefined) return reject(406, "CALL_PROTOCOL_COMPAT_LAYER_INVALID")
    for (const other of ctx.actor.calls) {
      if (other !== call && (other.caller === ctx.actor || other.state !== "waiting"))
        return reject(500, "CALL_OCCUPY_FAILED")
    }
    this.cancelTimer(call)
    call.state = "accepted"
    call.gB = p.gB
    if (this.faults.takeTamper("phone.acceptCall", "gB", ctx.actor.id)) call.relayed.gB = tamperBytes(p.gB)
    call.negotiated = negotiated
    call.receiveDate ??= ctx.date
    this.delivery.deliver(
      ctx,
      call.caller,
      { _tag: "UpdatePhoneCall", phoneCall: this.view(call, call.caller) },
      true
    )
    return this.phoneCallResult(call, ctx.actor)
  }

  private readonly confirmCall = (ctx: Ctx, p: MethodParams<"phone.confirmCall">): Model.PhonePhoneCall => {
    const call = this.callOf(ctx, p.peer)
    if (call.caller !== ctx.actor) return reject(400, "CALL_PEER_INVALID")
    if (call.state === "discarded") return reject(400, "CALL_ALREADY_DECLINED")
    if (call.state !== "accepted") return reject(400, "CALL_PEER_INVALID")
    if (this.settings.verifyGAHash && !Dh.gAHashMatches(p.gA, call.gAHash))
      return reject(400, "DH_G_A_INVALID")
    call.state = "active"
    call.gA = p.gA
    call.keyFingerprint = p.keyFingerprint
    if (this.faults.takeTamper("phone.confirmCall", "gA", ctx.actor.id)) call.relayed.gA = tamperBytes(p.gA)
    if (this.faults.takeTamper("phone.confirmCall", "keyFingerprint", ctx.actor.id))
      call.relayed.keyFingerprint = p.keyFingerprint ^ 1n
    call.startDate = ctx.date
    call.p2pAllowed = call.negotiated!.udpP2p
    call.connections = this.connectionsFor(call.p2pAllowed)
    this.delivery.deliver(
      ctx,
      call.callee,
      { _tag: "UpdatePhoneCall", phoneCall: this.view(call, call.callee) },
      true
    )
    return this.phoneCallResult(call, ctx.actor)
  }

  private readonly discardCall = (ctx: Ctx, p: MethodParams<"phone.discardCall">): Model.Updates => {
    const call = this.callOf(ctx, p.peer)
    if (call.state === "discarded") return reject(400, "CALL_ALREADY_DECLINED")
    this.endCall(ctx, call, ctx.actor.id, p.reason, p.duration, [ctx.actor])
    const update: Model.Update = { _tag: "UpdatePhoneCall", phoneCall: this.view(call, ctx.actor) }
    this.delivery.deliver(ctx, ctx.actor, update, false)
    return new Model.Updates({ updates: [update], users: this.callUsers(call, ctx.actor) })
  }

  private readonly setCallRating = (ctx: Ctx, p: MethodParams<"phone.setCallRating">): Model.Updates => {
    const call = this.callOf(ctx, p.peer)
    this.feedbackLog.push({
      _tag: "Rating",
      callId: call.id,
      userId: ctx.actor.id,
      rating: p.rating,
      comment: p.comment,
      userInitiative: p.userInitiative
    })
    return new Model.Updates({ updates: [], users: [] })
  }

  private readonly saveCallDebug = (ctx: Ctx, p: MethodParams<"phone.saveCallDebug">): boolean => {
    const call = this.callOf(ctx, p.peer)
    let json: unknown
    try {
      json = JSON.parse(p.debug.data)
    } catch {
      return reject(400, "DATA_JSON_INVALID")
    }
    this.feedbackLog.push({ _tag: "Debug", callId: call.id, userId: ctx.actor.id, json })
    return true
  }

  private readonly saveCallLog = (ctx: Ctx, p: MethodParams<"phone.saveCallLog">): boolean => {
    const call = this.callOf(ctx, p.peer)
    this.feedbackLog.push({ _tag: "Log", callId: call.id, userId: ctx.actor.id, file: p.file })
    return true
  }

  private readonly sendSignalingData = (ctx: Ctx, p: MethodParams<"phone.sendSignalingData">): boolean => {
    const call = this.callOf(ctx, p.peer)
    if (call.state !== "active") return reject(400, "CALL_NOT_ACTIVE")
    const peer = call.caller === ctx.actor ? call.callee : call.caller
    this.feedbackLog.push({ _tag: "Signaling", callId: call.id, fromUserId: ctx.actor.id, data: p.data })
    this.delivery.deliver(
      ctx,
      peer,
      { _tag: "UpdatePhoneCallSignalingData", phoneCallId: call.id, data: p.data },
      true
    )
    return true
  }

  private readonly getDhConfig = (_ctx: Ctx, p: MethodParams<"messages.getDhConfig">): Model.DhConfig => {
    if (p.randomLength < 0 || p.randomLength > Dh.maxRandomLength) return reject(400, "RANDOM_LENGTH_INVALID")
    const random = this.rng.nextBytes(p.randomLength)
    return p.version === this.settings.dhVersion
      ? { _tag: "DhConfigNotModified", random }
      : {
          _tag: "DhConfig",
          g: Dh.generator,
          p: Dh.knownPrimeBytes(),
          version: this.settings.dhVersion,
          random
        }
  }

  private readonly getCallConfig = (): Model.DataJson =>
    new Model.DataJson({
      data: JSON.stringify({
        audio_frame_size: 60,
        jitter_min_delay_60: 2,
        jitter_max_delay_60: 10,
        jitter_max_slots_60: 20,
        jitter_losses_to_reset: 20,
        jitter_resync_threshold: 0.5,
        audio_congestion_window: 1024,
        audio_max_bitrate: 20000,
        audio_init_bitrate: 16000,
        audio_min_bitrate: 8000,
        call_receive_timeout_ms: this.settings.receiveTimeoutMs,
        call_ring_timeout_ms: this.settings.ringTimeoutMs,
        call_connect_timeout_ms: this.settings.connectTimeoutMs,
        call_packet_timeout_ms: this.settings.packetTimeoutMs
      })
    })

  /** The handlers of the 1:1 call methods. */
  readonly handlers: Handlers<CallMethod> = {
    "messages.getDhConfig": this.getDhConfig,
    "phone.getCallConfig": this.getCallConfig,
    "phone.requestCall": this.requestCall,
    "phone.acceptCall": this.acceptCall,
    "phone.confirmCall": this.confirmCall,
    "phone.receivedCall": this.receivedCall,
    "phone.discardCall": this.discardCall,
    "phone.setCallRating": this.setCallRating,
    "phone.saveCallDebug": this.saveCallDebug,
    "phone.sendSignalingData": this.sendSignalingData,
    "phone.saveCallLog": this.saveCallLog
  }

  // ---------------------------------------------------------------------------------------------
  // inspection
  // ---------------------------------------------------------------------------------------------

  callInfo(call: CallRec): CallInfo {
    const state = (
      { waiting: "Waiting", accepted: "Accepted", active: "Active", discarded: "Discarded" } as const
    )[call.state]
    return {
      id: call.id,
      accessHash: call.accessHash,
      video: call.video,
      callerId: call.caller.id,
      calleeId: call.callee.id,
      state,
      date: call.date,
      ...(call.receiveDate !== undefined ? { receiveDate: call.receiveDate } : {}),
      ...(call.startDate !== undefined ? { startDate: call.startDate } : {}),
      ...(call.negotiated !== undefined ? { protocol: call.negotiated } : {}),
      ...(call.keyFingerprint !== undefined ? { keyFingerprint: call.keyFingerprint } : {}),
      ...(call.discard !== undefined ? { discard: call.discard } : {})
    }
  }

  operations(): CallOperations {
    return {
      calls: Effect.sync(() => Array.from(this.callsById.values(), (c) => this.callInfo(c))),
      call: (id) =>
        Effect.sync(() => Option.map(Option.fromNullishOr(this.callsById.get(id)), (c) => this.callInfo(c))),
      feedback: Effect.sync(() => [...this.feedbackLog])
    }
  }
}
