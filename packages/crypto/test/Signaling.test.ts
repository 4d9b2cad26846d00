/**
 * Signalling-data encryption (spec §6) on both AES backends: the vector-1 KDF values of
 * fixtures/call-handshake.json (`beyond_handshake_signaling_kdf`, both directions), FIPS-197 and
 * NIST SP 800-38A known answers for the AES core and the CTR mode, round trips, tampering,
 * short packets, the replay window, the 2^30 limit, and a differential property test.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Redacted } from "effect"
import fc from "fast-check"
import { Signaling } from "../src/index.js"
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
const key = hex(vector1.key_hex)

const native = Option.getOrThrowWith(
  Signaling.native(),
  () => new Error("node:crypto AES unavailable on Node")
)
const aesBackends: ReadonlyArray<readonly [string, Signaling.AesCtrBackend]> = [
  ["native", native],
  ["portable", Signaling.portable]
]

/** Runs a synchronous effect with the given AES backend (throws on failure). */
const run =
  (backend: Signaling.AesCtrBackend) =>
  <A, E>(self: Effect.Effect<A, E>): A =>
    Effect.runSync(Effect.provideService(self, Signaling.AesCtr, backend))

/** Runs a synchronous effect that must fail and returns its error. */
const fail =
  (backend: Signaling.AesCtrBackend) =>
  <A, E>(self: Effect.Effect<A, E>): E =>
    Effect.runSync(Effect.flip(Effect.provideService(self, Signaling.AesCtr, backend)))

// NIST SP 800-38A, Appendix F.5.5 CTR-AES256.Encrypt.
const F55 = {
  key: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
  counter: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
  plaintext:
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
  ciphertext:
    "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"
}

describe("Signaling: AES core", () => {
  it("FIPS-197 Appendix C.3 (AES-256) on the portable block cipher", () => {
    const out = Effect.runSync(
      Signaling.aes256EncryptBlock(
        hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
        hex("00112233445566778899aabbccddeeff")
      )
    )
    assert.strictEqual(toHex(out), "8ea2b7ca516745bfeafc49904b496089")
  })

  it("NIST SP 800-38A F.1.5 (ECB-AES256) block 1 on the portable block cipher", () => {
    const out = Effect.runSync(
      Signaling.aes256EncryptBlock(hex(F55.key), hex("6bc1bee22e409f96e93d7e117393172a"))
    )
    assert.strictEqual(toHex(out), "f3eed1bdb5d2a03c064b5a7e3db181f8")
  })

  it("bad AES arguments are typed errors", () => {
    const short = Effect.runSync(
      Effect.flip(Signaling.aes256EncryptBlock(new Uint8Array(16), new Uint8Array(16)))
    )
    assert.strictEqual(short._tag, "KeyLengthInvalid")
    const block = Effect.runSync(
      Effect.flip(Signaling.aes256EncryptBlock(new Uint8Array(32), new Uint8Array(15)))
    )
    assert.deepStrictEqual(
      [block._tag, block.message],
      ["SignalingArgumentInvalid", "an AES block must be 16 bytes, got 15"]
    )
    const iv = Effect.runSync(
      Effect.flip(Signaling.aes256Ctr(new Uint8Array(32), new Uint8Array(8), new Uint8Array(1)))
    )
    assert.strictEqual(iv._tag === "SignalingArgumentInvalid" && iv.argument, "iv")
  })

  for (const [name, backend] of aesBackends) {
    describe(name, () => {
      it("NIST SP 800-38A F.5.5 CTR-AES256.Encrypt, and F.5.6 Decrypt", () => {
        const enc = run(backend)(Signaling.aes256Ctr(hex(F55.key), hex(F55.counter), hex(F55.plaintext)))
        assert.strictEqual(toHex(enc), F55.ciphertext)
        const dec = run(backend)(Signaling.aes256Ctr(hex(F55.key), hex(F55.counter), hex(F55.ciphertext)))
        assert.strictEqual(toHex(dec), F55.plaintext)
      })

      it("F.5.5 with partial blocks: every prefix length gives the prefix of the ciphertext", () => {
        for (const length of [0, 1, 15, 17, 31, 33, 63]) {
          const enc = run(backend)(
            Signaling.aes256Ctr(hex(F55.key), hex(F55.counter), hex(F55.plaintext).subarray(0, length))
          )
          assert.strictEqual(toHex(enc), F55.ciphertext.slice(0, 2 * length))
        }
      })

      it("the counter is the whole 128-bit block: ff..ff wraps to 00..00 (OpenSSL CRYPTO_ctr128)", () => {
        // The keystream of block 2 starting at ff..ff equals the keystream of block 1 at 00..00.
        const k = hex(F55.key)
        const zeros = new Uint8Array(32)
        const fromMax = run(backend)(Signaling.aes256Ctr(k, new Uint8Array(16).fill(255), zeros))
        const fromZero = run(backend)(Signaling.aes256Ctr(k, new Uint8Array(16), zeros.subarray(0, 16)))
        assert.strictEqual(toHex(fromMax.subarray(16)), toHex(fromZero))
        // A carry across the low 64 bits (not a 64-bit counter with a fixed nonce).
        const iv = hex("000000000000000effffffffffffffff")
        const carried = run(backend)(Signaling.aes256Ctr(k, iv, zeros))
        const next = run(backend)(
          Signaling.aes256Ctr(k, hex("000000000000000f0000000000000000"), zeros.subarray(0, 16))
        )
        assert.strictEqual(toHex(carried.subarray(16)), toHex(next))
      })
    })
  }
})

