/**
 * Group calls: every group-call method of the registry answers with a valid result, or with its
 * documented error in the situation that causes it. One test per method (or scenario), each on
 * a fresh world, so a failure names the method that broke.
 */
import { assert, describe, it } from "@effect/vitest"
import { Model, RpcMethods } from "@tgphone/core"
import { Effect, Redacted } from "effect"
import { assertMatches } from "../../../test-support/assert.js"
import type * as TestTelegram from "../src/TestTelegram.js"
import {
  as,
  assertDocumentedErrors,
  duo,
  gA,
  gB,
  invoke,
  protocol,
  requestParams,
  ring,
  rpcError
} from "./support.js"

const json = (value: unknown) => new Model.DataJson({ data: JSON.stringify(value) })

/** The undocumented answers the world gives on purpose (docs/testing.md). */
const extras: Partial<Record<RpcMethods.MethodName, ReadonlyArray<string>>> = {
  "phone.startScheduledGroupCall": ["CHAT_ADMIN_REQUIRED"]
}

/** {@link assertDocumentedErrors} with this file's extras. */
const onlyDocumentedErrors = (world: TestTelegram.Service, expected: ReadonlyArray<string>) =>
  assertDocumentedErrors(world, expected, extras)

const groupCallOf = (updates: Model.Updates): Model.InputGroupCall => {
  const u = updates.updates.find((x) => x._tag === "UpdateGroupCall")
  if (u?._tag !== "UpdateGroupCall") throw new Error("no UpdateGroupCall in the result")
  return new Model.InputGroupCall({ id: u.call.id, accessHash: u.call.accessHash })
}

/** The first update of `updates`, which must have the tag `tag`. */
const firstUpdate = <T extends Model.Update["_tag"]>(updates: Model.Updates, tag: T) => {
  assert.strictEqual(updates.updates[0]?._tag, tag)
  return updates.updates[0] as Extract<Model.Update, { readonly _tag: T }>
}

/** The first participant of an `UpdateGroupCallParticipants`, the first update of `updates`. */
const firstParticipant = (updates: Model.Updates) => {
  const u = updates.updates[0]
  assert.strictEqual(u?._tag, "UpdateGroupCallParticipants")
  const part = u?._tag === "UpdateGroupCallParticipants" ? u.participants[0] : undefined
  assert.isDefined(part)
  return part!
}

/** The call of an `UpdateGroupCall` that must be a running `GroupCall`. */
const runningCall = (update: Model.Update | undefined) => {
  assert.strictEqual(update?._tag, "UpdateGroupCall")
  const call = update?._tag === "UpdateGroupCall" ? update.call : undefined
  assert.strictEqual(call?._tag, "GroupCall")
  return call as Extract<Model.GroupCall, { readonly _tag: "GroupCall" }>
}

/**
 * The video-chat world: Alice owns the supergroup "Team" (members Bob and Dave) and the public
 * channel "News"; Carol is in neither.
 */
const videoChat = Effect.gen(function* () {
  const { world, alice, bob } = yield* duo()
  const carol = yield* world.addUser({ firstName: "Carol" })
  const dave = yield* world.addUser({ firstName: "Dave" })
  const team = yield* world.addChat({
    kind: "supergroup",
    title: "Team",
    creator: alice,
    members: [bob, dave]
  })
  const news = yield* world.addChat({
    kind: "channel",
    title: "News",
    creator: alice,
    username: "news_feed"
  })
  return {
    world,
    alice,
    bob,
    carol,
    dave,
    team,
    news,
    A: as(world, alice),
    B: as(world, bob),
    C: as(world, carol)
  }
})
type VideoChat = Effect.Success<typeof videoChat>

/** Alice starts Team's video chat "Standup". */
const started = (v: VideoChat) =>
  Effect.map(
    v.A(
      invoke("phone.createGroupCall", {
        rtmpStream: false,
        peer: v.team.inputPeer,
        randomId: 1,
        title: "Standup"
      })
    ),
    groupCallOf
  )

const joinCall = (
  call: Model.InputGroupCall,
  params: Model.DataJson,
  joinAs: Model.InputPeer = { _tag: "InputPeerSelf" }
) => invoke("phone.joinGroupCall", { muted: false, videoStopped: true, call, joinAs, params })

/** Team's video chat with Alice (ssrc 111) and Bob (ssrc 222) in it. */
const inCall = Effect.gen(function* () {
  const v = yield* videoChat
  const call = yield* started(v)
  yield* v.A(joinCall(call, json({ ssrc: 111 })))
  yield* v.B(joinCall(call, json({ ssrc: 222 })))
  return { ...v, call }
})

