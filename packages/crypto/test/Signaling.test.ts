/**
 * Signalling (docs/security.md §8): the vector-1 KDF of fixtures/call-handshake.json, AES-CTR
 * (noble) against NIST SP 800-38A and node:crypto, and every layout against
 * fixtures/signaling-vectors.json, which make_signaling_vectors.mjs builds from tgcalls'
 * layouts with node:crypto alone: raw, framed (single and several messages, acks, flag bits,
 * malformed packets), SCTP, the replay window. Then a property test: two sessions of every
 * advertised version exchange messages over a lossy, reordering, duplicating channel.
 */
import { createCipheriv } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Redacted, Result, Stream } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { Protocol, Signaling } from "../src/index.js"
import { fixture, hex, toHex } from "./helpers.js"

interface KdfVector {
  readonly sender: "caller" | "callee"
  readonly x: number
  readonly plaintext_hex: string
  readonly msg_key_hex: string
  readonly aes_key_hex: string
  readonly aes_iv_hex: string
}

const vector1 = (
  JSON.parse(fixture("call-handshake.json")) as {
    readonly vectors: ReadonlyArray<{
      readonly name: string
      readonly key_hex: string
      readonly beyond_handshake_signaling_kdf: ReadonlyArray<KdfVector>
    }>
  }
).vectors.find((v) => v.name === "vector-1")!

interface Vectors {
  readonly key: string
  readonly raw: ReadonlyArray<{ from: string; counter: number; message: string; packet: string }>
  readonly framed: ReadonlyArray<{
    name: string
    from: string
    packetCounter: number
    packet: string
    messages: ReadonlyArray<{ counter: number; message: string }>
    acks: ReadonlyArray<number>
  }>
  readonly malformed: ReadonlyArray<{ reason: string; packet: string }>
  readonly replay: ReadonlyArray<{ seq: number; packet: string; expected: string }>
  readonly sctp: {
    ourTag: number
    peerTag: number
    peerTsn: number
    init: string
    data: string
    dataFragments: ReadonlyArray<string>
    innerMessage: string
    innerCounter: number
    badChecksum: string
  }
}
const V = JSON.parse(fixture("signaling-vectors.json")) as Vectors
const key = hex(V.key)

const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) assert.fail(`expected success, got ${String(r.failure)}`)
  return (r as Result.Success<A, E>).success
}
const err = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) assert.fail("expected a failure")
  return (r as Result.Failure<A, E>).failure
}
const session = (isOutgoing: boolean, libraryVersion: string, extra?: Partial<Signaling.ChannelOptions>) =>
  ok(Signaling.makeSession(key, isOutgoing, { libraryVersion, ...extra }))

describe("Signaling: KDF and AES", () => {
  for (const v of vector1.beyond_handshake_signaling_kdf) {
    it(`vector-1, ${v.sender} sends (x = ${v.x}): msg_key, aes_key, aes_iv`, () => {
      const k = hex(vector1.key_hex)
      const mk = ok(Signaling.msgKey(k, hex(v.plaintext_hex), v.x))
      assert.strictEqual(toHex(mk), v.msg_key_hex)
      const keys = ok(Signaling.kdf(Redacted.make(k), mk, v.x))
      assert.strictEqual(toHex(keys.aesKey), v.aes_key_hex)
      assert.strictEqual(toHex(keys.aesIv), v.aes_iv_hex)
    })
  }

  it("AES-256-CTR: NIST SP 800-38A F.5.5", () => {
    const out = ok(
      Signaling.aes256Ctr(
        hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"),
        hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
        hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
      )
    )
    assert.strictEqual(toHex(out), "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5")
  })

  it("AES-256-CTR matches OpenSSL (node:crypto), counter carry across all 128 bits included", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constant(new Uint8Array(16).fill(255))),
        fc.uint8Array({ maxLength: 300 }),
        (k, iv, data) => {
          const c = createCipheriv("aes-256-ctr", k, iv)
          const expected = Buffer.concat([c.update(data), c.final()])
          assert.strictEqual(toHex(ok(Signaling.aes256Ctr(k, iv, data))), expected.toString("hex"))
        }
      ),
      { numRuns: 200 }
    )
  })

  it("a key that is not a 256-byte Uint8Array is a typed error, never a throw", () => {
    for (const bad of [Array(256).fill(0), new Uint16Array(256), "x".repeat(256), undefined]) {
      const e = err(Signaling.kdf(bad as unknown as Uint8Array, new Uint8Array(16), 128))
      assert.strictEqual(e._tag, "SignalingArgumentInvalid")
      const s = err(Signaling.makeSession(bad as unknown as Uint8Array, true, { libraryVersion: "7.0.0" }))
      assert.strictEqual(s._tag, "SignalingArgumentInvalid")
    }
    assert.strictEqual(err(Signaling.kdf(key.subarray(1), new Uint8Array(16), 128))._tag, "KeyLengthInvalid")
    assert.strictEqual(err(Signaling.kdf(key, new Uint8Array(15), 128))._tag, "SignalingArgumentInvalid")
    assert.strictEqual(err(Signaling.kdf(key, new Uint8Array(16), 137))._tag, "SignalingArgumentInvalid")
    const iv = err(Signaling.aes256Ctr(new Uint8Array(32), new Uint8Array(8), new Uint8Array(1)))
    assert.deepStrictEqual(
      [iv._tag, (iv as Signaling.SignalingArgumentInvalid).argument],
      ["SignalingArgumentInvalid", "iv"]
    )
  })
})

