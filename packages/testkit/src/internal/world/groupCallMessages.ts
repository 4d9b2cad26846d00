/**
 * In-call messages of group calls (layer 216 on): messages shown to everyone joined, their
 * deletion, the stars paid with them, each user's default author, and the E2E-encrypted messages
 * of conference calls (relayed opaquely).
 */
import { Model, type RpcMethods } from "@tgphone/core"
import type { GroupCallRec, GroupCalls, MessageRec } from "../groupCalls.js"
import type { Delivery } from "./delivery.js"
import type { Directory, UserRec } from "./directory.js"
import { type Ctx, type Handlers, reject } from "./step.js"

type P<M extends RpcMethods.MethodName> = RpcMethods.MethodParams<M>

/** The methods of in-call messages. */
export type GroupCallMessageMethod =
  | "phone.sendGroupCallMessage"
  | "phone.sendGroupCallEncryptedMessage"
  | "phone.deleteGroupCallMessages"
  | "phone.deleteGroupCallParticipantMessages"
  | "phone.getGroupCallStars"
  | "phone.saveDefaultSendAs"

/** How many donors `getGroupCallStars` marks as top donors. */
const TOP_DONORS = 3

export class GroupCallMessages {
  constructor(
    private readonly directory: Directory,
    private readonly delivery: Delivery,
    private readonly group: GroupCalls
  ) {}

  /** The handlers of the in-call message methods. */
  readonly handlers: Handlers<GroupCallMessageMethod> = {
    "phone.sendGroupCallMessage": (ctx, p) => this.sendGroupCallMessage(ctx, p),
    "phone.sendGroupCallEncryptedMessage": (ctx, p) => this.sendGroupCallEncryptedMessage(ctx, p),
    "phone.deleteGroupCallMessages": (ctx, p) => this.deleteGroupCallMessages(ctx, p),
    "phone.deleteGroupCallParticipantMessages": (ctx, p) => this.deleteGroupCallParticipantMessages(ctx, p),
    "phone.getGroupCallStars": (ctx, p) => this.getGroupCallStars(ctx, p),
    "phone.saveDefaultSendAs": (ctx, p) => this.saveDefaultSendAs(ctx, p)
  }

  // ---------------------------------------------------------------------------------------------
  // helpers
  // ---------------------------------------------------------------------------------------------

  /** The author `actor` may post as: themselves, or a channel they administer (`Directory.actingPeer`). */
  private sendAsPeer(actor: UserRec, input: Model.InputPeer): Model.Peer {
    return this.directory.actingPeer(actor, input, "SEND_AS_PEER_INVALID")
  }

  private messageObject(m: MessageRec): Model.GroupCallMessage {
    return new Model.GroupCallMessage({
      fromAdmin: m.fromAdmin,
      id: m.id,
      fromId: m.fromId,
      date: m.date,
      message: m.message,
      ...(m.paidStars !== undefined ? { paidMessageStars: m.paidStars } : {})
    })
  }

  /** Pushes `update` to everyone joined but the actor. */
  private pushJoined(ctx: Ctx, call: GroupCallRec, update: Model.Update): void {
    for (const part of this.group.joined(call))
      if (part.user !== ctx.actor) this.delivery.deliver(ctx, part.user, update, true)
  }

  /** Deletes `messages`, reporting them as spam when asked; the update for everyone joined. */
  private delete(
    ctx: Ctx,
    call: GroupCallRec,
    messages: ReadonlyArray<MessageRec>,
    reportSpam: boolean
  ): Model.Updates {
    if (messages.length === 0) return this.group.updates(ctx, [], call)
    for (const m of messages) {
      m.deleted = true
      if (reportSpam && m.sender !== ctx.actor) m.reportedSpam = true
    }
    const update: Model.Update = {
      _tag: "UpdateDeleteGroupCallMessages",
      call: this.group.input(call),
      messages: messages.map((m) => m.id)
    }
    this.pushJoined(ctx, call, update)
    return this.group.updates(ctx, [update], call)
  }

  // ---------------------------------------------------------------------------------------------
  // methods
  // ---------------------------------------------------------------------------------------------

  sendGroupCallMessage(ctx: Ctx, p: P<"phone.sendGroupCallMessage">): Model.Updates {
    const call = this.group.callOf(p.call)
    const part = this.group.partOf(ctx.actor, call)
    if (part === undefined) return reject(400, "GROUPCALL_JOIN_MISSING")
    const input = this.group.input(call)
    const repeated = call.messages.find((m) => m.sender === ctx.actor && m.randomId === p.randomId)
    if (repeated !== undefined)
      return this.group.updates(
        ctx,
        [{ _tag: "UpdateGroupCallMessage", call: input, message: this.messageObject(repeated) }],
        call
      )
    const admin = this.group.isAdmin(ctx.actor, call)
    if (!call.messagesEnabled && !admin) return reject(403, "GROUPCALL_FORBIDDEN")
    const fromId =
      p.sendAs !== undefined
        ? this.sendAsPeer(ctx.actor, p.sendAs)
        : (call.sendAs.get(ctx.actor.id) ?? part.peer)
    const message: MessageRec = {
      id: call.messages.length + 1,
      randomId: p.randomId,
      sender: ctx.actor,
      fromId,
      date: ctx.date,
      message: p.message,
      fromAdmin: admin,
      paidStars: p.allowPaidStars !== undefined && p.allowPaidStars > 0n ? p.allowPaidStars : undefined,
      deleted: false,
      reportedSpam: false
    }
    call.messages.push(message)
    const update: Model.Update = {
      _tag: "UpdateGroupCallMessage",
      call: input,
      message: this.messageObject(message)
    }
    this.pushJoined(ctx, call, update)
    return this.group.updates(ctx, [update], call)
  }

