/**
 * Encryption of the signalling data of an active call with the call key (spec §6; tgcalls
 * `EncryptedConnection::encryptRawPacket` / `decryptRawPacket`, [DOC-VC] "Encryption").
 *
 * A packet is `msg_key (16) ‖ AES-256-CTR(aes_key, aes_iv)(seq (uint32 BE) ‖ payload)`, where
 *
 * - `msg_key = SHA256(key[88+x .. 88+x+32] ‖ plaintext)[8 .. 24]`
 * - `sha256_a = SHA256(msg_key ‖ key[x .. x+36])`, `sha256_b = SHA256(key[40+x .. 40+x+36] ‖ msg_key)`
 * - `aes_key = sha256_a[0..8] ‖ sha256_b[8..24] ‖ sha256_a[24..32]`
 * - `aes_iv = sha256_b[0..4] ‖ sha256_a[8..16] ‖ sha256_b[24..28]`, the initial 128-bit counter
 *   block, incremented as one big-endian 128-bit number (OpenSSL `CRYPTO_ctr128_encrypt`)
 *
 * and `x` is the **sender's**: 128 when the caller sends, 136 when the callee sends (0 and 8 are
 * the transport channel's, not used here). The receiver checks the length (≥ 21 bytes), the
 * `msg_key` (constant-time), a 64-entry replay window, and aborts at `seq` = 2^30.
 *
 * The functions are pure over `Uint8Array` and fail with typed errors, never throw. The AES
 * core has two interchangeable backends that give byte-identical results (tested against the
 * NIST SP 800-38A vectors and against each other): `native` (OpenSSL's `aes-256-ctr` through
 * `node:crypto`) and `portable` (an AES-256 encryption-only block cipher written here, from
 * FIPS-197, with the CTR mode on top; its tables are computed on first use; not constant-time
 * with respect to cache timing). `AesCtr` picks `native` when `node:crypto` can be loaded
 * (probed lazily, never at import) and `portable` otherwise.
 *
 * @since 0.1.0
 */
import type * as NodeCrypto from "node:crypto"
import { sha256 } from "@noble/hashes/sha2.js"
import { Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { KeyLengthInvalid } from "./CryptoError.js"
import { concat, constantTimeEqual } from "./internal/bytes.js"

// ---------------------------------------------------------------------------------- errors --

/**
 * A received packet was rejected before its counter was looked at: shorter than 21 bytes
 * (16 bytes of `msg_key`, 4 of `seq`, at least 1 of payload — tgcalls' minimum), or the
 * `msg_key` recomputed from the decrypted plaintext differs from the one in the packet (the
 * packet was tampered with, encrypted with another key, or with the other direction's `x`).
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingPacketInvalid extends Schema.TaggedError<SignalingPacketInvalid>()(
  "SignalingPacketInvalid",
  {
    reason: Schema.Literals(["too-short", "msg-key-mismatch"]),
    /** Length in bytes of the rejected packet. */
    length: Schema.Int
  }
) {
  override get message(): string {
    return this.reason === "too-short"
      ? `signalling packet is ${this.length} bytes; at least ${MIN_PACKET_LENGTH} are required`
      : "signalling packet rejected: msg_key does not match SHA256(key[88+x..88+x+32] || plaintext)[8..24]"
  }
}

/**
 * An authentic packet whose counter was already seen (`"duplicate"`) or is at least 64 below
 * the highest counter seen (`"too-old"`), spec §6 replay window.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingReplay extends Schema.TaggedError<SignalingReplay>()("SignalingReplay", {
  reason: Schema.Literals(["duplicate", "too-old"]),
  seq: Schema.Number,
  /** The highest counter accepted so far. */
  highest: Schema.Number
}) {
  override get message(): string {
    return this.reason === "duplicate"
      ? `signalling packet ${this.seq} was already received (replay)`
      : `signalling packet ${this.seq} is too old: not above ${this.highest} - ${REPLAY_WINDOW}`
  }
}