describe("Signaling: vector-1 KDF (fixtures/call-handshake.json)", () => {
  for (const v of vector1.beyond_handshake_signaling_kdf) {
    it(`${v.sender} sends (x = ${v.x}): msg_key, aes_key, aes_iv`, () => {
      const isOutgoing = v.sender === "caller"
      assert.strictEqual(Signaling.senderX(isOutgoing), v.x)
      const plaintext = hex(v.plaintext_hex)
      const mk = Effect.runSync(Signaling.msgKey(key, plaintext, v.x))
      assert.strictEqual(toHex(mk), v.msg_key_hex)
      const keys = Effect.runSync(Signaling.kdf(Redacted.make(key), mk, v.x))
      assert.strictEqual(toHex(keys.aesKey), v.aes_key_hex)
      assert.strictEqual(toHex(keys.aesIv), v.aes_iv_hex)
    })

    for (const [name, backend] of aesBackends) {
      it(`${v.sender} sends, ${name}: the packet is msg_key ‖ AES-256-CTR(aes_key, aes_iv)(plaintext)`, () => {
        const isOutgoing = v.sender === "caller"
        const plaintext = hex(v.plaintext_hex)
        const seq = new DataView(plaintext.buffer).getUint32(0)
        const payload = plaintext.slice(4)
        const packet = run(backend)(Signaling.encryptPacket(key, { isOutgoing, seq, payload }))
        assert.strictEqual(toHex(packet.subarray(0, 16)), v.msg_key_hex)
        // The body decrypts with the vector's aes_key/aes_iv on the other backend.
        const other = backend === native ? Signaling.portable : native
        const body = other.ctr(hex(v.aes_key_hex), hex(v.aes_iv_hex), packet.subarray(16))
        assert.strictEqual(toHex(body), v.plaintext_hex)
        // The receiver (the other role) gets seq and payload back.
        const out = run(backend)(Signaling.decryptPacket(key, { isOutgoing: !isOutgoing, packet }))
        assert.strictEqual(out.seq, 1)
        assert.strictEqual(new TextDecoder().decode(out.payload), '{"@type":"example"}')
      })
    }
  }

  it("the two directions use different keys (x = 128 vs 136)", () => {
    const [caller, callee] = vector1.beyond_handshake_signaling_kdf
    assert.strictEqual(caller!.plaintext_hex, callee!.plaintext_hex)
    assert.notStrictEqual(caller!.msg_key_hex, callee!.msg_key_hex)
  })

  it("bad KDF arguments are typed errors", () => {
    const k = Effect.runSync(Effect.flip(Signaling.kdf(key.subarray(1), new Uint8Array(16), 128)))
    assert.deepStrictEqual([k._tag, k._tag === "KeyLengthInvalid" && k.length], ["KeyLengthInvalid", 255])
    const m = Effect.runSync(Effect.flip(Signaling.kdf(key, new Uint8Array(15), 128)))
    assert.strictEqual(m._tag === "SignalingArgumentInvalid" && m.argument, "msgKey")
    for (const x of [-1, 137, 1.5, Number.NaN]) {
      const e = Effect.runSync(Effect.flip(Signaling.kdf(key, new Uint8Array(16), x)))
      assert.strictEqual(e._tag === "SignalingArgumentInvalid" && e.argument, "x")
    }
    for (const seq of [-1, 2 ** 32, 0.5]) {
      const e = Effect.runSync(
        Effect.flip(Signaling.encryptPacket(key, { isOutgoing: true, seq, payload: new Uint8Array(1) }))
      )
      assert.strictEqual(e._tag === "SignalingArgumentInvalid" && e.argument, "seq")
    }
    const d = Effect.runSync(
      Effect.flip(
        Signaling.decryptPacket(new Uint8Array(10), { isOutgoing: true, packet: new Uint8Array(40) })
      )
    )
    assert.strictEqual(d._tag, "KeyLengthInvalid")
  })
})