describe("TestTelegram group calls: a video chat in a supergroup", () => {
  it.effect("phone.createGroupCall: only Team's admin starts its one call, and the members are told", () =>
    Effect.gen(function* () {
      const v = yield* videoChat
      const create = (params: Partial<RpcMethods.MethodParams<"phone.createGroupCall">> = {}) =>
        invoke("phone.createGroupCall", { rtmpStream: false, peer: v.team.inputPeer, randomId: 1, ...params })
      assert.deepStrictEqual(yield* rpcError(v.C(create())), { code: 400, type: "CHANNEL_PRIVATE" })
      assert.deepStrictEqual(yield* rpcError(v.B(create())), { code: 400, type: "CHAT_ADMIN_REQUIRED" })
      assert.deepStrictEqual(yield* rpcError(v.A(create({ peer: v.bob.inputPeer }))), {
        code: 400,
        type: "PEER_ID_INVALID"
      })
      assert.deepStrictEqual(yield* rpcError(v.A(create({ scheduleDate: 0 }))), {
        code: 400,
        type: "SCHEDULE_DATE_INVALID"
      })
      const created = yield* v.A(create({ title: "Standup" }))
      const call = runningCall(created.updates.find((u) => u._tag === "UpdateGroupCall"))
      assert.strictEqual(call.title, "Standup")
      assert.deepStrictEqual(
        created.chats.map((c) => c.id),
        [v.team.id]
      )
      assert.deepStrictEqual(
        (yield* v.world.updatesOf(v.bob)).map((u) => u._tag),
        ["UpdateGroupCall"]
      )
      assert.deepStrictEqual(yield* rpcError(v.A(create({ randomId: 2 }))), {
        code: 400,
        type: "CREATE_CALL_FAILED"
      })
      yield* onlyDocumentedErrors(v.world, [
        "phone.createGroupCall: CHANNEL_PRIVATE",
        "phone.createGroupCall: CHAT_ADMIN_REQUIRED",
        "phone.createGroupCall: PEER_ID_INVALID",
        "phone.createGroupCall: SCHEDULE_DATE_INVALID",
        "phone.createGroupCall: CREATE_CALL_FAILED"
      ])
    })
  )

  it.effect("phone.joinGroupCall: members join with their own ssrc; the others are told", () =>
    Effect.gen(function* () {
      const v = yield* videoChat
      const call = yield* started(v)
      const joined = yield* v.A(joinCall(call, json({ ssrc: 111 })))
      assert.deepStrictEqual(
        joined.updates.map((u) => u._tag),
        ["UpdateGroupCallParticipants", "UpdateGroupCallConnection"]
      )
      assert.deepStrictEqual(yield* rpcError(v.B(joinCall(call, json({ ssrc: 111 })))), {
        code: 400,
        type: "GROUPCALL_SSRC_DUPLICATE_MUCH"
      })
      assert.deepStrictEqual(yield* rpcError(v.B(joinCall(call, new Model.DataJson({ data: "{" })))), {
        code: 400,
        type: "DATA_JSON_INVALID"
      })
      assert.deepStrictEqual(yield* rpcError(v.B(joinCall(call, json({ ssrc: 5 }), v.alice.inputPeer))), {
        code: 400,
        type: "JOIN_AS_PEER_INVALID"
      })
      assert.deepStrictEqual(yield* rpcError(v.C(joinCall(call, json({ ssrc: 333 })))), {
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })
      yield* v.B(joinCall(call, json({ ssrc: 222 })))
      // Alice (already in the call) is pushed Bob's arrival
      const aliceLast = (yield* v.world.updatesOf(v.alice)).at(-1)
      assert.strictEqual(aliceLast?._tag, "UpdateGroupCallParticipants")
      assert.strictEqual(
        aliceLast?._tag === "UpdateGroupCallParticipants" ? aliceLast.participants[0]?.source : undefined,
        222
      )
      yield* onlyDocumentedErrors(v.world, [
        "phone.joinGroupCall: GROUPCALL_SSRC_DUPLICATE_MUCH",
        "phone.joinGroupCall: DATA_JSON_INVALID",
        "phone.joinGroupCall: JOIN_AS_PEER_INVALID",
        "phone.joinGroupCall: GROUPCALL_FORBIDDEN"
      ])
    })
  )

  it.effect("phone.getGroupCall: the call, a page of its participants, and GROUPCALL_INVALID", () =>
    Effect.gen(function* () {
      const v = yield* videoChat
      const call = yield* started(v)
      yield* v.A(joinCall(call, json({ ssrc: 111 })))
      const wrong = new Model.InputGroupCall({ id: call.id, accessHash: call.accessHash + 1n })
      assert.deepStrictEqual(yield* rpcError(v.B(invoke("phone.getGroupCall", { call: wrong, limit: 10 }))), {
        code: 400,
        type: "GROUPCALL_INVALID"
      })
      yield* v.B(joinCall(call, json({ ssrc: 222 })))
      const got = yield* v.B(invoke("phone.getGroupCall", { call, limit: 1 }))
      assert.strictEqual(got.call._tag, "GroupCall")
      assert.strictEqual(got.call._tag === "GroupCall" ? got.call.participantsCount : undefined, 2)
      assert.strictEqual(got.call._tag === "GroupCall" ? got.call.title : undefined, "Standup")
      assert.strictEqual(got.participants.length, 1)
      assert.strictEqual(got.participantsNextOffset, "1")
      yield* onlyDocumentedErrors(v.world, ["phone.getGroupCall: GROUPCALL_INVALID"])
    })
  )

  it.effect("phone.getGroupParticipants: finds a participant by source", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const bySource = yield* v.A(
        invoke("phone.getGroupParticipants", { call: v.call, ids: [], sources: [222], offset: "", limit: 10 })
      )
      assert.strictEqual(bySource.count, 1)
      assert.deepStrictEqual(
        bySource.participants.map((p) => p.peer),
        [{ _tag: "PeerUser", userId: v.bob.id }]
      )
      yield* onlyDocumentedErrors(v.world, [])
    })
  )

  it.effect("phone.checkGroupCall: the caller's sources still in the call; GROUPCALL_JOIN_MISSING", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      assert.deepStrictEqual(
        yield* v.B(invoke("phone.checkGroupCall", { call: v.call, sources: [222, 999] })),
        [222]
      )
      assert.deepStrictEqual(
        yield* rpcError(v.C(invoke("phone.checkGroupCall", { call: v.call, sources: [1] }))),
        {
          code: 400,
          type: "GROUPCALL_JOIN_MISSING"
        }
      )
      yield* onlyDocumentedErrors(v.world, ["phone.checkGroupCall: GROUPCALL_JOIN_MISSING"])
    })
  )

  it.effect("phone.editGroupCallParticipant: the admin mutes, members raise their hand; its errors", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const edit = (
        participant: Model.InputPeer,
        fields: Partial<RpcMethods.MethodParams<"phone.editGroupCallParticipant">>
      ) => invoke("phone.editGroupCallParticipant", { call: v.call, participant, ...fields })
      yield* v.A(edit(v.bob.inputPeer, { muted: true }))
      // muted by the admin, Bob cannot unmute himself
      assert.deepStrictEqual(yield* rpcError(v.B(edit({ _tag: "InputPeerSelf" }, { muted: false }))), {
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })
      assert.deepStrictEqual(yield* rpcError(v.A(edit(v.bob.inputPeer, { volume: 0 }))), {
        code: 400,
        type: "USER_VOLUME_INVALID"
      })
      assert.deepStrictEqual(yield* rpcError(v.A(edit(v.bob.inputPeer, { raiseHand: true }))), {
        code: 400,
        type: "RAISE_HAND_FORBIDDEN"
      })
      assert.deepStrictEqual(yield* rpcError(v.A(edit(v.bob.inputPeer, { videoStopped: false }))), {
        code: 400,
        type: "VIDEO_STOP_FORBIDDEN"
      })
      assert.deepStrictEqual(yield* rpcError(v.A(edit(v.bob.inputPeer, { videoPaused: true }))), {
        code: 400,
        type: "VIDEO_PAUSE_FORBIDDEN"
      })
      assert.deepStrictEqual(yield* rpcError(v.A(edit(v.carol.inputPeer, { muted: true }))), {
        code: 400,
        type: "PARTICIPANT_JOIN_MISSING"
      })
      assert.deepStrictEqual(
        yield* rpcError(v.A(edit({ _tag: "InputPeerUser", userId: 9n, accessHash: 9n }, { muted: true }))),
        { code: 400, type: "USER_ID_INVALID" }
      )
      const raised = yield* v.B(edit({ _tag: "InputPeerSelf" }, { raiseHand: true }))
      // the first raised hand of the world
      assert.strictEqual(firstParticipant(raised).raiseHandRating, 1n)
      yield* onlyDocumentedErrors(v.world, [
        "phone.editGroupCallParticipant: GROUPCALL_FORBIDDEN",
        "phone.editGroupCallParticipant: USER_VOLUME_INVALID",
        "phone.editGroupCallParticipant: RAISE_HAND_FORBIDDEN",
        "phone.editGroupCallParticipant: VIDEO_STOP_FORBIDDEN",
        "phone.editGroupCallParticipant: VIDEO_PAUSE_FORBIDDEN",
        "phone.editGroupCallParticipant: PARTICIPANT_JOIN_MISSING",
        "phone.editGroupCallParticipant: USER_ID_INVALID"
      ])
    })
  )

  it.effect("phone.editGroupCallTitle: only the admin renames the call", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      assert.deepStrictEqual(
        yield* rpcError(v.B(invoke("phone.editGroupCallTitle", { call: v.call, title: "x" }))),
        {
          code: 403,
          type: "GROUPCALL_FORBIDDEN"
        }
      )
      yield* v.A(invoke("phone.editGroupCallTitle", { call: v.call, title: "Retro" }))
      const got = yield* v.B(invoke("phone.getGroupCall", { call: v.call, limit: 0 }))
      assert.strictEqual(got.call._tag === "GroupCall" ? got.call.title : undefined, "Retro")
      yield* onlyDocumentedErrors(v.world, ["phone.editGroupCallTitle: GROUPCALL_FORBIDDEN"])
    })
  )

  it.effect("phone.toggleGroupCallSettings: a change, then GROUPCALL_NOT_MODIFIED; members may not", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const toggle = invoke("phone.toggleGroupCallSettings", {
        resetInviteHash: false,
        call: v.call,
        joinMuted: true
      })
      yield* v.A(toggle)
      assert.deepStrictEqual(yield* rpcError(v.A(toggle)), { code: 400, type: "GROUPCALL_NOT_MODIFIED" })
      assert.deepStrictEqual(
        yield* rpcError(
          v.B(invoke("phone.toggleGroupCallSettings", { resetInviteHash: true, call: v.call }))
        ),
        { code: 403, type: "GROUPCALL_CHANGE_FORBIDDEN" }
      )
      yield* onlyDocumentedErrors(v.world, [
        "phone.toggleGroupCallSettings: GROUPCALL_NOT_MODIFIED",
        "phone.toggleGroupCallSettings: GROUPCALL_CHANGE_FORBIDDEN"
      ])
    })
  )

  it.effect("phone.toggleGroupCallRecord: the admin starts recording, once; members may not stop it", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const record = (start: boolean) =>
        invoke("phone.toggleGroupCallRecord", { start, video: false, call: v.call })
      const rec = yield* v.A(record(true))
      // started now: the TestClock's start, 0 seconds
      assert.strictEqual(runningCall(rec.updates[0]).recordStartDate, 0)
      assert.deepStrictEqual(yield* rpcError(v.A(record(true))), {
        code: 400,
        type: "GROUPCALL_NOT_MODIFIED"
      })
      assert.deepStrictEqual(yield* rpcError(v.B(record(false))), { code: 403, type: "GROUPCALL_FORBIDDEN" })
      yield* onlyDocumentedErrors(v.world, [
        "phone.toggleGroupCallRecord: GROUPCALL_NOT_MODIFIED",
        "phone.toggleGroupCallRecord: GROUPCALL_FORBIDDEN"
      ])
    })
  )

  it.effect("phone.inviteToGroupCall: invites a member once; strangers cannot be invited", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const invite = (user: TestTelegram.TestUser) =>
        invoke("phone.inviteToGroupCall", { call: v.call, users: [user.inputUser] })
      assert.deepStrictEqual(yield* rpcError(v.A(invite(v.carol))), {
        code: 403,
        type: "USER_NOT_PARTICIPANT"
      })
      const invited = yield* v.A(invite(v.dave))
      assert.deepStrictEqual(
        invited.users.map((u) => u.id),
        [v.dave.id]
      )
      assert.deepStrictEqual(yield* rpcError(v.A(invite(v.dave))), {
        code: 400,
        type: "USER_ALREADY_INVITED"
      })
      yield* onlyDocumentedErrors(v.world, [
        "phone.inviteToGroupCall: USER_NOT_PARTICIPANT",
        "phone.inviteToGroupCall: USER_ALREADY_INVITED"
      ])
    })
  )

  it.effect("phone.exportGroupCallInvite: PUBLIC_CHANNEL_MISSING in a group without a username", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      assert.deepStrictEqual(
        yield* rpcError(v.A(invoke("phone.exportGroupCallInvite", { canSelfUnmute: false, call: v.call }))),
        { code: 403, type: "PUBLIC_CHANNEL_MISSING" }
      )
      yield* onlyDocumentedErrors(v.world, ["phone.exportGroupCallInvite: PUBLIC_CHANNEL_MISSING"])
    })
  )

  it.effect("phone.joinGroupCallPresentation: a participant shares the screen with its own ssrc", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const present = (ssrc: number) =>
        invoke("phone.joinGroupCallPresentation", { call: v.call, params: json({ ssrc }) })
      assert.deepStrictEqual(yield* rpcError(v.C(present(7))), {
        code: 403,
        type: "PARTICIPANT_JOIN_MISSING"
      })
      const presenting = yield* v.B(present(444))
      assert.isTrue(firstUpdate(presenting, "UpdateGroupCallConnection").presentation)
      assert.deepStrictEqual(
        yield* v.B(invoke("phone.checkGroupCall", { call: v.call, sources: [444] })),
        [444]
      )
      yield* onlyDocumentedErrors(v.world, ["phone.joinGroupCallPresentation: PARTICIPANT_JOIN_MISSING"])
    })
  )

  it.effect("phone.leaveGroupCallPresentation: the participant no longer presents", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const presenting = yield* v.B(
        invoke("phone.joinGroupCallPresentation", { call: v.call, params: json({ ssrc: 444 }) })
      )
      assert.isTrue(firstUpdate(presenting, "UpdateGroupCallConnection").presentation)
      const stopped = yield* v.B(invoke("phone.leaveGroupCallPresentation", { call: v.call }))
      const bob = firstParticipant(stopped)
      assert.deepStrictEqual(bob.peer, { _tag: "PeerUser", userId: v.bob.id })
      assert.isUndefined(bob.presentation)
      yield* onlyDocumentedErrors(v.world, [])
    })
  )

  it.effect("phone.getGroupCallStreamChannels: one channel for participants; GROUPCALL_JOIN_MISSING", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const channels = yield* v.B(invoke("phone.getGroupCallStreamChannels", { call: v.call }))
      assert.strictEqual(channels.channels.length, 1)
      assert.deepStrictEqual(
        yield* rpcError(v.C(invoke("phone.getGroupCallStreamChannels", { call: v.call }))),
        {
          code: 400,
          type: "GROUPCALL_JOIN_MISSING"
        }
      )
      yield* onlyDocumentedErrors(v.world, ["phone.getGroupCallStreamChannels: GROUPCALL_JOIN_MISSING"])
    })
  )

  it.effect("phone.getGroupCallStreamRtmpUrl: an rtmps URL for the admin, a new key on revoke", () =>
    Effect.gen(function* () {
      const v = yield* videoChat
      const rtmpUrl = (revoke: boolean) =>
        invoke("phone.getGroupCallStreamRtmpUrl", { liveStory: false, peer: v.team.inputPeer, revoke })
      const rtmp = yield* v.A(rtmpUrl(false))
      assert.match(rtmp.url, /^rtmps:\/\//)
      const revoked = yield* v.A(rtmpUrl(true))
      assert.notStrictEqual(Redacted.value(revoked.key), Redacted.value(rtmp.key))
      assert.deepStrictEqual(yield* rpcError(v.B(rtmpUrl(false))), { code: 400, type: "CHAT_ADMIN_REQUIRED" })
      yield* onlyDocumentedErrors(v.world, ["phone.getGroupCallStreamRtmpUrl: CHAT_ADMIN_REQUIRED"])
    })
  )

  it.effect("phone.getGroupCallJoinAs: the user and the chats they may speak for; CHANNEL_INVALID", () =>
    Effect.gen(function* () {
      const v = yield* videoChat
      const joinAs = yield* v.A(invoke("phone.getGroupCallJoinAs", { peer: v.team.inputPeer }))
      assert.deepStrictEqual(joinAs.peers, [
        { _tag: "PeerUser", userId: v.alice.id },
        { _tag: "PeerChannel", channelId: v.team.id },
        { _tag: "PeerChannel", channelId: v.news.id }
      ])
      const forged: Model.InputPeer = { _tag: "InputPeerChannel", channelId: v.news.id, accessHash: 1n }
      assert.deepStrictEqual(yield* rpcError(v.A(invoke("phone.getGroupCallJoinAs", { peer: forged }))), {
        code: 400,
        type: "CHANNEL_INVALID"
      })
      yield* onlyDocumentedErrors(v.world, ["phone.getGroupCallJoinAs: CHANNEL_INVALID"])
    })
  )

  it.effect("phone.saveDefaultGroupCallJoinAs: only as a peer the user may speak for", () =>
    Effect.gen(function* () {
      const v = yield* videoChat
      const save = invoke("phone.saveDefaultGroupCallJoinAs", {
        peer: v.team.inputPeer,
        joinAs: v.news.inputPeer
      })
      assert.isTrue(yield* v.A(save))
      assert.deepStrictEqual(yield* rpcError(v.B(save)), { code: 400, type: "JOIN_AS_PEER_INVALID" })
      yield* onlyDocumentedErrors(v.world, ["phone.saveDefaultGroupCallJoinAs: JOIN_AS_PEER_INVALID"])
    })
  )

  it.effect("phone.toggleGroupCallStartSubscription: GROUPCALL_ALREADY_STARTED on a running call", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      assert.deepStrictEqual(
        yield* rpcError(
          v.A(invoke("phone.toggleGroupCallStartSubscription", { call: v.call, subscribed: true }))
        ),
        { code: 403, type: "GROUPCALL_ALREADY_STARTED" }
      )
      yield* onlyDocumentedErrors(v.world, [
        "phone.toggleGroupCallStartSubscription: GROUPCALL_ALREADY_STARTED"
      ])
    })
  )

  it.effect("phone.leaveGroupCall: the participant leaves, the others stay", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const left = yield* v.B(invoke("phone.leaveGroupCall", { call: v.call, source: 222 }))
      const bob = firstParticipant(left)
      assert.deepStrictEqual(bob.peer, { _tag: "PeerUser", userId: v.bob.id })
      assert.isTrue(bob.left)
      assert.deepStrictEqual(
        (yield* v.world.groupCalls).map((c) => c.participants.map((p) => p.peerId)),
        [[v.alice.id]]
      )
      yield* onlyDocumentedErrors(v.world, [])
    })
  )

  it.effect("phone.discardGroupCall: only the admin ends the call, once; nobody joins it afterwards", () =>
    Effect.gen(function* () {
      const v = yield* inCall
      const discard = invoke("phone.discardGroupCall", { call: v.call })
      assert.deepStrictEqual(yield* rpcError(v.B(discard)), { code: 403, type: "GROUPCALL_FORBIDDEN" })
      const ended = yield* v.A(discard)
      assert.strictEqual(ended.updates[0]?._tag, "UpdateGroupCall")
      assert.strictEqual(
        ended.updates[0]?._tag === "UpdateGroupCall" ? ended.updates[0].call._tag : undefined,
        "GroupCallDiscarded"
      )
      assert.deepStrictEqual(yield* rpcError(v.A(discard)), {
        code: 400,
        type: "GROUPCALL_ALREADY_DISCARDED"
      })
      assert.deepStrictEqual(yield* rpcError(v.B(joinCall(v.call, json({ ssrc: 1 })))), {
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })
      yield* onlyDocumentedErrors(v.world, [
        "phone.discardGroupCall: GROUPCALL_FORBIDDEN",
        "phone.discardGroupCall: GROUPCALL_ALREADY_DISCARDED",
        "phone.joinGroupCall: GROUPCALL_FORBIDDEN"
      ])
    })
  )
})

