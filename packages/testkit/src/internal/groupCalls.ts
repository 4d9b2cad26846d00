/**
 * Group calls (video chats, live streams, conference calls) of the in-memory world: simple but
 * consistent state, with the documented error of each method in the situation that causes it.
 * The rules the server does not document are listed in docs/testing.md. The conference-only
 * methods (`world/conferences.ts`) and in-call messages (`world/groupCallMessages.ts`) build on
 * the records and views here.
 */
import { Model, type RpcMethods } from "@tgphone/core"
import { Redacted } from "effect"
import type { GroupCallInfo } from "../TestTelegram.js"
import type { SeededRandom } from "./random.js"
import type { Delivery } from "./world/delivery.js"
import type { ChatRec, Directory, UserRec } from "./world/directory.js"
import { type Ctx, type Handlers, reject } from "./world/step.js"

type P<M extends RpcMethods.MethodName> = RpcMethods.MethodParams<M>

export interface Part {
  readonly peer: Model.Peer
  readonly peerId: bigint
  readonly user: UserRec
  date: number
  activeDate: number
  source: number
  muted: boolean
  canSelfUnmute: boolean
  volume: number | undefined
  raiseHandRating: bigint | undefined
  videoStopped: boolean
  videoPaused: boolean
  presentationSource: number | undefined
  presentationPaused: boolean
  left: boolean
  justJoined: boolean
  /** A conference participant's E2E public key (`int256`), as sent on join. */
  publicKey: Uint8Array | undefined
}

/** A pending, declined or accepted invitation to a conference call. */
export interface InviteRec {
  readonly invitee: UserRec
  readonly inviterId: bigint
  /** The id of the invitation message in the invitee's chat with the inviter. */
  readonly msgId: number
  readonly video: boolean
  state: "Pending" | "Declined" | "Joined"
}

/** What only a conference call (layer 202 on) has. */
export interface ConferenceRec {
  readonly slug: string
  /** The creator's `random_id` (a repeated `createConferenceCall` returns the same call). */
  readonly randomId: number
  /** The E2E chain: opaque blocks per sub-chain (0: participant changes, 1: broadcasts). */
  readonly chains: Map<number, Array<Uint8Array>>
  /** The latest invitation of each invited user. */
  readonly invites: Map<bigint, InviteRec>
  /** Users removed with `kick`: they cannot join again. */
  readonly kicked: Set<bigint>
}

/** An in-call message (layer 216 on). */
export interface MessageRec {
  readonly id: number
  readonly randomId: bigint
  readonly sender: UserRec
  readonly fromId: Model.Peer
  readonly date: number
  readonly message: Model.TextWithEntities
  readonly fromAdmin: boolean
  readonly paidStars: bigint | undefined
  deleted: boolean
  reportedSpam: boolean
}

export interface GroupCallRec {
  readonly id: bigint
  readonly accessHash: bigint
  readonly chat: ChatRec | undefined
  /** Conference calls (no chat): the user who created it manages it. */
  readonly ownerId: bigint
  readonly conference: ConferenceRec | undefined
  readonly rtmpStream: boolean
  readonly createdDate: number
  title: string | undefined
  scheduleDate: number | undefined
  startedDate: number | undefined
  joinMuted: boolean
  recordStartDate: number | undefined
  recordVideo: boolean
  version: number
  discarded: { readonly duration: number } | undefined
  readonly participants: Map<bigint, Part>
  readonly invited: Set<bigint>
  readonly subscribed: Set<bigint>
  listenerHash: string
  speakerHash: string
  messagesEnabled: boolean
  sendPaidMessagesStars: bigint | undefined
  readonly messages: Array<MessageRec>
  /** Each user's default author of their messages (`saveDefaultSendAs`). */
  readonly sendAs: Map<bigint, Model.Peer>
}

/** The methods group calls answer. */
export type GroupCallMethod =
  | "phone.createGroupCall"
  | "phone.joinGroupCall"
  | "phone.leaveGroupCall"
  | "phone.inviteToGroupCall"
  | "phone.discardGroupCall"
  | "phone.toggleGroupCallSettings"
  | "phone.getGroupCall"
  | "phone.getGroupParticipants"
  | "phone.checkGroupCall"
  | "phone.toggleGroupCallRecord"
  | "phone.editGroupCallParticipant"
  | "phone.editGroupCallTitle"
  | "phone.getGroupCallJoinAs"
  | "phone.exportGroupCallInvite"
  | "phone.toggleGroupCallStartSubscription"
  | "phone.startScheduledGroupCall"
  | "phone.saveDefaultGroupCallJoinAs"
  | "phone.joinGroupCallPresentation"
  | "phone.leaveGroupCallPresentation"
  | "phone.getGroupCallStreamChannels"
  | "phone.getGroupCallStreamRtmpUrl"

const VOLUME_MIN = 1
const VOLUME_MAX = 20_000

export class GroupCalls {
  private readonly byId = new Map<bigint, GroupCallRec>()
  private readonly activeByChat = new Map<bigint, GroupCallRec>()
  private readonly defaultJoinAs = new Map<string, Model.Peer>()
  private raiseHandCounter = 0n

  constructor(
    private readonly rng: SeededRandom,
    private readonly directory: Directory,
    private readonly delivery: Delivery
  ) {}