/**
 * A counter reached 2^30: our next packet (`direction: "send"`) or an authentic packet of the
 * peer (`"receive"`). [DOC-VC] says to abort the call then.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingSeqExhausted extends Schema.TaggedError<SignalingSeqExhausted>()(
  "SignalingSeqExhausted",
  {
    direction: Schema.Literals(["send", "receive"]),
    seq: Schema.Number
  }
) {
  override get message(): string {
    return `signalling ${this.direction} counter reached ${this.seq} (limit 2^30); the call must be ended`
  }
}

/**
 * An argument that no packet can be made from: a `msg_key` that is not 16 bytes, an `x` outside
 * 0..136 (the key has 256 bytes and the KDF reads up to `key[88+x+32]`), a `seq` that is not
 * an unsigned 32-bit integer, or an AES counter block / block that is not 16 bytes.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingArgumentInvalid extends Schema.TaggedError<SignalingArgumentInvalid>()(
  "SignalingArgumentInvalid",
  {
    argument: Schema.Literals(["msgKey", "x", "seq", "iv", "block"]),
    value: Schema.Number
  }
) {
  override get message(): string {
    const messages = {
      msgKey: `msg_key must be 16 bytes, got ${this.value}`,
      x: `x must be an integer within 0..136, got ${this.value}`,
      seq: `seq must be an unsigned 32-bit integer (a first counter: within 1..2^30), got ${this.value}`,
      iv: `the AES-CTR counter block must be 16 bytes, got ${this.value}`,
      block: `an AES block must be 16 bytes, got ${this.value}`
    }
    return messages[this.argument]
  }
}

// ------------------------------------------------------------------------------- constants --

/**
 * `x` of the signalling channel when the caller sends (spec §6 table).
 *
 * @since 0.1.0
 * @category constants
 */
export const CALLER_X = 128

/**
 * `x` of the signalling channel when the callee sends (spec §6 table).
 *
 * @since 0.1.0
 * @category constants
 */
export const CALLEE_X = 136

/**
 * The shortest packet a receiver accepts (tgcalls): 16 bytes of `msg_key` + 4 of `seq` + 1.
 *
 * @since 0.1.0
 * @category constants
 */
export const MIN_PACKET_LENGTH = 21

/**
 * How many counters the receiver remembers (tgcalls `kKeepIncomingCountersCount`).
 *
 * @since 0.1.0
 * @category constants
 */
export const REPLAY_WINDOW = 64

/**
 * The counter at which the call must be aborted ([DOC-VC]): 2^30. The two bits above it are
 * transport-channel flags, never part of a signalling counter.
 *
 * @since 0.1.0
 * @category constants
 */
export const SEQ_LIMIT = 2 ** 30

/**
 * The sender's `x` on the signalling channel: 128 for the caller, 136 for the callee.
 *
 * @since 0.1.0
 * @category kdf
 */
export const senderX = (senderIsOutgoing: boolean): number => (senderIsOutgoing ? CALLER_X : CALLEE_X)

// ----------------------------------------------------------------------------------- AES --

/**
 * An AES-256-CTR backend: `ctr(key, iv, data)` XORs `data` with the keystream that starts at
 * the counter block `iv` and increments it as a 128-bit big-endian number. Preconditions
 * (guaranteed by this module): `key` is 32 bytes, `iv` 16 bytes. The result is a fresh array.
 *
 * @since 0.1.0
 * @category models
 */
export interface AesCtrBackend {
  readonly name: "native" | "portable"
  readonly ctr: (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => Uint8Array
}

/** FIPS-197 tables, computed on first use: S-box and the four encryption T-tables. */
interface AesTables {
  readonly sbox: Uint8Array
  readonly t0: Int32Array
  readonly t1: Int32Array
  readonly t2: Int32Array
  readonly t3: Int32Array
}

let aesTables: AesTables | undefined

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 §4.2.1). */
const xtime = (a: number): number => ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff

/**
 * Builds the S-box from its definition (FIPS-197 §5.1.1: multiplicative inverse in GF(2^8),
 * then the affine map with constant 0x63), walking the field with the generator 3, and the
 * T-tables `T0[a] = (2·S[a], S[a], S[a], 3·S[a])` as big-endian words and their rotations.
 */
