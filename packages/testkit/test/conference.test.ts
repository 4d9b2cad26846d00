/**
 * Conference calls (layer 202 on): create, invite, decline, join, list participants, leave, the
 * E2E chain blocks the world stores and relays opaquely, removing participants, and a 1:1 call
 * the peer moves into a conference. Each documented error arises from its situation; the world's
 * few undocumented answers are the ones docs/testing.md lists.
 */
import { assert, describe, it } from "@effect/vitest"
import { Model, type RpcMethods } from "@tgphone/core"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import type * as TestTelegram from "../src/TestTelegram.js"
import { as, assertDocumentedErrors, duo, gA, gB, invoke, protocol, ring, rpcError } from "./support.js"

const json = (value: unknown) => new Model.DataJson({ data: JSON.stringify(value) })
const key = (n: number) => new Uint8Array(32).fill(n)
const block = (...bytes: ReadonlyArray<number>) => new Uint8Array(bytes)

/** The undocumented answers the world gives on purpose (docs/testing.md). */
const extras: Partial<Record<RpcMethods.MethodName, ReadonlyArray<string>>> = {
  "phone.createConferenceCall": ["DATA_JSON_INVALID", "PUBLIC_KEY_INVALID"],
  "phone.inviteConferenceCallParticipant": ["USER_ID_INVALID"],
  "phone.deleteConferenceCallParticipants": ["GROUPCALL_FORBIDDEN"]
}

/** {@link assertDocumentedErrors} with this file's extras. */
const onlyDocumentedErrors = (world: TestTelegram.Service, expected: ReadonlyArray<string>) =>
  assertDocumentedErrors(world, expected, extras)

const tags = (updates: ReadonlyArray<Model.Update>) => updates.map((u) => u._tag)

/** The conference a result's `UpdateGroupCall` names. */
const conferenceOf = (updates: Model.Updates) =>
  Effect.gen(function* () {
    const u = updates.updates.find((x) => x._tag === "UpdateGroupCall")
    assert.strictEqual(u?._tag, "UpdateGroupCall")
    if (u?._tag !== "UpdateGroupCall") return yield* Effect.die("no UpdateGroupCall")
    return new Model.InputGroupCall({ id: u.call.id, accessHash: u.call.accessHash })
  })

const theGroupCall = (world: TestTelegram.Service, call: Model.InputGroupCall) =>
  Effect.map(world.groupCalls, (all) => {
    const found = all.find((c) => c.id === call.id)
    assert.isDefined(found)
    return found!
  })

const create = (
  randomId: number,
  options: { readonly join: boolean; readonly ssrc?: number } = { join: true }
) =>
  invoke("phone.createConferenceCall", {
    muted: false,
    videoStopped: true,
    join: options.join,
    randomId,
    ...(options.join
      ? { publicKey: key(randomId), block: block(0, randomId), params: json({ ssrc: options.ssrc ?? 100 }) }
      : {})
  })

const join = (call: Model.InputGroupCall, n: number, extra: { readonly publicKey?: boolean } = {}) =>
  invoke("phone.joinGroupCall", {
    muted: false,
    videoStopped: true,
    call,
    joinAs: { _tag: "InputPeerSelf" },
    params: json({ ssrc: 100 + n }),
    ...(extra.publicKey === false ? {} : { publicKey: key(n), block: block(1, n) })
  })

const invite = (call: Model.InputGroupCall, user: TestTelegram.TestUser, video = false) =>
  invoke("phone.inviteConferenceCallParticipant", { video, call, userId: user.inputUser })

