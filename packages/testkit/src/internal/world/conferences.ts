/**
 * Conference calls (layer 202 on): group calls without a chat that their creator manages, joined
 * by invitation, with an E2E chain whose blocks the server stores and relays without reading them
 * (sub-chain 0: participant changes, from `joinGroupCall` and `deleteConferenceCallParticipants`;
 * sub-chain 1: `sendConferenceCallBroadcast`). Joining, listing participants and leaving are the
 * group-call methods (`groupCalls.ts`); what only conferences have is here, with the world's
 * move of a 1:1 call into a conference.
 */
import { Model, type RpcMethods } from "@tgphone/core"
import type { ConferenceRec, GroupCallRec, GroupCalls, InviteRec, Part } from "../groupCalls.js"
import type { SeededRandom } from "../random.js"
import type { Delivery } from "./delivery.js"
import type { Directory, UserRec } from "./directory.js"
import { type Ctx, type Handlers, reject } from "./step.js"

type P<M extends RpcMethods.MethodName> = RpcMethods.MethodParams<M>

/** The methods only conference calls answer. */
export type ConferenceMethod =
  | "phone.createConferenceCall"
  | "phone.inviteConferenceCallParticipant"
  | "phone.declineConferenceCallInvite"
  | "phone.deleteConferenceCallParticipants"
  | "phone.sendConferenceCallBroadcast"
  | "phone.getGroupCallChainBlocks"

/** A group call that is a conference. */
export type ConferenceCall = GroupCallRec & { readonly conference: ConferenceRec }

const isConference = (call: GroupCallRec): call is ConferenceCall => call.conference !== undefined

const slugAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

export class Conferences {
  /** Each creator's conferences by `random_id`, `${userId}|${randomId}`. */
  private readonly byRandomId = new Map<string, GroupCallRec>()
  /** Invitations by the invitee and the id of the invitation message, `${userId}|${msgId}`. */
  private readonly invitesByMessage = new Map<string, InviteRec>()
  /** The last message id in each user's chats (an invitation is a message to the invitee). */
  private readonly lastMessageId = new Map<bigint, number>()

  constructor(
    private readonly rng: SeededRandom,
    private readonly directory: Directory,
    private readonly delivery: Delivery,
    private readonly group: GroupCalls
  ) {}

  /** The handlers of the conference methods. */
  readonly handlers: Handlers<ConferenceMethod> = {
    "phone.createConferenceCall": (ctx, p) => this.createConferenceCall(ctx, p),
    "phone.inviteConferenceCallParticipant": (ctx, p) => this.inviteConferenceCallParticipant(ctx, p),
    "phone.declineConferenceCallInvite": (ctx, p) => this.declineConferenceCallInvite(ctx, p),
    "phone.deleteConferenceCallParticipants": (ctx, p) => this.deleteConferenceCallParticipants(ctx, p),
    "phone.sendConferenceCallBroadcast": (ctx, p) => this.sendConferenceCallBroadcast(ctx, p),
    "phone.getGroupCallChainBlocks": (ctx, p) => this.getGroupCallChainBlocks(ctx, p)
  }

  // ---------------------------------------------------------------------------------------------
  // lookups
  // ---------------------------------------------------------------------------------------------

  /** A live conference `actor` has joined; anything else is `GROUPCALL_INVALID` for these methods. */
  private joinedConference(ctx: Ctx, input: Model.InputGroupCall): ConferenceCall {
    const call = this.group.callOf(input)
    return isConference(call) &&
      call.discarded === undefined &&
      this.group.partOf(ctx.actor, call) !== undefined
      ? call
      : reject(400, "GROUPCALL_INVALID")
  }

  private slug(): string {
    return Array.from(this.rng.nextBytes(16), (b) => slugAlphabet[b % slugAlphabet.length]).join("")
  }

  private newConference(ctx: Ctx, randomId: number): ConferenceCall {
    const conference: ConferenceRec = {
      slug: this.slug(),
      randomId,
      chains: new Map(),
      invites: new Map(),
      kicked: new Set()
    }
    // the record newCall registers carries `conference`, so it is a ConferenceCall
    return this.group.newCall(ctx, undefined, { rtmpStream: false, conference }) as ConferenceCall
  }

  /** Invites `invitee` (again: a new invitation replaces the previous one); pushes them the call. */
  private invite(ctx: Ctx, call: ConferenceCall, invitee: UserRec, video: boolean): InviteRec {
    const conference = call.conference
    const msgId = (this.lastMessageId.get(invitee.id) ?? 0) + 1
    this.lastMessageId.set(invitee.id, msgId)
    const invite: InviteRec = { invitee, inviterId: ctx.actor.id, msgId, video, state: "Pending" }
    conference.invites.set(invitee.id, invite)
    conference.kicked.delete(invitee.id)
    this.invitesByMessage.set(`${invitee.id}|${msgId}`, invite)
    this.delivery.deliver(ctx, invitee, this.group.callUpdate(call, invitee), true)
    return invite
  }

  // ---------------------------------------------------------------------------------------------
  // the world's operation
  // ---------------------------------------------------------------------------------------------

  /**
   * `mover` moves a 1:1 call with `peer` into a new conference: `mover` creates and joins it and
   * invites `peer`, who is pushed the conference (the 1:1 call's end is the caller's part).
   */
  migrate(ctx: Ctx, peer: UserRec, video: boolean): ConferenceCall {
    const call = this.newConference(ctx, this.rng.nextInt31())
    this.group.join(ctx, call, {
      muted: false,
      videoStopped: !video,
      joinAs: { _tag: "InputPeerSelf" },
      params: new Model.DataJson({ data: "{}" }),
      publicKey: this.rng.nextBytes(32)
    })
    this.invite(ctx, call, peer, video)
    return call
  }