  /** The handlers of the group call methods. */
  readonly handlers: Handlers<GroupCallMethod> = {
    "phone.createGroupCall": (ctx, p) => this.createGroupCall(ctx, p),
    "phone.joinGroupCall": (ctx, p) => this.joinGroupCall(ctx, p),
    "phone.leaveGroupCall": (ctx, p) => this.leaveGroupCall(ctx, p),
    "phone.inviteToGroupCall": (ctx, p) => this.inviteToGroupCall(ctx, p),
    "phone.discardGroupCall": (ctx, p) => this.discardGroupCall(ctx, p),
    "phone.toggleGroupCallSettings": (ctx, p) => this.toggleGroupCallSettings(ctx, p),
    "phone.getGroupCall": (ctx, p) => this.getGroupCall(ctx, p),
    "phone.getGroupParticipants": (ctx, p) => this.getGroupParticipants(ctx, p),
    "phone.checkGroupCall": (ctx, p) => this.checkGroupCall(ctx, p),
    "phone.toggleGroupCallRecord": (ctx, p) => this.toggleGroupCallRecord(ctx, p),
    "phone.editGroupCallParticipant": (ctx, p) => this.editGroupCallParticipant(ctx, p),
    "phone.editGroupCallTitle": (ctx, p) => this.editGroupCallTitle(ctx, p),
    "phone.getGroupCallJoinAs": (ctx, p) => this.getGroupCallJoinAs(ctx, p),
    "phone.exportGroupCallInvite": (ctx, p) => this.exportGroupCallInvite(ctx, p),
    "phone.toggleGroupCallStartSubscription": (ctx, p) => this.toggleGroupCallStartSubscription(ctx, p),
    "phone.startScheduledGroupCall": (ctx, p) => this.startScheduledGroupCall(ctx, p),
    "phone.saveDefaultGroupCallJoinAs": (ctx, p) => this.saveDefaultGroupCallJoinAs(ctx, p),
    "phone.joinGroupCallPresentation": (ctx, p) => this.joinGroupCallPresentation(ctx, p),
    "phone.leaveGroupCallPresentation": (ctx, p) => this.leaveGroupCallPresentation(ctx, p),
    "phone.getGroupCallStreamChannels": (ctx, p) => this.getGroupCallStreamChannels(ctx, p),
    "phone.getGroupCallStreamRtmpUrl": (ctx, p) => this.getGroupCallStreamRtmpUrl(ctx, p)
  }

  // ---------------------------------------------------------------------------------------------
  // lookups and views (also used by conferences and in-call messages)
  // ---------------------------------------------------------------------------------------------

  private hash(): string {
    return Array.from(this.rng.nextBytes(8), (b) => b.toString(16).padStart(2, "0")).join("")
  }

  private chatByPeer(peer: Model.InputPeer, channelError = "PEER_ID_INVALID"): ChatRec {
    switch (peer._tag) {
      case "InputPeerChat": {
        const chat = this.directory.chats.get(peer.chatId)
        return chat !== undefined && chat.kind === "group" ? chat : reject(400, "PEER_ID_INVALID")
      }
      case "InputPeerChannel": {
        const chat = this.directory.chats.get(peer.channelId)
        return chat !== undefined && chat.kind !== "group" && chat.accessHash === peer.accessHash
          ? chat
          : reject(400, channelError)
      }
      default:
        return reject(400, "PEER_ID_INVALID")
    }
  }

  callOf(input: Model.InputGroupCall): GroupCallRec {
    const call = this.byId.get(input.id)
    return call !== undefined && call.accessHash === input.accessHash
      ? call
      : reject(400, "GROUPCALL_INVALID")
  }

  private live(call: GroupCallRec): GroupCallRec {
    return call.discarded === undefined ? call : reject(403, "GROUPCALL_FORBIDDEN")
  }

  isAdmin(user: UserRec, call: GroupCallRec): boolean {
    return call.chat === undefined ? call.ownerId === user.id : call.chat.admins.has(user.id)
  }

  private canSee(user: UserRec, call: GroupCallRec): boolean {
    if (call.chat === undefined) {
      // a conference: its creator, its invitees (until they decline) and who joined it before
      if (call.ownerId === user.id || call.invited.has(user.id)) return true
      const invite = call.conference?.invites.get(user.id)
      if (invite !== undefined && invite.state !== "Declined") return true
      for (const part of call.participants.values()) if (part.user === user) return true
      return false
    }
    return call.chat.members.has(user.id) || call.chat.username !== undefined
  }

  /** The participation `user` joined with (as themselves or as a channel), if any. */
  partOf(user: UserRec, call: GroupCallRec): Part | undefined {
    for (const part of call.participants.values()) if (part.user === user && !part.left) return part
    return undefined
  }

  joined(call: GroupCallRec): Array<Part> {
    return [...call.participants.values()].filter((p) => !p.left)
  }

  input(call: GroupCallRec): Model.InputGroupCall {
    return new Model.InputGroupCall({ id: call.id, accessHash: call.accessHash })
  }