describe("Signaling: packets", () => {
  for (const [name, backend] of aesBackends) {
    describe(name, () => {
      const payload = new TextEncoder().encode('{"candidates":[]}')

      it("round trips both ways; the wrong direction fails with msg-key-mismatch", () => {
        for (const senderIsCaller of [true, false]) {
          const packet = run(backend)(
            Signaling.encryptPacket(key, { isOutgoing: senderIsCaller, seq: 7, payload })
          )
          assert.strictEqual(packet.length, 16 + 4 + payload.length)
          const ok = run(backend)(Signaling.decryptPacket(key, { isOutgoing: !senderIsCaller, packet }))
          assert.deepStrictEqual([ok.seq, toHex(ok.payload)], [7, toHex(payload)])
          const wrong = fail(backend)(Signaling.decryptPacket(key, { isOutgoing: senderIsCaller, packet }))
          assert.deepStrictEqual(wrong._tag === "SignalingPacketInvalid" && [wrong.reason, wrong.length], [
            "msg-key-mismatch",
            packet.length
          ])
        }
      })

      it("flipping any bit of any byte is detected", () => {
        const packet = run(backend)(Signaling.encryptPacket(key, { isOutgoing: true, seq: 1, payload }))
        for (let i = 0; i < packet.length; i++) {
          for (const bit of [0x01, 0x80]) {
            const bad = Uint8Array.from(packet)
            bad[i]! ^= bit
            const e = fail(backend)(Signaling.decryptPacket(key, { isOutgoing: false, packet: bad }))
            assert.strictEqual(
              e._tag === "SignalingPacketInvalid" && e.reason,
              "msg-key-mismatch",
              `byte ${i}`
            )
          }
        }
        // Another key is rejected too.
        const otherKey = Uint8Array.from(key)
        otherKey[200]! ^= 1
        const e = fail(backend)(Signaling.decryptPacket(otherKey, { isOutgoing: false, packet }))
        assert.strictEqual(e._tag === "SignalingPacketInvalid" && e.reason, "msg-key-mismatch")
      })

      it("packets shorter than 21 bytes are too-short; 21 bytes are accepted", () => {
        for (const length of [0, 1, 16, 20]) {
          const e = fail(backend)(
            Signaling.decryptPacket(key, { isOutgoing: false, packet: new Uint8Array(length) })
          )
          assert.deepStrictEqual(e._tag === "SignalingPacketInvalid" && [e.reason, e.length], [
            "too-short",
            length
          ])
          assert.include(e.message, `${length} bytes`)
        }
        const packet = run(backend)(
          Signaling.encryptPacket(key, { isOutgoing: true, seq: 1, payload: new Uint8Array([42]) })
        )
        assert.strictEqual(packet.length, 21)
        const ok = run(backend)(Signaling.decryptPacket(key, { isOutgoing: false, packet }))
        assert.deepStrictEqual(Array.from(ok.payload), [42])
        // An empty payload makes a 20-byte packet, which receivers (tgcalls) drop.
        const empty = run(backend)(
          Signaling.encryptPacket(key, { isOutgoing: true, seq: 1, payload: new Uint8Array() })
        )
        const e = fail(backend)(Signaling.decryptPacket(key, { isOutgoing: false, packet: empty }))
        assert.strictEqual(e._tag === "SignalingPacketInvalid" && e.reason, "too-short")
      })
    })
  }
})

