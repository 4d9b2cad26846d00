/**
 * Group calls: every group-call method of the registry answers with a valid result, or with its
 * documented error in the situation that causes it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Errors, Model, RpcMethods } from "@tgphone/core"
import { Effect, Redacted } from "effect"
import type * as TestTelegram from "../src/TestTelegram.js"
import { as, duo, gA, gB, invoke, protocol, requestParams, ring, rpcError } from "./support.js"

const json = (value: unknown) => new Model.DataJson({ data: JSON.stringify(value) })

/** The undocumented answers the world gives on purpose (docs/testing.md). */
const extras: Partial<Record<RpcMethods.MethodName, ReadonlyArray<string>>> = {
  "phone.startScheduledGroupCall": ["CHAT_ADMIN_REQUIRED"]
}

/**
 * The world answered exactly the `expected` error types (`method: TYPE`, in order of first
 * appearance), and each is one Telegram documents for the method (or a listed extra).
 */
const onlyDocumentedErrors = (world: TestTelegram.Service, expected: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const failures = yield* world.requestsWhere({ outcome: "Failure" })
    const answered = failures.flatMap((r) =>
      r.outcome._tag === "Failure" && r.outcome.error._tag === "RpcError"
        ? [`${r.method}: ${r.outcome.error.type}`]
        : []
    )
    expect([...new Set(answered)]).toEqual(expected)
    for (const r of failures) {
      if (
        r.outcome._tag !== "Failure" ||
        r.outcome.error._tag !== "RpcError" ||
        !RpcMethods.isMethodName(r.method)
      )
        continue
      const allowed = [...Errors.methodErrorTypes[r.method], ...(extras[r.method] ?? [])]
      expect(allowed, `${r.method} answered ${r.outcome.error.type}`).toContain(r.outcome.error.type)
    }
  })

const groupCallOf = (updates: Model.Updates): Model.InputGroupCall => {
  const u = updates.updates.find((x) => x._tag === "UpdateGroupCall")
  if (u?._tag !== "UpdateGroupCall") throw new Error("no UpdateGroupCall in the result")
  return new Model.InputGroupCall({ id: u.call.id, accessHash: u.call.accessHash })
}