  private view(call: GroupCallRec, viewer: UserRec): Model.GroupCall {
    if (call.discarded !== undefined)
      return {
        _tag: "GroupCallDiscarded",
        id: call.id,
        accessHash: call.accessHash,
        duration: call.discarded.duration
      }
    return {
      _tag: "GroupCall",
      joinMuted: call.joinMuted,
      canChangeJoinMuted: this.isAdmin(viewer, call),
      joinDateAsc: false,
      scheduleStartSubscribed: call.subscribed.has(viewer.id),
      canStartVideo: true,
      recordVideoActive: call.recordStartDate !== undefined && call.recordVideo,
      rtmpStream: call.rtmpStream,
      listenersHidden: false,
      id: call.id,
      accessHash: call.accessHash,
      participantsCount: this.joined(call).length,
      ...(call.title !== undefined ? { title: call.title } : {}),
      ...(call.rtmpStream ? { streamDcId: 4 } : {}),
      ...(call.recordStartDate !== undefined ? { recordStartDate: call.recordStartDate } : {}),
      ...(call.scheduleDate !== undefined ? { scheduleDate: call.scheduleDate } : {}),
      unmutedVideoCount: this.joined(call).filter((p) => !p.videoStopped).length,
      unmutedVideoLimit: 30,
      conference: call.conference !== undefined,
      creator: call.ownerId === viewer.id,
      messagesEnabled: call.messagesEnabled,
      canChangeMessagesEnabled: this.isAdmin(viewer, call),
      min: false,
      version: call.version,
      ...(call.conference !== undefined ? { inviteLink: `https://t.me/call/${call.conference.slug}` } : {}),
      ...(call.sendPaidMessagesStars !== undefined
        ? { sendPaidMessagesStars: call.sendPaidMessagesStars }
        : {}),
      ...(call.sendAs.has(viewer.id) ? { defaultSendAs: call.sendAs.get(viewer.id)! } : {})
    }
  }

  private video(source: number, paused: boolean): Model.GroupCallParticipantVideo {
    return new Model.GroupCallParticipantVideo({
      paused,
      endpoint: `endpoint-${source}`,
      sourceGroups: [
        new Model.GroupCallParticipantVideoSourceGroup({ semantics: "SIM", sources: [source + 1] })
      ]
    })
  }

  private partView(part: Part, viewer: UserRec): Model.GroupCallParticipant {
    return new Model.GroupCallParticipant({
      muted: part.muted,
      left: part.left,
      canSelfUnmute: part.canSelfUnmute,
      justJoined: part.justJoined,
      versioned: true,
      min: false,
      mutedByYou: false,
      volumeByAdmin: part.volume !== undefined,
      self: part.user === viewer,
      videoJoined: !part.videoStopped,
      peer: part.peer,
      date: part.date,
      activeDate: part.activeDate,
      source: part.source,
      ...(part.volume !== undefined ? { volume: part.volume } : {}),
      ...(part.raiseHandRating !== undefined ? { raiseHandRating: part.raiseHandRating } : {}),
      ...(!part.videoStopped ? { video: this.video(part.source, part.videoPaused) } : {}),
      ...(part.presentationSource !== undefined
        ? { presentation: this.video(part.presentationSource, part.presentationPaused) }
        : {})
    })
  }

  chatObject(chat: ChatRec, viewer: UserRec): Model.Chat {
    const active = this.activeByChat.get(chat.id)
    const callActive = active !== undefined
    const callNotEmpty = active !== undefined && this.joined(active).length > 0
    if (chat.kind === "group")
      return {
        _tag: "Chat",
        creator: chat.creatorId === viewer.id,
        left: !chat.members.has(viewer.id),
        deactivated: false,
        callActive,
        callNotEmpty,
        id: chat.id,
        title: chat.title,
        participantsCount: chat.members.size,
        date: chat.date,
        version: 1
      }
    return {
      _tag: "Channel",
      creator: chat.creatorId === viewer.id,
      left: !chat.members.has(viewer.id),
      broadcast: chat.kind === "channel",
      megagroup: chat.kind === "supergroup",
      min: false,
      callActive,
      callNotEmpty,
      id: chat.id,
      ...(chat.accessHash !== undefined ? { accessHash: chat.accessHash } : {}),
      title: chat.title,
      ...(chat.username !== undefined ? { username: chat.username } : {}),
      date: chat.date,
      participantsCount: chat.members.size
    }
  }

  private chatsOf(call: GroupCallRec, viewer: UserRec): Array<Model.Chat> {
    return call.chat === undefined ? [] : [this.chatObject(call.chat, viewer)]
  }

  private usersOf(parts: ReadonlyArray<Part>, viewer: UserRec): Array<Model.User> {
    const seen = new Map<bigint, UserRec>([[viewer.id, viewer]])
    for (const p of parts) seen.set(p.user.id, p.user)
    return Array.from(seen.values(), (u) => this.directory.userObject(u, viewer.id))
  }

  updates(
    ctx: Ctx,
    updates: Array<Model.Update>,
    call: GroupCallRec,
    parts: ReadonlyArray<Part> = []
  ): Model.Updates {
    for (const u of updates) this.delivery.deliver(ctx, ctx.actor, u, false)
    return new Model.Updates({
      updates,
      users: this.usersOf(parts, ctx.actor),
      chats: this.chatsOf(call, ctx.actor)
    })
  }

  callUpdate(call: GroupCallRec, viewer: UserRec): Model.Update {
    return {
      _tag: "UpdateGroupCall",
      liveStory: false,
      ...(call.chat !== undefined ? { peer: this.chatPeer(call.chat) } : {}),
      call: this.view(call, viewer)
    }
  }

  participantsUpdate(call: GroupCallRec, parts: ReadonlyArray<Part>, viewer: UserRec): Model.Update {
    return {
      _tag: "UpdateGroupCallParticipants",
      call: this.input(call),
      participants: parts.map((p) => this.partView(p, viewer)),
      version: call.version
    }
  }

