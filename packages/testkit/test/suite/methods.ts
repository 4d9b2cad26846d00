/**
 * Every `Phone.*` method (the 44 of the registry) called with valid input against a world where
 * it succeeds, asserting the shape of its result. Registered per backend by `backends.test.ts`.
 */
import { assert, it } from "@effect/vitest"
import { Model, Phone, RpcMethods, TelegramRpc } from "@tgphone/core"
import { Effect, Redacted } from "effect"
import { assertMatches } from "../../../../test-support/assert.js"
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
      assert.strictEqual(dh._tag, "DhConfig")
      if (dh._tag === "DhConfig") {
        assert.strictEqual(dh.p.length, 256)
        assert.strictEqual(dh.g, 3) // the generator the world pairs with its prime
        assert.strictEqual(dh.random.length, 256)
        const again = yield* A(Phone.getDhConfig({ version: dh.version, randomLength: 16 }))
        assert.strictEqual(again._tag, "DhConfigNotModified")
        assert.strictEqual(again.random.length, 16)
      }
      yield* did("messages.getDhConfig")

      const config = yield* A(Phone.getCallConfig())
      assert.strictEqual(JSON.parse(config.data).call_ring_timeout_ms, 90_000) // the default
      yield* did("phone.getCallConfig")

      const requested = yield* A(
        Phone.requestCall({ userId: "@bob_b", randomId: 11, gAHash, protocol: protocolInput })
      )
      assertMatches(requested.phoneCall, {
        _tag: "PhoneCallWaiting",
        adminId: alice.id,
        participantId: bob.id,
        video: false
      })
      assert.deepStrictEqual(requested.users.map((u) => u.id).sort(), [alice.id, bob.id].sort())
      const peer = refOf(requested.phoneCall)
      yield* did("phone.requestCall")

      assert.isTrue(yield* B(Phone.receivedCall({ peer })))
      yield* did("phone.receivedCall")

      const accepted = yield* B(Phone.acceptCall({ peer, gB, protocol: protocolInput }))
      assertMatches(accepted.phoneCall, { _tag: "PhoneCallWaiting", id: peer.id })
      yield* did("phone.acceptCall")

      const confirmed = yield* A(
        Phone.confirmCall({ peer, gA, keyFingerprint: -1657149778470745933n, protocol: protocolInput })
      )
      assert.strictEqual(confirmed.phoneCall._tag, "PhoneCall")
      if (confirmed.phoneCall._tag === "PhoneCall") {
        assert.strictEqual(confirmed.phoneCall.keyFingerprint, -1657149778470745933n)
        // a reflector, and a STUN server since P2P is allowed
        assert.deepStrictEqual(
          confirmed.phoneCall.connections.map((c) => c._tag),
          ["PhoneConnection", "PhoneConnectionWebrtc"]
        )
        assert.deepStrictEqual(confirmed.phoneCall.protocol.libraryVersions, ["11.0.0"])
      }
      yield* did("phone.confirmCall")

      assert.isTrue(yield* A(Phone.sendSignalingData({ peer, data: new Uint8Array([1, 2, 3]) })))
      yield* did("phone.sendSignalingData")

      // layer 229's createConferenceCall: a backend on layer 229 (the in-memory world, Teleproto)
      // speaks it; one on layer 198 (GramJS) fails it at once, sending nothing
      const layer = yield* A(TelegramRpc.TelegramRpc.use((rpc) => Effect.succeed(rpc.layer)))
      const hasConference = RpcMethods.isInLayer("phone.createConferenceCall", layer)
      const conference = yield* Effect.result(A(Phone.createConferenceCall({ randomId: 7 })))
      if (hasConference) {
        assert.strictEqual(conference._tag, "Success")
        const update = conference._tag === "Success" ? conference.success.updates[0] : undefined
        assertMatches(update, {
          _tag: "UpdateGroupCall",
          call: { _tag: "GroupCall", conference: true }
        })
        assert.strictEqual((yield* world.groupCalls).length, 1)
      } else {
        assertMatches(conference._tag === "Failure" && conference.failure, {
          _tag: "MethodNotInLayer",
          method: "phone.createConferenceCall",
          layer,
          firstLayer: RpcMethods.RpcMethods["phone.createConferenceCall"].firstLayer
        })
      }
      yield* did("phone.createConferenceCall")

      const hungUp = yield* B(Phone.discardCall({ peer, reason: "Hangup", duration: 12 }))
      assertMatches(hungUp.updates, [
        {
          _tag: "UpdatePhoneCall",
          phoneCall: { _tag: "PhoneCallDiscarded", id: peer.id, reason: { _tag: "Hangup" }, duration: 12 }
        }
      ])
      assert.deepStrictEqual(Object.keys(hungUp.updates[0]!).sort(), ["_tag", "phoneCall"])
      yield* did("phone.discardCall")

      const rated = yield* A(Phone.setCallRating({ peer, rating: 4, comment: "fine" }))
      assert.instanceOf(rated, Model.Updates)
      yield* did("phone.setCallRating")

      assert.isTrue(yield* B(Phone.saveCallDebug({ peer, debug: '{"loss":0.5}' })))
      yield* did("phone.saveCallDebug")

      const file: Model.InputFile = {
        _tag: "InputFile",
        id: 77n,
        parts: 1,
        name: "call.log",
        md5Checksum: ""
      }
      assert.isTrue(yield* A(Phone.saveCallLog({ peer, file })))
      yield* did("phone.saveCallLog")

      assert.deepStrictEqual(yield* world.feedback, [
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
      assert.strictEqual(
        (yield* world.call(peer.id)).pipe((o) => (o._tag === "Some" ? o.value.state : "none")),
        "Discarded"
      )
      // each request reached the world exactly once (no retries, nothing lost on the wire)
      const sent = (yield* world.requests).filter((r) => RpcMethods.isMethodName(r.method))
      assert.deepStrictEqual(
        sent.map((r) => `${r.method}:${r.outcome._tag}`),
        [
          "messages.getDhConfig",
          "messages.getDhConfig",
          "phone.getCallConfig",
          "phone.requestCall",
          "phone.receivedCall",
          "phone.acceptCall",
          "phone.confirmCall",
          "phone.sendSignalingData",
          // on a layer without it (GramJS: 198) it fails before anything is sent
          ...(hasConference ? ["phone.createConferenceCall"] : []),
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
      assertMatches(created.updates[0], {
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCall", title: "Standup", participantsCount: 0 }
      })
      assert.deepStrictEqual(
        created.chats.map((c) => c.id),
        [team.id]
      )
      yield* did("phone.createGroupCall")

      const joinAs = yield* A(Phone.getGroupCallJoinAs({ peer: team.inputPeer }))
      assert.deepInclude(joinAs.peers, { _tag: "PeerUser", userId: alice.id })
      assert.deepInclude(joinAs.peers, { _tag: "PeerChannel", channelId: team.id })
      yield* did("phone.getGroupCallJoinAs")

      assert.isTrue(
        yield* A(
          Phone.saveDefaultGroupCallJoinAs({ peer: team.inputPeer, joinAs: { _tag: "InputPeerSelf" } })
        )
      )
      yield* did("phone.saveDefaultGroupCallJoinAs")

      const joined = yield* A(
        Phone.joinGroupCall({
          call,
          joinAs: { _tag: "InputPeerSelf" },
          params: '{"ssrc":111}',
          videoStopped: true
        })
      )
      assert.deepStrictEqual(
        joined.updates.map((u) => u._tag),
        ["UpdateGroupCallParticipants", "UpdateGroupCallConnection"]
      )
      yield* B(Phone.joinGroupCall({ call, joinAs: { _tag: "InputPeerSelf" }, params: '{"ssrc":222}' }))
      yield* did("phone.joinGroupCall")

      const got = yield* B(Phone.getGroupCall({ call, limit: 10 }))
      assertMatches(got.call, {
        _tag: "GroupCall",
        id: call.id,
        participantsCount: 2,
        title: "Standup"
      })
      assert.deepStrictEqual(got.participants.map((p) => p.source).sort(), [111, 222])
      yield* did("phone.getGroupCall")

      const participants = yield* A(Phone.getGroupParticipants({ call, sources: [222], limit: 10 }))
      assert.strictEqual(participants.count, 1)
      assert.deepStrictEqual(participants.participants[0]?.peer, { _tag: "PeerUser", userId: bob.id })
      yield* did("phone.getGroupParticipants")

      assert.deepStrictEqual(yield* B(Phone.checkGroupCall({ call, sources: [222, 999] })), [222])
      yield* did("phone.checkGroupCall")

      const muted = yield* A(
        Phone.editGroupCallParticipant({ call, participant: bob.inputPeer, muted: true })
      )
      assertMatches(muted.updates[0], {
        _tag: "UpdateGroupCallParticipants",
        participants: [{ peer: { _tag: "PeerUser", userId: bob.id }, muted: true }]
      })
      yield* did("phone.editGroupCallParticipant")

      const titled = yield* A(Phone.editGroupCallTitle({ call, title: "Retro" }))
      assertMatches(titled.updates[0], { _tag: "UpdateGroupCall", call: { title: "Retro" } })
      yield* did("phone.editGroupCallTitle")

      const settings = yield* A(Phone.toggleGroupCallSettings({ call, joinMuted: true }))
      assertMatches(settings.updates[0], { _tag: "UpdateGroupCall", call: { joinMuted: true } })
      yield* did("phone.toggleGroupCallSettings")

      const before = yield* nowSeconds
      const recording = yield* A(Phone.toggleGroupCallRecord({ call, start: true, title: "rec" }))
      const after = yield* nowSeconds
      assertMatches(recording.updates[0], { _tag: "UpdateGroupCall", call: { _tag: "GroupCall" } })
      const recorded = recording.updates[0]
      const startDate =
        recorded?._tag === "UpdateGroupCall" && recorded.call._tag === "GroupCall"
          ? recorded.call.recordStartDate
          : undefined
      // started now (this test runs on the real clock)
      assert.isAtLeast(startDate ?? -1, before)
      assert.isAtMost(startDate ?? -1, after)
      assert.isTrue((yield* world.groupCalls)[0]?.recording)
      yield* did("phone.toggleGroupCallRecord")

      const invited = yield* A(Phone.inviteToGroupCall({ call, users: ["@carol_c"] }))
      assert.include(
        invited.users.map((u) => u.id),
        carol.id
      )
      assert.deepStrictEqual((yield* world.groupCalls)[0]?.invited, [carol.id])
      yield* did("phone.inviteToGroupCall")

      const presenting = yield* B(Phone.joinGroupCallPresentation({ call, params: '{"ssrc":444}' }))
      assertMatches(presenting.updates[0], { _tag: "UpdateGroupCallConnection", presentation: true })
      yield* did("phone.joinGroupCallPresentation")

      const stopped = yield* B(Phone.leaveGroupCallPresentation({ call }))
      assert.strictEqual(stopped.updates[0]?._tag, "UpdateGroupCallParticipants")
      yield* did("phone.leaveGroupCallPresentation")

      const channels = yield* B(Phone.getGroupCallStreamChannels({ call }))
      assert.deepStrictEqual(
        channels.channels.map((c) => [c.channel, c.scale, typeof c.lastTimestampMs]),
        [[1, 0, "bigint"]]
      )
      yield* did("phone.getGroupCallStreamChannels")

      const rtmp = yield* A(Phone.getGroupCallStreamRtmpUrl({ peer: team.inputPeer }))
      assert.isTrue(rtmp.url.startsWith("rtmps://"))
      const revoked = yield* A(Phone.getGroupCallStreamRtmpUrl({ peer: team.inputPeer, revoke: true }))
      assert.notStrictEqual(Redacted.value(revoked.key), Redacted.value(rtmp.key))
      yield* did("phone.getGroupCallStreamRtmpUrl")

      const left = yield* B(Phone.leaveGroupCall({ call, source: 222 }))
      assertMatches(left.updates[0], {
        _tag: "UpdateGroupCallParticipants",
        participants: [{ left: true, source: 222 }]
      })
      yield* did("phone.leaveGroupCall")

      const ended = yield* A(Phone.discardGroupCall({ call }))
      assertMatches(ended.updates[0], {
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCallDiscarded" }
      })
      assert.isTrue((yield* world.groupCalls)[0]?.discarded)
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
      assertMatches(subscribed.updates[0], {
        _tag: "UpdateGroupCall",
        call: { scheduleStartSubscribed: true, scheduleDate: inAnHour }
      })
      yield* did("phone.toggleGroupCallStartSubscription")

      const link = yield* A(Phone.exportGroupCallInvite({ call }))
      assert.match(link.link, /^https:\/\/t\.me\/news_feed\?livestream=[0-9a-f]+$/)
      yield* did("phone.exportGroupCallInvite")

      const started = yield* A(Phone.startScheduledGroupCall({ call }))
      assertMatches(started.updates[0], {
        _tag: "UpdateGroupCall",
        call: { _tag: "GroupCall", rtmpStream: true }
      })
      const info = (yield* world.groupCalls)[0]
      assert.isUndefined(info?.scheduleDate)
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
      const layer = yield* A(TelegramRpc.TelegramRpc.use((rpc) => Effect.succeed(rpc.layer)))
      if (!RpcMethods.isInLayer("phone.sendGroupCallMessage", layer)) {
        // a backend on a layer without them (GramJS: 198) fails each of them at once, sending nothing
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
          assertMatches(yield* Effect.flip(attempt), { _tag: "MethodNotInLayer", method, layer })
          yield* did(method)
        }
        assert.deepStrictEqual(
          (yield* world.requests).filter((r) => RpcMethods.isMethodName(r.method)),
          []
        )
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
      assert.deepStrictEqual(
        invited.users.map((u) => u.id),
        [bob.id]
      )
      yield* A(Phone.inviteConferenceCallParticipant({ call, userId: carol.inputUser }))
      assert.deepStrictEqual(
        (yield* conferenceOf)?.invites.map((i) => [i.userId, i.msgId, i.video, i.state]),
        [
          [bob.id, 1, true, "Pending"],
          [carol.id, 1, false, "Pending"]
        ]
      )
      yield* did("phone.inviteConferenceCallParticipant")

      const declined = yield* C(Phone.declineConferenceCallInvite({ msgId: 1 }))
      assert.deepStrictEqual(
        declined.users.map((u) => u.id),
        [alice.id]
      )
      assert.deepStrictEqual(
        (yield* conferenceOf)?.invites.map((i) => i.state),
        ["Pending", "Declined"]
      )
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
      assert.deepStrictEqual(broadcast.updates, [
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
      assert.deepStrictEqual(chain.updates, [
        {
          _tag: "UpdateGroupCallChainBlocks",
          call,
          subChainId: 0,
          blocks: [new Uint8Array([1]), new Uint8Array([2])],
          nextOffset: 2
        }
      ])
      yield* did("phone.getGroupCallChainBlocks")

      assert.strictEqual(
        yield* A(Phone.sendGroupCallEncryptedMessage({ call, encryptedMessage: new Uint8Array([7]) })),
        true
      )
      assert.deepStrictEqual((yield* world.updatesOf(bob)).at(-1), {
        _tag: "UpdateGroupCallEncryptedMessage",
        call,
        fromId: { _tag: "PeerUser", userId: alice.id },
        encryptedMessage: new Uint8Array([7])
      })
      yield* did("phone.sendGroupCallEncryptedMessage")

      const sent = yield* B(Phone.sendGroupCallMessage({ call, randomId: 1n, message, allowPaidStars: 10n }))
      assertMatches(sent.updates[0], {
        _tag: "UpdateGroupCallMessage",
        message: { id: 1, fromId: { _tag: "PeerUser", userId: bob.id }, paidMessageStars: 10n }
      })
      yield* did("phone.sendGroupCallMessage")

      const stars = yield* A(Phone.getGroupCallStars({ call }))
      assert.strictEqual(stars.totalStars, 10n)
      assert.deepStrictEqual(
        stars.topDonors.map((d) => [d.peerId, d.stars]),
        [[{ _tag: "PeerUser", userId: bob.id }, 10n]]
      )
      yield* did("phone.getGroupCallStars")

      assert.strictEqual(yield* B(Phone.saveDefaultSendAs({ call, sendAs: { _tag: "InputPeerSelf" } })), true)
      yield* did("phone.saveDefaultSendAs")

      const deleted = yield* B(Phone.deleteGroupCallMessages({ call, messages: [1] }))
      assert.deepStrictEqual(deleted.updates, [
        { _tag: "UpdateDeleteGroupCallMessages", call, messages: [1] }
      ])
      yield* did("phone.deleteGroupCallMessages")

      yield* B(Phone.sendGroupCallMessage({ call, randomId: 2n, message }))
      const wiped = yield* A(Phone.deleteGroupCallParticipantMessages({ call, participant: bob.inputPeer }))
      assert.deepStrictEqual(wiped.updates, [{ _tag: "UpdateDeleteGroupCallMessages", call, messages: [2] }])
      yield* did("phone.deleteGroupCallParticipantMessages")

      const kicked = yield* A(
        Phone.deleteConferenceCallParticipants({
          call,
          ids: [bob.id],
          block: new Uint8Array([3]),
          kick: true
        })
      )
      assert.deepStrictEqual(
        kicked.updates.map((u) => u._tag),
        ["UpdateGroupCallParticipants", "UpdateGroupCallChainBlocks"]
      )
      assert.deepStrictEqual((yield* conferenceOf)?.kicked, [bob.id])
      yield* did("phone.deleteConferenceCallParticipants")
    })
  )

  it("covers every Phone method", () => {
    assert.deepStrictEqual([...covered].sort(), Object.keys(Phone.inputs).sort())
    assert.strictEqual(covered.size, 44)
  })
}