describe("TestTelegram group calls: a scheduled live stream in a public channel", () => {
  /** Alice's channel "News" (Bob a member) with a live stream scheduled an hour from now. */
  const scheduled = Effect.gen(function* () {
    const { world, alice, bob } = yield* duo()
    const news = yield* world.addChat({
      kind: "channel",
      title: "News",
      creator: alice,
      members: [bob],
      username: "news_feed"
    })
    const A = as(world, alice)
    const B = as(world, bob)
    const inAnHour = Math.floor((yield* Effect.clockWith((c) => c.currentTimeMillis)) / 1000) + 3600
    const call = groupCallOf(
      yield* A(
        invoke("phone.createGroupCall", {
          rtmpStream: true,
          peer: news.inputPeer,
          randomId: 5,
          scheduleDate: inAnHour
        })
      )
    )
    return { world, A, B, call, inAnHour }
  })

  it.effect("phone.toggleGroupCallStartSubscription: a member subscribes to the start", () =>
    Effect.gen(function* () {
      const s = yield* scheduled
      const sub = yield* s.B(
        invoke("phone.toggleGroupCallStartSubscription", { call: s.call, subscribed: true })
      )
      const call = runningCall(firstUpdate(sub, "UpdateGroupCall"))
      assert.isTrue(call.scheduleStartSubscribed)
      assert.strictEqual(call.scheduleDate, s.inAnHour)
      yield* onlyDocumentedErrors(s.world, [])
    })
  )

  it.effect("phone.exportGroupCallInvite: the channel's livestream link", () =>
    Effect.gen(function* () {
      const s = yield* scheduled
      const link = yield* s.A(invoke("phone.exportGroupCallInvite", { canSelfUnmute: false, call: s.call }))
      assert.match(link.link, /^https:\/\/t\.me\/news_feed\?livestream=[0-9a-f]+$/)
      yield* onlyDocumentedErrors(s.world, [])
    })
  )

  it.effect("phone.startScheduledGroupCall: the admin starts it, once; joinable only then", () =>
    Effect.gen(function* () {
      const s = yield* scheduled
      const join = invoke("phone.joinGroupCall", {
        muted: true,
        videoStopped: true,
        call: s.call,
        joinAs: { _tag: "InputPeerSelf" },
        params: json({})
      })
      // not joinable before it starts
      assert.deepStrictEqual(yield* rpcError(s.B(join)), { code: 403, type: "GROUPCALL_FORBIDDEN" })
      const start = invoke("phone.startScheduledGroupCall", { call: s.call })
      assert.deepStrictEqual(yield* rpcError(s.B(start)), { code: 400, type: "CHAT_ADMIN_REQUIRED" })
      const startedCall = runningCall((yield* s.A(start)).updates[0])
      assert.isTrue(startedCall.rtmpStream)
      assert.deepStrictEqual(yield* rpcError(s.A(start)), { code: 403, type: "GROUPCALL_ALREADY_STARTED" })
      yield* s.B(join)
      assert.deepStrictEqual(
        (yield* s.world.groupCalls).map((c) => c.participants.length),
        [1]
      )
      yield* onlyDocumentedErrors(s.world, [
        "phone.joinGroupCall: GROUPCALL_FORBIDDEN",
        "phone.startScheduledGroupCall: CHAT_ADMIN_REQUIRED",
        "phone.startScheduledGroupCall: GROUPCALL_ALREADY_STARTED"
      ])
    })
  )
})