  /**
   * Appends an opaque E2E chain block to sub-chain `subChainId` of a conference and pushes it to
   * the other joined participants; returns the update (for the actor's result).
   */
  appendBlock(ctx: Ctx, call: GroupCallRec, subChainId: number, block: Uint8Array): Model.Update {
    const chains = call.conference!.chains
    const chain = chains.get(subChainId) ?? []
    chains.set(subChainId, chain)
    chain.push(block)
    const update: Model.Update = {
      _tag: "UpdateGroupCallChainBlocks",
      call: this.input(call),
      subChainId,
      blocks: [block],
      nextOffset: chain.length
    }
    for (const part of this.joined(call))
      if (part.user !== ctx.actor) this.delivery.deliver(ctx, part.user, update, true)
    return update
  }

  private chatPeer(chat: ChatRec): Model.Peer {
    return chat.kind === "group"
      ? { _tag: "PeerChat", chatId: chat.id }
      : { _tag: "PeerChannel", channelId: chat.id }
  }

  /**
   * Pushes `UpdateGroupCall` to everyone who can see the call (a chat's members; a conference's
   * pending invitees), and everyone joined, except the actor.
   */
  private pushCall(ctx: Ctx, call: GroupCallRec): void {
    const audience = new Set<UserRec>()
    if (call.chat !== undefined)
      for (const id of call.chat.members) {
        const u = this.directory.usersById.get(id)
        if (u !== undefined) audience.add(u)
      }
    for (const invite of call.conference?.invites.values() ?? [])
      if (invite.state === "Pending") audience.add(invite.invitee)
    for (const p of this.joined(call)) audience.add(p.user)
    audience.delete(ctx.actor)
    for (const u of audience) this.delivery.deliver(ctx, u, this.callUpdate(call, u), true)
  }

  /** Pushes a participants update to the other joined users. */
  pushParts(ctx: Ctx, call: GroupCallRec, parts: ReadonlyArray<Part>): void {
    const audience = new Set(this.joined(call).map((p) => p.user))
    audience.delete(ctx.actor)
    for (const u of audience) this.delivery.deliver(ctx, u, this.participantsUpdate(call, parts, u), true)
  }

  /** The peer `actor` joins as (`Directory.actingPeer`). */
  private joinAsPeer(actor: UserRec, joinAs: Model.InputPeer): Model.Peer {
    return this.directory.actingPeer(actor, joinAs, "JOIN_AS_PEER_INVALID")
  }

  peerId(peer: Model.Peer): bigint {
    return peer._tag === "PeerUser" ? peer.userId : peer._tag === "PeerChat" ? peer.chatId : peer.channelId
  }

  private sourceFrom(json: unknown): number {
    const ssrc =
      typeof json === "object" && json !== null ? (json as { readonly ssrc?: unknown }).ssrc : undefined
    return typeof ssrc === "number" && Number.isInteger(ssrc) ? ssrc : this.rng.nextInt31()
  }

  newCall(
    ctx: Ctx,
    chat: ChatRec | undefined,
    options: {
      readonly rtmpStream: boolean
      readonly title?: string | undefined
      readonly scheduleDate?: number | undefined
      readonly conference?: ConferenceRec | undefined
    }
  ): GroupCallRec {
    const call: GroupCallRec = {
      id: this.rng.nextPositiveLong(),
      accessHash: this.rng.nextPositiveLong(),
      chat,
      ownerId: ctx.actor.id,
      conference: options.conference,
      rtmpStream: options.rtmpStream,
      createdDate: ctx.date,
      title: options.title,
      scheduleDate: options.scheduleDate,
      startedDate: options.scheduleDate === undefined ? ctx.date : undefined,
      joinMuted: false,
      recordStartDate: undefined,
      recordVideo: false,
      version: 1,
      discarded: undefined,
      participants: new Map(),
      invited: new Set(),
      subscribed: new Set(),
      listenerHash: this.hash(),
      speakerHash: this.hash(),
      messagesEnabled: true,
      sendPaidMessagesStars: undefined,
      messages: [],
      sendAs: new Map()
    }
    this.byId.set(call.id, call)
    if (chat !== undefined) this.activeByChat.set(chat.id, call)
    return call
  }

  // ---------------------------------------------------------------------------------------------
  // inspection
  // ---------------------------------------------------------------------------------------------

  infos(): Array<GroupCallInfo> {
    return Array.from(this.byId.values(), (call) => ({
      id: call.id,
      accessHash: call.accessHash,
      chatId: call.chat?.id ?? 0n,
      ...(call.title !== undefined ? { title: call.title } : {}),
      discarded: call.discarded !== undefined,
      ...(call.scheduleDate !== undefined ? { scheduleDate: call.scheduleDate } : {}),
      recording: call.recordStartDate !== undefined,
      joinMuted: call.joinMuted,
      rtmpStream: call.rtmpStream,
      participants: this.joined(call).map((p) => ({ peerId: p.peerId, source: p.source, muted: p.muted })),
      invited: [...call.invited],
      inputGroupCall: this.input(call),
      messages: call.messages.map((m) => ({
        id: m.id,
        fromId: m.fromId,
        text: m.message.text,
        ...(m.paidStars !== undefined ? { paidStars: m.paidStars } : {}),
        deleted: m.deleted,
        reportedSpam: m.reportedSpam
      })),
      ...(call.conference !== undefined
        ? {
            conference: {
              slug: call.conference.slug,
              inviteLink: `https://t.me/call/${call.conference.slug}`,
              invites: Array.from(call.conference.invites.values(), (i) => ({
                userId: i.invitee.id,
                inviterId: i.inviterId,
                msgId: i.msgId,
                video: i.video,
                state: i.state
              })),
              chainBlocks: Array.from(call.conference.chains, ([subChainId, blocks]) => ({
                subChainId,
                blocks: [...blocks]
              })),
              kicked: [...call.conference.kicked]
            }
          }
        : {})
    }))
  }