describe("Signaling: channel", () => {
  const bytes = (n: number) => new Uint8Array([n, n + 1, n + 2])

  it.effect("caller and callee talk both ways; counters start at 1 per direction", () =>
    Effect.gen(function* () {
      const caller = yield* Signaling.makeChannel(Redacted.make(key), true)
      const callee = yield* Signaling.makeChannel(key, false)
      assert.strictEqual(yield* caller.nextSeq, 1)
      for (let i = 1; i <= 3; i++) {
        const a = yield* callee.decrypt(yield* caller.encrypt(bytes(i)))
        assert.deepStrictEqual([a.seq, Array.from(a.payload)], [i, Array.from(bytes(i))])
      }
      const b = yield* caller.decrypt(yield* callee.encrypt(bytes(9)))
      assert.deepStrictEqual([b.seq, Array.from(b.payload)], [1, Array.from(bytes(9))])
      assert.strictEqual(yield* caller.nextSeq, 4)
      // Our own packets are not accepted as the peer's (reflection).
      const own = yield* caller.encrypt(bytes(1))
      const reflected = yield* Effect.flip(caller.decrypt(own))
      assert.strictEqual(reflected._tag === "SignalingPacketInvalid" && reflected.reason, "msg-key-mismatch")
    })
  )

  it.effect(
    "replay window: duplicates and counters ≤ highest − 64 are rejected; out of order within the window is accepted",
    () =>
      Effect.gen(function* () {
        const receiver = yield* Signaling.makeChannel(key, false)
        const packet = (seq: number) =>
          Signaling.encryptPacket(key, { isOutgoing: true, seq, payload: bytes(seq & 0xff) })
        const accept = (seq: number) =>
          Effect.gen(function* () {
            const out = yield* receiver.decrypt(yield* packet(seq))
            assert.strictEqual(out.seq, seq)
          })
        const reject = (seq: number) =>
          Effect.gen(function* () {
            const e = yield* Effect.flip(receiver.decrypt(yield* packet(seq)))
            assert.strictEqual(e._tag, "SignalingReplay", `seq ${seq}`)
            return e as Signaling.SignalingReplay
          })
        yield* accept(1)
        assert.strictEqual((yield* reject(1)).reason, "duplicate")
        yield* accept(5)
        yield* accept(3) // out of order, inside the window
        yield* accept(2)
        assert.strictEqual((yield* reject(3)).reason, "duplicate")
        yield* accept(100)
        // 100 - 64 = 36 is too old; 37 is the oldest counter still inside the window.
        const old = yield* reject(36)
        assert.deepStrictEqual([old.reason, old.seq, old.highest], ["too-old", 36, 100])
        assert.strictEqual((yield* reject(5)).reason, "too-old")
        yield* accept(37)
        assert.strictEqual((yield* reject(37)).reason, "duplicate")
        yield* accept(99)
        assert.strictEqual((yield* reject(100)).reason, "duplicate")
        // A jump of more than 64 forgets everything below the new window.
        yield* accept(1000)
        assert.strictEqual((yield* reject(936)).reason, "too-old")
        yield* accept(937)
        // A rejected (tampered) packet leaves the window unchanged: the genuine one still passes.
        const genuine = yield* packet(1001)
        const tampered = Uint8Array.from(genuine)
        tampered[20]! ^= 1
        const e = yield* Effect.flip(receiver.decrypt(tampered))
        assert.strictEqual(e._tag, "SignalingPacketInvalid")
        assert.strictEqual((yield* receiver.decrypt(genuine)).seq, 1001)
      })
  )

  it.effect("the replay window agrees with a reference model (tgcalls' sorted list) on random counters", () =>
    Effect.gen(function* () {
      const sequences = fc.sample(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 80 }),
        {
          numRuns: 60,
          seed: 42
        }
      )
      for (const seqs of sequences) {
        const receiver = yield* Signaling.makeChannel(key, true)
        let list: Array<number> = []
        for (const seq of seqs) {
          // Reference: tgcalls EncryptedConnection::registerIncomingCounter.
          const largest = list.length === 0 ? 0 : list[list.length - 1]!
          const expected = !(list.includes(seq) || seq + 64 <= largest)
          if (expected) list = [...list.filter((c) => c + 64 > seq), seq].sort((a, b) => a - b)
          const packet = yield* Signaling.encryptPacket(key, { isOutgoing: false, seq, payload: bytes(1) })
          const got = yield* Effect.exit(receiver.decrypt(packet))
          assert.strictEqual(got._tag === "Success", expected, `seq ${seq} after ${seqs.join(",")}`)
        }
      }
    })
  )

  it.effect("the send counter stops at 2^30 (SignalingSeqExhausted)", () =>
    Effect.gen(function* () {
      const sender = yield* Signaling.makeChannel(key, true, { firstSeq: Signaling.SEQ_LIMIT - 2 })
      const receiver = yield* Signaling.makeChannel(key, false)
      assert.strictEqual((yield* receiver.decrypt(yield* sender.encrypt(bytes(1)))).seq, 2 ** 30 - 2)
      assert.strictEqual((yield* receiver.decrypt(yield* sender.encrypt(bytes(2)))).seq, 2 ** 30 - 1)
      const e = yield* Effect.flip(sender.encrypt(bytes(3)))
      assert.deepStrictEqual([e._tag, e.direction, e.seq], ["SignalingSeqExhausted", "send", 2 ** 30])
      // It stays exhausted.
      assert.strictEqual((yield* Effect.flip(sender.encrypt(bytes(4))))._tag, "SignalingSeqExhausted")
    })
  )

  it.effect("an authentic peer packet with seq ≥ 2^30 (including the transport flag bits) aborts", () =>
    Effect.gen(function* () {
      const receiver = yield* Signaling.makeChannel(key, false)
      for (const seq of [2 ** 30, 2 ** 31 + 5, 2 ** 32 - 1]) {
        const packet = yield* Signaling.encryptPacket(key, { isOutgoing: true, seq, payload: bytes(1) })
        const e = yield* Effect.flip(receiver.decrypt(packet))
        assert.deepStrictEqual(e._tag === "SignalingSeqExhausted" && [e.direction, e.seq], ["receive", seq])
      }
    })
  )

  it.effect("makeChannel rejects a bad key and a bad first counter", () =>
    Effect.gen(function* () {
      const k = yield* Effect.flip(Signaling.makeChannel(new Uint8Array(255), true))
      assert.strictEqual(k._tag, "KeyLengthInvalid")
      for (const firstSeq of [0, -1, 2 ** 30 + 1, 1.5]) {
        const e = yield* Effect.flip(Signaling.makeChannel(key, true, { firstSeq }))
        assert.strictEqual(e._tag === "SignalingArgumentInvalid" && e.argument, "seq")
      }
    })
  )

  it.effect("concurrent senders never reuse a counter", () =>
    Effect.gen(function* () {
      const sender = yield* Signaling.makeChannel(key, true)
      const receiver = yield* Signaling.makeChannel(key, false)
      const packets = yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        (i) => sender.encrypt(bytes(i)),
        { concurrency: "unbounded" }
      )
      const seqs = yield* Effect.forEach(packets, (p) => Effect.map(receiver.decrypt(p), (d) => d.seq))
      assert.deepStrictEqual(
        [...seqs].sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1)
      )
    })
  )
})