const tables = (): AesTables => {
  if (aesTables !== undefined) return aesTables
  const sbox = new Uint8Array(256)
  const rotl8 = (v: number, s: number) => ((v << s) | (v >>> (8 - s))) & 0xff
  let p = 1
  let q = 1
  do {
    p = p ^ xtime(p) // p ← p · 3
    q ^= q << 1 // q ← q / 3
    q ^= q << 2
    q ^= q << 4
    q &= 0xff
    if (q & 0x80) q ^= 0x09
    sbox[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63
  } while (p !== 1)
  sbox[0] = 0x63
  const t0 = new Int32Array(256)
  const t1 = new Int32Array(256)
  const t2 = new Int32Array(256)
  const t3 = new Int32Array(256)
  for (let a = 0; a < 256; a++) {
    const s = sbox[a]!
    const s2 = xtime(s)
    const s3 = s2 ^ s
    const w = ((s2 << 24) | (s << 16) | (s << 8) | s3) >>> 0
    t0[a] = w
    t1[a] = ((w >>> 8) | (w << 24)) >>> 0
    t2[a] = ((w >>> 16) | (w << 16)) >>> 0
    t3[a] = ((w >>> 24) | (w << 8)) >>> 0
  }
  aesTables = { sbox, t0, t1, t2, t3 }
  return aesTables
}

/** AES-256 key expansion (FIPS-197 §5.2, Nk = 8, Nr = 14): 60 big-endian round-key words. */
const expandKey = (key: Uint8Array, sbox: Uint8Array): Int32Array => {
  const w = new Int32Array(60)
  for (let i = 0; i < 8; i++)
    w[i] = ((key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!) >>> 0
  const sub = (t: number) =>
    ((sbox[t >>> 24]! << 24) |
      (sbox[(t >>> 16) & 255]! << 16) |
      (sbox[(t >>> 8) & 255]! << 8) |
      sbox[t & 255]!) >>>
    0
  let rcon = 1
  for (let i = 8; i < 60; i++) {
    let t = w[i - 1]!
    if (i % 8 === 0) {
      t = sub(((t << 8) | (t >>> 24)) >>> 0) ^ (rcon << 24)
      rcon = xtime(rcon)
    } else if (i % 8 === 4) {
      t = sub(t)
    }
    w[i] = w[i - 8]! ^ t
  }
  return w
}

/**
 * Encrypts one 16-byte block `input` into `out` with the expanded key `w` (FIPS-197 §5.1,
 * table form: SubBytes + ShiftRows + MixColumns folded into T-table lookups; words are kept as
 * int32 so V8 stays on small-integer arithmetic).
 */
const encryptBlock = (t: AesTables, w: Int32Array, input: Uint8Array, out: Uint8Array): void => {
  const { sbox, t0, t1, t2, t3 } = t
  let s0 = ((input[0]! << 24) | (input[1]! << 16) | (input[2]! << 8) | input[3]!) ^ w[0]!
  let s1 = ((input[4]! << 24) | (input[5]! << 16) | (input[6]! << 8) | input[7]!) ^ w[1]!
  let s2 = ((input[8]! << 24) | (input[9]! << 16) | (input[10]! << 8) | input[11]!) ^ w[2]!
  let s3 = ((input[12]! << 24) | (input[13]! << 16) | (input[14]! << 8) | input[15]!) ^ w[3]!
  for (let k = 4; k < 56; k += 4) {
    const n0 = t0[s0 >>> 24]! ^ t1[(s1 >>> 16) & 255]! ^ t2[(s2 >>> 8) & 255]! ^ t3[s3 & 255]! ^ w[k]!
    const n1 = t0[s1 >>> 24]! ^ t1[(s2 >>> 16) & 255]! ^ t2[(s3 >>> 8) & 255]! ^ t3[s0 & 255]! ^ w[k + 1]!
    const n2 = t0[s2 >>> 24]! ^ t1[(s3 >>> 16) & 255]! ^ t2[(s0 >>> 8) & 255]! ^ t3[s1 & 255]! ^ w[k + 2]!
    const n3 = t0[s3 >>> 24]! ^ t1[(s0 >>> 16) & 255]! ^ t2[(s1 >>> 8) & 255]! ^ t3[s2 & 255]! ^ w[k + 3]!
    s0 = n0
    s1 = n1
    s2 = n2
    s3 = n3
  }
  // Final round: SubBytes + ShiftRows, no MixColumns.
  const v0 =
    ((sbox[s0 >>> 24]! << 24) |
      (sbox[(s1 >>> 16) & 255]! << 16) |
      (sbox[(s2 >>> 8) & 255]! << 8) |
      sbox[s3 & 255]!) ^
    w[56]!
  const v1 =
    ((sbox[s1 >>> 24]! << 24) |
      (sbox[(s2 >>> 16) & 255]! << 16) |
      (sbox[(s3 >>> 8) & 255]! << 8) |
      sbox[s0 & 255]!) ^
    w[57]!
  const v2 =
    ((sbox[s2 >>> 24]! << 24) |
      (sbox[(s3 >>> 16) & 255]! << 16) |
      (sbox[(s0 >>> 8) & 255]! << 8) |
      sbox[s1 & 255]!) ^
    w[58]!
  const v3 =
    ((sbox[s3 >>> 24]! << 24) |
      (sbox[(s0 >>> 16) & 255]! << 16) |
      (sbox[(s1 >>> 8) & 255]! << 8) |
      sbox[s2 & 255]!) ^
    w[59]!
  out[0] = v0 >>> 24
  out[1] = v0 >>> 16
  out[2] = v0 >>> 8
  out[3] = v0
  out[4] = v1 >>> 24
  out[5] = v1 >>> 16
  out[6] = v1 >>> 8
  out[7] = v1
  out[8] = v2 >>> 24
  out[9] = v2 >>> 16
  out[10] = v2 >>> 8
  out[11] = v2
  out[12] = v3 >>> 24
  out[13] = v3 >>> 16
  out[14] = v3 >>> 8
  out[15] = v3
}

/**
 * Encrypts one 16-byte block with AES-256 on the portable implementation (FIPS-197). Exposed for
 * the known-answer tests; `key` must be 32 bytes and `block` 16 bytes.
 *
 * @since 0.1.0
 * @category aes
 */
export const aes256EncryptBlock = (
  key: Uint8Array,
  block: Uint8Array
): Effect.Effect<Uint8Array, KeyLengthInvalid | SignalingArgumentInvalid> => {
  if (key.length !== 32) return Effect.fail(new KeyLengthInvalid({ length: key.length }))
  if (block.length !== 16)
    return Effect.fail(new SignalingArgumentInvalid({ argument: "block", value: block.length }))
  const t = tables()
  const out = new Uint8Array(16)
  encryptBlock(t, expandKey(key, t.sbox), block, out)
  return Effect.succeed(out)
}

/**
 * The portable AES-256-CTR backend (FIPS-197 block cipher written here + SP 800-38A CTR with a
 * 128-bit big-endian counter). Runs on every JavaScript runtime; table lookups make it not
 * constant-time with respect to cache timing.
 *
 * @since 0.1.0
 * @category backends
 */
export const portable: AesCtrBackend = {
  name: "portable",
  ctr: (key, iv, data) => {
    const t = tables()
    const w = expandKey(key, t.sbox)
    const counter = Uint8Array.from(iv)
    const stream = new Uint8Array(16)
    const out = new Uint8Array(data.length)
    for (let offset = 0; offset < data.length; offset += 16) {
      encryptBlock(t, w, counter, stream)
      const n = Math.min(16, data.length - offset)
      for (let i = 0; i < n; i++) out[offset + i] = data[offset + i]! ^ stream[i]!
      // Increment the whole 128-bit block as a big-endian number (wraps at 2^128).
      for (let i = 15; i >= 0; i--) {
        counter[i] = (counter[i]! + 1) & 255
        if (counter[i] !== 0) break
      }
    }
    return out
  }
}

type NodeCryptoModule = typeof NodeCrypto

const loadNodeCrypto = (): NodeCryptoModule | undefined => {
  try {
    const proc = (
      globalThis as { readonly process?: { readonly getBuiltinModule?: (id: string) => unknown } }
    ).process
    const mod = proc?.getBuiltinModule?.("node:crypto") as NodeCryptoModule | undefined
    if (mod === undefined || typeof mod.createCipheriv !== "function") return undefined
    // The cipher must exist in this OpenSSL build.
    mod.createCipheriv("aes-256-ctr", new Uint8Array(32), new Uint8Array(16))
    return mod
  } catch {
    return undefined
  }
}

let nativeBackend: Option.Option<AesCtrBackend> | undefined

/**
 * OpenSSL's `aes-256-ctr` through `node:crypto` (its counter is the full 128-bit block,
 * incremented big-endian, as tgcalls expects), or `None` where `node:crypto` cannot be loaded.
 * Probed on first call, once.
 *
 * @since 0.1.0
 * @category backends
 */
export const native = (): Option.Option<AesCtrBackend> => {
  if (nativeBackend === undefined) {
    const crypto = loadNodeCrypto()
    nativeBackend =
      crypto === undefined
        ? Option.none()
        : Option.some({
            name: "native",
            ctr: (key, iv, data) => {
              const cipher = crypto.createCipheriv("aes-256-ctr", key, iv)
              const head = cipher.update(data)
              const tail = cipher.final()
              const out = new Uint8Array(data.length)
              out.set(head, 0)
              out.set(tail, head.length)
              return out
            }
          })
  }
  return nativeBackend
}

/**
 * The backend chosen automatically: `native` where available, otherwise `portable`.
 *
 * @since 0.1.0
 * @category backends
 */
export const auto = (): AesCtrBackend => Option.getOrElse(native(), () => portable)

/**
 * The AES-256-CTR backend used by this module. Defaults to `auto()`; provide another value to
 * override it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * const forcePortable = <A, E, R>(self: Effect.Effect<A, E, R>) =>
 *   Effect.provideService(self, Signaling.AesCtr, Signaling.portable)
 * ```
 *
 * @since 0.1.0
 * @category references
 */
export const AesCtr: Context.Reference<AesCtrBackend> = Context.Reference<AesCtrBackend>(
  "@tgphone/crypto/Signaling/AesCtr",
  { defaultValue: auto }
)

/**
 * A layer that forces the portable AES backend.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPortable: Layer.Layer<never> = Layer.succeed(AesCtr, portable)

/**
 * AES-256-CTR of `data` with the current backend: `key` 32 bytes, `iv` the 16-byte initial
 * counter block. Encryption and decryption are the same operation.
 *
 * @since 0.1.0
 * @category aes
 */
export const aes256Ctr = (
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array
): Effect.Effect<Uint8Array, KeyLengthInvalid | SignalingArgumentInvalid> => {
  if (key.length !== 32) return Effect.fail(new KeyLengthInvalid({ length: key.length }))
  if (iv.length !== 16) return Effect.fail(new SignalingArgumentInvalid({ argument: "iv", value: iv.length }))
  return Effect.gen(function* () {
    const backend = yield* AesCtr
    return backend.ctr(key, iv, data)
  })
}

// ----------------------------------------------------------------------------------- KDF --

/**
 * The call key: a plain or `Redacted` array. The KDF reads up to `key[88+136+32]`, so it must
 * be exactly 256 bytes (`KeyLengthInvalid` otherwise).
 *
 * @since 0.1.0
 * @category models
 */
export type CallKey = Uint8Array | Redacted.Redacted<Uint8Array>

const keyOf = (key: CallKey): Effect.Effect<Uint8Array, KeyLengthInvalid> => {
  const bytes = Redacted.isRedacted(key) ? Redacted.value(key) : key
  return bytes.length === 256
    ? Effect.succeed(bytes)
    : Effect.fail(new KeyLengthInvalid({ length: bytes.length }))
}

/**
 * The AES key and initial counter block of one packet.
 *
 * @since 0.1.0
 * @category models
 */
export interface PacketKeys {
  readonly aesKey: Uint8Array
  readonly aesIv: Uint8Array
}

const kdfUnchecked = (key: Uint8Array, msgKey: Uint8Array, x: number): PacketKeys => {
  const a = sha256(concat(msgKey, key.subarray(x, x + 36)))
  const b = sha256(concat(key.subarray(40 + x, 40 + x + 36), msgKey))
  return {
    aesKey: concat(a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)),
    aesIv: concat(b.subarray(0, 4), a.subarray(8, 16), b.subarray(24, 28))
  }
}

const msgKeyOf = (key: Uint8Array, plaintext: Uint8Array, x: number): Uint8Array =>
  sha256(concat(key.subarray(88 + x, 88 + x + 32), plaintext)).slice(8, 24)

const checkX = (x: number): Effect.Effect<number, SignalingArgumentInvalid> =>
  Number.isInteger(x) && x >= 0 && x <= 136
    ? Effect.succeed(x)
    : Effect.fail(new SignalingArgumentInvalid({ argument: "x", value: x }))

/**
 * `aes_key` and `aes_iv` for one packet (spec §6; tgcalls `PrepareAesKeyIv`, MadelineProto
 * `Crypt::voipKdf`): from `sha256_a = SHA256(msg_key ‖ key[x .. x+36])` and
 * `sha256_b = SHA256(key[40+x .. 40+x+36] ‖ msg_key)`. `x` is the sender's (`senderX`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * const keys = Effect.runSync(Signaling.kdf(new Uint8Array(256), new Uint8Array(16), Signaling.CALLER_X))
 * keys.aesKey.length // 32
 * ```
 *
 * @since 0.1.0
 * @category kdf
 */
export const kdf = (
  key: CallKey,
  msgKey: Uint8Array,
  x: number
): Effect.Effect<PacketKeys, KeyLengthInvalid | SignalingArgumentInvalid> =>
  Effect.gen(function* () {
    const bytes = yield* keyOf(key)
    yield* checkX(x)
    if (msgKey.length !== 16)
      return yield* new SignalingArgumentInvalid({ argument: "msgKey", value: msgKey.length })
    return kdfUnchecked(bytes, msgKey, x)
  })

/**
 * `msg_key` of a plaintext (`seq ‖ payload`): `SHA256(key[88+x .. 88+x+32] ‖ plaintext)[8..24]`.
 *
 * @since 0.1.0
 * @category kdf
 */
export const msgKey = (
  key: CallKey,
  plaintext: Uint8Array,
  x: number
): Effect.Effect<Uint8Array, KeyLengthInvalid | SignalingArgumentInvalid> =>
  Effect.gen(function* () {
    const bytes = yield* keyOf(key)
    yield* checkX(x)
    return msgKeyOf(bytes, plaintext, x)
  })

// -------------------------------------------------------------------------------- packets --

/**
 * What `encryptPacket` needs: the sender's role, the counter and the payload.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutgoingPacket {
  /** `true` when the **sender** is the caller (x = 128), `false` for the callee (x = 136). */
  readonly isOutgoing: boolean
  /** The per-direction counter, starting at 1; an unsigned 32-bit integer. */
  readonly seq: number
  readonly payload: Uint8Array
}

