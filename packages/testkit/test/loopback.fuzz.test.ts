/**
 * 10 000 malformed frames (seeded) over many raw connections must cost those connections
 * only: afterwards two stock GramJS clients that were connected all along still place a whole
 * call through the in-memory world, and a new client connects.
 */
import { createDiffieHellman, createHash } from "node:crypto"
import * as Zlib from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Queue, Redacted } from "effect"
import { Api, type TelegramClient } from "telegram"
import { Raw } from "telegram/events/index.js"
import { encryptMessage } from "../src/internal/mtproto/crypto.js"
import type { TransportKind } from "../src/internal/mtproto/framing.js"
import { RawClient } from "../src/internal/mtproto/rawClient.js"
import { toLong } from "../src/internal/mtproto/tl.js"
import * as LoopbackServer from "../src/LoopbackServer.js"
import * as TestTelegram from "../src/TestTelegram.js"
import { gramjsProtocol, stockClient } from "./support-loopback.js"

/** xorshift32: a small seeded generator, so a failure replays exactly. */
const rng = (seed: number) => {
  let s = seed >>> 0 || 1
  const next = () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s
  }
  return {
    int: (n: number) => next() % n,
    bytes: (n: number) => {
      const b = Buffer.alloc(n)
      for (let i = 0; i < n; i++) b[i] = next() & 0xff
      return b
    }
  }
}

type Rng = ReturnType<typeof rng>

const full = (payload: Buffer, seq: number, breakCrc = false): Buffer => {
  const len = payload.length + 12
  const out = Buffer.alloc(len)
  out.writeInt32LE(len, 0)
  out.writeInt32LE(seq, 4)
  payload.copy(out, 8)
  out.writeUInt32LE((Zlib.crc32(out.subarray(0, len - 4)) ^ (breakCrc ? 1 : 0)) >>> 0, len - 4)
  return out
}

/** One malformed frame of a random kind, as raw bytes for a connection of `kind`. */
const malformed = (r: Rng, kind: TransportKind, knownKey: Buffer): Buffer => {
  const payloadLen = 24 + 16 * (1 + r.int(8))
  switch (r.int(10)) {
    case 0: // random bytes
      return r.bytes(1 + r.int(200))
    case 1: // wrong auth_key_id
      return frameFor(kind, r.bytes(payloadLen))
    case 2: // right key id, garbage ciphertext (msg_key check fails)
      return frameFor(
        kind,
        Buffer.concat([encryptMessage(knownKey, Buffer.alloc(48), 0).subarray(0, 8), r.bytes(payloadLen - 8)])
      )
    case 3: // oversized length header
      return lengthOnly(kind, 8 * 1024 * 1024 + r.int(1000) * 4)
    case 4: // negative / tiny / misaligned lengths
      return lengthOnly(kind, [-4, 0, 4, 7, 13, -404][r.int(6)]!)
    case 5: // bad CRC (TCP Full) or a 4-byte transport-error frame
      return kind === "full" ? full(r.bytes(payloadLen), 0, true) : frameFor(kind, r.bytes(4))
    case 6: // truncated valid-looking frame
      return frameFor(kind, r.bytes(payloadLen)).subarray(0, 1 + r.int(payloadLen))
    case 7: // unencrypted garbage (handshake path)
      return frameFor(
        kind,
        Buffer.concat([Buffer.alloc(8), r.bytes(8), Buffer.from([16, 0, 0, 0]), r.bytes(16)])
      )
    case 8: // right key, valid msg_key, nonsense inner length
      return frameFor(
        kind,
        encryptMessage(
          knownKey,
          Buffer.concat([r.bytes(28), Buffer.from([0xff, 0xff, 0, 0]), r.bytes(16)]),
          0
        )
      )
    default: // right key, valid encryption, garbage TL body
      return frameFor(
        kind,
        encryptMessage(
          knownKey,
          Buffer.concat([r.bytes(24), Buffer.from([1, 0, 0, 0, 16, 0, 0, 0]), r.bytes(16)]),
          0
        )
      )
  }
}

