/**
 * The loopback server's update state, as Telegram keeps it: every pushed `updates` gets the
 * account's next `seq` and the current `date`, and moves `pts` (a position in the account's
 * update log) by one; what an auth key did not get (it had no live connection) comes back
 * from `updates.getDifference` after the state the client kept, exactly once for a client that
 * goes on from the state it is given, without taking it from the account's other clients;
 * `getState` followed by `getDifference` from it is empty; past `maxStoredUpdates` the answer
 * is `updates.differenceTooLong`;
 * and a pushed `updatePhoneCall` carries the users it mentions, so an unmodified GramJS client
 * knows the caller (access hash, name) from the push alone.
 */
import { createHash, randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Queue, Schedule } from "effect"
import { Api, type TelegramClient } from "telegram"
import { Raw } from "telegram/events/index.js"
import { toLong } from "../src/internal/mtproto/tl.js"
import * as LoopbackServer from "../src/LoopbackServer.js"
import * as TestTelegram from "../src/TestTelegram.js"
import { gramjsProtocol, stockClient } from "./support-loopback.js"

const people = Effect.gen(function* () {
  const world = yield* TestTelegram.make({ seed: "difference" })
  const alice = yield* Effect.orDie(world.addUser({ firstName: "Alice", lastName: "A", username: "alice_a" }))
  const bob = yield* Effect.orDie(world.addUser({ firstName: "Bob", username: "bob_b" }))
  return { world, alice, bob }
})

/** The `ctor` updates `client` is pushed, in a queue, from now on. */
const pushed = <T extends Api.TypeUpdate>(client: TelegramClient, ctor: new (...args: never) => T) =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<T>()
    client.addEventHandler(
      (u: Api.TypeUpdate) => {
        if (u instanceof ctor) Queue.offerUnsafe(queue, u)
      },
      new Raw({ types: [ctor as never] })
    )
    return queue
  })

const invoke = <R extends Api.AnyRequest>(client: TelegramClient, r: R) =>
  Effect.promise(() => client.invoke(r))

/** `caller` calls `callee`; the call's id. */
const requestCall = (caller: TelegramClient, callee: TestTelegram.TestUser) =>
  Effect.map(
    invoke(
      caller,
      new Api.phone.RequestCall({
        userId: new Api.InputUser({ userId: toLong(callee.id), accessHash: toLong(callee.accessHash) }),
        randomId: 7,
        gAHash: createHash("sha256").update(randomBytes(256)).digest(),
        protocol: gramjsProtocol()
      })
    ),
    (r) => BigInt(r.phoneCall.id.toString())
  )

const getState = (client: TelegramClient) => invoke(client, new Api.updates.GetState())

/** `updates.getDifference` from a state the client kept, as Telegram's clients do. */
const getDifference = (
  client: TelegramClient,
  s: { readonly pts: number; readonly date: number; readonly qts: number }
) => invoke(client, new Api.updates.GetDifference({ pts: s.pts, date: s.date, qts: s.qts }))

/** Waits until the server has exactly `n` open connections (a client's close lands asynchronously). */
const untilConnections = (server: LoopbackServer.Server, n: number) =>
  server.connectionCount.pipe(
    Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (c) => c === n }),
    Effect.timeoutOrElse({
      duration: "5 seconds",
      orElse: () => Effect.die(new Error(`never ${n} open connections`))
    })
  )

/** The `phoneCallRequested`s among a difference's updates. */
const requestedIn = (d: Api.updates.TypeDifference): ReadonlyArray<Api.PhoneCallRequested> =>
  d instanceof Api.updates.Difference
    ? d.otherUpdates.flatMap((u) =>
        u instanceof Api.UpdatePhoneCall && u.phoneCall instanceof Api.PhoneCallRequested ? [u.phoneCall] : []
      )
    : []