  sendGroupCallEncryptedMessage(ctx: Ctx, p: P<"phone.sendGroupCallEncryptedMessage">): boolean {
    const call = this.group.callOf(p.call)
    // E2E messages belong to conference calls, between their participants
    if (call.conference === undefined || this.group.partOf(ctx.actor, call) === undefined)
      return reject(400, "GROUPCALL_INVALID")
    this.pushJoined(ctx, call, {
      _tag: "UpdateGroupCallEncryptedMessage",
      call: this.group.input(call),
      fromId: { _tag: "PeerUser", userId: ctx.actor.id },
      encryptedMessage: p.encryptedMessage
    })
    return true
  }

  deleteGroupCallMessages(ctx: Ctx, p: P<"phone.deleteGroupCallMessages">): Model.Updates {
    const call = this.group.callOf(p.call)
    const admin = this.group.isAdmin(ctx.actor, call)
    const ids = new Set(p.messages)
    // unknown ids, and other people's messages for a non-admin, are left alone
    const messages = call.messages.filter(
      (m) => ids.has(m.id) && !m.deleted && (admin || m.sender === ctx.actor)
    )
    return this.delete(ctx, call, messages, p.reportSpam)
  }

  deleteGroupCallParticipantMessages(
    ctx: Ctx,
    p: P<"phone.deleteGroupCallParticipantMessages">
  ): Model.Updates {
    const call = this.group.callOf(p.call)
    if (!this.group.isAdmin(ctx.actor, call)) return reject(403, "GROUPCALL_FORBIDDEN")
    const target = p.participant
    const peerId =
      target._tag === "InputPeerSelf"
        ? ctx.actor.id
        : target._tag === "InputPeerUser"
          ? target.userId
          : target._tag === "InputPeerChannel"
            ? target.channelId
            : target._tag === "InputPeerChat"
              ? target.chatId
              : undefined
    const messages = call.messages.filter((m) => !m.deleted && this.group.peerId(m.fromId) === peerId)
    return this.delete(ctx, call, messages, p.reportSpam)
  }

  getGroupCallStars(ctx: Ctx, p: P<"phone.getGroupCallStars">): Model.PhoneGroupCallStars {
    const call = this.group.callOf(p.call)
    // stars paid with a message stay paid when it is deleted
    const donors = new Map<bigint, { peer: Model.Peer; stars: bigint; my: boolean }>()
    let total = 0n
    for (const m of call.messages) {
      if (m.paidStars === undefined) continue
      total += m.paidStars
      const id = this.group.peerId(m.fromId)
      const donor = donors.get(id) ?? { peer: m.fromId, stars: 0n, my: false }
      donor.stars += m.paidStars
      donor.my ||= m.sender === ctx.actor
      donors.set(id, donor)
    }
    const ranked = [...donors.values()].sort((a, b) => (a.stars === b.stars ? 0 : a.stars > b.stars ? -1 : 1))
    const shown = ranked.filter((d, i) => i < TOP_DONORS || d.my)
    const users: Array<Model.User> = []
    const chats: Array<Model.Chat> = []
    for (const d of shown) {
      if (d.peer._tag === "PeerUser") {
        const user = this.directory.usersById.get(d.peer.userId)
        if (user !== undefined) users.push(this.directory.userObject(user, ctx.actor.id))
      } else if (d.peer._tag === "PeerChannel") {
        const chat = this.directory.chats.get(d.peer.channelId)
        if (chat !== undefined) chats.push(this.group.chatObject(chat, ctx.actor))
      }
    }
    return new Model.PhoneGroupCallStars({
      totalStars: total,
      topDonors: shown.map(
        (d) =>
          new Model.GroupCallDonor({
            top: ranked.indexOf(d) < TOP_DONORS,
            my: d.my,
            peerId: d.peer,
            stars: d.stars
          })
      ),
      chats,
      users
    })
  }

  saveDefaultSendAs(ctx: Ctx, p: P<"phone.saveDefaultSendAs">): boolean {
    const call = this.group.callOf(p.call)
    call.sendAs.set(ctx.actor.id, this.sendAsPeer(ctx.actor, p.sendAs))
    return true
  }
}