const frameFor = (kind: TransportKind, payload: Buffer): Buffer => {
  switch (kind) {
    case "full":
      return full(payload, 0)
    case "intermediate":
    case "padded": {
      const h = Buffer.alloc(4)
      h.writeUInt32LE(payload.length)
      return Buffer.concat([h, payload])
    }
    case "abridged": {
      const words = payload.length >> 2
      return Buffer.concat([
        words < 0x7f ? Buffer.from([words]) : Buffer.from([0x7f, words & 0xff, words >> 8, 0]),
        payload
      ])
    }
  }
}

const lengthOnly = (kind: TransportKind, len: number): Buffer => {
  if (kind === "abridged") return Buffer.from([0x7f, 0xff, 0xff, 0xff])
  const h = Buffer.alloc(8)
  h.writeInt32LE(len, 0)
  return h
}

const connect = stockClient

const FRAMES = 10_000
/** How many raw connections the four seeded workers open for those frames. */
const CONNECTIONS = 480

/** Next `UpdatePhoneCall` of a given kind from a client's queue. */
const nextCall = <T>(queue: Queue.Queue<Api.TypePhoneCall>, ctor: abstract new (...args: never) => T) =>
  Effect.gen(function* () {
    for (;;) {
      const c = yield* Queue.take(queue).pipe(Effect.timeout("5 seconds"), Effect.orDie)
      if (c instanceof ctor) return c as T
    }
  })

const phoneCallsOf = (client: TelegramClient) =>
  Effect.gen(function* () {
    const q = yield* Queue.unbounded<Api.TypePhoneCall>()
    client.addEventHandler(
      (u: Api.TypeUpdate) => {
        if (u instanceof Api.UpdatePhoneCall) Queue.offerUnsafe(q, u.phoneCall)
      },
      new Raw({ types: [Api.UpdatePhoneCall] })
    )
    return q
  })

/** A whole call between two stock clients through the world: request → received → accept → confirm → discard. */
const wholeCall = (a: TelegramClient, b: TelegramClient, callee: TestTelegram.TestUser) =>
  Effect.gen(function* () {
    const aq = yield* phoneCallsOf(a)
    const bq = yield* phoneCallsOf(b)
    const dh = yield* Effect.promise(() =>
      a.invoke(new Api.messages.GetDhConfig({ version: 0, randomLength: 256 }))
    )
    if (!(dh instanceof Api.messages.DhConfig)) return yield* Effect.die("expected a DhConfig")
    const aliceDh = createDiffieHellman(dh.p, Buffer.from([dh.g]))
    const gA = aliceDh.generateKeys()
    yield* Effect.promise(() =>
      a.invoke(
        new Api.phone.RequestCall({
          userId: new Api.InputUser({ userId: toLong(callee.id), accessHash: toLong(callee.accessHash) }),
          randomId: 7,
          gAHash: createHash("sha256").update(gA).digest(),
          protocol: gramjsProtocol()
        })
      )
    )
    const requested = yield* nextCall(bq, Api.PhoneCallRequested)
    const peer = new Api.InputPhoneCall({ id: requested.id, accessHash: requested.accessHash })
    yield* Effect.promise(() => b.invoke(new Api.phone.ReceivedCall({ peer })))
    const bobDh = createDiffieHellman(dh.p, Buffer.from([dh.g]))
    const gB = bobDh.generateKeys()
    yield* Effect.promise(() => b.invoke(new Api.phone.AcceptCall({ peer, gB, protocol: gramjsProtocol() })))
    const accepted = yield* nextCall(aq, Api.PhoneCallAccepted)
    const key = aliceDh.computeSecret(accepted.gB)
    const fingerprint = createHash("sha1").update(key).digest().readBigInt64LE(12)
    yield* Effect.promise(() =>
      a.invoke(
        new Api.phone.ConfirmCall({
          peer,
          gA,
          keyFingerprint: toLong(fingerprint),
          protocol: gramjsProtocol()
        })
      )
    )
    const active = yield* nextCall(bq, Api.PhoneCall)
    assert.isTrue(bobDh.computeSecret(active.gAOrB).equals(key))
    yield* Effect.promise(() =>
      a.invoke(
        new Api.phone.DiscardCall({
          peer,
          duration: 1,
          reason: new Api.PhoneCallDiscardReasonHangup(),
          connectionId: toLong(0n)
        })
      )
    )
    yield* nextCall(bq, Api.PhoneCallDiscarded)
  })