/**
 * A decrypted, authentic packet.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecryptedPacket {
  readonly seq: number
  readonly payload: Uint8Array
}

const encryptWith = (
  backend: AesCtrBackend,
  key: Uint8Array,
  x: number,
  seq: number,
  payload: Uint8Array
): Uint8Array => {
  const plaintext = new Uint8Array(4 + payload.length)
  new DataView(plaintext.buffer).setUint32(0, seq, false)
  plaintext.set(payload, 4)
  const mk = msgKeyOf(key, plaintext, x)
  const { aesKey, aesIv } = kdfUnchecked(key, mk, x)
  return concat(mk, backend.ctr(aesKey, aesIv, plaintext))
}

const decryptWith = (
  backend: AesCtrBackend,
  key: Uint8Array,
  x: number,
  packet: Uint8Array
): Effect.Effect<DecryptedPacket, SignalingPacketInvalid> => {
  if (packet.length < MIN_PACKET_LENGTH)
    return Effect.fail(new SignalingPacketInvalid({ reason: "too-short", length: packet.length }))
  const received = packet.subarray(0, 16)
  const { aesKey, aesIv } = kdfUnchecked(key, received, x)
  const plaintext = backend.ctr(aesKey, aesIv, packet.subarray(16))
  if (!constantTimeEqual(msgKeyOf(key, plaintext, x), received))
    return Effect.fail(new SignalingPacketInvalid({ reason: "msg-key-mismatch", length: packet.length }))
  const seq = new DataView(plaintext.buffer, plaintext.byteOffset, 4).getUint32(0, false)
  return Effect.succeed({ seq, payload: plaintext.slice(4) })
}

/**
 * Encrypts one signalling packet: `msg_key ‖ AES-256-CTR(seq (uint32 BE) ‖ payload)` with the
 * sender's `x` (spec §6). Deterministic: the same inputs give the same bytes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * const key = new Uint8Array(256).fill(7)
 * const packet = Effect.runSync(
 *   Signaling.encryptPacket(key, { isOutgoing: true, seq: 1, payload: new Uint8Array([1, 2, 3]) })
 * )
 * packet.length // 16 + 4 + 3
 * ```
 *
 * @since 0.1.0
 * @category packets
 */
