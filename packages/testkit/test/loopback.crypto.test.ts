/**
 * The server's own MTProto crypto, checked against GramJS's independent implementation
 * (differential) and for round trips: AES-256-IGE, the x = 0 / x = 8 KDF, auth key ids,
 * the handshake's nonce KDF; and the transport codecs on split input.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { helpers } from "telegram"
import { AuthKey } from "telegram/crypto/AuthKey.js"
import { IGE } from "telegram/crypto/IGE.js"
import { MTProtoState } from "telegram/network/MTProtoState.js"
import { StringSession } from "telegram/sessions/index.js"
import {
  authKeyId,
  decryptMessage,
  encryptMessage,
  igeDecrypt,
  igeEncrypt,
  kdf,
  nonceKeyIv
} from "../src/internal/mtproto/crypto.js"
import { FrameDecoder, FrameEncoder, type TransportKind } from "../src/internal/mtproto/framing.js"
import { sessionString } from "../src/LoopbackServer.js"

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((u) => Buffer.from(u))

describe("loopback MTProto crypto", () => {
  it("AES-256-IGE matches GramJS's IGE and round-trips", () =>
    fc.assert(
      fc.property(
        bytes(32),
        bytes(32),
        // up to 64 blocks: the server's results and pushed updates reach 1 KiB
        fc.integer({ min: 1, max: 64 }),
        fc.uint8Array({ minLength: 1024, maxLength: 1024 }),
        (key, iv, blocks, data) => {
          const plain = Buffer.from(data.subarray(0, blocks * 16))
          const ours = igeEncrypt(key, iv, plain)
          assert.isTrue(ours.equals(new IGE(key, iv).encryptIge(plain) as Buffer))
          assert.isTrue(igeDecrypt(key, iv, ours).equals(plain))
        }
      ),
      { numRuns: 50 }
    ))

  it("the KDF matches GramJS's _calcKey in both directions", async () => {
    const state = new MTProtoState(undefined as never, undefined as never)
    for (let i = 0; i < 10; i++) {
      const authKey = helpers.generateRandomBytes(256)
      const msgKey = helpers.generateRandomBytes(16)
      for (const client of [true, false]) {
        const theirs = await state._calcKey(authKey, msgKey, client)
        const ours = kdf(authKey, msgKey, client ? 0 : 8)
        assert.isTrue(ours.key.equals(theirs.key))
        assert.isTrue(ours.iv.equals(theirs.iv))
      }
    }
  })

  it("auth key ids match GramJS's AuthKey, including 255-byte keys", async () => {
    for (const len of [256, 255]) {
      const key = helpers.generateRandomBytes(len)
      const theirs = new AuthKey()
      await theirs.setKey(key)
      assert.strictEqual(BigInt.asIntN(64, BigInt(theirs.keyId!.toString())), authKeyId(key))
    }
  })

  it("the nonce KDF matches GramJS's generateKeyDataFromNonce", async () => {
    const serverNonce = helpers.generateRandomBytes(16)
    const newNonce = helpers.generateRandomBytes(32)
    const theirs = await helpers.generateKeyDataFromNonce(
      helpers.readBigIntFromBuffer(serverNonce, true, true),
      helpers.readBigIntFromBuffer(newNonce, true, true)
    )
    const ours = nonceKeyIv(serverNonce, newNonce)
    assert.isTrue(ours.key.equals(theirs.key))
    assert.isTrue(ours.iv.equals(theirs.iv))
  })

  it("encrypt/decrypt round-trips and rejects the wrong direction, key or a flipped bit", () => {
    const key = helpers.generateRandomBytes(256)
    const plain = Buffer.concat([helpers.generateRandomBytes(32), Buffer.from("hello, loopback!")])
    const wire = encryptMessage(key, plain, 8)
    assert.strictEqual(wire.readBigInt64LE(0), authKeyId(key))
    const ok = decryptMessage(key, wire.subarray(8), 8)
    assert.isTrue(ok._tag === "Ok" && ok.plaintext.subarray(0, plain.length).equals(plain))
    assert.strictEqual(decryptMessage(key, wire.subarray(8), 0)._tag, "Fail")
    assert.strictEqual(decryptMessage(helpers.generateRandomBytes(256), wire.subarray(8), 8)._tag, "Fail")
    const flipped = Buffer.from(wire.subarray(8))
    flipped[flipped.length - 1]! ^= 1
    assert.deepStrictEqual(decryptMessage(key, flipped, 8), { _tag: "Fail", reason: "bad-msg-key" })
    assert.deepStrictEqual(decryptMessage(key, flipped.subarray(0, 30), 8), {
      _tag: "Fail",
      reason: "too-short"
    })
  })
})

describe("loopback transport codecs", () => {
  const kinds: ReadonlyArray<TransportKind> = ["full", "intermediate", "padded", "abridged"]
  for (const kind of kinds) {
    it(`${kind}: frames survive arbitrary TCP chunking`, () =>
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
          fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 30 }),
          (wordCounts, cuts) => {
            const payloads = wordCounts.map((w) =>
              Buffer.concat([Buffer.alloc(24, 1), helpers.generateRandomBytes(16 * w)])
            )
            const enc = new FrameEncoder(kind)
            const tag =
              kind === "full"
                ? []
                : [
                    kind === "abridged"
                      ? Buffer.from([0xef])
                      : Buffer.alloc(4, kind === "padded" ? 0xdd : 0xee)
                  ]
            const stream = Buffer.concat([...tag, ...payloads.map((p) => enc.encode(p))])
            const dec = new FrameDecoder(1 << 20)
            const out: Array<Buffer> = []
            let off = 0
            let i = 0
            while (off < stream.length) {
              const n = cuts[i++ % cuts.length]!
              for (const ev of dec.push(stream.subarray(off, off + n))) {
                assert.strictEqual(ev._tag, "Frame")
                if (ev._tag === "Frame") out.push(ev.payload)
              }
              off += n
            }
            assert.strictEqual(dec.transport, kind)
            assert.deepStrictEqual(out, payloads)
          }
        ),
        { numRuns: 40 }
      ))
  }

  it("rejects oversized, misaligned and corrupted TCP Full frames", () => {
    const oversized = Buffer.alloc(8)
    oversized.writeInt32LE(2 * 1024 * 1024)
    assert.strictEqual(new FrameDecoder(1 << 20).push(oversized)[0]?._tag, "Invalid")
    const misaligned = Buffer.alloc(8)
    misaligned.writeInt32LE(30)
    assert.strictEqual(new FrameDecoder(1 << 20).push(misaligned)[0]?._tag, "Invalid")
    const good = new FrameEncoder("full").encode(Buffer.alloc(40, 3))
    good[10]! ^= 0xff
    assert.deepStrictEqual(new FrameDecoder(1 << 20).push(good), [{ _tag: "Invalid", reason: "bad CRC32" }])
  })
})

describe("minted sessions", () => {
  it("GramJS's StringSession loads what sessionString writes (DC 2, 127.0.0.1, the key) and saves it back identically", async () => {
    const key = helpers.generateRandomBytes(256)
    const text = sessionString(key)
    const session = new StringSession(text)
    await session.load()
    assert.strictEqual(session.dcId, 2)
    assert.strictEqual(session.serverAddress, "127.0.0.1")
    assert.strictEqual(session.port, 443)
    assert.isTrue(Buffer.from(session.getAuthKey()!.getKey()!).equals(key))
    assert.strictEqual(session.save(), text)
  })
})