describe("LoopbackServer update state", () => {
  it.live(
    "a GramJS client offline while it is called gets the missed updatePhoneCall from getDifference, once",
    () =>
      Effect.gen(function* () {
        const { world, alice, bob } = yield* people
        const server = yield* LoopbackServer.serve(world)
        const a = yield* stockClient(server, alice.id)
        const bob1 = yield* stockClient(server, bob.id)
        const bob2 = yield* stockClient(server, bob.id) // a second client of Bob's, online throughout
        const before = yield* getState(bob1)
        const bob2State = yield* getState(bob2)
        yield* Effect.promise(() => bob1.disconnect())
        yield* untilConnections(server, 2)

        const callId = yield* requestCall(a, bob)

        yield* Effect.promise(() => bob1.connect())
        const missed = yield* getDifference(bob1, before)
        assert.instanceOf(missed, Api.updates.Difference)
        if (!(missed instanceof Api.updates.Difference)) return
        const calls = requestedIn(missed)
        assert.deepStrictEqual(
          calls.map((c) => [BigInt(c.id.toString()), BigInt(c.adminId.toString())]),
          [[callId, alice.id]]
        )
        // the difference names the caller, with the access hash Bob needs to answer her
        const caller = missed.users.find((u) => u.id.toString() === alice.id.toString())
        assert.instanceOf(caller, Api.User)
        if (caller instanceof Api.User) {
          assert.strictEqual(caller.accessHash?.toString(), alice.accessHash.toString())
          assert.strictEqual(caller.firstName, "Alice")
        }
        // exactly once: going on from the state the difference ended at, nothing is left
        const again = yield* getDifference(bob1, missed.state)
        assert.instanceOf(again, Api.updates.DifferenceEmpty)
        // the difference ends at the account's state: one push (the request) after Bob's
        const after = yield* getState(bob1)
        assert.deepStrictEqual(
          [missed.state.seq, missed.state.pts, missed.state.qts],
          [after.seq, after.pts, after.qts]
        )
        assert.strictEqual(after.seq, before.seq + 1)
        if (again instanceof Api.updates.DifferenceEmpty) assert.strictEqual(again.seq, after.seq)
        // Bob's other client got the push live: its difference is empty, and Bob's first
        // client's catch-up took nothing from it
        assert.instanceOf(yield* getDifference(bob2, bob2State), Api.updates.DifferenceEmpty)
      }),
    30_000
  )

  it.live("each push takes the account's next seq; getState and getDifference agree on it", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* people
      const server = yield* LoopbackServer.serve(world)
      const a = yield* stockClient(server, alice.id)
      const b = yield* stockClient(server, bob.id)
      const calls = yield* pushed(b, Api.UpdatePhoneCall)
      const s0 = yield* getState(b)
      yield* requestCall(a, bob)
      yield* Queue.take(calls)
      const s1 = yield* getState(b)
      assert.strictEqual(s1.seq, s0.seq + 1)
      assert.isAtMost(Math.abs(s1.date - Math.floor(Date.now() / 1000)), 5)
      const d = yield* getDifference(b, s0)
      assert.instanceOf(d, Api.updates.DifferenceEmpty)
      if (d instanceof Api.updates.DifferenceEmpty)
        assert.deepStrictEqual([d.seq, d.date >= s1.date], [s1.seq, true])
    })
  )

  it.live("updates.getState is where a client starts: a difference from it owes nothing pushed before", () =>
    Effect.gen(function* () {
      const account: LoopbackServer.Account = { userId: 42n, accessHash: 4242n, firstName: "Alice" }
      const server = yield* LoopbackServer.make({ accounts: [account] })
      const client = yield* stockClient(server, account.userId)
      const s0 = yield* getState(client)
      yield* Effect.promise(() => client.disconnect())
      yield* untilConnections(server, 0)
      yield* server.push(
        account.userId,
        new Api.Updates({
          updates: [
            new Api.UpdatePhoneCallSignalingData({ phoneCallId: toLong(1n), data: Buffer.from([1]) })
          ],
          users: [],
          chats: [],
          date: 0,
          seq: 0
        })
      )
      yield* Effect.promise(() => client.connect())
      // as with Telegram: getState, then getDifference from that state, is empty
      const s1 = yield* getState(client)
      assert.strictEqual(s1.seq, s0.seq + 1)
      const d = yield* getDifference(client, s1)
      assert.instanceOf(d, Api.updates.DifferenceEmpty)
      if (d instanceof Api.updates.DifferenceEmpty) assert.strictEqual(d.seq, s1.seq)
    })
  )

  it.live("past maxStoredUpdates a client that missed the dropped ones gets differenceTooLong", () =>
    Effect.gen(function* () {
      const account: LoopbackServer.Account = { userId: 42n, accessHash: 4242n, firstName: "Alice" }
      const server = yield* LoopbackServer.make({ accounts: [account], limits: { maxStoredUpdates: 3 } })
      const client = yield* stockClient(server, account.userId)
      const push = (n: number) =>
        server.push(
          account.userId,
          new Api.Updates({
            updates: [
              new Api.UpdatePhoneCallSignalingData({ phoneCallId: toLong(BigInt(n)), data: Buffer.from([n]) })
            ],
            users: [],
            chats: [],
            date: 0,
            seq: 0
          })
        )
      const s0 = yield* getState(client)
      yield* Effect.promise(() => client.disconnect())
      yield* untilConnections(server, 0)
      // three fit: all three come back, in order
      for (let n = 1; n <= 3; n++) assert.strictEqual(yield* push(n), 0)
      yield* Effect.promise(() => client.connect())
      const kept = yield* getDifference(client, s0)
      assert.instanceOf(kept, Api.updates.Difference)
      if (kept instanceof Api.updates.Difference)
        assert.deepStrictEqual(
          kept.otherUpdates.map((u) => (u instanceof Api.UpdatePhoneCallSignalingData ? u.data[0] : -1)),
          [1, 2, 3]
        )
      // four more while offline: the first of them is dropped before the client asks
      if (!(kept instanceof Api.updates.Difference)) return
      yield* Effect.promise(() => client.disconnect())
      yield* untilConnections(server, 0)
      for (let n = 4; n <= 7; n++) yield* push(n)
      yield* Effect.promise(() => client.connect())
      const tooLong = yield* getDifference(client, kept.state)
      assert.instanceOf(tooLong, Api.updates.DifferenceTooLong)
      // the client starts over from the current state: nothing more is owed
      const state = yield* getState(client)
      if (tooLong instanceof Api.updates.DifferenceTooLong) assert.strictEqual(tooLong.pts, state.pts)
      assert.strictEqual(state.seq, 7)
      assert.instanceOf(yield* getDifference(client, state), Api.updates.DifferenceEmpty)
    })
  )

  it.live("a pushed updatePhoneCall carries the caller's user: GramJS resolves her with no request", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* people
      const server = yield* LoopbackServer.serve(world)
      const a = yield* stockClient(server, alice.id)
      const b = yield* stockClient(server, bob.id)
      const calls = yield* pushed(b, Api.UpdatePhoneCall)
      yield* requestCall(a, bob)
      const update = yield* Queue.take(calls)
      assert.instanceOf(update.phoneCall, Api.PhoneCallRequested)
      // GramJS hands each update the users of its `updates` (`_entities`, by marked peer id)
      const entities = (update as unknown as { readonly _entities: Map<string, Api.TypeUser> })._entities
      const users = [...entities.values()].map((u) => [
        u.id.toString(),
        u instanceof Api.User ? [u.self === true, u.firstName, u.accessHash?.toString()] : undefined
      ])
      assert.deepStrictEqual(users, [
        [alice.id.toString(), [false, "Alice", alice.accessHash.toString()]],
        [bob.id.toString(), [true, "Bob", bob.accessHash.toString()]]
      ])
      const requests = (yield* server.stats).requests
      // GramJS caches the push's users: the caller's input peer needs no users.getUsers
      const peer = yield* Effect.promise(() => b.getInputEntity(alice.id.toString()))
      assert.instanceOf(peer, Api.InputPeerUser)
      if (peer instanceof Api.InputPeerUser)
        assert.strictEqual(peer.accessHash.toString(), alice.accessHash.toString())
      assert.strictEqual((yield* server.stats).requests, requests)
    })
  )

  it.live("a pushed updateGroupCallParticipants carries the joining participant's user", () =>
    Effect.gen(function* () {
      const { world, alice, bob } = yield* people
      const team = yield* Effect.orDie(
        world.addChat({ kind: "supergroup", title: "Team", creator: alice, members: [bob] })
      )
      if (team.inputPeer._tag !== "InputPeerChannel") throw new Error("expected a channel")
      const server = yield* LoopbackServer.serve(world)
      const a = yield* stockClient(server, alice.id)
      const b = yield* stockClient(server, bob.id)
      const seen = yield* pushed(a, Api.UpdateGroupCallParticipants)
      const created = yield* invoke(
        a,
        new Api.phone.CreateGroupCall({
          peer: new Api.InputPeerChannel({
            channelId: toLong(team.inputPeer.channelId),
            accessHash: toLong(team.inputPeer.accessHash)
          }),
          randomId: 1
        })
      )
      const update =
        created instanceof Api.Updates
          ? created.updates.find((u) => u instanceof Api.UpdateGroupCall)
          : undefined
      if (!(update instanceof Api.UpdateGroupCall)) throw new Error("expected an updateGroupCall")
      const call = new Api.InputGroupCall({ id: update.call.id, accessHash: update.call.accessHash })
      const join = (client: TelegramClient, ssrc: number) =>
        invoke(
          client,
          new Api.phone.JoinGroupCall({
            call,
            joinAs: new Api.InputPeerSelf(),
            params: new Api.DataJSON({ data: JSON.stringify({ ssrc }) }),
            muted: false,
            videoStopped: true
          })
        )
      yield* join(a, 111)
      yield* join(b, 222)
      // Alice is told that Bob joined, with Bob's user (GramJS's `_entities` of the push)
      for (;;) {
        const u = yield* Queue.take(seen).pipe(Effect.timeout("10 seconds"), Effect.orDie)
        const joined = u.participants.some(
          (p) => p.peer instanceof Api.PeerUser && p.peer.userId.toString() === bob.id.toString()
        )
        if (!joined) continue
        const entities = (u as unknown as { readonly _entities: Map<string, Api.TypeUser> })._entities
        const bobUser = [...entities.values()].find((x) => x.id.toString() === bob.id.toString())
        assert.instanceOf(bobUser, Api.User)
        if (bobUser instanceof Api.User)
          assert.strictEqual(bobUser.accessHash?.toString(), bob.accessHash.toString())
        break
      }
    })
  )
})