describe("TestTelegram group calls: 1:1 extras", () => {
  /** Alice called Bob and he accepted: the call's `InputPhoneCall`, not yet confirmed. */
  const accepted = Effect.gen(function* () {
    const d = yield* duo()
    const peer = yield* ring(d)
    yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
    return { ...d, peer }
  })
  const confirm = (d: Effect.Success<typeof accepted>) =>
    as(d.world, d.alice)(invoke("phone.confirmCall", { peer: d.peer, gA, keyFingerprint: 1n, protocol }))

  it.effect("phone.createConferenceCall (layer 229): creates a conference call, the creator told of it", () =>
    Effect.gen(function* () {
      const d = yield* accepted
      yield* confirm(d)
      const conf = yield* as(
        d.world,
        d.alice
      )(invoke("phone.createConferenceCall", { muted: false, videoStopped: false, join: false, randomId: 1 }))
      const update = conf.updates.find((u) => u._tag === "UpdateGroupCall")
      const created = yield* d.world.groupCalls
      assert.strictEqual(created.length, 1)
      assertMatches(update?._tag === "UpdateGroupCall" ? update.call : undefined, {
        _tag: "GroupCall",
        conference: true,
        creator: true,
        id: created[0]!.id,
        accessHash: created[0]!.accessHash
      })
      yield* onlyDocumentedErrors(d.world, [])
    })
  )

  it.effect("phone.saveCallLog: the world records the callee's log file", () =>
    Effect.gen(function* () {
      const d = yield* accepted
      yield* confirm(d)
      const file: Model.InputFile = { _tag: "InputFile", id: 1n, parts: 1, name: "log.txt", md5Checksum: "" }
      assert.isTrue(yield* as(d.world, d.bob)(invoke("phone.saveCallLog", { peer: d.peer, file })))
      assert.deepStrictEqual((yield* d.world.feedback).at(-1), {
        _tag: "Log",
        callId: d.peer.id,
        userId: d.bob.id,
        file
      })
      yield* onlyDocumentedErrors(d.world, [])
    })
  )
})