export const encryptPacket = (
  key: CallKey,
  packet: OutgoingPacket
): Effect.Effect<Uint8Array, KeyLengthInvalid | SignalingArgumentInvalid> =>
  Effect.gen(function* () {
    const bytes = yield* keyOf(key)
    const { seq } = packet
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff)
      return yield* new SignalingArgumentInvalid({ argument: "seq", value: seq })
    const backend = yield* AesCtr
    return encryptWith(backend, bytes, senderX(packet.isOutgoing), seq, packet.payload)
  })

/**
 * Decrypts and authenticates one received packet. `isOutgoing` is the **receiver's** role: the
 * caller decrypts with the callee's x (136), the callee with the caller's (128) — tgcalls
 * `x = (isOutgoing ? 8 : 0) + 128`. Fails with `SignalingPacketInvalid` (`"too-short"`,
 * `"msg-key-mismatch"`); the replay window and the 2^30 limit are `SignalingChannel`'s.
 *
 * @since 0.1.0
 * @category packets
 */
export const decryptPacket = (
  key: CallKey,
  options: { readonly isOutgoing: boolean; readonly packet: Uint8Array }
): Effect.Effect<DecryptedPacket, KeyLengthInvalid | SignalingPacketInvalid> =>
  Effect.gen(function* () {
    const bytes = yield* keyOf(key)
    const backend = yield* AesCtr
    return yield* decryptWith(backend, bytes, senderX(!options.isOutgoing), options.packet)
  })