  // ---------------------------------------------------------------------------------------------
  // methods
  // ---------------------------------------------------------------------------------------------

  createGroupCall(ctx: Ctx, p: P<"phone.createGroupCall">): Model.Updates {
    const chat = this.chatByPeer(p.peer)
    if (chat.kind !== "group" && !chat.members.has(ctx.actor.id)) return reject(400, "CHANNEL_PRIVATE")
    if (!chat.admins.has(ctx.actor.id)) return reject(400, "CHAT_ADMIN_REQUIRED")
    if (this.activeByChat.has(chat.id)) return reject(400, "CREATE_CALL_FAILED")
    if (
      p.scheduleDate !== undefined &&
      (p.scheduleDate <= ctx.date || p.scheduleDate > ctx.date + 7 * 86_400)
    )
      return reject(400, "SCHEDULE_DATE_INVALID")
    const call = this.newCall(ctx, chat, {
      rtmpStream: p.rtmpStream,
      title: p.title,
      scheduleDate: p.scheduleDate
    })
    this.pushCall(ctx, call)
    return this.updates(ctx, [this.callUpdate(call, ctx.actor)], call)
  }

  joinGroupCall(ctx: Ctx, p: P<"phone.joinGroupCall">): Model.Updates {
    const call = this.live(this.callOf(p.call))
    const { part, connection } = this.join(ctx, call, p)
    return this.updates(ctx, [this.participantsUpdate(call, [part], ctx.actor), connection], call, [part])
  }

  /**
   * `actor` joins a live call (`joinGroupCall`, and `createConferenceCall` with `join`): the
   * participation, pushed to the others, and the connection update for the actor.
   */
  join(
    ctx: Ctx,
    call: GroupCallRec,
    p: Omit<P<"phone.joinGroupCall">, "call">
  ): { readonly part: Part; readonly connection: Model.Update } {
    if (call.scheduleDate !== undefined) return reject(403, "GROUPCALL_FORBIDDEN")
    const peer = this.joinAsPeer(ctx.actor, p.joinAs)
    const conference = call.conference
    if (conference !== undefined) {
      // a conference is joined by users in person, and never again after a kick
      if (peer._tag !== "PeerUser") return reject(400, "JOIN_AS_PEER_INVALID")
      if (conference.kicked.has(ctx.actor.id)) return reject(403, "GROUPCALL_FORBIDDEN")
      // a conference member's E2E key: the chain cannot admit them without it
      if (p.publicKey === undefined) return reject(400, "PUBLIC_KEY_INVALID")
    }
    const byInvite =
      p.inviteHash !== undefined && (p.inviteHash === call.listenerHash || p.inviteHash === call.speakerHash)
    if (!byInvite && !this.canSee(ctx.actor, call)) return reject(403, "GROUPCALL_FORBIDDEN")
    let json: unknown
    try {
      json = JSON.parse(p.params.data)
    } catch {
      return reject(400, "DATA_JSON_INVALID")
    }
    const source = this.sourceFrom(json)
    const peerId = this.peerId(peer)
    for (const other of this.joined(call))
      if (other.peerId !== peerId && (other.source === source || other.presentationSource === source))
        return reject(400, "GROUPCALL_SSRC_DUPLICATE_MUCH")
    const admin = this.isAdmin(ctx.actor, call)
    const canSelfUnmute = admin || !call.joinMuted || p.inviteHash === call.speakerHash
    // One participation per user: joining again (as anyone) replaces the previous one.
    for (const [key, other] of call.participants) if (other.user === ctx.actor) call.participants.delete(key)
    const part: Part = {
      peer,
      peerId,
      user: ctx.actor,
      date: ctx.date,
      activeDate: ctx.date,
      source,
      muted: p.muted || !canSelfUnmute,
      canSelfUnmute,
      volume: undefined,
      raiseHandRating: undefined,
      videoStopped: p.videoStopped,
      videoPaused: false,
      presentationSource: undefined,
      presentationPaused: false,
      left: false,
      justJoined: true,
      publicKey: p.publicKey
    }
    call.participants.set(peerId, part)
    call.version++
    if (conference !== undefined) {
      const invite = conference.invites.get(ctx.actor.id)
      if (invite?.state === "Pending") invite.state = "Joined"
    }
    this.pushParts(ctx, call, [part])
    if (conference !== undefined && p.block !== undefined) this.appendBlock(ctx, call, 0, p.block)
    const connection: Model.Update = {
      _tag: "UpdateGroupCallConnection",
      presentation: false,
      params: new Model.DataJson({
        data: JSON.stringify({
          transport: { ufrag: this.hash(), pwd: this.hash(), fingerprints: [], candidates: [] }
        })
      })
    }
    return { part, connection }
  }