/** Parameters for each registry method that reach its handler (whatever it then answers). */
const reachingParams = (
  callee: TestTelegram.TestUser
): { readonly [M in RpcMethods.MethodName]: RpcMethods.MethodParams<M> } => {
  const dummyCall = new Model.InputGroupCall({ id: 1n, accessHash: 1n })
  const dummyPeer = new Model.InputPhoneCall({ id: 1n, accessHash: 1n })
  return {
    "messages.getDhConfig": { version: 0, randomLength: 0 },
    "phone.getCallConfig": {},
    "phone.requestCall": requestParams(callee),
    "phone.acceptCall": { peer: dummyPeer, gB, protocol },
    "phone.confirmCall": { peer: dummyPeer, gA, keyFingerprint: 0n, protocol },
    "phone.receivedCall": { peer: dummyPeer },
    "phone.discardCall": {
      video: false,
      peer: dummyPeer,
      duration: 0,
      reason: { _tag: "Hangup" },
      connectionId: 0n
    },
    "phone.setCallRating": { userInitiative: false, peer: dummyPeer, rating: 5, comment: "" },
    "phone.saveCallDebug": { peer: dummyPeer, debug: json({}) },
    "phone.sendSignalingData": { peer: dummyPeer, data: new Uint8Array(1) },
    "phone.createGroupCall": { rtmpStream: false, peer: { _tag: "InputPeerEmpty" }, randomId: 1 },
    "phone.joinGroupCall": {
      muted: false,
      videoStopped: false,
      call: dummyCall,
      joinAs: { _tag: "InputPeerSelf" },
      params: json({})
    },
    "phone.leaveGroupCall": { call: dummyCall, source: 1 },
    "phone.inviteToGroupCall": { call: dummyCall, users: [] },
    "phone.discardGroupCall": { call: dummyCall },
    "phone.toggleGroupCallSettings": { resetInviteHash: false, call: dummyCall },
    "phone.getGroupCall": { call: dummyCall, limit: 1 },
    "phone.getGroupParticipants": { call: dummyCall, ids: [], sources: [], offset: "", limit: 1 },
    "phone.checkGroupCall": { call: dummyCall, sources: [] },
    "phone.toggleGroupCallRecord": { start: true, video: false, call: dummyCall },
    "phone.editGroupCallParticipant": { call: dummyCall, participant: { _tag: "InputPeerSelf" } },
    "phone.editGroupCallTitle": { call: dummyCall, title: "t" },
    "phone.getGroupCallJoinAs": { peer: { _tag: "InputPeerEmpty" } },
    "phone.exportGroupCallInvite": { canSelfUnmute: false, call: dummyCall },
    "phone.toggleGroupCallStartSubscription": { call: dummyCall, subscribed: true },
    "phone.startScheduledGroupCall": { call: dummyCall },
    "phone.saveDefaultGroupCallJoinAs": {
      peer: { _tag: "InputPeerEmpty" },
      joinAs: { _tag: "InputPeerSelf" }
    },
    "phone.joinGroupCallPresentation": { call: dummyCall, params: json({}) },
    "phone.leaveGroupCallPresentation": { call: dummyCall },
    "phone.getGroupCallStreamChannels": { call: dummyCall },
    "phone.getGroupCallStreamRtmpUrl": { liveStory: false, peer: { _tag: "InputPeerEmpty" }, revoke: false },
    "phone.saveCallLog": { peer: dummyPeer, file: { _tag: "InputFileBig", id: 1n, parts: 1, name: "x" } },
    "phone.createConferenceCall": { muted: false, videoStopped: false, join: false, randomId: 0 },
    "phone.deleteConferenceCallParticipants": {
      onlyLeft: false,
      kick: true,
      call: dummyCall,
      ids: [1n],
      block: new Uint8Array([1])
    },
    "phone.sendConferenceCallBroadcast": { call: dummyCall, block: new Uint8Array([1]) },
    "phone.inviteConferenceCallParticipant": {
      video: false,
      call: dummyCall,
      userId: { _tag: "InputUserSelf" }
    },
    "phone.declineConferenceCallInvite": { msgId: 1 },
    "phone.getGroupCallChainBlocks": { call: dummyCall, subChainId: 0, offset: 0, limit: 1 },
    "phone.sendGroupCallMessage": {
      call: dummyCall,
      randomId: 1n,
      message: new Model.TextWithEntities({ text: "hi", entities: [] })
    },
    "phone.sendGroupCallEncryptedMessage": { call: dummyCall, encryptedMessage: new Uint8Array([1]) },
    "phone.deleteGroupCallMessages": { reportSpam: false, call: dummyCall, messages: [1] },
    "phone.deleteGroupCallParticipantMessages": {
      reportSpam: false,
      call: dummyCall,
      participant: { _tag: "InputPeerSelf" }
    },
    "phone.getGroupCallStars": { call: dummyCall },
    "phone.saveDefaultSendAs": { call: dummyCall, sendAs: { _tag: "InputPeerSelf" } }
  }
}

describe("TestTelegram: every registry method has an implementation", () => {
  it.effect.each(RpcMethods.methodNames)("%s does not answer INPUT_METHOD_INVALID", (method) =>
    Effect.gen(function* () {
      const d = yield* duo()
      yield* Effect.result(as(d.world, d.alice)(invoke(method, reachingParams(d.bob)[method] as never)))
      const answered: ReadonlyArray<TestTelegram.RecordedRequest> = yield* d.world.requests
      assert.deepStrictEqual(
        answered.map((r) => r.method),
        [method]
      )
      const outcome = answered[0]!.outcome
      if (outcome._tag === "Failure" && outcome.error._tag === "RpcError")
        assert.notStrictEqual(outcome.error.type, "INPUT_METHOD_INVALID", `${method} is not implemented`)
    })
  )
})