describe("TestTelegram conference calls", () => {
  it.effect("createConferenceCall: a conference its creator joins, with the first chain block stored", () =>
    Effect.gen(function* () {
      const { world, alice } = yield* duo()
      const A = as(world, alice)
      const created = yield* A(create(7, { join: true, ssrc: 11 }))
      assert.deepStrictEqual(tags(created.updates), [
        "UpdateGroupCall",
        "UpdateGroupCallParticipants",
        "UpdateGroupCallConnection"
      ])
      const call = yield* conferenceOf(created)
      const info = yield* theGroupCall(world, call)
      assert.isDefined(info.conference)
      const slug = info.conference!.slug
      assert.match(slug, /^[A-Za-z0-9]{16}$/)
      const u = created.updates[0]!
      assert.strictEqual(u._tag === "UpdateGroupCall" ? u.call._tag : u._tag, "GroupCall")
      if (u._tag === "UpdateGroupCall" && u.call._tag === "GroupCall") {
        assert.isFalse(u.liveStory)
        assert.isUndefined(u.peer)
        assert.isTrue(u.call.conference)
        assert.isTrue(u.call.creator)
        assert.isTrue(u.call.canChangeMessagesEnabled)
        assert.strictEqual(u.call.inviteLink, `https://t.me/call/${slug}`)
        assert.strictEqual(u.call.participantsCount, 1)
      }
      assert.strictEqual(info.chatId, 0n)
      assert.deepStrictEqual(info.participants, [{ peerId: alice.id, source: 11, muted: false }])
      assert.deepStrictEqual(info.conference!.chainBlocks, [{ subChainId: 0, blocks: [block(0, 7)] }])
      assert.deepStrictEqual(info.conference!.invites, [])

      // the same random_id again is the same conference
      const again = yield* A(create(7, { join: true, ssrc: 11 }))
      assert.deepStrictEqual(yield* conferenceOf(again), call)
      assert.strictEqual((yield* world.groupCalls).length, 1)

      // without join: a conference nobody is in yet
      const empty = yield* A(create(8, { join: false }))
      assert.deepStrictEqual(tags(empty.updates), ["UpdateGroupCall"])
      assert.deepStrictEqual((yield* theGroupCall(world, yield* conferenceOf(empty))).participants, [])

      // a join that cannot succeed creates nothing
      assert.deepStrictEqual(
        yield* rpcError(
          A(
            invoke("phone.createConferenceCall", {
              muted: false,
              videoStopped: true,
              join: true,
              randomId: 9,
              publicKey: key(9),
              block: block(0, 9),
              params: new Model.DataJson({ data: "{not json" })
            })
          )
        ),
        { code: 400, type: "DATA_JSON_INVALID" }
      )
      assert.deepStrictEqual(
        yield* rpcError(
          A(
            invoke("phone.createConferenceCall", {
              muted: false,
              videoStopped: true,
              join: true,
              randomId: 10,
              params: json({})
            })
          )
        ),
        { code: 400, type: "PUBLIC_KEY_INVALID" }
      )
      assert.strictEqual((yield* world.groupCalls).length, 2)
      yield* onlyDocumentedErrors(world, [
        "phone.createConferenceCall: DATA_JSON_INVALID",
        "phone.createConferenceCall: PUBLIC_KEY_INVALID"
      ])
    })
  )

  it.effect("invite, decline, join, list participants and leave", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const carol = yield* world.addUser({ firstName: "Carol" })
      const dave = yield* world.addUser({ firstName: "Dave" })
      const bot = yield* world.addUser({ firstName: "Robo", bot: true })
      const team = yield* world.addChat({ kind: "supergroup", title: "Team", creator: alice })
      const A = as(world, alice)
      const B = as(world, bob)
      const C = as(world, carol)
      const call = yield* conferenceOf(yield* A(create(1)))
      const wrongHash = new Model.InputGroupCall({ id: call.id, accessHash: call.accessHash + 1n })
      const videoChat = yield* conferenceOf(
        yield* A(invoke("phone.createGroupCall", { rtmpStream: false, peer: team.inputPeer, randomId: 1 }))
      )

      // nobody joins a conference uninvited
      assert.deepStrictEqual(yield* rpcError(B(join(call, 2))), { code: 403, type: "GROUPCALL_FORBIDDEN" })

      // inviteConferenceCallParticipant: GROUPCALL_INVALID unless a live conference the inviter is in
      const invalid = { code: 400, type: "GROUPCALL_INVALID" }
      assert.deepStrictEqual(yield* rpcError(A(invite(wrongHash, bob))), invalid)
      assert.deepStrictEqual(yield* rpcError(A(invite(videoChat, bob))), invalid)
      assert.deepStrictEqual(yield* rpcError(C(invite(call, bob))), invalid)
      assert.deepStrictEqual(yield* rpcError(A(invite(call, bot))), { code: 400, type: "USER_ID_INVALID" })
      assert.deepStrictEqual(yield* rpcError(A(invite(call, alice))), { code: 400, type: "USER_ID_INVALID" })

      const invited = yield* A(invite(call, bob, true))
      assert.deepStrictEqual(tags(invited.updates), [])
      assert.deepStrictEqual(
        invited.users.map((u) => u.id),
        [bob.id]
      )
      // the invitee's client learns the call
      const bobSaw = yield* world.updatesOf(bob)
      assert.deepStrictEqual(tags(bobSaw), ["UpdateGroupCall"])
      const seen = bobSaw[0]!
      assert.strictEqual(seen._tag === "UpdateGroupCall" ? seen.call._tag : seen._tag, "GroupCall")
      if (seen._tag === "UpdateGroupCall" && seen.call._tag === "GroupCall") {
        assert.strictEqual(seen.call.id, call.id)
        assert.isFalse(seen.call.creator)
      }
      yield* A(invite(call, carol))
      yield* A(invite(call, dave))
      assert.deepStrictEqual((yield* theGroupCall(world, call)).conference!.invites, [
        { userId: bob.id, inviterId: alice.id, msgId: 1, video: true, state: "Pending" },
        { userId: carol.id, inviterId: alice.id, msgId: 1, video: false, state: "Pending" },
        { userId: dave.id, inviterId: alice.id, msgId: 1, video: false, state: "Pending" }
      ])

      // declineConferenceCallInvite: MESSAGE_ID_INVALID unless a pending invitation to the caller
      const declined = yield* C(invoke("phone.declineConferenceCallInvite", { msgId: 1 }))
      assert.deepStrictEqual(
        declined.users.map((u) => u.id),
        [alice.id]
      )
      const noMessage = { code: 400, type: "MESSAGE_ID_INVALID" }
      assert.deepStrictEqual(
        yield* rpcError(C(invoke("phone.declineConferenceCallInvite", { msgId: 1 }))),
        noMessage
      )
      assert.deepStrictEqual(
        yield* rpcError(C(invoke("phone.declineConferenceCallInvite", { msgId: 99 }))),
        noMessage
      )
      assert.deepStrictEqual(
        yield* rpcError(B(invoke("phone.declineConferenceCallInvite", { msgId: 2 }))),
        noMessage
      )
      assert.deepStrictEqual(
        yield* rpcError(as(world, alice)(invoke("phone.declineConferenceCallInvite", { msgId: 1 }))),
        noMessage
      )
      // who declined does not join
      assert.deepStrictEqual(yield* rpcError(C(join(call, 3))), { code: 403, type: "GROUPCALL_FORBIDDEN" })

      // a conference member needs an E2E key
      assert.deepStrictEqual(yield* rpcError(B(join(call, 2, { publicKey: false }))), {
        code: 400,
        type: "PUBLIC_KEY_INVALID"
      })
      const aliceBefore = (yield* world.updatesOf(alice)).length
      const joined = yield* B(join(call, 2))
      assert.deepStrictEqual(tags(joined.updates), [
        "UpdateGroupCallParticipants",
        "UpdateGroupCallConnection"
      ])
      const pushed = (yield* world.updatesOf(alice)).slice(aliceBefore)
      assert.deepStrictEqual(pushed, [
        pushed[0]!,
        {
          _tag: "UpdateGroupCallChainBlocks",
          call,
          subChainId: 0,
          blocks: [block(1, 2)],
          nextOffset: 2
        }
      ])
      assert.strictEqual(pushed[0]!._tag, "UpdateGroupCallParticipants")
      assert.deepStrictEqual(
        (yield* theGroupCall(world, call)).conference!.invites.map((i) => i.state),
        ["Joined", "Declined", "Pending"]
      )
      // an invitation used to join cannot be declined
      assert.deepStrictEqual(
        yield* rpcError(B(invoke("phone.declineConferenceCallInvite", { msgId: 1 }))),
        noMessage
      )

      const listed = yield* B(
        invoke("phone.getGroupParticipants", { call, ids: [], sources: [], offset: "", limit: 10 })
      )
      assert.strictEqual(listed.count, 2)
      assert.deepStrictEqual(
        listed.participants.map((p) => [p.peer, p.source, p.self]),
        [
          [{ _tag: "PeerUser", userId: alice.id }, 100, false],
          [{ _tag: "PeerUser", userId: bob.id }, 102, true]
        ]
      )
      assert.deepStrictEqual(
        yield* rpcError(
          B(
            invoke("phone.getGroupParticipants", {
              call: wrongHash,
              ids: [],
              sources: [],
              offset: "",
              limit: 10
            })
          )
        ),
        invalid
      )

      const left = yield* B(invoke("phone.leaveGroupCall", { call, source: 102 }))
      assert.deepStrictEqual(tags(left.updates), ["UpdateGroupCallParticipants"])
      assert.deepStrictEqual(
        (yield* theGroupCall(world, call)).participants.map((p) => p.peerId),
        [alice.id]
      )
      // who left may come back
      yield* B(join(call, 2))
      assert.deepStrictEqual(
        (yield* theGroupCall(world, call)).participants.map((p) => p.peerId),
        [alice.id, bob.id]
      )
      // a discarded conference takes no invitations
      yield* A(invoke("phone.discardGroupCall", { call }))
      assert.deepStrictEqual(yield* rpcError(A(invite(call, dave))), invalid)

      yield* onlyDocumentedErrors(world, [
        "phone.joinGroupCall: GROUPCALL_FORBIDDEN",
        "phone.inviteConferenceCallParticipant: GROUPCALL_INVALID",
        "phone.inviteConferenceCallParticipant: USER_ID_INVALID",
        "phone.declineConferenceCallInvite: MESSAGE_ID_INVALID",
        "phone.joinGroupCall: PUBLIC_KEY_INVALID",
        "phone.getGroupParticipants: GROUPCALL_INVALID"
      ])
    })
  )

  it.effect("E2E chain blocks: stored per sub-chain, relayed as sent, fetched by offset", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const carol = yield* world.addUser({ firstName: "Carol" })
      const A = as(world, alice)
      const B = as(world, bob)
      const C = as(world, carol)
      const call = yield* conferenceOf(yield* A(create(1)))
      const wrongHash = new Model.InputGroupCall({ id: call.id, accessHash: call.accessHash + 1n })
      yield* A(invite(call, bob))
      yield* B(join(call, 2))

      const broadcast = block(9, 9, 9)
      const aliceBefore = (yield* world.updatesOf(alice)).length
      const sent = yield* B(invoke("phone.sendConferenceCallBroadcast", { call, block: broadcast }))
      const expected: Model.Update = {
        _tag: "UpdateGroupCallChainBlocks",
        call,
        subChainId: 1,
        blocks: [broadcast],
        nextOffset: 1
      }
      assert.deepStrictEqual(sent.updates, [expected])
      assert.deepStrictEqual((yield* world.updatesOf(alice)).slice(aliceBefore), [expected])

      const fetch = (subChainId: number, offset: number, limit: number) =>
        Effect.map(
          B(invoke("phone.getGroupCallChainBlocks", { call, subChainId, offset, limit })),
          (r) => r.updates
        )
      const chain = (
        subChainId: number,
        blocks: ReadonlyArray<Uint8Array>,
        nextOffset: number
      ): Array<Model.Update> => [{ _tag: "UpdateGroupCallChainBlocks", call, subChainId, blocks, nextOffset }]
      assert.deepStrictEqual(yield* fetch(0, 0, 10), chain(0, [block(0, 1), block(1, 2)], 2))
      assert.deepStrictEqual(yield* fetch(0, 1, 1), chain(0, [block(1, 2)], 2))
      assert.deepStrictEqual(yield* fetch(0, 0, 1), chain(0, [block(0, 1)], 1))
      assert.deepStrictEqual(yield* fetch(0, -1, 5), chain(0, [block(1, 2)], 2))
      assert.deepStrictEqual(yield* fetch(0, 7, 5), chain(0, [], 2))
      assert.deepStrictEqual(yield* fetch(1, 0, 10), chain(1, [broadcast], 1))
      assert.deepStrictEqual(yield* fetch(5, 0, 10), chain(5, [], 0))

      // GROUPCALL_INVALID: not a conference the caller is in
      const invalid = { code: 400, type: "GROUPCALL_INVALID" }
      assert.deepStrictEqual(
        yield* rpcError(C(invoke("phone.sendConferenceCallBroadcast", { call, block: broadcast }))),
        invalid
      )
      assert.deepStrictEqual(
        yield* rpcError(
          B(invoke("phone.sendConferenceCallBroadcast", { call: wrongHash, block: broadcast }))
        ),
        invalid
      )
      assert.deepStrictEqual(
        yield* rpcError(
          C(invoke("phone.getGroupCallChainBlocks", { call, subChainId: 0, offset: 0, limit: 10 }))
        ),
        invalid
      )
      assert.deepStrictEqual(
        yield* rpcError(
          B(invoke("phone.getGroupCallChainBlocks", { call: wrongHash, subChainId: 0, offset: 0, limit: 10 }))
        ),
        invalid
      )
      assert.deepStrictEqual((yield* theGroupCall(world, call)).conference!.chainBlocks, [
        { subChainId: 0, blocks: [block(0, 1), block(1, 2)] },
        { subChainId: 1, blocks: [broadcast] }
      ])
      yield* onlyDocumentedErrors(world, [
        "phone.sendConferenceCallBroadcast: GROUPCALL_INVALID",
        "phone.getGroupCallChainBlocks: GROUPCALL_INVALID"
      ])
    })
  )

  it.effect("deleteConferenceCallParticipants: the left leave the chain; the creator kicks", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* duo()
      const carol = yield* world.addUser({ firstName: "Carol" })
      const A = as(world, alice)
      const B = as(world, bob)
      const C = as(world, carol)
      const call = yield* conferenceOf(yield* A(create(1)))
      const wrongHash = new Model.InputGroupCall({ id: call.id, accessHash: call.accessHash + 1n })
      yield* A(invite(call, bob))
      yield* A(invite(call, carol))
      yield* B(join(call, 2))
      yield* C(join(call, 3))
      const remove = (
        ids: ReadonlyArray<bigint>,
        flags: { onlyLeft?: boolean; kick?: boolean },
        n: number,
        c = call
      ) =>
        invoke("phone.deleteConferenceCallParticipants", {
          onlyLeft: flags.onlyLeft ?? false,
          kick: flags.kick ?? false,
          call: c,
          ids,
          block: block(2, n)
        })

      const invalid = { code: 400, type: "GROUPCALL_INVALID" }
      assert.deepStrictEqual(yield* rpcError(A(remove([bob.id], { kick: true }, 0, wrongHash))), invalid)
      // only the creator kicks
      assert.deepStrictEqual(yield* rpcError(B(remove([carol.id], { kick: true }, 0))), {
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })

      // without kick, someone still in the call stays; who left is removed from the chain
      const kept = yield* A(remove([bob.id], { onlyLeft: true }, 1))
      assert.deepStrictEqual(tags(kept.updates), ["UpdateGroupCallChainBlocks"])
      assert.deepStrictEqual(
        (yield* theGroupCall(world, call)).participants.map((p) => p.peerId),
        [alice.id, bob.id, carol.id]
      )
      yield* C(invoke("phone.leaveGroupCall", { call, source: 103 }))
      yield* A(remove([carol.id], { onlyLeft: true }, 2))

      // a kick ends the participation, tells the kicked, and bars them from joining again
      const bobBefore = (yield* world.updatesOf(bob)).length
      const kicked = yield* A(remove([bob.id], { kick: true }, 3))
      assert.deepStrictEqual(tags(kicked.updates), [
        "UpdateGroupCallParticipants",
        "UpdateGroupCallChainBlocks"
      ])
      const told = (yield* world.updatesOf(bob)).slice(bobBefore)
      assert.deepStrictEqual(tags(told), ["UpdateGroupCallParticipants"])
      const gone = told[0]!
      if (gone._tag === "UpdateGroupCallParticipants")
        assert.deepStrictEqual(
          gone.participants.map((p) => [p.peer, p.left]),
          [[{ _tag: "PeerUser", userId: bob.id }, true]]
        )
      const info = yield* theGroupCall(world, call)
      assert.deepStrictEqual(
        info.participants.map((p) => p.peerId),
        [alice.id]
      )
      assert.deepStrictEqual(info.conference!.kicked, [bob.id])
      assert.deepStrictEqual(info.conference!.chainBlocks, [
        {
          subChainId: 0,
          blocks: [block(0, 1), block(1, 2), block(1, 3), block(2, 1), block(2, 2), block(2, 3)]
        }
      ])
      assert.deepStrictEqual(yield* rpcError(B(join(call, 2))), { code: 403, type: "GROUPCALL_FORBIDDEN" })
      // the kicked can no longer act in it
      assert.deepStrictEqual(yield* rpcError(B(remove([alice.id], {}, 4))), invalid)
      // a new invitation lifts the kick
      yield* A(invite(call, bob))
      yield* B(join(call, 2))
      assert.deepStrictEqual((yield* theGroupCall(world, call)).conference!.kicked, [])

      yield* onlyDocumentedErrors(world, [
        "phone.deleteConferenceCallParticipants: GROUPCALL_INVALID",
        "phone.deleteConferenceCallParticipants: GROUPCALL_FORBIDDEN",
        "phone.joinGroupCall: GROUPCALL_FORBIDDEN"
      ])
    })
  )
})