describe("Signaling: properties", () => {
  it("random payloads round-trip on both backends, which produce identical packets", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        (k, isOutgoing, seq, payload) => {
          const packets = aesBackends.map(([, b]) =>
            run(b)(Signaling.encryptPacket(k, { isOutgoing, seq, payload }))
          )
          assert.strictEqual(toHex(packets[0]!), toHex(packets[1]!))
          if (packets[0]!.length < Signaling.MIN_PACKET_LENGTH) return
          for (const [, b] of aesBackends) {
            const out = run(b)(Signaling.decryptPacket(k, { isOutgoing: !isOutgoing, packet: packets[0]! }))
            assert.deepStrictEqual([out.seq, toHex(out.payload)], [seq, toHex(payload)])
          }
        }
      ),
      { numRuns: 200 }
    )
  })

  it("AES-256-CTR: the portable backend equals OpenSSL for random keys, counters and lengths", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.oneof(
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
          // counters a few blocks below a carry boundary
          fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 4 })).map(([i, below]) => {
            const iv = new Uint8Array(16)
            iv.fill(255, i)
            iv[15] = 256 - below
            return iv
          })
        ),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        (k, iv, data) => {
          assert.strictEqual(toHex(Signaling.portable.ctr(k, iv, data)), toHex(native.ctr(k, iv, data)))
        }
      ),
      { numRuns: 300 }
    )
  })

  it("the default backend is native on Node; the portable layer overrides it", () => {
    assert.strictEqual(Signaling.auto().name, "native")
    const name = Effect.runSync(
      Effect.provide(
        Effect.gen(function* () {
          return (yield* Signaling.AesCtr).name
        }),
        Signaling.layerPortable
      )
    )
    assert.strictEqual(name, "portable")
  })
})