  // ---------------------------------------------------------------------------------------------
  // methods
  // ---------------------------------------------------------------------------------------------

  createConferenceCall(ctx: Ctx, p: P<"phone.createConferenceCall">): Model.Updates {
    const key = `${ctx.actor.id}|${p.randomId}`
    const existing = this.byRandomId.get(key)
    if (existing !== undefined)
      return this.group.updates(ctx, [this.group.callUpdate(existing, ctx.actor)], existing)
    if (p.join) {
      // checked before anything is created, so a failed join leaves no conference behind
      if (p.publicKey === undefined) return reject(400, "PUBLIC_KEY_INVALID")
      try {
        JSON.parse(p.params?.data ?? "")
      } catch {
        return reject(400, "DATA_JSON_INVALID")
      }
    }
    const call = this.newConference(ctx, p.randomId)
    this.byRandomId.set(key, call)
    if (!p.join) return this.group.updates(ctx, [this.group.callUpdate(call, ctx.actor)], call)
    const { part, connection } = this.group.join(ctx, call, {
      muted: p.muted,
      videoStopped: p.videoStopped,
      joinAs: { _tag: "InputPeerSelf" },
      params: p.params!,
      ...(p.publicKey !== undefined ? { publicKey: p.publicKey } : {}),
      ...(p.block !== undefined ? { block: p.block } : {})
    })
    return this.group.updates(
      ctx,
      [
        this.group.callUpdate(call, ctx.actor),
        this.group.participantsUpdate(call, [part], ctx.actor),
        connection
      ],
      call,
      [part]
    )
  }

  inviteConferenceCallParticipant(ctx: Ctx, p: P<"phone.inviteConferenceCallParticipant">): Model.Updates {
    const call = this.joinedConference(ctx, p.call)
    const input = p.userId
    if (input._tag === "InputUserSelf") return reject(400, "USER_ID_INVALID")
    const invitee = this.directory.usersById.get(input.userId)
    if (
      invitee === undefined ||
      invitee.accessHash !== input.accessHash ||
      invitee === ctx.actor ||
      invitee.bot
    )
      return reject(400, "USER_ID_INVALID")
    // someone already in the call needs no invitation
    if (this.group.partOf(invitee, call) === undefined) this.invite(ctx, call, invitee, p.video)
    return new Model.Updates({ updates: [], users: [this.directory.userObject(invitee, ctx.actor.id)] })
  }

  declineConferenceCallInvite(ctx: Ctx, p: P<"phone.declineConferenceCallInvite">): Model.Updates {
    const invite = this.invitesByMessage.get(`${ctx.actor.id}|${p.msgId}`)
    if (invite === undefined || invite.state !== "Pending") return reject(400, "MESSAGE_ID_INVALID")
    invite.state = "Declined"
    const inviter = this.directory.usersById.get(invite.inviterId)
    return new Model.Updates({
      updates: [],
      users: inviter === undefined ? [] : [this.directory.userObject(inviter, ctx.actor.id)]
    })
  }

  deleteConferenceCallParticipants(ctx: Ctx, p: P<"phone.deleteConferenceCallParticipants">): Model.Updates {
    const call = this.joinedConference(ctx, p.call)
    if (p.kick && call.ownerId !== ctx.actor.id) return reject(403, "GROUPCALL_FORBIDDEN")
    const kicked: Array<Part> = []
    for (const id of p.ids) {
      const part = call.participants.get(id)
      if (part === undefined || (!part.left && !p.kick)) continue
      if (p.kick) {
        call.conference.kicked.add(id)
        if (!part.left) {
          part.left = true
          part.justJoined = false
          kicked.push(part)
        }
      }
      call.participants.delete(id)
    }
    const updates: Array<Model.Update> = []
    if (kicked.length > 0) {
      call.version++
      // the kicked are told too: they are no longer in the call
      for (const part of kicked)
        if (part.user !== ctx.actor)
          this.delivery.deliver(ctx, part.user, this.group.participantsUpdate(call, kicked, part.user), true)
      this.group.pushParts(ctx, call, kicked)
      updates.push(this.group.participantsUpdate(call, kicked, ctx.actor))
    }
    updates.push(this.group.appendBlock(ctx, call, 0, p.block))
    return this.group.updates(ctx, updates, call, kicked)
  }

  sendConferenceCallBroadcast(ctx: Ctx, p: P<"phone.sendConferenceCallBroadcast">): Model.Updates {
    const call = this.joinedConference(ctx, p.call)
    return this.group.updates(ctx, [this.group.appendBlock(ctx, call, 1, p.block)], call)
  }

  getGroupCallChainBlocks(ctx: Ctx, p: P<"phone.getGroupCallChainBlocks">): Model.Updates {
    const call = this.joinedConference(ctx, p.call)
    const chain = call.conference.chains.get(p.subChainId) ?? []
    const start = p.offset < 0 ? Math.max(0, chain.length + p.offset) : Math.min(p.offset, chain.length)
    const blocks = chain.slice(start, start + Math.max(0, p.limit))
    const update: Model.Update = {
      _tag: "UpdateGroupCallChainBlocks",
      call: this.group.input(call),
      subChainId: p.subChainId,
      blocks,
      nextOffset: start + blocks.length
    }
    return this.group.updates(ctx, [update], call)
  }
}