// -------------------------------------------------------------------------------- channel --

/**
 * The 64-entry replay window (tgcalls `registerIncomingCounter`): the highest counter seen and
 * a bitmap whose bit i means "highest − i was received". A counter is rejected when it was
 * seen, or when `seq + 64 <= highest`.
 */
interface ReplayState {
  highest: number
  seen: bigint
}

const WINDOW_MASK = (1n << BigInt(REPLAY_WINDOW)) - 1n

/** Checks `seq` against the window and records it when accepted (one synchronous step). */
const register = (state: ReplayState, seq: number): SignalingReplay | undefined => {
  if (seq > state.highest) {
    const shift = seq - state.highest
    state.seen = shift >= REPLAY_WINDOW ? 1n : ((state.seen << BigInt(shift)) | 1n) & WINDOW_MASK
    state.highest = seq
    return undefined
  }
  const distance = state.highest - seq
  if (distance >= REPLAY_WINDOW)
    return new SignalingReplay({ reason: "too-old", seq, highest: state.highest })
  const bit = 1n << BigInt(distance)
  if ((state.seen & bit) !== 0n)
    return new SignalingReplay({ reason: "duplicate", seq, highest: state.highest })
  state.seen |= bit
  return undefined
}

/**
 * The encrypted signalling channel of one call, for one side: our send counter (starting at
 * 1) and the peer's replay window. Each operation updates the state in one synchronous step,
 * so concurrent fibers never reuse a counter or accept a replay twice.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignalingChannel {
  /** `true` on the caller's side (we send with x = 128 and receive with x = 136). */
  readonly isOutgoing: boolean
  /** Encrypts `payload` with the next counter; fails once the counter would reach 2^30. */
  readonly encrypt: (payload: Uint8Array) => Effect.Effect<Uint8Array, SignalingSeqExhausted>
  /**
   * Decrypts a packet of the peer and registers its counter: fails with
   * `SignalingPacketInvalid`, `SignalingReplay`, or `SignalingSeqExhausted` (the peer's counter
   * reached 2^30 — end the call). A rejected packet leaves the window unchanged.
   */
  readonly decrypt: (
    packet: Uint8Array
  ) => Effect.Effect<DecryptedPacket, SignalingPacketInvalid | SignalingReplay | SignalingSeqExhausted>
  /** The counter the next `encrypt` will use. */
  readonly nextSeq: Effect.Effect<number>
}