// The README "Signalling" example, verbatim apart from the import path.
const demo = (key: Uint8Array) =>
  Effect.gen(function* () {
    const caller = yield* Signaling.makeChannel(key, true)
    const callee = yield* Signaling.makeChannel(key, false)
    const packet = yield* caller.encrypt(new TextEncoder().encode('{"@type":"candidates"}'))
    const { seq, payload } = yield* callee.decrypt(packet) // seq 1
    const again = yield* Effect.exit(callee.decrypt(packet)) // Failure: SignalingReplay("duplicate")
    return { seq, payload, again }
  })

describe("Signaling: README example", () => {
  it("runs: seq 1 and the payload back", () => {
    const { seq, payload, again } = Effect.runSync(demo(key))
    assert.deepStrictEqual([seq, new TextDecoder().decode(payload)], [1, '{"@type":"candidates"}'])
    assert.isTrue(Exit.isFailure(again))
    assert.deepStrictEqual(
      Exit.isFailure(again) && Cause.squash(again.cause),
      new Signaling.SignalingReplay({ reason: "duplicate", seq: 1, highest: 1 })
    )
  })
  it("a bad key is a typed error", () => {
    const e = Effect.runSync(Effect.flip(demo(new Uint8Array(32))))
    assert.strictEqual(e._tag, "KeyLengthInvalid")
  })
})