  leaveGroupCall(ctx: Ctx, p: P<"phone.leaveGroupCall">): Model.Updates {
    const call = this.callOf(p.call)
    const part = this.partOf(ctx.actor, call)
    if (part === undefined) return this.updates(ctx, [], call)
    part.left = true
    part.justJoined = false
    call.version++
    this.pushParts(ctx, call, [part])
    return this.updates(ctx, [this.participantsUpdate(call, [part], ctx.actor)], call, [part])
  }

  inviteToGroupCall(ctx: Ctx, p: P<"phone.inviteToGroupCall">): Model.Updates {
    const call = this.live(this.callOf(p.call))
    if (this.partOf(ctx.actor, call)?.peer._tag === "PeerChannel")
      return reject(400, "INVITE_FORBIDDEN_WITH_JOINAS")
    const invitees: Array<UserRec> = []
    for (const input of p.users) {
      if (input._tag === "InputUserSelf") return reject(403, "CHAT_TYPE_INVALID")
      const user = this.directory.usersById.get(input.userId)
      if (user === undefined || user.accessHash !== input.accessHash)
        return reject(403, "USER_NOT_PARTICIPANT")
      if (user.bot || user === ctx.actor) return reject(403, "CHAT_TYPE_INVALID")
      if (call.chat !== undefined && !call.chat.members.has(user.id))
        return reject(403, "USER_NOT_PARTICIPANT")
      if (call.invited.has(user.id)) return reject(400, "USER_ALREADY_INVITED")
      invitees.push(user)
    }
    for (const user of invitees) call.invited.add(user.id)
    return new Model.Updates({
      updates: [],
      users: invitees.map((u) => this.directory.userObject(u, ctx.actor.id)),
      chats: this.chatsOf(call, ctx.actor)
    })
  }

  discardGroupCall(ctx: Ctx, p: P<"phone.discardGroupCall">): Model.Updates {
    const call = this.callOf(p.call)
    if (call.discarded !== undefined) return reject(400, "GROUPCALL_ALREADY_DISCARDED")
    if (!this.isAdmin(ctx.actor, call)) return reject(403, "GROUPCALL_FORBIDDEN")
    call.discarded = { duration: call.startedDate === undefined ? 0 : ctx.date - call.startedDate }
    call.version++
    if (call.chat !== undefined && this.activeByChat.get(call.chat.id) === call)
      this.activeByChat.delete(call.chat.id)
    this.pushCall(ctx, call)
    for (const part of call.participants.values()) part.left = true
    return this.updates(ctx, [this.callUpdate(call, ctx.actor)], call)
  }

  toggleGroupCallSettings(ctx: Ctx, p: P<"phone.toggleGroupCallSettings">): Model.Updates {
    const call = this.live(this.callOf(p.call))
    if (!this.isAdmin(ctx.actor, call)) return reject(403, "GROUPCALL_CHANGE_FORBIDDEN")
    const changeMuted = p.joinMuted !== undefined && p.joinMuted !== call.joinMuted
    const changeMessages = p.messagesEnabled !== undefined && p.messagesEnabled !== call.messagesEnabled
    const changeStars =
      p.sendPaidMessagesStars !== undefined && p.sendPaidMessagesStars !== (call.sendPaidMessagesStars ?? 0n)
    if (!changeMuted && !changeMessages && !changeStars && !p.resetInviteHash)
      return reject(400, "GROUPCALL_NOT_MODIFIED")
    if (p.joinMuted !== undefined) call.joinMuted = p.joinMuted
    if (p.messagesEnabled !== undefined) call.messagesEnabled = p.messagesEnabled
    if (p.sendPaidMessagesStars !== undefined)
      call.sendPaidMessagesStars = p.sendPaidMessagesStars === 0n ? undefined : p.sendPaidMessagesStars
    if (p.resetInviteHash) {
      call.listenerHash = this.hash()
      call.speakerHash = this.hash()
    }
    call.version++
    this.pushCall(ctx, call)
    return this.updates(ctx, [this.callUpdate(call, ctx.actor)], call)
  }

  getGroupCall(ctx: Ctx, p: P<"phone.getGroupCall">): Model.PhoneGroupCall {
    const call = this.callOf(p.call)
    if (!this.canSee(ctx.actor, call)) return reject(403, "GROUPCALL_FORBIDDEN")
    const all = this.joined(call)
    const parts = all.slice(0, Math.max(0, p.limit))
    return new Model.PhoneGroupCall({
      call: this.view(call, ctx.actor),
      participants: parts.map((x) => this.partView(x, ctx.actor)),
      participantsNextOffset: parts.length < all.length ? String(parts.length) : "",
      chats: this.chatsOf(call, ctx.actor),
      users: this.usersOf(parts, ctx.actor)
    })
  }