describe("TestTelegram migrateToConference", () => {
  /** Alice calls Bob, Bob accepts, Alice confirms: an active call. */
  const activeCall = (options: { readonly bobConferenceCalls?: boolean } = {}) =>
    Effect.gen(function* () {
      const d = yield* duo()
      const bob =
        options.bobConferenceCalls === false
          ? yield* d.world.addUser({ firstName: "Bob", conferenceCalls: false })
          : d.bob
      const peer = yield* ring({ ...d, bob })
      yield* as(d.world, bob)(invoke("phone.acceptCall", { peer, gB, protocol }))
      const confirmed = yield* as(
        d.world,
        d.alice
      )(invoke("phone.confirmCall", { peer, gA, keyFingerprint: 5n, protocol }))
      return { ...d, bob, peer, confirmed }
    })

  it.effect("the peer moves an active call into a conference: both sides see it end with the slug", () =>
    Effect.gen(function* () {
      const { world, alice, bob, peer, confirmed } = yield* activeCall()
      assert.strictEqual(
        confirmed.phoneCall._tag === "PhoneCall"
          ? confirmed.phoneCall.conferenceSupported
          : confirmed.phoneCall._tag,
        true
      )
      yield* TestClock.adjust("42 seconds")
      const moved = yield* world.migrateToConference(bob, peer.id)
      assert.match(moved.slug, /^[A-Za-z0-9]{16}$/)
      assert.strictEqual(moved.inviteLink, `https://t.me/call/${moved.slug}`)

      const reason: Model.DiscardReason = { _tag: "MigrateConferenceCall", slug: moved.slug }
      const ended = Option.getOrThrow(yield* world.call(peer.id))
      assert.strictEqual(ended.state, "Discarded")
      assert.deepStrictEqual(ended.discard, {
        by: bob.id,
        reason,
        duration: 42,
        needRating: true,
        needDebug: false
      })
      const discarded: Model.Update = {
        _tag: "UpdatePhoneCall",
        phoneCall: {
          _tag: "PhoneCallDiscarded",
          needRating: true,
          needDebug: false,
          video: false,
          id: peer.id,
          reason,
          duration: 42
        }
      }
      const aliceSaw = yield* world.updatesOf(alice)
      const last = aliceSaw.slice(-2)
      assert.deepStrictEqual(tags(last), ["UpdateGroupCall", "UpdatePhoneCall"])
      assert.deepStrictEqual(last[1], discarded)
      const conferenceUpdate = last[0]!
      assert.strictEqual(
        conferenceUpdate._tag === "UpdateGroupCall" ? conferenceUpdate.call._tag : conferenceUpdate._tag,
        "GroupCall"
      )
      if (conferenceUpdate._tag === "UpdateGroupCall" && conferenceUpdate.call._tag === "GroupCall") {
        assert.strictEqual(conferenceUpdate.call.id, moved.inputGroupCall.id)
        assert.strictEqual(conferenceUpdate.call.inviteLink, moved.inviteLink)
        assert.isFalse(conferenceUpdate.call.creator)
      }
      assert.deepStrictEqual((yield* world.updatesOf(bob)).at(-1), discarded)

      const info = yield* theGroupCall(world, moved.inputGroupCall)
      assert.deepStrictEqual(
        info.participants.map((p) => p.peerId),
        [bob.id]
      )
      assert.deepStrictEqual(
        info.conference!.invites.map((i) => [i.userId, i.inviterId, i.state]),
        [[alice.id, bob.id, "Pending"]]
      )
      // the other side joins the conference the reason names
      yield* as(world, alice)(join(moved.inputGroupCall, 1))
      assert.deepStrictEqual(
        (yield* theGroupCall(world, moved.inputGroupCall)).participants.map((p) => p.peerId),
        [bob.id, alice.id]
      )
      // and the 1:1 call is over for both
      assert.deepStrictEqual(
        yield* rpcError(
          as(world, alice)(invoke("phone.sendSignalingData", { peer, data: new Uint8Array([1]) }))
        ),
        { code: 400, type: "CALL_NOT_ACTIVE" }
      )
    })
  )

  it.effect("fails with TestTelegramError when the call cannot move", () =>
    Effect.gen(function* () {
      const { world, alice, bob, peer } = yield* activeCall()
      const carol = yield* world.addUser({ firstName: "Carol" })
      const notInCall = yield* Effect.flip(world.migrateToConference(carol, peer.id))
      assert.strictEqual(notInCall._tag, "TestTelegramError")
      assert.strictEqual(notInCall.operation, "migrateToConference")
      assert.strictEqual(notInCall.message, `user ${carol.id} takes part in no call ${peer.id}`)
      yield* world.migrateToConference(alice, peer.id)
      const over = yield* Effect.flip(world.migrateToConference(bob, peer.id))
      assert.strictEqual(over.message, `call ${peer.id} is not active (it is discarded)`)
      assert.strictEqual((yield* world.groupCalls).length, 1)

      const ringing = yield* ring({ world, alice, bob }, 2)
      const waiting = yield* Effect.flip(world.migrateToConference(alice, ringing.id))
      assert.strictEqual(waiting.message, `call ${ringing.id} is not active (it is waiting)`)
    })
  )

  it.effect("a client without conference calls: conferenceSupported is false and the call cannot move", () =>
    Effect.gen(function* () {
      const { world, alice, bob, peer, confirmed } = yield* activeCall({ bobConferenceCalls: false })
      assert.strictEqual(
        confirmed.phoneCall._tag === "PhoneCall"
          ? confirmed.phoneCall.conferenceSupported
          : confirmed.phoneCall._tag,
        false
      )
      assert.isFalse(Option.getOrThrow(yield* world.user(bob.id)).conferenceCalls)
      const refused = yield* Effect.flip(world.migrateToConference(alice, peer.id))
      assert.strictEqual(
        refused.message,
        `call ${peer.id} cannot move into a conference: conferenceSupported is false`
      )
      assert.strictEqual(Option.getOrThrow(yield* world.call(peer.id)).state, "Active")
      assert.strictEqual((yield* world.groupCalls).length, 0)
    })
  )
})
