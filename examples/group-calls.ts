/**
 * Group calls (video chats): create one, join, read the participants, leave, end it.
 *
 *   npx tsx examples/group-calls.ts
 *
 * Group calls are plain `Phone.*` methods: no end-to-end handshake, the media goes through
 * Telegram's servers. Joining takes the WebRTC parameters of your media engine (tgcalls) as
 * JSON text; this signalling-only example sends just an audio source id (`ssrc`).
 *
 * By default Alice creates a video chat in her supergroup "Team" of a loopback world, she and
 * Bob join, Bob leaves, and Alice ends the call.
 *
 * Live: `TG_API_ID=… TG_API_HASH=… TG_SESSION=… TG_CHAT=@yourgroup npx tsx examples/group-calls.ts`
 * starts a video chat in a group or channel you administer, reads it back and ends it at once
 * (members may get a "video chat started" service message). It does not join: that needs real
 * WebRTC parameters.
 */
import { Model, Phone } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import { Console, Effect, Random, Schema } from "effect"
import { Api } from "telegram"
import * as Env from "./_shared/env.js"

/** Something this example cannot go on with (no group call in a result, a chat that is not a group). */
export class GroupCallExampleError extends Schema.TaggedError<GroupCallExampleError>()(
  "GroupCallExampleError",
  {
    message: Schema.String
  }
) {}

/** The group call a `createGroupCall` result announces (in its `updateGroupCall`). */
export const groupCallOf = (
  updates: Model.Updates
): Effect.Effect<Model.InputGroupCall, GroupCallExampleError> => {
  for (const update of updates.updates) {
    if (update._tag === "UpdateGroupCall")
      return Effect.succeed(
        new Model.InputGroupCall({ id: update.call.id, accessHash: update.call.accessHash })
      )
  }
  return Effect.fail(new GroupCallExampleError({ message: "createGroupCall returned no updateGroupCall" }))
}

/** Starts a video chat in `chat` (you must be an admin there). */
export const startVideoChat = (chat: Model.InputPeer, title: string) =>
  Effect.gen(function* () {
    const randomId = yield* Random.nextIntBetween(1, 2 ** 31 - 1)
    const call = yield* groupCallOf(yield* Phone.createGroupCall({ peer: chat, randomId, title }))
    yield* Console.log(`started "${title}" (group call ${call.id})`)
    return call
  })

/** Joins as yourself with an audio source id; returns it (you need it to leave). */
export const join = (call: Model.InputGroupCall, ssrc: number) =>
  Phone.joinGroupCall({
    call,
    joinAs: { _tag: "InputPeerSelf" },
    params: JSON.stringify({ ssrc }), // a media engine puts its full WebRTC offer here
    muted: true,
    videoStopped: true
  }).pipe(Effect.as(ssrc))

/** Who is in the call: one line per participant, and their peer ids. */
export const participants = (call: Model.InputGroupCall) =>
  Effect.gen(function* () {
    const page = yield* Phone.getGroupParticipants({ call, limit: 100 })
    const ids = page.participants.map((p) => {
      const id =
        p.peer._tag === "PeerUser"
          ? p.peer.userId
          : p.peer._tag === "PeerChat"
            ? p.peer.chatId
            : p.peer.channelId
      const name = page.users.find((u) => u.id === id)?.firstName ?? String(id)
      return { id, name, muted: p.muted, source: p.source }
    })
    yield* Console.log(
      `${page.count} participant(s): ${ids.map((p) => `${p.name}${p.muted ? " (muted)" : ""}`).join(", ") || "nobody"}`
    )
    return ids
  })

/** Ends the call for everybody. */
export const endCall = (call: Model.InputGroupCall) =>
  Phone.discardGroupCall({ call }).pipe(Effect.andThen(Console.log(`ended group call ${call.id}`)))

/** Default mode: a whole video chat in a loopback supergroup. Returns the participant lists. */
export const loopback = Effect.scoped(
  Effect.gen(function* () {
    const { signIn, users, world } = yield* Env.loopback((world) =>
      Effect.gen(function* () {
        const alice = yield* world.addUser({ firstName: "Alice", username: "alice_demo" })
        const bob = yield* world.addUser({ firstName: "Bob", username: "bob_demo" })
        const team = yield* world.addChat({
          kind: "supergroup",
          title: "Team",
          creator: alice,
          members: [bob]
        })
        return { alice, bob, team }
      })
    )
    const aliceAccount = yield* signIn(users.alice)
    const bobAccount = yield* signIn(users.bob)
    const asAlice = Effect.provide(aliceAccount)
    const asBob = Effect.provide(bobAccount)

    const call = yield* startVideoChat(users.team.inputPeer, "Standup").pipe(asAlice)
    yield* join(call, 1111).pipe(asAlice)
    const bobSource = yield* join(call, 2222).pipe(asBob)
    const whileBoth = yield* participants(call).pipe(asAlice)
    yield* Phone.leaveGroupCall({ call, source: bobSource }).pipe(asBob)
    yield* Console.log("Bob left")
    const afterBobLeft = yield* participants(call).pipe(asAlice)
    yield* endCall(call).pipe(asAlice)
    const ended = (yield* world.groupCalls).find((g) => g.id === call.id)?.discarded ?? false
    return { whileBoth, afterBobLeft, ended }
  })
)

/** `TG_CHAT` as an `InputPeer`, through the GramJS escape hatch (tgphone resolves only users). */
const resolveChat = (ref: string) =>
  Effect.gen(function* () {
    const { client } = yield* GramJs.GramJsClient
    const entity = yield* Effect.tryPromise(() => client.getInputEntity(ref))
    if (entity instanceof Api.InputPeerChannel)
      return {
        _tag: "InputPeerChannel",
        channelId: BigInt(entity.channelId.toString()),
        accessHash: BigInt(entity.accessHash.toString())
      } satisfies Model.InputPeer
    if (entity instanceof Api.InputPeerChat)
      return { _tag: "InputPeerChat", chatId: BigInt(entity.chatId.toString()) } satisfies Model.InputPeer
    return yield* new GroupCallExampleError({ message: `${ref} is not a group or channel` })
  })

/** Live mode: start a video chat in `TG_CHAT`, read it, end it. */
export const live = Effect.gen(function* () {
  const chatRef = yield* Env.liveSetting("TG_CHAT")
  return yield* Effect.gen(function* () {
    const chat = yield* resolveChat(chatRef)
    const call = yield* startVideoChat(chat, "tgphone example")
    const info = yield* Phone.getGroupCall({ call, limit: 10 })
    yield* Console.log(
      `the call has ${info.call._tag === "GroupCall" ? info.call.participantsCount : 0} participant(s)`
    )
    const present = yield* participants(call)
    yield* endCall(call)
    return present
  }).pipe(Effect.provide(Env.liveLayer()))
})

/** The program `npx tsx examples/group-calls.ts` runs: `live` when the `TG_*` variables are set, `loopback` otherwise. */
export const main = Env.choose({ loopback, live })

Env.runIfMain(import.meta.url, main)