  getGroupParticipants(ctx: Ctx, p: P<"phone.getGroupParticipants">): Model.PhoneGroupParticipants {
    const call = this.callOf(p.call)
    const ids = new Set<bigint>()
    for (const peer of p.ids) {
      if (peer._tag === "InputPeerSelf") ids.add(ctx.actor.id)
      else if (peer._tag === "InputPeerUser") ids.add(peer.userId)
      else if (peer._tag === "InputPeerChannel") ids.add(peer.channelId)
      else if (peer._tag === "InputPeerChat") ids.add(peer.chatId)
    }
    const sources = new Set(p.sources)
    const filtered = this.joined(call).filter(
      (x) =>
        (ids.size === 0 && sources.size === 0) ||
        ids.has(x.peerId) ||
        sources.has(x.source) ||
        (x.presentationSource !== undefined && sources.has(x.presentationSource))
    )
    const start = /^[0-9]+$/.test(p.offset) ? Number(p.offset) : 0
    const page = filtered.slice(start, start + Math.max(0, p.limit))
    const end = start + page.length
    return new Model.PhoneGroupParticipants({
      count: filtered.length,
      participants: page.map((x) => this.partView(x, ctx.actor)),
      nextOffset: end < filtered.length ? String(end) : "",
      chats: this.chatsOf(call, ctx.actor),
      users: this.usersOf(page, ctx.actor),
      version: call.version
    })
  }

  checkGroupCall(ctx: Ctx, p: P<"phone.checkGroupCall">): ReadonlyArray<number> {
    const call = this.callOf(p.call)
    const part = this.partOf(ctx.actor, call)
    if (part === undefined || call.discarded !== undefined) return reject(400, "GROUPCALL_JOIN_MISSING")
    return p.sources.filter((s) => s === part.source || s === part.presentationSource)
  }

  toggleGroupCallRecord(ctx: Ctx, p: P<"phone.toggleGroupCallRecord">): Model.Updates {
    const call = this.live(this.callOf(p.call))
    if (!this.isAdmin(ctx.actor, call)) return reject(403, "GROUPCALL_FORBIDDEN")
    const recording = call.recordStartDate !== undefined
    if (p.start === recording) return reject(400, "GROUPCALL_NOT_MODIFIED")
    call.recordStartDate = p.start ? ctx.date : undefined
    call.recordVideo = p.start && p.video
    if (p.start && p.title !== undefined) call.title ??= p.title
    call.version++
    this.pushCall(ctx, call)
    return this.updates(ctx, [this.callUpdate(call, ctx.actor)], call)
  }

  editGroupCallParticipant(ctx: Ctx, p: P<"phone.editGroupCallParticipant">): Model.Updates {
    const call = this.live(this.callOf(p.call))
    let peerId: bigint
    switch (p.participant._tag) {
      case "InputPeerSelf":
        peerId = this.partOf(ctx.actor, call)?.peerId ?? ctx.actor.id
        break
      case "InputPeerUser": {
        const user = this.directory.usersById.get(p.participant.userId)
        if (user === undefined || user.accessHash !== p.participant.accessHash)
          return reject(400, "USER_ID_INVALID")
        peerId = user.id
        break
      }
      case "InputPeerChannel":
        peerId = p.participant.channelId
        break
      default:
        return reject(400, "USER_ID_INVALID")
    }
    const part = call.participants.get(peerId)
    if (part === undefined || part.left) return reject(400, "PARTICIPANT_JOIN_MISSING")
    const self = part.user === ctx.actor
    const admin = this.isAdmin(ctx.actor, call)
    if (p.volume !== undefined && (p.volume < VOLUME_MIN || p.volume > VOLUME_MAX))
      return reject(400, "USER_VOLUME_INVALID")
    if (p.muted !== undefined) {
      if (!self && !admin) return reject(403, "GROUPCALL_FORBIDDEN")
      if (self && !p.muted && !part.canSelfUnmute) return reject(403, "GROUPCALL_FORBIDDEN")
    }
    if (p.raiseHand !== undefined && !self) return reject(400, "RAISE_HAND_FORBIDDEN")
    if (p.videoStopped !== undefined && !self) return reject(400, "VIDEO_STOP_FORBIDDEN")
    if ((p.videoPaused !== undefined || p.presentationPaused !== undefined) && !self)
      return reject(400, "VIDEO_PAUSE_FORBIDDEN")
    if (p.muted !== undefined) {
      part.muted = p.muted
      if (!self) part.canSelfUnmute = !p.muted
    }
    if (p.volume !== undefined) part.volume = p.volume
    if (p.raiseHand !== undefined) part.raiseHandRating = p.raiseHand ? ++this.raiseHandCounter : undefined
    if (p.videoStopped !== undefined) part.videoStopped = p.videoStopped
    if (p.videoPaused !== undefined) part.videoPaused = p.videoPaused
    if (p.presentationPaused !== undefined) part.presentationPaused = p.presentationPaused
    part.justJoined = false
    part.activeDate = ctx.date
    call.version++
    this.pushParts(ctx, call, [part])
    return this.updates(ctx, [this.participantsUpdate(call, [part], ctx.actor)], call, [part])
  }

  editGroupCallTitle(ctx: Ctx, p: P<"phone.editGroupCallTitle">): Model.Updates {
    const call = this.live(this.callOf(p.call))
    if (!this.isAdmin(ctx.actor, call)) return reject(403, "GROUPCALL_FORBIDDEN")
    call.title = p.title
    call.version++
    this.pushCall(ctx, call)
    return this.updates(ctx, [this.callUpdate(call, ctx.actor)], call)
  }

