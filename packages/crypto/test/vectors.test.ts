/**
 * The independent vectors (fixtures/call-handshake.json, see fixtures/PROVENANCE.md) on both
 * arithmetic backends: g_a, g_b, key, g_a_hash, fingerprint (wire bytes, int64, uint64),
 * emoji indices and strings, and the informative blocks (Android's 00-prefixed g_a,
 * nonconforming padded g_a and unpadded key).
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import {
  DhGroup,
  emojiFingerprint,
  Fingerprint,
  gAHash,
  KeyExchange,
  keyFingerprint,
  ModExp
} from "../src/index.js"
import { backends, failure, fixture, hex, success, toHex } from "./helpers.js"

interface Vector {
  readonly name: string
  readonly a_hex: string
  readonly b_hex: string
  readonly a_server_random_hex: string
  readonly a_client_random_hex: string
  readonly g_a_hex: string
  readonly g_a_len: number
  readonly g_a_hash_hex: string
  readonly g_b_hex: string
  readonly key_hex: string
  readonly key_minimal_len: number
  readonly key_sha1_hex: string
  readonly key_fingerprint: {
    readonly bytes_hex: string
    readonly tl_long_wire_hex: string
    readonly int64: string
    readonly uint64: string
  }
  readonly emoji_u63_values: ReadonlyArray<string>
  readonly emoji_indices: ReadonlyArray<number>
  readonly emojis: ReadonlyArray<string>
  readonly emoji_string: string
  readonly android_java_encoding?: {
    readonly g_a_hex: string
    readonly g_a_len: number
    readonly g_a_hash_hex: string
    readonly emoji_indices_over_these_bytes: ReadonlyArray<number>
    readonly emojis_over_these_bytes: ReadonlyArray<string>
  }
  readonly nonconforming_if_g_a_padded?: {
    readonly g_a_padded_hex: string
    readonly g_a_hash_of_padded_hex: string
    readonly emoji_indices_with_padded_g_a: ReadonlyArray<number>
  }
  readonly nonconforming_if_key_not_padded?: {
    readonly key_unpadded_hex: string
    readonly fingerprint_int64_of_unpadded_key: string
    readonly emoji_indices_with_unpadded_key: ReadonlyArray<number>
  }
}

const text = fixture("call-handshake.json")
const doc = JSON.parse(text) as { prime_hex: string; g: number; vectors: ReadonlyArray<Vector> }
const vectorNamed = (name: string) => doc.vectors.find((v) => v.name === name)!

describe("fixture", () => {
  it("is the unchanged copy named in PROVENANCE.md", () => {
    assert.strictEqual(
      createHash("sha256").update(text).digest("hex"),
      "5e533da191b437217530be706b2bccec6bf2c84409752c37999545c7600f2d1c"
    )
    assert.strictEqual(doc.vectors.length, 5)
    assert.strictEqual(doc.prime_hex.toLowerCase(), DhGroup.TELEGRAM_PRIME_HEX)
  })
  it("covers the edge cases it claims (255-byte g_a, key with a leading zero byte)", () => {
    assert.strictEqual(vectorNamed("vector-4-short-g_a").g_a_len, 255)
    assert.strictEqual(vectorNamed("vector-5-short-key").key_minimal_len, 255)
  })
})

for (const [name, backend] of backends) {
  /** `self` on this backend. */
  const on = <A, E>(self: Effect.Effect<A, E>) => Effect.provideService(self, ModExp.ModExp, backend)
  const group = on(DhGroup.make({ g: doc.g, p: hex(doc.prime_hex), version: 1 }))
  const pairOf = (exponent: string) =>
    Effect.flatMap(group, (g) => on(KeyExchange.keyPairFromExponent(g, hex(exponent))))

  describe(`vectors on the ${name} backend`, () => {
    for (const v of doc.vectors) {
      it.effect(v.name, () =>
        Effect.gen(function* () {
          const g = yield* group
          // the exponent is client XOR server random, exactly as KeyExchange.mixExponent does
          assert.strictEqual(
            toHex(KeyExchange.mixExponent(hex(v.a_client_random_hex), hex(v.a_server_random_hex))),
            v.a_hex
          )

          const caller = yield* pairOf(v.a_hex)
          const callee = yield* pairOf(v.b_hex)
          assert.strictEqual(toHex(caller.publicValue), v.g_a_hex)
          assert.strictEqual(caller.publicValue.length, v.g_a_len)
          assert.strictEqual(toHex(callee.publicValue), v.g_b_hex)
          assert.strictEqual(toHex(gAHash(caller.publicValue)), v.g_a_hash_hex)

          const keyA = Redacted.value(
            yield* on(KeyExchange.computeSharedKey(g, caller.secret, callee.publicValue))
          )
          const keyB = Redacted.value(
            yield* on(KeyExchange.computeSharedKey(g, callee.secret, caller.publicValue))
          )
          assert.strictEqual(keyA.length, 256)
          assert.strictEqual(toHex(keyA), v.key_hex)
          assert.strictEqual(toHex(keyB), v.key_hex)

          // callee-side checks of step 14
          assert.isTrue(Result.isSuccess(Fingerprint.verifyGAHash(hex(v.g_a_hex), hex(v.g_a_hash_hex))))
          const fp = BigInt(v.key_fingerprint.int64)
          assert.isTrue(Result.isSuccess(Fingerprint.verifyKeyFingerprint(keyB, fp)))

          assert.strictEqual(keyFingerprint(keyA), fp)
          assert.strictEqual(BigInt.asUintN(64, keyFingerprint(keyA)), BigInt(v.key_fingerprint.uint64))
          assert.strictEqual(toHex(Fingerprint.keyFingerprintBytes(keyA)), v.key_fingerprint.bytes_hex)
          assert.strictEqual(toHex(Fingerprint.keyFingerprintBytes(keyA)), v.key_fingerprint.tl_long_wire_hex)
          assert.strictEqual(toHex(createHash("sha1").update(keyA).digest()), v.key_sha1_hex)

          assert.deepStrictEqual(Fingerprint.emojiIndices(keyA, caller.publicValue), v.emoji_indices)
          assert.deepStrictEqual(emojiFingerprint(keyA, hex(v.g_a_hex)), v.emojis)
          assert.strictEqual(emojiFingerprint(keyB, hex(v.g_a_hex)).join(""), v.emoji_string)
          // the masked u63 values, recomputed independently with node:crypto
          const h = createHash("sha256").update(keyA).update(hex(v.g_a_hex)).digest()
          const u63 = [0, 1, 2, 3].map((i) => (h.readBigUInt64BE(8 * i) & 0x7fffffffffffffffn).toString())
          assert.deepStrictEqual(u63, v.emoji_u63_values)
          assert.deepStrictEqual(
            u63.map((x) => Number(BigInt(x) % 333n)),
            v.emoji_indices
          )
          assert.isUndefined(success(Fingerprint.verifyKeyFingerprint(keyA, fp)))
          assert.strictEqual(
            failure(Fingerprint.verifyKeyFingerprint(keyA, fp + 1n))._tag,
            "KeyFingerprintMismatch"
          )
        })
      )
    }

    it.effect(
      "vector-4: Android's 256-byte 00 ‖ g_a is accepted; hash and emoji follow the received bytes",
      () =>
        Effect.gen(function* () {
          const v = vectorNamed("vector-4-short-g_a")
          const android = v.android_java_encoding!
          const received = hex(android.g_a_hex)
          assert.strictEqual(received.length, 256)
          assert.strictEqual(received[0], 0)
          const callee = yield* pairOf(v.b_hex)
          // same number, so same key and fingerprint
          const key = Redacted.value(
            yield* on(KeyExchange.computeSharedKey(yield* group, callee.secret, received))
          )
          assert.strictEqual(toHex(key), v.key_hex)
          assert.strictEqual(keyFingerprint(key), BigInt(v.key_fingerprint.int64))
          // the Android caller committed to the bytes it sent: the hash check passes over them...
          assert.strictEqual(toHex(gAHash(received)), android.g_a_hash_hex)
          assert.isTrue(Result.isSuccess(Fingerprint.verifyGAHash(received, hex(android.g_a_hash_hex))))
          // ...and fails if the callee re-encoded them minimally
          assert.strictEqual(
            failure(Fingerprint.verifyGAHash(hex(v.g_a_hex), hex(android.g_a_hash_hex))).reason,
            "mismatch"
          )
          // emoji over the raw received bytes match what the Android caller shows
          assert.deepStrictEqual(
            Fingerprint.emojiIndices(key, received),
            android.emoji_indices_over_these_bytes
          )
          assert.deepStrictEqual(emojiFingerprint(key, received), android.emojis_over_these_bytes)
          assert.notDeepEqual(android.emoji_indices_over_these_bytes, v.emoji_indices)
        })
    )

    it("vector-4: a padded g_a (MadelineProto) is detected as nonconforming", () => {
      const v = vectorNamed("vector-4-short-g_a")
      const padded = v.nonconforming_if_g_a_padded!
      assert.strictEqual(toHex(gAHash(hex(padded.g_a_padded_hex))), padded.g_a_hash_of_padded_hex)
      // the hash the caller sent (over minimal bytes) does not verify against padded bytes
      assert.strictEqual(
        failure(Fingerprint.verifyGAHash(hex(padded.g_a_padded_hex), hex(v.g_a_hash_hex))).reason,
        "mismatch"
      )
      const key = hex(v.key_hex)
      assert.deepStrictEqual(
        Fingerprint.emojiIndices(key, hex(padded.g_a_padded_hex)),
        padded.emoji_indices_with_padded_g_a
      )
      assert.notDeepEqual(padded.emoji_indices_with_padded_g_a, v.emoji_indices)
    })

    it("vector-5: an unpadded key (telegram-tt) gives a different fingerprint; ours always pads", () => {
      const v = vectorNamed("vector-5-short-key")
      const bad = v.nonconforming_if_key_not_padded!
      const unpadded = hex(bad.key_unpadded_hex)
      assert.strictEqual(unpadded.length, 255)
      // what a client hashing the unpadded bytes gets (recomputed with node:crypto)
      const sha1 = createHash("sha1").update(unpadded).digest()
      assert.strictEqual(sha1.readBigInt64LE(12).toString(), bad.fingerprint_int64_of_unpadded_key)
      assert.notStrictEqual(bad.fingerprint_int64_of_unpadded_key, v.key_fingerprint.int64)
      // our plain functions treat a short key as the integer it encodes: no divergence
      assert.strictEqual(keyFingerprint(unpadded), BigInt(v.key_fingerprint.int64))
      assert.deepStrictEqual(Fingerprint.emojiIndices(unpadded, hex(v.g_a_hex)), v.emoji_indices)
      // the strict variant refuses it, and the unpadded key fails verification against the tt value
      assert.strictEqual(failure(Fingerprint.keyFingerprintStrict(unpadded))._tag, "KeyLengthInvalid")
      assert.strictEqual(
        failure(
          Fingerprint.verifyKeyFingerprint(hex(v.key_hex), BigInt(bad.fingerprint_int64_of_unpadded_key))
        )._tag,
        "KeyFingerprintMismatch"
      )
      assert.notDeepEqual(bad.emoji_indices_with_unpadded_key, v.emoji_indices)
    })
  })
}