describe("Signaling: version → layout", () => {
  it("every advertised version has a layout; the others are refused", () => {
    for (const v of Protocol.defaultProtocol.libraryVersions)
      assert.isTrue(Result.isSuccess(Signaling.layoutOf(v)))
    assert.deepStrictEqual(
      Protocol.defaultProtocol.libraryVersions.map((v) => ok(Signaling.layoutOf(v))),
      ["sctp", "framed", "framed", "framed", "raw", "raw"]
    )
    for (const v of ["5.0.0", "2.7.7", "2.4.4", "constructor", ""])
      assert.strictEqual(err(Signaling.layoutOf(v))._tag, "SignalingVersionUnsupported")
  })
})

describe("Signaling: raw layout (tgcalls encryptRawPacket / decryptRawPacket)", () => {
  for (const v of V.raw) {
    it(`${v.from} counter ${v.counter}: encodes to the vector and decodes from it`, () => {
      const fromCaller = v.from === "caller"
      const sender = session(fromCaller, "7.0.0", { firstSeq: v.counter })
      assert.deepStrictEqual(ok(sender.send(hex(v.message), 0)).map(toHex), [v.packet])
      const receiver = session(!fromCaller, "6.0.0")
      const r = ok(receiver.receive(hex(v.packet), 0))
      assert.deepStrictEqual(
        r.messages.map((m) => [m.counter, toHex(m.message)]),
        [[v.counter, v.message]]
      )
      const d = ok(Signaling.decryptPacket(key, { isOutgoing: !fromCaller, packet: hex(v.packet) }))
      assert.deepStrictEqual(
        [d.seq, d.counter, toHex(d.messages[0]!.message)],
        [v.counter, v.counter, v.message]
      )
    })
  }

  it("packets under 21 bytes or over 128 KiB are typed errors", () => {
    const receiver = session(false, "7.0.0")
    assert.strictEqual(err(receiver.receive(new Uint8Array(20), 0)).reason, "too-short")
    const tooLong = err(receiver.receive(new Uint8Array(128 * 1024 + 1), 0))
    assert.deepStrictEqual([tooLong._tag, tooLong.reason], ["SignalingPacketInvalid", "too-long"])
    assert.strictEqual(err(receiver.receive(new Uint8Array(128 * 1024), 0)).reason, "msg-key-mismatch")
  })

  it("the replay window runs on the counter, flag bits cleared, as registerIncomingCounter", () => {
    const receiver = session(false, "7.0.0")
    const got = V.replay.map((v) => {
      const r = receiver.receive(hex(v.packet), 0)
      return Result.isSuccess(r) ? "accepted" : (r.failure as Signaling.SignalingReplay).reason
    })
    assert.deepStrictEqual(
      got,
      V.replay.map((v) => v.expected)
    )
    assert.include(got, "too-old")
    assert.include(got, "duplicate")
  })

  it("the send counter stops at 2^30 - 1 with SignalingSeqExhausted; received counters never end anything", () => {
    const sender = session(true, "7.0.0", { firstSeq: Signaling.MAX_SEND_COUNTER })
    assert.strictEqual(ok(sender.send(new Uint8Array(1), 0)).length, 1)
    assert.strictEqual(err(sender.send(new Uint8Array(1), 0))._tag, "SignalingSeqExhausted")
  })
})