/**
 * Options of `makeChannel`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChannelOptions {
  /** The first counter to send (default 1). Must be within 1..2^30. */
  readonly firstSeq?: number | undefined
}

/**
 * Creates the signalling channel of a call for one side. `isOutgoing` is our role (`true` for
 * the caller). The AES backend is read from `AesCtr` once, here.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * const key = new Uint8Array(256).fill(1)
 * const program = Effect.gen(function* () {
 *   const caller = yield* Signaling.makeChannel(key, true)
 *   const callee = yield* Signaling.makeChannel(key, false)
 *   const packet = yield* caller.encrypt(new TextEncoder().encode("{}"))
 *   return (yield* callee.decrypt(packet)).seq // 1
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeChannel = (
  key: CallKey,
  isOutgoing: boolean,
  options?: ChannelOptions
): Effect.Effect<SignalingChannel, KeyLengthInvalid | SignalingArgumentInvalid> =>
  Effect.gen(function* () {
    const bytes = Uint8Array.from(yield* keyOf(key))
    const firstSeq = options?.firstSeq ?? 1
    if (!Number.isInteger(firstSeq) || firstSeq < 1 || firstSeq > SEQ_LIMIT)
      return yield* new SignalingArgumentInvalid({ argument: "seq", value: firstSeq })
    const backend = yield* AesCtr
    const sendX = senderX(isOutgoing)
    const receiveX = senderX(!isOutgoing)
    let next = firstSeq
    const window: ReplayState = { highest: 0, seen: 0n }
    return {
      isOutgoing,
      encrypt: (payload) =>
        Effect.suspend(() => {
          if (next >= SEQ_LIMIT)
            return Effect.fail(new SignalingSeqExhausted({ direction: "send", seq: next }))
          const seq = next++
          return Effect.succeed(encryptWith(backend, bytes, sendX, seq, payload))
        }),
      decrypt: (packet) =>
        Effect.suspend(() =>
          Effect.flatMap(
            decryptWith(backend, bytes, receiveX, packet),
            (decrypted): Effect.Effect<DecryptedPacket, SignalingReplay | SignalingSeqExhausted> => {
              if (decrypted.seq >= SEQ_LIMIT)
                return Effect.fail(new SignalingSeqExhausted({ direction: "receive", seq: decrypted.seq }))
              const replay = register(window, decrypted.seq)
              return replay === undefined ? Effect.succeed(decrypted) : Effect.fail(replay)
            }
          )
        ),
      nextSeq: Effect.sync(() => next)
    } satisfies SignalingChannel
  })
