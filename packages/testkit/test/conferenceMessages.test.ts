/**
 * In-call messages of group calls (layer 216 on): send, E2E-encrypted (conference calls),
 * delete, delete by participant, the stars paid with them, and each user's default author. Each
 * documented error arises from its situation; the world's few undocumented answers are the ones
 * docs/testing.md lists.
 */
import { assert, describe, it } from "@effect/vitest"
import { Model, type RpcMethods } from "@tgphone/core"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import type * as TestTelegram from "../src/TestTelegram.js"
import { as, assertDocumentedErrors, duo, invoke, rpcError } from "./support.js"

const json = (value: unknown) => new Model.DataJson({ data: JSON.stringify(value) })
const text = (t: string) => new Model.TextWithEntities({ text: t, entities: [] })

/** The undocumented answers the world gives on purpose (docs/testing.md). */
const extras: Partial<Record<RpcMethods.MethodName, ReadonlyArray<string>>> = {
  "phone.sendGroupCallMessage": ["SEND_AS_PEER_INVALID", "GROUPCALL_FORBIDDEN"],
  "phone.saveDefaultSendAs": ["SEND_AS_PEER_INVALID"],
  "phone.deleteGroupCallParticipantMessages": ["GROUPCALL_FORBIDDEN"]
}

/** {@link assertDocumentedErrors} with this file's extras. */
const onlyDocumentedErrors = (world: TestTelegram.Service, expected: ReadonlyArray<string>) =>
  assertDocumentedErrors(world, expected, extras)

const tags = (updates: ReadonlyArray<Model.Update>) => updates.map((u) => u._tag)

/** The author of the message a result carries (else what the result carries instead). */
const fromIdOf = (updates: Model.Updates) => {
  const u = updates.updates[0]
  return u?._tag === "UpdateGroupCallMessage" ? u.message.fromId : u?._tag
}

const callOf = (updates: Model.Updates) =>
  Effect.gen(function* () {
    const u = updates.updates.find((x) => x._tag === "UpdateGroupCall")
    assert.strictEqual(u?._tag, "UpdateGroupCall")
    if (u?._tag !== "UpdateGroupCall") return yield* Effect.die("no UpdateGroupCall")
    return new Model.InputGroupCall({ id: u.call.id, accessHash: u.call.accessHash })
  })

const join = (call: Model.InputGroupCall, ssrc: number, extra: { readonly publicKey?: Uint8Array } = {}) =>
  invoke("phone.joinGroupCall", {
    muted: false,
    videoStopped: true,
    call,
    joinAs: { _tag: "InputPeerSelf" },
    params: json({ ssrc }),
    ...(extra.publicKey !== undefined ? { publicKey: extra.publicKey, block: new Uint8Array([ssrc]) } : {})
  })

const send = (
  call: Model.InputGroupCall,
  randomId: bigint,
  t: string,
  extra: { readonly allowPaidStars?: bigint; readonly sendAs?: Model.InputPeer } = {}
) => invoke("phone.sendGroupCallMessage", { call, randomId, message: text(t), ...extra })

/** A supergroup video chat Alice (admin) and Bob (member) joined; Bob also runs a channel. */
const videoChat = Effect.gen(function* () {
  const { world, alice, bob } = yield* duo()
  const carol = yield* world.addUser({ firstName: "Carol" })
  const team = yield* world.addChat({
    kind: "supergroup",
    title: "Team",
    creator: alice,
    members: [bob, carol]
  })
  const radio = yield* world.addChat({ kind: "channel", title: "Radio", creator: bob })
  const A = as(world, alice)
  const B = as(world, bob)
  const C = as(world, carol)
  const call = yield* callOf(
    yield* A(invoke("phone.createGroupCall", { rtmpStream: false, peer: team.inputPeer, randomId: 1 }))
  )
  yield* A(join(call, 1))
  yield* B(join(call, 2))
  const wrongHash = new Model.InputGroupCall({ id: call.id, accessHash: call.accessHash + 1n })
  return { world, alice, bob, carol, radio, A, B, C, call, wrongHash }
})

const messagesOf = (world: TestTelegram.Service, call: Model.InputGroupCall) =>
  Effect.map(world.groupCalls, (all) => all.find((c) => c.id === call.id)?.messages ?? [])

const invalid = { code: 400, type: "GROUPCALL_INVALID" }