describe("Signaling: framed layout (tgcalls prepareForSendingRawMessage / handleIncomingRawPacket)", () => {
  for (const v of V.framed) {
    it(`decodes: ${v.name}`, () => {
      const fromCaller = v.from === "caller"
      const d = ok(
        Signaling.decryptPacket(key, { isOutgoing: !fromCaller, packet: hex(v.packet), layout: "framed" })
      )
      assert.strictEqual(d.counter, v.packetCounter)
      assert.deepStrictEqual(
        d.messages.map((m) => ({ counter: m.counter, message: toHex(m.message) })),
        v.messages
      )
      assert.deepStrictEqual(d.acks, v.acks)
      const receiver = session(!fromCaller, "9.0.0")
      const r = ok(receiver.receive(hex(v.packet), 0))
      assert.deepStrictEqual(
        r.messages.map((m) => ({ counter: m.counter, message: toHex(m.message) })),
        v.messages
      )
    })
  }

  it("encodes a first message and a reply carrying the ack exactly as the vectors", () => {
    const [first, reply] = V.framed
    const caller = session(true, "8.0.0")
    const callee = session(false, "8.0.0")
    assert.deepStrictEqual(ok(caller.send(hex(first!.messages[0]!.message), 0)).map(toHex), [first!.packet])
    ok(callee.receive(hex(first!.packet), 0))
    assert.deepStrictEqual(ok(callee.send(hex(reply!.messages[0]!.message), 0)).map(toHex), [reply!.packet])
    // The ack clears the caller's resend queue: what the caller sends later only acks the reply.
    ok(caller.receive(hex(reply!.packet), 0))
    const later = caller.tick(60_000)
    assert.strictEqual(later.length, 1)
    const d = ok(Signaling.decryptPacket(key, { isOutgoing: false, packet: later[0]!, layout: "framed" }))
    assert.deepStrictEqual([d.messages.length, d.acks], [0, [(1 | Signaling.REQUIRES_ACK_SEQ_BIT) >>> 0]])
    assert.deepStrictEqual(caller.tick(120_000), [])
  })

  for (const v of V.malformed) {
    it(`refuses a malformed packet: ${v.reason}`, () => {
      const e = err(session(false, "10.0.0").receive(hex(v.packet), 0))
      assert.deepStrictEqual(
        [e._tag, (e as Signaling.SignalingPacketInvalid).detail],
        ["SignalingPacketInvalid", v.reason]
      )
    })
  }

  it("a lost message is resent with its own counter and flag bits; the receiver acks and skips repeats", () => {
    const caller = session(true, "9.0.0")
    const callee = session(false, "9.0.0")
    ok(caller.send(new TextEncoder().encode("lost"), 0)) // dropped on the way
    const resent = caller.tick(5_000)
    assert.strictEqual(resent.length, 1)
    const d = ok(Signaling.decryptPacket(key, { isOutgoing: false, packet: resent[0]!, layout: "framed" }))
    assert.deepStrictEqual([d.counter, d.requiresAck, d.messages[0]!.counter], [2, false, 1])
    assert.strictEqual(ok(callee.receive(resent[0]!, 5_000)).messages.length, 1)
    // The same message again (another resend) is acked but not delivered twice.
    const again = caller.tick(10_000)
    assert.strictEqual(again.length, 1)
    assert.strictEqual(ok(callee.receive(again[0]!, 10_000)).messages.length, 0)
  })

  it("a message over the 16 KiB packet limit is refused with a typed error", () => {
    const e = err(session(true, "9.0.0").send(new Uint8Array(16 * 1024), 0))
    assert.deepStrictEqual(
      [e._tag, (e as Signaling.SignalingMessageRefused).reason],
      ["SignalingMessageRefused", "too-large"]
    )
  })
})

describe("Signaling: SCTP layout (tgcalls SignalingSctpConnection, 11.0.0)", () => {
  const sctpOptions = { sctp: { tag: V.sctp.ourTag, tsn: 5000, cookie: new Uint8Array(16).fill(9) } }
  const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, false)

  it("answers the peer's INIT, then takes encrypted raw packets from DATA chunks (also fragmented)", () => {
    const s = session(true, "11.0.0", sctpOptions)
    const start = s.start(0)
    assert.strictEqual(start[0]![12], 1) // our INIT
    const r = ok(s.receive(hex(V.sctp.init), 0))
    const initAck = r.outgoing[0]!
    assert.deepStrictEqual(
      [u32(initAck, 4), initAck[12], u32(initAck, 16)],
      [V.sctp.peerTag, 2, V.sctp.ourTag]
    )
    const data = ok(s.receive(hex(V.sctp.data), 0))
    assert.deepStrictEqual(
      data.messages.map((m) => [m.counter, toHex(m.message)]),
      [[V.sctp.innerCounter, V.sctp.innerMessage]]
    )
    const sack = data.outgoing[0]!
    assert.deepStrictEqual([sack[12], u32(sack, 16)], [3, V.sctp.peerTsn])
    // The same inner packet again, fragmented: SCTP delivers it, the replay window drops it.
    assert.strictEqual(ok(s.receive(hex(V.sctp.dataFragments[0]!), 0)).messages.length, 0)
    const last = ok(s.receive(hex(V.sctp.dataFragments[1]!), 0))
    assert.deepStrictEqual([last.messages.length, last.dropped[0]?._tag], [0, "SignalingReplay"])
  })

  it("refuses a packet with a wrong CRC-32C", () => {
    const s = session(true, "11.0.0", sctpOptions)
    ok(s.receive(hex(V.sctp.init), 0))
    const e = err(s.receive(hex(V.sctp.badChecksum), 0))
    assert.deepStrictEqual(
      [e._tag, (e as Signaling.SignalingPacketInvalid).detail],
      ["SignalingPacketInvalid", "bad-checksum"]
    )
  })
})