  getGroupCallJoinAs(ctx: Ctx, p: P<"phone.getGroupCallJoinAs">): Model.PhoneJoinAsPeers {
    this.chatByPeer(p.peer, "CHANNEL_INVALID")
    const channels = [...this.directory.chats.values()].filter(
      (c) => c.kind !== "group" && c.admins.has(ctx.actor.id)
    )
    return new Model.PhoneJoinAsPeers({
      peers: [
        { _tag: "PeerUser", userId: ctx.actor.id },
        ...channels.map((c): Model.Peer => ({ _tag: "PeerChannel", channelId: c.id }))
      ],
      chats: channels.map((c) => this.chatObject(c, ctx.actor)),
      users: [this.directory.userObject(ctx.actor, ctx.actor.id)]
    })
  }

  exportGroupCallInvite(ctx: Ctx, p: P<"phone.exportGroupCallInvite">): Model.PhoneExportedGroupCallInvite {
    const call = this.callOf(p.call)
    const username = call.chat?.username
    if (username === undefined) return reject(403, "PUBLIC_CHANNEL_MISSING")
    void ctx
    const kind = call.chat?.kind === "channel" ? "livestream" : "voicechat"
    return new Model.PhoneExportedGroupCallInvite({
      link: `https://t.me/${username}?${kind}=${p.canSelfUnmute ? call.speakerHash : call.listenerHash}`
    })
  }

  toggleGroupCallStartSubscription(ctx: Ctx, p: P<"phone.toggleGroupCallStartSubscription">): Model.Updates {
    const call = this.live(this.callOf(p.call))
    if (call.scheduleDate === undefined) return reject(403, "GROUPCALL_ALREADY_STARTED")
    if (p.subscribed) call.subscribed.add(ctx.actor.id)
    else call.subscribed.delete(ctx.actor.id)
    return this.updates(ctx, [this.callUpdate(call, ctx.actor)], call)
  }

  startScheduledGroupCall(ctx: Ctx, p: P<"phone.startScheduledGroupCall">): Model.Updates {
    const call = this.callOf(p.call)
    if (call.scheduleDate === undefined || call.discarded !== undefined)
      return reject(403, "GROUPCALL_ALREADY_STARTED")
    if (!this.isAdmin(ctx.actor, call)) return reject(400, "CHAT_ADMIN_REQUIRED")
    call.scheduleDate = undefined
    call.startedDate = ctx.date
    call.version++
    this.pushCall(ctx, call)
    return this.updates(ctx, [this.callUpdate(call, ctx.actor)], call)
  }

  saveDefaultGroupCallJoinAs(ctx: Ctx, p: P<"phone.saveDefaultGroupCallJoinAs">): boolean {
    const chat = this.chatByPeer(p.peer)
    const peer = this.joinAsPeer(ctx.actor, p.joinAs)
    this.defaultJoinAs.set(`${ctx.actor.id}|${chat.id}`, peer)
    return true
  }

  joinGroupCallPresentation(ctx: Ctx, p: P<"phone.joinGroupCallPresentation">): Model.Updates {
    // a discarded call has no participants left, so it answers PARTICIPANT_JOIN_MISSING too
    const call = this.callOf(p.call)
    const part = this.partOf(ctx.actor, call)
    if (part === undefined) return reject(403, "PARTICIPANT_JOIN_MISSING")
    let json: unknown
    try {
      json = JSON.parse(p.params.data)
    } catch {
      json = undefined
    }
    part.presentationSource = this.sourceFrom(json)
    part.presentationPaused = false
    call.version++
    this.pushParts(ctx, call, [part])
    const connection: Model.Update = {
      _tag: "UpdateGroupCallConnection",
      presentation: true,
      params: new Model.DataJson({
        data: JSON.stringify({ transport: { ufrag: this.hash(), pwd: this.hash() } })
      })
    }
    return this.updates(ctx, [connection, this.participantsUpdate(call, [part], ctx.actor)], call, [part])
  }

  leaveGroupCallPresentation(ctx: Ctx, p: P<"phone.leaveGroupCallPresentation">): Model.Updates {
    const call = this.callOf(p.call)
    const part = this.partOf(ctx.actor, call)
    if (part === undefined || part.presentationSource === undefined) return this.updates(ctx, [], call)
    part.presentationSource = undefined
    call.version++
    this.pushParts(ctx, call, [part])
    return this.updates(ctx, [this.participantsUpdate(call, [part], ctx.actor)], call, [part])
  }

  getGroupCallStreamChannels(
    ctx: Ctx,
    p: P<"phone.getGroupCallStreamChannels">
  ): Model.PhoneGroupCallStreamChannels {
    const call = this.callOf(p.call)
    if (this.partOf(ctx.actor, call) === undefined || call.discarded !== undefined)
      return reject(400, "GROUPCALL_JOIN_MISSING")
    return new Model.PhoneGroupCallStreamChannels({
      channels: [new Model.GroupCallStreamChannel({ channel: 1, scale: 0, lastTimestampMs: BigInt(ctx.now) })]
    })
  }

  getGroupCallStreamRtmpUrl(
    ctx: Ctx,
    p: P<"phone.getGroupCallStreamRtmpUrl">
  ): Model.PhoneGroupCallStreamRtmpUrl {
    const chat = this.chatByPeer(p.peer)
    if (!chat.admins.has(ctx.actor.id)) return reject(400, "CHAT_ADMIN_REQUIRED")
    if (p.revoke) chat.rtmpKey = this.directory.rtmpKey()
    return new Model.PhoneGroupCallStreamRtmpUrl({
      url: "rtmps://dc4-1.rtmp.t.me/s/",
      key: Redacted.make(`${chat.id}:${chat.rtmpKey}`)
    })
  }
}
