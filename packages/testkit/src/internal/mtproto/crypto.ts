/**
 * MTProto 2.0 symmetric crypto for the loopback server, on `node:crypto` only:
 * AES-256-IGE, the msg_key KDF (x = 0 client→server, x = 8 server→client), auth key ids and
 * the handshake's nonce-derived temporary key.
 *
 * Spec: https://core.telegram.org/mtproto/description ("Defining AES Key and Initialization
 * Vector") and https://core.telegram.org/mtproto/auth_key (step 5).
 *
 * @internal
 */
import * as NodeCrypto from "node:crypto"

/** sha1 of the concatenation of `parts`. */
export const sha1 = (...parts: ReadonlyArray<Uint8Array>): Buffer => {
  const h = NodeCrypto.createHash("sha1")
  for (const p of parts) h.update(p)
  return h.digest()
}

/** sha256 of the concatenation of `parts`. */
export const sha256 = (...parts: ReadonlyArray<Uint8Array>): Buffer => {
  const h = NodeCrypto.createHash("sha256")
  for (const p of parts) h.update(p)
  return h.digest()
}

const xor16 = (a: Buffer, aOff: number, b: Buffer, bOff: number, out: Buffer, outOff: number): void => {
  for (let i = 0; i < 16; i++) out[outOff + i] = a[aOff + i]! ^ b[bOff + i]!
}

const ecb = (key: Uint8Array, encrypt: boolean): NodeCrypto.Cipher | NodeCrypto.Decipher => {
  const c = encrypt
    ? NodeCrypto.createCipheriv("aes-256-ecb", key, null)
    : NodeCrypto.createDecipheriv("aes-256-ecb", key, null)
  c.setAutoPadding(false)
  return c
}

/**
 * The IGE chain, the same both ways: each output block is `E(input ⊕ before) ⊕ after`, then
 * `before` is that output block and `after` the input block. Encrypting, `before` starts as the
 * IV's "previous ciphertext" half and `after` as its "previous plaintext" half; decrypting, the
 * other way round.
 */
const ige = (
  cipher: NodeCrypto.Cipher | NodeCrypto.Decipher,
  before0: Uint8Array,
  after0: Uint8Array,
  data: Uint8Array
): Buffer => {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const out = Buffer.alloc(input.length)
  let before: Buffer = Buffer.from(before0)
  let after: Buffer = Buffer.from(after0)
  const block = Buffer.alloc(16)
  for (let off = 0; off < input.length; off += 16) {
    xor16(input, off, before, 0, block, 0)
    xor16(cipher.update(block), 0, after, 0, out, off)
    after = input.subarray(off, off + 16)
    before = out.subarray(off, off + 16)
  }
  return out
}

/**
 * AES-256-IGE. `iv` is 32 bytes: the first half is the "previous ciphertext" block, the
 * second half the "previous plaintext" block. `data.length` must be a multiple of 16.
 */
export const igeEncrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer =>
  ige(ecb(key, true), iv.subarray(0, 16), iv.subarray(16, 32), data)

/** AES-256-IGE decryption; the inverse of {@link igeEncrypt}. */
export const igeDecrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer =>
  ige(ecb(key, false), iv.subarray(16, 32), iv.subarray(0, 16), data)

/** MTProto 2.0 KDF: the AES key and IV for a msg_key; `x` is 0 client→server, 8 server→client. */
export const kdf = (authKey: Uint8Array, msgKey: Uint8Array, x: 0 | 8): { key: Buffer; iv: Buffer } => {
  const a = sha256(msgKey, authKey.subarray(x, x + 36))
  const b = sha256(authKey.subarray(x + 40, x + 76), msgKey)
  const key = Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)])
  const iv = Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)])
  return { key, iv }
}

/** The 64-bit auth_key_id: the low 8 bytes of sha1(auth_key), read little-endian (signed, as on the wire). */
export const authKeyId = (authKey: Uint8Array): bigint => sha1(authKey).readBigInt64LE(12)

/** aux_hash: the high 8 bytes of sha1(auth_key). */
export const authKeyAuxHash = (authKey: Uint8Array): Buffer => sha1(authKey).subarray(0, 8)

/**
 * Encrypts a plaintext message (salt … body, unpadded) with an auth key. `x` = 8 for the
 * server direction, 0 for the client direction. Adds 12..1024-byte random padding so the
 * total is a multiple of 16, as MTProto 2.0 requires.
 */
export const encryptMessage = (authKey: Uint8Array, plaintext: Uint8Array, x: 0 | 8): Buffer => {
  const padLen = 12 + ((16 - ((plaintext.length + 12) % 16)) % 16)
  const padded = Buffer.concat([plaintext, NodeCrypto.randomBytes(padLen)])
  const msgKey = sha256(authKey.subarray(88 + x, 88 + x + 32), padded).subarray(8, 24)
  const { key, iv } = kdf(authKey, msgKey, x)
  const keyId = Buffer.alloc(8)
  keyId.writeBigInt64LE(authKeyId(authKey))
  return Buffer.concat([keyId, msgKey, igeEncrypt(key, iv, padded)])
}

/** Why a message could not be decrypted. */
export type DecryptFailure = "too-short" | "bad-length" | "bad-msg-key"

/**
 * Decrypts `msg_key ‖ ciphertext` (the part after auth_key_id) and checks the msg_key
 * (sha256 of the right auth key slice and the plaintext, bytes 8..24). `x` is the sender's
 * direction: 0 when the client sent it, 8 when the server did.
 */
export const decryptMessage = (
  authKey: Uint8Array,
  body: Uint8Array,
  x: 0 | 8
):
  | { readonly _tag: "Ok"; readonly plaintext: Buffer }
  | { readonly _tag: "Fail"; readonly reason: DecryptFailure } => {
  if (body.length < 16 + 32) return { _tag: "Fail", reason: "too-short" }
  const cipherLen = body.length - 16
  if (cipherLen % 16 !== 0) return { _tag: "Fail", reason: "bad-length" }
  const msgKey = body.subarray(0, 16)
  const { key, iv } = kdf(authKey, msgKey, x)
  const plaintext = igeDecrypt(key, iv, body.subarray(16))
  const check = sha256(authKey.subarray(88 + x, 88 + x + 32), plaintext).subarray(8, 24)
  if (!NodeCrypto.timingSafeEqual(check, msgKey)) return { _tag: "Fail", reason: "bad-msg-key" }
  return { _tag: "Ok", plaintext }
}

/** The handshake's temporary AES key and IV derived from server_nonce and new_nonce (auth_key step 5). */
export const nonceKeyIv = (serverNonce: Uint8Array, newNonce: Uint8Array): { key: Buffer; iv: Buffer } => {
  const h1 = sha1(newNonce, serverNonce)
  const h2 = sha1(serverNonce, newNonce)
  const h3 = sha1(newNonce, newNonce)
  return {
    key: Buffer.concat([h1, h2.subarray(0, 12)]),
    iv: Buffer.concat([h2.subarray(12, 20), h3, newNonce.subarray(0, 4)])
  }
}

/** Fresh random bytes from the platform CSPRNG. */
export const randomBytes = (n: number): Buffer => NodeCrypto.randomBytes(n)
