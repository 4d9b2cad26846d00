/**
 * Every `Phone.*` method (the 44 of the registry) called with valid input against a world where
 * it succeeds, asserting the shape of its result. Registered per backend by `backends.test.ts`.
 */
import { expect, it } from "@effect/vitest"
import { Model, Phone, RpcMethods } from "@tgphone/core"
import { Effect, Redacted } from "effect"
import { type Backend, gA, gAHash, gB, protocolInput, refOf, scene } from "../support-backend.js"

type MethodName = keyof typeof Phone.inputs

const groupCallOf = (updates: Model.Updates): Model.InputGroupCall => {
  const u = updates.updates.find((x) => x._tag === "UpdateGroupCall")
  if (u?._tag !== "UpdateGroupCall") throw new Error("no UpdateGroupCall in the result")
  return new Model.InputGroupCall({ id: u.call.id, accessHash: u.call.accessHash })
}

const nowSeconds = Effect.clockWith((clock) => clock.currentTimeMillis).pipe(
  Effect.map((ms) => Math.floor(ms / 1000))
)

/** Registers the method tests for one backend. */
export const methodsSuite = (backend: Backend): void => {
  const covered = new Set<MethodName>()
  const did = (method: MethodName) => Effect.sync(() => covered.add(method))

  it.live("1:1 methods: a whole call, feedback, conference, through Phone.*", () =>
    Effect.gen(function* () {
      const { world, alice, bob, as } = yield* scene(backend)
      const A = as(alice)
      const B = as(bob)

      const dh = yield* A(Phone.getDhConfig({ version: 0, randomLength: 256 }))
      expect(dh._tag).toBe("DhConfig")
      if (dh._tag === "DhConfig") {
        expect(dh.p.length).toBe(256)
        expect(dh.g).toBeGreaterThanOrEqual(2)
        expect(dh.random.length).toBe(256)
        const again = yield* A(Phone.getDhConfig({ version: dh.version, randomLength: 16 }))
        expect(again).toMatchObject({ _tag: "DhConfigNotModified" })
        expect(again.random.length).toBe(16)
      }
      yield* did("messages.getDhConfig")

      const config = yield* A(Phone.getCallConfig())
      expect(JSON.parse(config.data)).toMatchObject({ call_ring_timeout_ms: expect.any(Number) })
      yield* did("phone.getCallConfig")

      const requested = yield* A(
        Phone.requestCall({ userId: "@bob_b", randomId: 11, gAHash, protocol: protocolInput })
      )
      expect(requested.phoneCall).toMatchObject({
        _tag: "PhoneCallWaiting",
        adminId: alice.id,
        participantId: bob.id,
        video: false
      })
      expect(requested.users.map((u) => u.id).sort()).toEqual([alice.id, bob.id].sort())
      const peer = refOf(requested.phoneCall)
      yield* did("phone.requestCall")

      expect(yield* B(Phone.receivedCall({ peer }))).toBe(true)
      yield* did("phone.receivedCall")

      const accepted = yield* B(Phone.acceptCall({ peer, gB, protocol: protocolInput }))
      expect(accepted.phoneCall).toMatchObject({ _tag: "PhoneCallWaiting", id: peer.id })
      yield* did("phone.acceptCall")

      const confirmed = yield* A(
        Phone.confirmCall({ peer, gA, keyFingerprint: -1657149778470745933n, protocol: protocolInput })
      )
      expect(confirmed.phoneCall._tag).toBe("PhoneCall")
      if (confirmed.phoneCall._tag === "PhoneCall") {
        expect(confirmed.phoneCall.keyFingerprint).toBe(-1657149778470745933n)
        expect(confirmed.phoneCall.connections.length).toBeGreaterThan(0)
        expect(confirmed.phoneCall.protocol.libraryVersions).toEqual(["11.0.0"])
      }
      yield* did("phone.confirmCall")

      expect(yield* A(Phone.sendSignalingData({ peer, data: new Uint8Array([1, 2, 3]) }))).toBe(true)
      yield* did("phone.sendSignalingData")

      // layer 229's createConferenceCall: the in-memory world speaks it; GramJS (layer 198) does not
      const conference = yield* Effect.result(A(Phone.createConferenceCall({ randomId: 7 })))
      if (backend.name === "in-memory") {
        expect(conference._tag).toBe("Success")
        const update = conference._tag === "Success" ? conference.success.updates[0] : undefined
        expect(update).toMatchObject({
          _tag: "UpdateGroupCall",
          call: { _tag: "GroupCall", conference: true }
        })
        expect((yield* world.groupCalls).length).toBe(1)
      } else {
        expect(conference._tag === "Failure" && conference.failure).toMatchObject({
          _tag: "MethodNotInLayer",
          method: "phone.createConferenceCall",
          layer: 198,
          firstLayer: 229
        })
      }
      yield* did("phone.createConferenceCall")

      const hungUp = yield* B(Phone.discardCall({ peer, reason: "Hangup", duration: 12 }))
      expect(hungUp.updates).toEqual([
        {
          _tag: "UpdatePhoneCall",
          phoneCall: expect.objectContaining({
            _tag: "PhoneCallDiscarded",
            id: peer.id,
            reason: { _tag: "Hangup" },
            duration: 12
          })
        }
      ])
      yield* did("phone.discardCall")

      const rated = yield* A(Phone.setCallRating({ peer, rating: 4, comment: "fine" }))
      expect(rated).toBeInstanceOf(Model.Updates)
      yield* did("phone.setCallRating")

      expect(yield* B(Phone.saveCallDebug({ peer, debug: '{"loss":0.5}' }))).toBe(true)
      yield* did("phone.saveCallDebug")

      const file: Model.InputFile = {
        _tag: "InputFile",
        id: 77n,
        parts: 1,
        name: "call.log",
        md5Checksum: ""
      }
      expect(yield* A(Phone.saveCallLog({ peer, file }))).toBe(true)
      yield* did("phone.saveCallLog")

      expect(yield* world.feedback).toEqual([
        { _tag: "Signaling", callId: peer.id, fromUserId: alice.id, data: new Uint8Array([1, 2, 3]) },
        {
          _tag: "Rating",
          callId: peer.id,
          userId: alice.id,
          rating: 4,
          comment: "fine",
          userInitiative: false
        },
        { _tag: "Debug", callId: peer.id, userId: bob.id, json: { loss: 0.5 } },
        { _tag: "Log", callId: peer.id, userId: alice.id, file }
      ])
      expect((yield* world.call(peer.id)).pipe((o) => (o._tag === "Some" ? o.value.state : "none"))).toBe(
        "Discarded"
      )
      // each request reached the world exactly once (no retries, nothing lost on the wire)
      const sent = (yield* world.requests).filter((r) => RpcMethods.isMethodName(r.method))
      expect(sent.map((r) => `${r.method}:${r.outcome._tag}`)).toEqual(
        [
          "messages.getDhConfig",
          "messages.getDhConfig",
          "phone.getCallConfig",
          "phone.requestCall",
          "phone.receivedCall",
          "phone.acceptCall",
          "phone.confirmCall",
          "phone.sendSignalingData",
          // on layer 198 (GramJS over the loopback server) it fails before anything is sent
          ...(backend.name === "in-memory" ? ["phone.createConferenceCall"] : []),
          "phone.discardCall",
          "phone.setCallRating",
          "phone.saveCallDebug",
          "phone.saveCallLog"
        ].map((m) => `${m}:Success`)
      )
    })
  )

  it.live("group-call methods: a video chat in a supergroup, through Phone.*", () =>
    Effect.gen(function* () {
      const { world, alice, bob, carol, as } = yield* scene(backend)
      const A = as(alice)
      const B = as(bob)
      const team = yield* world.addChat({
        kind: "supergroup",
        title: "Team",
        creator: alice,
        members: [bob, carol]
      })

      const created = yield* A(Phone.createGroupCall({ peer: team.inputPeer, randomId: 1, title: "Standup" }))
      const call = groupCallOf(created)
      expect(created.updates[0]).toMatchObject({
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCall", title: "Standup", participantsCount: 0 }
      })
      expect(created.chats.map((c) => c.id)).toEqual([team.id])
      yield* did("phone.createGroupCall")

      const joinAs = yield* A(Phone.getGroupCallJoinAs({ peer: team.inputPeer }))
      expect(joinAs.peers).toContainEqual({ _tag: "PeerUser", userId: alice.id })
      expect(joinAs.peers).toContainEqual({ _tag: "PeerChannel", channelId: team.id })
      yield* did("phone.getGroupCallJoinAs")

      expect(
        yield* A(
          Phone.saveDefaultGroupCallJoinAs({ peer: team.inputPeer, joinAs: { _tag: "InputPeerSelf" } })
        )
      ).toBe(true)
      yield* did("phone.saveDefaultGroupCallJoinAs")

      const joined = yield* A(
        Phone.joinGroupCall({
          call,
          joinAs: { _tag: "InputPeerSelf" },
          params: '{"ssrc":111}',
          videoStopped: true
        })
      )
      expect(joined.updates.map((u) => u._tag)).toEqual([
        "UpdateGroupCallParticipants",
        "UpdateGroupCallConnection"
      ])
      yield* B(Phone.joinGroupCall({ call, joinAs: { _tag: "InputPeerSelf" }, params: '{"ssrc":222}' }))
      yield* did("phone.joinGroupCall")

      const got = yield* B(Phone.getGroupCall({ call, limit: 10 }))
      expect(got.call).toMatchObject({
        _tag: "GroupCall",
        id: call.id,
        participantsCount: 2,
        title: "Standup"
      })
      expect(got.participants.map((p) => p.source).sort()).toEqual([111, 222])
      yield* did("phone.getGroupCall")

      const participants = yield* A(Phone.getGroupParticipants({ call, sources: [222], limit: 10 }))
      expect(participants.count).toBe(1)
      expect(participants.participants[0]?.peer).toEqual({ _tag: "PeerUser", userId: bob.id })
      yield* did("phone.getGroupParticipants")

      expect(yield* B(Phone.checkGroupCall({ call, sources: [222, 999] }))).toEqual([222])
      yield* did("phone.checkGroupCall")

      const muted = yield* A(
        Phone.editGroupCallParticipant({ call, participant: bob.inputPeer, muted: true })
      )
      expect(muted.updates[0]).toMatchObject({
        _tag: "UpdateGroupCallParticipants",
        participants: [{ peer: { _tag: "PeerUser", userId: bob.id }, muted: true }]
      })
      yield* did("phone.editGroupCallParticipant")

      const titled = yield* A(Phone.editGroupCallTitle({ call, title: "Retro" }))
      expect(titled.updates[0]).toMatchObject({ _tag: "UpdateGroupCall", call: { title: "Retro" } })
      yield* did("phone.editGroupCallTitle")

      const settings = yield* A(Phone.toggleGroupCallSettings({ call, joinMuted: true }))
      expect(settings.updates[0]).toMatchObject({ _tag: "UpdateGroupCall", call: { joinMuted: true } })
      yield* did("phone.toggleGroupCallSettings")

      const recording = yield* A(Phone.toggleGroupCallRecord({ call, start: true, title: "rec" }))
      expect(recording.updates[0]).toMatchObject({
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCall", recordStartDate: expect.any(Number) }
      })
      expect((yield* world.groupCalls)[0]?.recording).toBe(true)
      yield* did("phone.toggleGroupCallRecord")

      const invited = yield* A(Phone.inviteToGroupCall({ call, users: ["@carol_c"] }))
      expect(invited.users.map((u) => u.id)).toContain(carol.id)
      expect((yield* world.groupCalls)[0]?.invited).toEqual([carol.id])
      yield* did("phone.inviteToGroupCall")

      const presenting = yield* B(Phone.joinGroupCallPresentation({ call, params: '{"ssrc":444}' }))
      expect(presenting.updates[0]).toMatchObject({ _tag: "UpdateGroupCallConnection", presentation: true })
      yield* did("phone.joinGroupCallPresentation")

      const stopped = yield* B(Phone.leaveGroupCallPresentation({ call }))
      expect(stopped.updates[0]?._tag).toBe("UpdateGroupCallParticipants")
      yield* did("phone.leaveGroupCallPresentation")

      const channels = yield* B(Phone.getGroupCallStreamChannels({ call }))
      expect(channels.channels.length).toBeGreaterThan(0)
      expect(channels.channels[0]).toMatchObject({
        channel: expect.any(Number),
        lastTimestampMs: expect.any(BigInt)
      })
      yield* did("phone.getGroupCallStreamChannels")

      const rtmp = yield* A(Phone.getGroupCallStreamRtmpUrl({ peer: team.inputPeer }))
      expect(rtmp.url.startsWith("rtmps://")).toBe(true)
      const revoked = yield* A(Phone.getGroupCallStreamRtmpUrl({ peer: team.inputPeer, revoke: true }))
      expect(Redacted.value(revoked.key)).not.toBe(Redacted.value(rtmp.key))
      yield* did("phone.getGroupCallStreamRtmpUrl")

      const left = yield* B(Phone.leaveGroupCall({ call, source: 222 }))
      expect(left.updates[0]).toMatchObject({
        _tag: "UpdateGroupCallParticipants",
        participants: [{ left: true, source: 222 }]
      })
      yield* did("phone.leaveGroupCall")

      const ended = yield* A(Phone.discardGroupCall({ call }))
      expect(ended.updates[0]).toMatchObject({
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCallDiscarded" }
      })
      expect((yield* world.groupCalls)[0]?.discarded).toBe(true)
      yield* did("phone.discardGroupCall")
    })
  )

  it.live("group-call methods: a scheduled live stream in a public channel, through Phone.*", () =>
    Effect.gen(function* () {
      const { world, alice, bob, as } = yield* scene(backend)
      const A = as(alice)
      const B = as(bob)
      const news = yield* world.addChat({
        kind: "channel",
        title: "News",
        creator: alice,
        members: [bob],
        username: "news_feed"
      })
      const inAnHour = (yield* nowSeconds) + 3600
      const call = groupCallOf(
        yield* A(
          Phone.createGroupCall({
            peer: news.inputPeer,
            randomId: 5,
            scheduleDate: inAnHour,
            rtmpStream: true
          })
        )
      )

      const subscribed = yield* B(Phone.toggleGroupCallStartSubscription({ call, subscribed: true }))
      expect(subscribed.updates[0]).toMatchObject({
        _tag: "UpdateGroupCall",
        call: { scheduleStartSubscribed: true, scheduleDate: inAnHour }
      })
      yield* did("phone.toggleGroupCallStartSubscription")

      const link = yield* A(Phone.exportGroupCallInvite({ call }))
      expect(link.link).toMatch(/^https:\/\/t\.me\/news_feed\?livestream=[0-9a-f]+$/)
      yield* did("phone.exportGroupCallInvite")

      const started = yield* A(Phone.startScheduledGroupCall({ call }))
      expect(started.updates[0]).toMatchObject({
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCall", rtmpStream: true }
      })
      const info = (yield* world.groupCalls)[0]
      expect(info?.scheduleDate).toBeUndefined()
      yield* did("phone.startScheduledGroupCall")
    })
  )

  it.live("conference calls and in-call messages (layer 229), through Phone.*", () =>
    Effect.gen(function* () {
      const { world, alice, bob, carol, as } = yield* scene(backend)
      const A = as(alice)
      const B = as(bob)
      const C = as(carol)
      const key = (n: number) => new Uint8Array(32).fill(n)
      const message = new Model.TextWithEntities({ text: "hello", entities: [] })
      if (backend.name !== "in-memory") {
        // a layer-198 backend fails each of them at once, sending nothing
        const call = new Model.InputGroupCall({ id: 1n, accessHash: 1n })
        const attempts: ReadonlyArray<readonly [MethodName, Effect.Effect<unknown, unknown>]> = [
          [
            "phone.inviteConferenceCallParticipant",
            A(Phone.inviteConferenceCallParticipant({ call, userId: bob.inputUser }))
          ],
          ["phone.declineConferenceCallInvite", A(Phone.declineConferenceCallInvite({ msgId: 1 }))],
          [
            "phone.deleteConferenceCallParticipants",
            A(Phone.deleteConferenceCallParticipants({ call, ids: [bob.id], block: new Uint8Array([1]) }))
          ],
          [
            "phone.sendConferenceCallBroadcast",
            A(Phone.sendConferenceCallBroadcast({ call, block: new Uint8Array([1]) }))
          ],
          [
            "phone.getGroupCallChainBlocks",
            A(Phone.getGroupCallChainBlocks({ call, subChainId: 0, offset: 0, limit: 10 }))
          ],
          ["phone.sendGroupCallMessage", A(Phone.sendGroupCallMessage({ call, randomId: 1n, message }))],
          [
            "phone.sendGroupCallEncryptedMessage",
            A(Phone.sendGroupCallEncryptedMessage({ call, encryptedMessage: new Uint8Array([1]) }))
          ],
          ["phone.deleteGroupCallMessages", A(Phone.deleteGroupCallMessages({ call, messages: [1] }))],
          [
            "phone.deleteGroupCallParticipantMessages",
            A(Phone.deleteGroupCallParticipantMessages({ call, participant: bob.inputPeer }))
          ],
          ["phone.getGroupCallStars", A(Phone.getGroupCallStars({ call }))],
          ["phone.saveDefaultSendAs", A(Phone.saveDefaultSendAs({ call, sendAs: { _tag: "InputPeerSelf" } }))]
        ]
        for (const [method, attempt] of attempts) {
          expect(yield* Effect.flip(attempt)).toMatchObject({ _tag: "MethodNotInLayer", method, layer: 198 })
          yield* did(method)
        }
        expect((yield* world.requests).filter((r) => RpcMethods.isMethodName(r.method))).toEqual([])
        return
      }

      const call = groupCallOf(
        yield* A(
          Phone.createConferenceCall({
            randomId: 3,
            join: true,
            publicKey: key(1),
            block: new Uint8Array([1]),
            params: JSON.stringify({ ssrc: 1 })
          })
        )
      )
      const conferenceOf = Effect.map(
        world.groupCalls,
        (all) => all.find((c) => c.id === call.id)?.conference
      )

      const invited = yield* A(Phone.inviteConferenceCallParticipant({ call, userId: "@bob_b", video: true }))
      expect(invited.users.map((u) => u.id)).toEqual([bob.id])
      yield* A(Phone.inviteConferenceCallParticipant({ call, userId: carol.inputUser }))
      expect((yield* conferenceOf)?.invites.map((i) => [i.userId, i.msgId, i.video, i.state])).toEqual([
        [bob.id, 1, true, "Pending"],
        [carol.id, 1, false, "Pending"]
      ])
      yield* did("phone.inviteConferenceCallParticipant")

      const declined = yield* C(Phone.declineConferenceCallInvite({ msgId: 1 }))
      expect(declined.users.map((u) => u.id)).toEqual([alice.id])
      expect((yield* conferenceOf)?.invites.map((i) => i.state)).toEqual(["Pending", "Declined"])
      yield* did("phone.declineConferenceCallInvite")

      yield* B(
        Phone.joinGroupCall({
          call,
          joinAs: { _tag: "InputPeerSelf" },
          params: JSON.stringify({ ssrc: 2 }),
          publicKey: key(2),
          block: new Uint8Array([2])
        })
      )
      const broadcast = yield* B(Phone.sendConferenceCallBroadcast({ call, block: new Uint8Array([9]) }))
      expect(broadcast.updates).toEqual([
        {
          _tag: "UpdateGroupCallChainBlocks",
          call,
          subChainId: 1,
          blocks: [new Uint8Array([9])],
          nextOffset: 1
        }
      ])
      yield* did("phone.sendConferenceCallBroadcast")

      const chain = yield* B(Phone.getGroupCallChainBlocks({ call, subChainId: 0, offset: 0, limit: 10 }))
      expect(chain.updates).toEqual([
        {
          _tag: "UpdateGroupCallChainBlocks",
          call,
          subChainId: 0,
          blocks: [new Uint8Array([1]), new Uint8Array([2])],
          nextOffset: 2
        }
      ])
      yield* did("phone.getGroupCallChainBlocks")

      expect(
        yield* A(Phone.sendGroupCallEncryptedMessage({ call, encryptedMessage: new Uint8Array([7]) }))
      ).toBe(true)
      expect((yield* world.updatesOf(bob)).at(-1)).toEqual({
        _tag: "UpdateGroupCallEncryptedMessage",
        call,
        fromId: { _tag: "PeerUser", userId: alice.id },
        encryptedMessage: new Uint8Array([7])
      })
      yield* did("phone.sendGroupCallEncryptedMessage")

      const sent = yield* B(Phone.sendGroupCallMessage({ call, randomId: 1n, message, allowPaidStars: 10n }))
      expect(sent.updates[0]).toMatchObject({
        _tag: "UpdateGroupCallMessage",
        message: { id: 1, fromId: { _tag: "PeerUser", userId: bob.id }, paidMessageStars: 10n }
      })
      yield* did("phone.sendGroupCallMessage")

      const stars = yield* A(Phone.getGroupCallStars({ call }))
      expect(stars.totalStars).toBe(10n)
      expect(stars.topDonors.map((d) => [d.peerId, d.stars])).toEqual([
        [{ _tag: "PeerUser", userId: bob.id }, 10n]
      ])
      yield* did("phone.getGroupCallStars")

      expect(yield* B(Phone.saveDefaultSendAs({ call, sendAs: { _tag: "InputPeerSelf" } }))).toBe(true)
      yield* did("phone.saveDefaultSendAs")

      const deleted = yield* B(Phone.deleteGroupCallMessages({ call, messages: [1] }))
      expect(deleted.updates).toEqual([{ _tag: "UpdateDeleteGroupCallMessages", call, messages: [1] }])
      yield* did("phone.deleteGroupCallMessages")

      yield* B(Phone.sendGroupCallMessage({ call, randomId: 2n, message }))
      const wiped = yield* A(Phone.deleteGroupCallParticipantMessages({ call, participant: bob.inputPeer }))
      expect(wiped.updates).toEqual([{ _tag: "UpdateDeleteGroupCallMessages", call, messages: [2] }])
      yield* did("phone.deleteGroupCallParticipantMessages")

      const kicked = yield* A(
        Phone.deleteConferenceCallParticipants({
          call,
          ids: [bob.id],
          block: new Uint8Array([3]),
          kick: true
        })
      )
      expect(kicked.updates.map((u) => u._tag)).toEqual([
        "UpdateGroupCallParticipants",
        "UpdateGroupCallChainBlocks"
      ])
      expect((yield* conferenceOf)?.kicked).toEqual([bob.id])
      yield* did("phone.deleteConferenceCallParticipants")
    })
  )

  it("covers every Phone method", () => {
    expect([...covered].sort()).toEqual(Object.keys(Phone.inputs).sort())
    expect(covered.size).toBe(44)
  })
}