describe("TestTelegram in-call messages", () => {
  it.effect("sendGroupCallMessage: to everyone joined, once per random_id, as the sender or a channel", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust("5 seconds")
      const { world, alice, bob, radio, A, B, C, call, wrongHash } = yield* videoChat
      assert.deepStrictEqual(yield* rpcError(C(send(call, 1n, "hi"))), {
        code: 400,
        type: "GROUPCALL_JOIN_MISSING"
      })
      assert.deepStrictEqual(yield* rpcError(A(send(wrongHash, 1n, "hi"))), invalid)

      const bobBefore = (yield* world.updatesOf(bob)).length
      const sent = yield* A(send(call, 10n, "hello"))
      const expected: Model.Update = {
        _tag: "UpdateGroupCallMessage",
        call,
        message: new Model.GroupCallMessage({
          fromAdmin: true,
          id: 1,
          fromId: { _tag: "PeerUser", userId: alice.id },
          date: 5,
          message: text("hello")
        })
      }
      assert.deepStrictEqual(sent.updates, [expected])
      assert.deepStrictEqual((yield* world.updatesOf(bob)).slice(bobBefore), [expected])
      // the same random_id again: the same message, not sent twice
      assert.deepStrictEqual((yield* A(send(call, 10n, "hello"))).updates, [expected])
      assert.strictEqual((yield* world.updatesOf(bob)).length, bobBefore + 1)

      const paid = yield* B(send(call, 10n, "tip", { allowPaidStars: 50n }))
      const paidMessage = paid.updates[0]
      assert.strictEqual(paidMessage?._tag, "UpdateGroupCallMessage")
      if (paidMessage?._tag === "UpdateGroupCallMessage") {
        assert.strictEqual(paidMessage.message.id, 2)
        assert.isFalse(paidMessage.message.fromAdmin)
        assert.strictEqual(paidMessage.message.paidMessageStars, 50n)
      }
      const asChannel = yield* B(send(call, 11n, "on air", { sendAs: radio.inputPeer }))
      assert.deepStrictEqual(fromIdOf(asChannel), { _tag: "PeerChannel", channelId: radio.id })
      assert.deepStrictEqual(yield* rpcError(A(send(call, 11n, "as bob", { sendAs: bob.inputPeer }))), {
        code: 400,
        type: "SEND_AS_PEER_INVALID"
      })
      assert.deepStrictEqual(
        (yield* messagesOf(world, call)).map((m) => [m.id, m.fromId, m.text, m.paidStars]),
        [
          [1, { _tag: "PeerUser", userId: alice.id }, "hello", undefined],
          [2, { _tag: "PeerUser", userId: bob.id }, "tip", 50n],
          [3, { _tag: "PeerChannel", channelId: radio.id }, "on air", undefined]
        ]
      )

      // an admin turns messages off: only admins send then
      yield* A(
        invoke("phone.toggleGroupCallSettings", { resetInviteHash: false, call, messagesEnabled: false })
      )
      assert.deepStrictEqual(yield* rpcError(B(send(call, 12n, "still here?"))), {
        code: 403,
        type: "GROUPCALL_FORBIDDEN"
      })
      yield* A(send(call, 13n, "admins only"))
      const view = yield* B(invoke("phone.getGroupCall", { call, limit: 0 }))
      assert.strictEqual(view.call._tag === "GroupCall" ? view.call.messagesEnabled : view.call._tag, false)

      yield* onlyDocumentedErrors(world, [
        "phone.sendGroupCallMessage: GROUPCALL_JOIN_MISSING",
        "phone.sendGroupCallMessage: GROUPCALL_INVALID",
        "phone.sendGroupCallMessage: SEND_AS_PEER_INVALID",
        "phone.sendGroupCallMessage: GROUPCALL_FORBIDDEN"
      ])
    })
  )

  it.effect("saveDefaultSendAs: the author of the user's next messages", () =>
    Effect.gen(function* () {
      const { world, alice, radio, A, B, call, wrongHash } = yield* videoChat
      assert.isTrue(yield* B(invoke("phone.saveDefaultSendAs", { call, sendAs: radio.inputPeer })))
      const sent = yield* B(send(call, 1n, "from the channel"))
      assert.deepStrictEqual(fromIdOf(sent), { _tag: "PeerChannel", channelId: radio.id })
      const bobView = yield* B(invoke("phone.getGroupCall", { call, limit: 0 }))
      assert.deepStrictEqual(bobView.call._tag === "GroupCall" ? bobView.call.defaultSendAs : undefined, {
        _tag: "PeerChannel",
        channelId: radio.id
      })
      const aliceView = yield* A(invoke("phone.getGroupCall", { call, limit: 0 }))
      assert.isUndefined(
        aliceView.call._tag === "GroupCall" ? aliceView.call.defaultSendAs : "not a GroupCall"
      )

      assert.deepStrictEqual(
        yield* rpcError(B(invoke("phone.saveDefaultSendAs", { call: wrongHash, sendAs: radio.inputPeer }))),
        invalid
      )
      // Alice does not run Bob's channel
      assert.deepStrictEqual(
        yield* rpcError(A(invoke("phone.saveDefaultSendAs", { call, sendAs: radio.inputPeer }))),
        {
          code: 400,
          type: "SEND_AS_PEER_INVALID"
        }
      )
      assert.isTrue(yield* A(invoke("phone.saveDefaultSendAs", { call, sendAs: alice.inputPeer })))
      assert.deepStrictEqual(
        (yield* messagesOf(world, call)).map((m) => m.fromId),
        [{ _tag: "PeerChannel", channelId: radio.id }]
      )
      yield* onlyDocumentedErrors(world, [
        "phone.saveDefaultSendAs: GROUPCALL_INVALID",
        "phone.saveDefaultSendAs: SEND_AS_PEER_INVALID"
      ])
    })
  )

  it.effect("deleteGroupCallMessages and deleteGroupCallParticipantMessages", () =>
    Effect.gen(function* () {
      const { world, alice, bob, A, B, call, wrongHash } = yield* videoChat
      yield* A(send(call, 1n, "one"))
      yield* B(send(call, 1n, "two"))
      yield* B(send(call, 2n, "three"))
      yield* B(send(call, 3n, "four"))

      assert.deepStrictEqual(
        yield* rpcError(
          B(invoke("phone.deleteGroupCallMessages", { reportSpam: false, call: wrongHash, messages: [2] }))
        ),
        invalid
      )
      // a member deletes only their own messages; unknown ids are ignored
      const none = yield* B(
        invoke("phone.deleteGroupCallMessages", { reportSpam: false, call, messages: [1, 99] })
      )
      assert.deepStrictEqual(tags(none.updates), [])
      const aliceBefore = (yield* world.updatesOf(alice)).length
      const own = yield* B(
        invoke("phone.deleteGroupCallMessages", { reportSpam: false, call, messages: [1, 2] })
      )
      const deleted: Model.Update = { _tag: "UpdateDeleteGroupCallMessages", call, messages: [2] }
      assert.deepStrictEqual(own.updates, [deleted])
      assert.deepStrictEqual((yield* world.updatesOf(alice)).slice(aliceBefore), [deleted])

      // deleting by participant is for admins
      assert.deepStrictEqual(
        yield* rpcError(
          B(
            invoke("phone.deleteGroupCallParticipantMessages", {
              reportSpam: false,
              call,
              participant: alice.inputPeer
            })
          )
        ),
        { code: 403, type: "GROUPCALL_FORBIDDEN" }
      )
      assert.deepStrictEqual(
        yield* rpcError(
          A(
            invoke("phone.deleteGroupCallParticipantMessages", {
              reportSpam: true,
              call: wrongHash,
              participant: bob.inputPeer
            })
          )
        ),
        invalid
      )
      const all = yield* A(
        invoke("phone.deleteGroupCallParticipantMessages", {
          reportSpam: true,
          call,
          participant: bob.inputPeer
        })
      )
      assert.deepStrictEqual(all.updates, [{ _tag: "UpdateDeleteGroupCallMessages", call, messages: [3, 4] }])
      assert.deepStrictEqual(
        (yield* messagesOf(world, call)).map((m) => [m.id, m.deleted, m.reportedSpam]),
        [
          [1, false, false],
          [2, true, false],
          [3, true, true],
          [4, true, true]
        ]
      )
      yield* onlyDocumentedErrors(world, [
        "phone.deleteGroupCallMessages: GROUPCALL_INVALID",
        "phone.deleteGroupCallParticipantMessages: GROUPCALL_FORBIDDEN",
        "phone.deleteGroupCallParticipantMessages: GROUPCALL_INVALID"
      ])
    })
  )

  it.effect("getGroupCallStars: the stars paid with messages, by donor", () =>
    Effect.gen(function* () {
      const { world, alice, bob, carol, radio, A, B, C, call, wrongHash } = yield* videoChat
      yield* C(join(call, 3))
      assert.deepStrictEqual(
        yield* A(invoke("phone.getGroupCallStars", { call })),
        new Model.PhoneGroupCallStars({ totalStars: 0n, topDonors: [], chats: [], users: [] })
      )
      yield* B(send(call, 1n, "a", { allowPaidStars: 30n }))
      yield* B(send(call, 2n, "b", { allowPaidStars: 20n, sendAs: radio.inputPeer }))
      yield* C(send(call, 1n, "c", { allowPaidStars: 40n }))
      yield* A(send(call, 1n, "d", { allowPaidStars: 5n }))
      yield* A(send(call, 2n, "free"))
      // deleting a paid message does not refund it
      yield* A(invoke("phone.deleteGroupCallMessages", { reportSpam: false, call, messages: [1] }))

      const stars = yield* A(invoke("phone.getGroupCallStars", { call }))
      assert.strictEqual(stars.totalStars, 95n)
      assert.deepStrictEqual(
        stars.topDonors.map((d) => [d.peerId, d.stars, d.top, d.my]),
        [
          [{ _tag: "PeerUser", userId: carol.id }, 40n, true, false],
          [{ _tag: "PeerUser", userId: bob.id }, 30n, true, false],
          [{ _tag: "PeerChannel", channelId: radio.id }, 20n, true, false],
          [{ _tag: "PeerUser", userId: alice.id }, 5n, false, true]
        ]
      )
      assert.deepStrictEqual(
        stars.users.map((u) => u.id),
        [carol.id, bob.id, alice.id]
      )
      assert.deepStrictEqual(
        stars.chats.map((c) => c.id),
        [radio.id]
      )
      // Bob's donations under both his names are his
      const bobs = yield* B(invoke("phone.getGroupCallStars", { call }))
      assert.deepStrictEqual(
        bobs.topDonors.map((d) => d.my),
        [false, true, true]
      )
      assert.deepStrictEqual(
        yield* rpcError(A(invoke("phone.getGroupCallStars", { call: wrongHash }))),
        invalid
      )
      yield* onlyDocumentedErrors(world, ["phone.getGroupCallStars: GROUPCALL_INVALID"])
    })
  )

  it.effect("sendGroupCallEncryptedMessage: relayed opaquely to a conference's other participants", () =>
    Effect.gen(function* () {
      const { world, alice, bob, A, B, C, call: videoChatCall } = yield* videoChat
      const created = yield* A(
        invoke("phone.createConferenceCall", {
          muted: false,
          videoStopped: true,
          join: true,
          randomId: 1,
          publicKey: new Uint8Array(32).fill(1),
          block: new Uint8Array([1]),
          params: json({ ssrc: 1 })
        })
      )
      const call = yield* callOf(created)
      yield* A(invoke("phone.inviteConferenceCallParticipant", { video: false, call, userId: bob.inputUser }))
      yield* B(join(call, 2, { publicKey: new Uint8Array(32).fill(2) }))
      const sealed = new Uint8Array([0xde, 0xad, 0xbe, 0xef])
      const bobBefore = (yield* world.updatesOf(bob)).length
      const aliceBefore = (yield* world.updatesOf(alice)).length
      assert.isTrue(
        yield* A(invoke("phone.sendGroupCallEncryptedMessage", { call, encryptedMessage: sealed }))
      )
      assert.deepStrictEqual((yield* world.updatesOf(bob)).slice(bobBefore), [
        {
          _tag: "UpdateGroupCallEncryptedMessage",
          call,
          fromId: { _tag: "PeerUser", userId: alice.id },
          encryptedMessage: sealed
        }
      ])
      // the sender gets nothing back
      assert.strictEqual((yield* world.updatesOf(alice)).length, aliceBefore)

      // GROUPCALL_INVALID: not a conference, not in it, or no such call
      const encrypted = (c: Model.InputGroupCall) =>
        invoke("phone.sendGroupCallEncryptedMessage", { call: c, encryptedMessage: sealed })
      assert.deepStrictEqual(yield* rpcError(A(encrypted(videoChatCall))), invalid)
      assert.deepStrictEqual(yield* rpcError(C(encrypted(call))), invalid)
      assert.deepStrictEqual(
        yield* rpcError(
          A(encrypted(new Model.InputGroupCall({ id: call.id, accessHash: call.accessHash + 1n })))
        ),
        invalid
      )
      yield* onlyDocumentedErrors(world, ["phone.sendGroupCallEncryptedMessage: GROUPCALL_INVALID"])
    })
  )
})