describe("TestTelegram group calls", () => {
  it.effect("a video chat in a supergroup, through every group-call method", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const { world, alice, bob } = d
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
      const A = as(world, alice)
      const B = as(world, bob)
      const C = as(world, carol)

      // createGroupCall and its errors
      expect(
        yield* rpcError(
          C(invoke("phone.createGroupCall", { rtmpStream: false, peer: team.inputPeer, randomId: 1 }))
        )
      ).toEqual({ code: 400, type: "CHANNEL_PRIVATE" })
      expect(
        yield* rpcError(
          B(invoke("phone.createGroupCall", { rtmpStream: false, peer: team.inputPeer, randomId: 1 }))
        )
      ).toEqual({ code: 400, type: "CHAT_ADMIN_REQUIRED" })
      expect(
        yield* rpcError(
          A(invoke("phone.createGroupCall", { rtmpStream: false, peer: bob.inputPeer, randomId: 1 }))
        )
      ).toEqual({ code: 400, type: "PEER_ID_INVALID" })
      expect(
        yield* rpcError(
          A(
            invoke("phone.createGroupCall", {
              rtmpStream: false,
              peer: team.inputPeer,
              randomId: 1,
              scheduleDate: 0
            })
          )
        )
      ).toEqual({ code: 400, type: "SCHEDULE_DATE_INVALID" })
      const created = yield* A(
        invoke("phone.createGroupCall", {
          rtmpStream: false,
          peer: team.inputPeer,
          randomId: 1,
          title: "Standup"
        })
      )
      const call = groupCallOf(created)
      expect(created.chats.map((c) => c.id)).toEqual([team.id])
      expect((yield* world.updatesOf(bob)).map((u) => u._tag)).toEqual(["UpdateGroupCall"])
      expect(
        yield* rpcError(
          A(invoke("phone.createGroupCall", { rtmpStream: false, peer: team.inputPeer, randomId: 2 }))
        )
      ).toEqual({ code: 400, type: "CREATE_CALL_FAILED" })

      // joinGroupCall and its errors
      const join = (params: Model.DataJson, joinAs: Model.InputPeer = { _tag: "InputPeerSelf" }) =>
        invoke("phone.joinGroupCall", { muted: false, videoStopped: true, call, joinAs, params })
      const joined = yield* A(join(json({ ssrc: 111 })))
      expect(joined.updates.map((u) => u._tag)).toEqual([
        "UpdateGroupCallParticipants",
        "UpdateGroupCallConnection"
      ])
      expect(yield* rpcError(B(join(json({ ssrc: 111 }))))).toEqual({
        code: 400,
        type: "GROUPCALL_SSRC_DUPLICATE_MUCH"
      })
      expect(
        yield* rpcError(
          B(
            invoke("phone.joinGroupCall", {
              muted: false,
              videoStopped: true,
              call,
              joinAs: { _tag: "InputPeerSelf" },
              params: new Model.DataJson({ data: "{" })
            })
          )
        )
      ).toEqual({ code: 400, type: "DATA_JSON_INVALID" })
      expect(yield* rpcError(B(join(json({ ssrc: 5 }), alice.inputPeer)))).toEqual({
        code: 400,
        type: "JOIN_AS_PEER_INVALID"
      })
      expect(yield* rpcError(C(join(json({ ssrc: 333 }))))).toEqual({
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })
      const wrong = new Model.InputGroupCall({ id: call.id, accessHash: call.accessHash + 1n })
      expect(yield* rpcError(B(invoke("phone.getGroupCall", { call: wrong, limit: 10 })))).toEqual({
        code: 400,
        type: "GROUPCALL_INVALID"
      })
      yield* B(join(json({ ssrc: 222 })))
      // Alice (already in the call) is pushed Bob's arrival
      const aliceLast = (yield* world.updatesOf(alice)).at(-1)
      expect(aliceLast?._tag === "UpdateGroupCallParticipants" && aliceLast.participants[0]?.source).toBe(222)

      // reading the call
      const got = yield* B(invoke("phone.getGroupCall", { call, limit: 1 }))
      expect(got.call._tag === "GroupCall" && got.call.participantsCount).toBe(2)
      expect(got.call._tag === "GroupCall" && got.call.title).toBe("Standup")
      expect(got.participants.length).toBe(1)
      expect(got.participantsNextOffset).toBe("1")
      const bySource = yield* A(
        invoke("phone.getGroupParticipants", { call, ids: [], sources: [222], offset: "", limit: 10 })
      )
      expect(bySource.count).toBe(1)
      expect(bySource.participants[0]?.peer).toEqual({ _tag: "PeerUser", userId: bob.id })
      expect(yield* B(invoke("phone.checkGroupCall", { call, sources: [222, 999] }))).toEqual([222])
      expect(yield* rpcError(C(invoke("phone.checkGroupCall", { call, sources: [1] })))).toEqual({
        code: 400,
        type: "GROUPCALL_JOIN_MISSING"
      })

      // editing participants
      const edit = (
        participant: Model.InputPeer,
        fields: Partial<RpcMethods.MethodParams<"phone.editGroupCallParticipant">>
      ) => invoke("phone.editGroupCallParticipant", { call, participant, ...fields })
      yield* A(edit(bob.inputPeer, { muted: true }))
      expect(yield* rpcError(B(edit({ _tag: "InputPeerSelf" }, { muted: false })))).toEqual({
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })
      expect(yield* rpcError(A(edit(bob.inputPeer, { volume: 0 })))).toEqual({
        code: 400,
        type: "USER_VOLUME_INVALID"
      })
      expect(yield* rpcError(A(edit(bob.inputPeer, { raiseHand: true })))).toEqual({
        code: 400,
        type: "RAISE_HAND_FORBIDDEN"
      })
      expect(yield* rpcError(A(edit(bob.inputPeer, { videoStopped: false })))).toEqual({
        code: 400,
        type: "VIDEO_STOP_FORBIDDEN"
      })
      expect(yield* rpcError(A(edit(bob.inputPeer, { videoPaused: true })))).toEqual({
        code: 400,
        type: "VIDEO_PAUSE_FORBIDDEN"
      })
      expect(yield* rpcError(A(edit(carol.inputPeer, { muted: true })))).toEqual({
        code: 400,
        type: "PARTICIPANT_JOIN_MISSING"
      })
      expect(
        yield* rpcError(A(edit({ _tag: "InputPeerUser", userId: 9n, accessHash: 9n }, { muted: true })))
      ).toEqual({ code: 400, type: "USER_ID_INVALID" })
      const raised = yield* B(edit({ _tag: "InputPeerSelf" }, { raiseHand: true }))
      const raisedPart = raised.updates[0]
      expect(
        raisedPart?._tag === "UpdateGroupCallParticipants" && raisedPart.participants[0]?.raiseHandRating
      ).toBeTypeOf("bigint")

      // title, settings, recording
      expect(yield* rpcError(B(invoke("phone.editGroupCallTitle", { call, title: "x" })))).toEqual({
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })
      yield* A(invoke("phone.editGroupCallTitle", { call, title: "Retro" }))
      yield* A(invoke("phone.toggleGroupCallSettings", { resetInviteHash: false, call, joinMuted: true }))
      expect(
        yield* rpcError(
          A(invoke("phone.toggleGroupCallSettings", { resetInviteHash: false, call, joinMuted: true }))
        )
      ).toEqual({ code: 400, type: "GROUPCALL_NOT_MODIFIED" })
      expect(
        yield* rpcError(B(invoke("phone.toggleGroupCallSettings", { resetInviteHash: true, call })))
      ).toEqual({ code: 403, type: "GROUPCALL_CHANGE_FORBIDDEN" })
      const rec = yield* A(invoke("phone.toggleGroupCallRecord", { start: true, video: false, call }))
      const recCall = rec.updates[0]
      expect(
        recCall?._tag === "UpdateGroupCall" &&
          recCall.call._tag === "GroupCall" &&
          recCall.call.recordStartDate
      ).toBeTypeOf("number")
      expect(
        yield* rpcError(A(invoke("phone.toggleGroupCallRecord", { start: true, video: false, call })))
      ).toEqual({ code: 400, type: "GROUPCALL_NOT_MODIFIED" })
      expect(
        yield* rpcError(B(invoke("phone.toggleGroupCallRecord", { start: false, video: false, call })))
      ).toEqual({ code: 403, type: "GROUPCALL_FORBIDDEN" })

      // invitations
      expect(
        yield* rpcError(A(invoke("phone.inviteToGroupCall", { call, users: [carol.inputUser] })))
      ).toEqual({ code: 403, type: "USER_NOT_PARTICIPANT" })
      const invited = yield* A(invoke("phone.inviteToGroupCall", { call, users: [dave.inputUser] }))
      expect(invited.users.map((u) => u.id)).toEqual([dave.id])
      expect(
        yield* rpcError(A(invoke("phone.inviteToGroupCall", { call, users: [dave.inputUser] })))
      ).toEqual({ code: 400, type: "USER_ALREADY_INVITED" })
      expect(
        yield* rpcError(A(invoke("phone.exportGroupCallInvite", { canSelfUnmute: false, call })))
      ).toEqual({ code: 403, type: "PUBLIC_CHANNEL_MISSING" })

      // screen sharing
      expect(
        yield* rpcError(C(invoke("phone.joinGroupCallPresentation", { call, params: json({ ssrc: 7 }) })))
      ).toEqual({ code: 403, type: "PARTICIPANT_JOIN_MISSING" })
      const presenting = yield* B(
        invoke("phone.joinGroupCallPresentation", { call, params: json({ ssrc: 444 }) })
      )
      expect(presenting.updates[0]).toMatchObject({ _tag: "UpdateGroupCallConnection", presentation: true })
      expect(yield* B(invoke("phone.checkGroupCall", { call, sources: [444] }))).toEqual([444])
      const stopped = yield* B(invoke("phone.leaveGroupCallPresentation", { call }))
      const stoppedPart = stopped.updates[0]
      expect(
        stoppedPart?._tag === "UpdateGroupCallParticipants" && stoppedPart.participants[0]?.presentation
      ).toBeUndefined()

      // streams
      const channels = yield* B(invoke("phone.getGroupCallStreamChannels", { call }))
      expect(channels.channels.length).toBe(1)
      expect(yield* rpcError(C(invoke("phone.getGroupCallStreamChannels", { call })))).toEqual({
        code: 400,
        type: "GROUPCALL_JOIN_MISSING"
      })
      const rtmp = yield* A(
        invoke("phone.getGroupCallStreamRtmpUrl", { liveStory: false, peer: team.inputPeer, revoke: false })
      )
      expect(rtmp.url.startsWith("rtmps://")).toBe(true)
      const revoked = yield* A(
        invoke("phone.getGroupCallStreamRtmpUrl", { liveStory: false, peer: team.inputPeer, revoke: true })
      )
      expect(Redacted.value(revoked.key)).not.toBe(Redacted.value(rtmp.key))
      expect(
        yield* rpcError(
          B(
            invoke("phone.getGroupCallStreamRtmpUrl", {
              liveStory: false,
              peer: team.inputPeer,
              revoke: false
            })
          )
        )
      ).toEqual({ code: 400, type: "CHAT_ADMIN_REQUIRED" })

      // join-as
      const joinAs = yield* A(invoke("phone.getGroupCallJoinAs", { peer: team.inputPeer }))
      expect(joinAs.peers).toEqual([
        { _tag: "PeerUser", userId: alice.id },
        { _tag: "PeerChannel", channelId: team.id },
        { _tag: "PeerChannel", channelId: news.id }
      ])
      const forged: Model.InputPeer = { _tag: "InputPeerChannel", channelId: news.id, accessHash: 1n }
      expect(yield* rpcError(A(invoke("phone.getGroupCallJoinAs", { peer: forged })))).toEqual({
        code: 400,
        type: "CHANNEL_INVALID"
      })
      expect(
        yield* A(invoke("phone.saveDefaultGroupCallJoinAs", { peer: team.inputPeer, joinAs: news.inputPeer }))
      ).toBe(true)
      expect(
        yield* rpcError(
          B(invoke("phone.saveDefaultGroupCallJoinAs", { peer: team.inputPeer, joinAs: news.inputPeer }))
        )
      ).toEqual({ code: 400, type: "JOIN_AS_PEER_INVALID" })
      expect(
        yield* rpcError(A(invoke("phone.toggleGroupCallStartSubscription", { call, subscribed: true })))
      ).toEqual({ code: 403, type: "GROUPCALL_ALREADY_STARTED" })

      // leaving and ending
      const left = yield* B(invoke("phone.leaveGroupCall", { call, source: 222 }))
      const leftPart = left.updates[0]
      expect(leftPart?._tag === "UpdateGroupCallParticipants" && leftPart.participants[0]?.left).toBe(true)
      expect((yield* world.groupCalls)[0]?.participants.map((p) => p.peerId)).toEqual([alice.id])
      expect(yield* rpcError(B(invoke("phone.discardGroupCall", { call })))).toEqual({
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })
      const ended = yield* A(invoke("phone.discardGroupCall", { call }))
      expect(ended.updates[0]).toMatchObject({
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCallDiscarded" }
      })
      expect(yield* rpcError(A(invoke("phone.discardGroupCall", { call })))).toEqual({
        code: 400,
        type: "GROUPCALL_ALREADY_DISCARDED"
      })
      expect(yield* rpcError(B(join(json({ ssrc: 1 }))))).toEqual({ code: 403, type: "GROUPCALL_FORBIDDEN" })
      yield* onlyDocumentedErrors(world, [
        "phone.createGroupCall: CHANNEL_PRIVATE",
        "phone.createGroupCall: CHAT_ADMIN_REQUIRED",
        "phone.createGroupCall: PEER_ID_INVALID",
        "phone.createGroupCall: SCHEDULE_DATE_INVALID",
        "phone.createGroupCall: CREATE_CALL_FAILED",
        "phone.joinGroupCall: GROUPCALL_SSRC_DUPLICATE_MUCH",
        "phone.joinGroupCall: DATA_JSON_INVALID",
        "phone.joinGroupCall: JOIN_AS_PEER_INVALID",
        "phone.joinGroupCall: GROUPCALL_FORBIDDEN",
        "phone.getGroupCall: GROUPCALL_INVALID",
        "phone.checkGroupCall: GROUPCALL_JOIN_MISSING",
        "phone.editGroupCallParticipant: GROUPCALL_FORBIDDEN",
        "phone.editGroupCallParticipant: USER_VOLUME_INVALID",
        "phone.editGroupCallParticipant: RAISE_HAND_FORBIDDEN",
        "phone.editGroupCallParticipant: VIDEO_STOP_FORBIDDEN",
        "phone.editGroupCallParticipant: VIDEO_PAUSE_FORBIDDEN",
        "phone.editGroupCallParticipant: PARTICIPANT_JOIN_MISSING",
        "phone.editGroupCallParticipant: USER_ID_INVALID",
        "phone.editGroupCallTitle: GROUPCALL_FORBIDDEN",
        "phone.toggleGroupCallSettings: GROUPCALL_NOT_MODIFIED",
        "phone.toggleGroupCallSettings: GROUPCALL_CHANGE_FORBIDDEN",
        "phone.toggleGroupCallRecord: GROUPCALL_NOT_MODIFIED",
        "phone.toggleGroupCallRecord: GROUPCALL_FORBIDDEN",
        "phone.inviteToGroupCall: USER_NOT_PARTICIPANT",
        "phone.inviteToGroupCall: USER_ALREADY_INVITED",
        "phone.exportGroupCallInvite: PUBLIC_CHANNEL_MISSING",
        "phone.joinGroupCallPresentation: PARTICIPANT_JOIN_MISSING",
        "phone.getGroupCallStreamChannels: GROUPCALL_JOIN_MISSING",
        "phone.getGroupCallStreamRtmpUrl: CHAT_ADMIN_REQUIRED",
        "phone.getGroupCallJoinAs: CHANNEL_INVALID",
        "phone.saveDefaultGroupCallJoinAs: JOIN_AS_PEER_INVALID",
        "phone.toggleGroupCallStartSubscription: GROUPCALL_ALREADY_STARTED",
        "phone.discardGroupCall: GROUPCALL_FORBIDDEN",
        "phone.discardGroupCall: GROUPCALL_ALREADY_DISCARDED"
      ])
    })
  )

  it.effect("a scheduled live stream in a public channel: subscribe, invite link, start", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const { world, alice, bob } = d
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
      const sub = yield* B(invoke("phone.toggleGroupCallStartSubscription", { call, subscribed: true }))
      expect(sub.updates[0]).toMatchObject({
        _tag: "UpdateGroupCall",
        call: { scheduleStartSubscribed: true, scheduleDate: inAnHour }
      })
      const link = yield* A(invoke("phone.exportGroupCallInvite", { canSelfUnmute: false, call }))
      expect(link.link).toMatch(/^https:\/\/t\.me\/news_feed\?livestream=[0-9a-f]+$/)
      // not joinable before it starts
      const join = invoke("phone.joinGroupCall", {
        muted: true,
        videoStopped: true,
        call,
        joinAs: { _tag: "InputPeerSelf" },
        params: json({})
      })
      expect(yield* rpcError(B(join))).toEqual({ code: 403, type: "GROUPCALL_FORBIDDEN" })
      expect(yield* rpcError(B(invoke("phone.startScheduledGroupCall", { call })))).toEqual({
        code: 400,
        type: "CHAT_ADMIN_REQUIRED"
      })
      const started = yield* A(invoke("phone.startScheduledGroupCall", { call }))
      expect(started.updates[0]).toMatchObject({
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCall", rtmpStream: true }
      })
      expect(yield* rpcError(A(invoke("phone.startScheduledGroupCall", { call })))).toEqual({
        code: 403,
        type: "GROUPCALL_ALREADY_STARTED"
      })
      yield* B(join)
      expect((yield* world.groupCalls)[0]?.participants.length).toBe(1)
      yield* onlyDocumentedErrors(world, [
        "phone.joinGroupCall: GROUPCALL_FORBIDDEN",
        "phone.startScheduledGroupCall: CHAT_ADMIN_REQUIRED",
        "phone.startScheduledGroupCall: GROUPCALL_ALREADY_STARTED"
      ])
    })
  )

  it.effect("1:1 extras: saveCallLog, and createConferenceCall creates a conference call", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      const peer = yield* ring(d)
      yield* as(d.world, d.bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
      yield* as(d.world, d.alice)(invoke("phone.confirmCall", { peer, gA, keyFingerprint: 1n, protocol }))
      const conf = yield* as(
        d.world,
        d.alice
      )(invoke("phone.createConferenceCall", { muted: false, videoStopped: false, join: false, randomId: 1 }))
      const update = conf.updates.find((u) => u._tag === "UpdateGroupCall")
      const created = (yield* d.world.groupCalls).at(-1)
      expect(created).toBeDefined()
      expect(update?._tag === "UpdateGroupCall" ? update.call : undefined).toMatchObject({
        _tag: "GroupCall",
        conference: true,
        creator: true,
        id: created?.id,
        accessHash: created?.accessHash
      })
      const file: Model.InputFile = { _tag: "InputFile", id: 1n, parts: 1, name: "log.txt", md5Checksum: "" }
      expect(yield* as(d.world, d.bob)(invoke("phone.saveCallLog", { peer, file }))).toBe(true)
      expect((yield* d.world.feedback).at(-1)).toEqual({
        _tag: "Log",
        callId: peer.id,
        userId: d.bob.id,
        file
      })
      expect((yield* d.world.groupCalls).length).toBe(1)
      yield* onlyDocumentedErrors(d.world, [])
    })
  )

  it.effect("every registry method has an implementation (none answers INPUT_METHOD_INVALID)", () =>
    Effect.gen(function* () {
      const d = yield* duo()
      // call every method with parameters that reach its handler; whatever it answers, it must
      // not be "method unknown"
      const dummyCall = new Model.InputGroupCall({ id: 1n, accessHash: 1n })
      const dummyPeer = new Model.InputPhoneCall({ id: 1n, accessHash: 1n })
      const params: { readonly [M in RpcMethods.MethodName]: RpcMethods.MethodParams<M> } = {
        "messages.getDhConfig": { version: 0, randomLength: 0 },
        "phone.getCallConfig": {},
        "phone.requestCall": requestParams(d.bob),
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
        "phone.getGroupCallStreamRtmpUrl": {
          liveStory: false,
          peer: { _tag: "InputPeerEmpty" },
          revoke: false
        },
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
      for (const method of RpcMethods.methodNames) {
        yield* Effect.result(as(d.world, d.alice)(invoke(method, params[method] as never)))
      }
      const answered: ReadonlyArray<TestTelegram.RecordedRequest> = yield* d.world.requests
      expect(answered.map((r) => r.method)).toEqual([...RpcMethods.methodNames])
      for (const r of answered) {
        if (r.outcome._tag === "Failure")
          expect([r.method, r.outcome.error]).not.toMatchObject([r.method, { type: "INPUT_METHOD_INVALID" }])
      }
    })
  )
})