describe("Signaling: two peers of every advertised version over a bad network", () => {
  for (const version of Protocol.defaultProtocol.libraryVersions) {
    const layout = ok(Signaling.layoutOf(version))
    it(`${version} (${layout}): loss, reordering and duplication`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ fromCaller: fc.boolean(), size: fc.integer({ min: 0, max: 3000 }) }), {
            minLength: 1,
            maxLength: 60
          }),
          fc.infiniteStream(fc.integer({ min: 0, max: 99 })),
          (sends, dice) => {
            const caller = session(true, version)
            const callee = session(false, version)
            const peers = [caller, callee] as const
            const inFlight: Array<{ to: 0 | 1; packet: Uint8Array }> = []
            const got: [Array<string>, Array<string>] = [[], []]
            const sent: [Array<string>, Array<string>] = [[], []]
            const roll = dice[Symbol.iterator]()
            const die = () => roll.next().value as number
            const lossy = layout !== "raw"
            const push = (to: 0 | 1, packets: ReadonlyArray<Uint8Array>, network: boolean) => {
              for (const packet of packets) {
                const d = network ? die() : 50
                if (network && lossy && d < 15) continue // lost
                inFlight.push({ to, packet })
                if (network && d >= 90) inFlight.push({ to, packet }) // duplicated
              }
            }
            const deliver = (now: number, reorder: boolean) => {
              while (inFlight.length > 0) {
                const i = reorder ? die() % Math.min(inFlight.length, 4) : 0
                const [{ to, packet }] = inFlight.splice(i, 1) as [{ to: 0 | 1; packet: Uint8Array }]
                const r = peers[to].receive(packet, now)
                if (Result.isSuccess(r)) {
                  for (const m of r.success.messages)
                    got[to].push(new TextDecoder().decode(m.message).slice(0, 12))
                  push(to === 0 ? 1 : 0, r.success.outgoing, true)
                }
              }
            }
            let now = 0
            push(1, caller.start(now), true)
            push(0, callee.start(now), true)
            sends.forEach((s, n) => {
              const from = s.fromCaller ? 0 : 1
              const text = `${from}:${String(n).padStart(9, "0")}`.padEnd(s.size + 12, "x")
              sent[from].push(text.slice(0, 12))
              push(from === 0 ? 1 : 0, ok(peers[from].send(new TextEncoder().encode(text), now)), true)
              if (die() < 30) {
                now += 100 + die() * 20
                push(1, caller.tick(now), true)
                push(0, callee.tick(now), true)
                deliver(now, true)
              }
            })
            deliver(now, true)
            // Quiet network until every timer has done its work.
            for (let round = 0; round < 40; round++) {
              now += 5_000
              push(1, caller.tick(now), false)
              push(0, callee.tick(now), false)
              deliver(now, false)
            }
            for (const to of [0, 1] as const) {
              const expected = sent[to === 0 ? 1 : 0]
              assert.strictEqual(new Set(got[to]).size, got[to].length, "no message delivered twice")
              if (layout === "raw") {
                for (const m of got[to]) assert.include(expected, m)
              } else {
                assert.deepStrictEqual([...got[to]].sort(), [...expected].sort())
                if (layout === "sctp") assert.deepStrictEqual(got[to], expected, "SCTP stream 0 is ordered")
              }
            }
          }
        ),
        { numRuns: 25 }
      )
    })
  }
})

describe("Signaling: makeChannel (Effect, Clock-driven timers)", () => {
  it.effect("a framed channel resends a lost message after 5 s of TestClock time", () =>
    Effect.gen(function* () {
      const caller = yield* Signaling.makeChannel(key, true, { libraryVersion: "10.0.0" })
      const callee = yield* Signaling.makeChannel(key, false, { libraryVersion: "10.0.0" })
      const two = yield* Effect.forkChild(Stream.runCollect(Stream.take(caller.outgoing, 2)))
      yield* caller.send(new TextEncoder().encode("hello"))
      yield* TestClock.adjust("5 seconds")
      const [, resend] = yield* Fiber.join(two)
      const r = yield* callee.receive(resend!)
      assert.deepStrictEqual(
        r.messages.map((m) => new TextDecoder().decode(m.message)),
        ["hello"]
      )
      const e = yield* Effect.flip(callee.receive(resend!))
      assert.strictEqual(e._tag, "SignalingReplay")
    })
  )

  it.effect("an unsupported version is a typed error", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(Signaling.makeChannel(key, true, { libraryVersion: "5.0.0" }))
      assert.strictEqual(e._tag, "SignalingVersionUnsupported")
    })
  )
})