describe("LoopbackServer under malformed input", () => {
  it.live(`survives ${FRAMES} malformed frames and keeps serving`, () =>
    Effect.gen(function* () {
      const problems: Array<string> = []
      const world = yield* TestTelegram.make({ seed: "fuzz" })
      const alice = yield* Effect.orDie(world.addUser({ firstName: "Alice" }))
      const bob = yield* Effect.orDie(world.addUser({ firstName: "Bob" }))
      const server = yield* LoopbackServer.serve(world, { onProblem: (p) => problems.push(p) })
      const a = yield* connect(server, alice.id)
      const b = yield* connect(server, bob.id)
      const knownKey = Buffer.from(
        Redacted.value(yield* server.mintSession(alice.id)).slice(1),
        "base64"
      ).subarray(-256)

      const kinds: ReadonlyArray<TransportKind> = ["full", "intermediate", "padded", "abridged"]
      // four workers, each with its own seeded generator and a quarter of the frames, so the
      // frames and connections do not depend on how the workers interleave
      const worker = async (seed: number) => {
        const r = rng(seed)
        let sent = 0
        let connections = 0
        while (sent < FRAMES / 4) {
          const kind = kinds[r.int(kinds.length)]!
          const c = await RawClient.connect(server.port, kind)
          connections++
          const batch: Array<Buffer> = []
          const n = 1 + r.int(40)
          for (let i = 0; i < n && sent < FRAMES / 4; i++, sent++) batch.push(malformed(r, kind, knownKey))
          c.writeRaw(Buffer.concat(batch))
          // half the connections hang up abruptly, half wait for the server to close
          if (r.int(2) === 0) await c.close()
          else
            await Promise.race([c.closedPromise, new Promise((res) => setTimeout(res, 200))]).then(() =>
              c.close()
            )
        }
        return { sent, connections }
      }
      const workers = yield* Effect.promise(() =>
        Promise.all([0x5eed, 0x5eee, 0x5eef, 0x5ef0].map((seed) => worker(seed)))
      )
      assert.deepStrictEqual(
        workers.map((w) => w.sent),
        [2500, 2500, 2500, 2500]
      )
      const connections = workers.reduce((n, w) => n + w.connections, 0)
      assert.strictEqual(connections, CONNECTIONS)
      const stats = yield* server.stats
      // most raw connections were closed for their errors (the rest hung up first), each one
      // reported as a problem of that connection, and nothing else went wrong
      assert.isAbove(stats.connectionsClosedForErrors, 100)
      assert.isAtMost(stats.connectionsClosedForErrors, connections)
      assert.strictEqual(problems.length, stats.connectionsClosedForErrors)
      const reasons = problems.map((p) => /^connection \d+: (.*)$/.exec(p)?.[1] ?? `not a connection's: ${p}`)
      assert.deepStrictEqual(
        reasons.filter((r) => r.startsWith("not a connection's")),
        []
      )
      // every malformation was caught by its own check: a foreign auth_key_id (answered with
      // transport error -404, one per such connection), a wrong msg_key, a nonsense inner
      // length, the client's own transport-error frame
      const checks = new Set(reasons.map((r) => r.replace(/ \(.*\)$/, "").replace(/ -?\d+$/, "")))
      assert.includeMembers(
        [...checks],
        [
          "unknown auth_key_id",
          "undecryptable message",
          "bad message length",
          "client sent a transport error"
        ]
      )
      assert.strictEqual(stats.transportErrorsSent, reasons.filter((r) => r === "unknown auth_key_id").length)

      // the clients connected before the storm still place a whole call
      yield* wholeCall(a, b, bob)
      // and a new client connects and works
      const c = yield* connect(server, alice.id)
      const me = yield* Effect.promise(() => c.getMe())
      assert.strictEqual(me.id.toString(), alice.id.toString())
      // every raw connection is gone; only the three GramJS clients remain
      assert.strictEqual(yield* server.connectionCount, 3)
      assert.strictEqual((yield* world.calls)[0]?.state, "Discarded")
    })
  )
})
