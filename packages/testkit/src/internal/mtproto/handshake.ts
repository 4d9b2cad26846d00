/**
 * Server side of MTProto auth-key creation: `req_pq_multi` → `req_DH_params` (RSA_PAD) →
 * `set_client_DH_params` → `dh_gen_ok`.
 *
 * Spec: https://core.telegram.org/mtproto/auth_key. The server's RSA key is a **test key**
 * generated once per process; clients must be told to trust it (see `trustTestRsaKey`).
 *
 * @internal
 */
import * as NodeCrypto from "node:crypto"
import { Api, helpers } from "telegram"
import { authKeyAuxHash, igeDecrypt, igeEncrypt, nonceKeyIv, sha1, sha256 } from "./crypto.js"
import { fromLong, readObject, serializeBytes, toLong } from "./tl.js"

/** The server's RSA key pair (a throwaway test key). */
export interface TestRsaKey {
  readonly privateKey: NodeCrypto.KeyObject
  /** The modulus, 256 bytes big-endian. */
  readonly n: Buffer
  readonly e: number
  /** sha1(n:bytes e:bytes)[12..20] as a signed little-endian long, the way MTProto names keys. */
  readonly fingerprint: bigint
}

let cachedKey: TestRsaKey | undefined
let pendingKey: Promise<TestRsaKey> | undefined

const fromPair = (privateKey: NodeCrypto.KeyObject, publicKey: NodeCrypto.KeyObject): TestRsaKey => {
  const jwk = publicKey.export({ format: "jwk" })
  const n = Buffer.from(jwk.n ?? "", "base64url")
  const eBytes = Buffer.from(jwk.e ?? "", "base64url")
  const tlBytes = Buffer.concat([serializeBytes(n), serializeBytes(eBytes)])
  const fingerprint = sha1(tlBytes).readBigInt64LE(12)
  return { privateKey, n, e: eBytes.readUIntBE(0, eBytes.length), fingerprint }
}

/**
 * Whether a key's fingerprint, as an unsigned hex number, has all 16 digits: mtcute 0.30 looks
 * the server's fingerprints up without leading zeros in a table that has them, so it finds no
 * key (and retries the handshake forever) for the 1 in 16 keys whose fingerprint starts with 0.
 */
const acceptable = (key: TestRsaKey): boolean => BigInt.asUintN(64, key.fingerprint) >= 1n << 60n

/** The process-wide test RSA key, generated on first use (2048-bit, e = 65537). */
export const testRsaKey = (): TestRsaKey => {
  if (cachedKey !== undefined) return cachedKey
  let key: TestRsaKey
  do {
    const { privateKey, publicKey } = NodeCrypto.generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicExponent: 65537
    })
    key = fromPair(privateKey, publicKey)
  } while (!acceptable(key))
  cachedKey = key
  return cachedKey
}

/**
 * Generates the test RSA key off the event loop (servers call this when they start, so the
 * first handshake never stalls every other connection while a key is made).
 */
export const prepareTestRsaKey = (): Promise<TestRsaKey> => {
  if (cachedKey !== undefined) return Promise.resolve(cachedKey)
  const attempt = (resolve: (k: TestRsaKey) => void, reject: (e: Error) => void): void =>
    NodeCrypto.generateKeyPair(
      "rsa",
      { modulusLength: 2048, publicExponent: 65537 },
      (e, publicKey, privateKey) => {
        if (e !== null) {
          pendingKey = undefined
          reject(e)
          return
        }
        const key = fromPair(privateKey, publicKey)
        if (cachedKey === undefined && !acceptable(key)) {
          attempt(resolve, reject)
          return
        }
        cachedKey ??= key
        resolve(cachedKey)
      }
    )
  pendingKey ??= new Promise(attempt)
  return pendingKey
}

// Small primes for pq: GramJS factorises pq itself (Pollard–Brent), so any product works.
const PRIMES: ReadonlyArray<bigint> = [1000003n, 1000033n, 1000037n, 1000039n, 1000081n, 1000099n]

/** Big-endian bytes with a clear top bit: GramJS reads pq as a *signed* integer. */
const bigToBytes = (n: bigint): Buffer => {
  let hex = n.toString(16)
  if (hex.length % 2 === 1) hex = `0${hex}`
  const b = Buffer.from(hex, "hex")
  return b[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b
}

const bytesToBig = (b: Uint8Array): bigint =>
  b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString("hex")}`)

const le = (value: Api.long | Api.int128 | Api.int256, bytes: number): Buffer =>
  helpers.toSignedLittleBuffer(value, bytes)

/** Strips leading zero bytes, as GramJS stores the key (`getByteArray(g_ab)`), so 1 in 256 keys is 255 bytes. */
const minimal = (b: Buffer): Buffer => {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  return b.subarray(i)
}

/** The outcome of one handshake step. */
export type StepResult =
  | { readonly _tag: "Reply"; readonly body: Buffer }
  | { readonly _tag: "Done"; readonly body: Buffer; readonly authKey: Buffer }
  | { readonly _tag: "Fail"; readonly reason: string }

const fail = (reason: string): StepResult => ({ _tag: "Fail", reason })

/** Handshake state of one connection. */
export class Handshake {
  private nonce: Buffer | undefined
  private serverNonce: Buffer | undefined
  private p = 0n
  private q = 0n
  private newNonce: Buffer | undefined
  private dh: NodeCrypto.DiffieHellmanGroup | undefined

  /** Handles one unencrypted request body. */
  step(body: Buffer): StepResult {
    const obj = readObject(body)
    if (obj instanceof Api.ReqPqMulti || obj instanceof Api.ReqPq) return this.reqPq(obj.nonce)
    if (obj instanceof Api.ReqDHParams) return this.reqDh(obj)
    if (obj instanceof Api.SetClientDHParams) return this.setClientDh(obj)
    return fail("unexpected unencrypted message")
  }

  private reqPq(nonce: Api.int128): StepResult {
    this.nonce = le(nonce, 16)
    this.serverNonce = NodeCrypto.randomBytes(16)
    const i = NodeCrypto.randomInt(PRIMES.length - 1)
    this.p = PRIMES[i]!
    this.q = PRIMES[i + 1]!
    const key = testRsaKey()
    const res = new Api.ResPQ({
      nonce,
      serverNonce: helpers.readBigIntFromBuffer(this.serverNonce, true, true),
      pq: bigToBytes(this.p * this.q),
      serverPublicKeyFingerprints: [toLong(key.fingerprint)]
    })
    return { _tag: "Reply", body: res.getBytes() }
  }

  private checkNonces(nonce: Api.int128, serverNonce: Api.int128): boolean {
    return (
      this.nonce !== undefined &&
      this.serverNonce !== undefined &&
      le(nonce, 16).equals(this.nonce) &&
      le(serverNonce, 16).equals(this.serverNonce)
    )
  }

  private reqDh(req: Api.ReqDHParams): StepResult {
    if (!this.checkNonces(req.nonce, req.serverNonce)) return fail("req_DH_params: nonce mismatch")
    if (bytesToBig(req.p) !== this.p || bytesToBig(req.q) !== this.q) return fail("req_DH_params: wrong p, q")
    const key = testRsaKey()
    if (fromLong(req.publicKeyFingerprint) !== key.fingerprint) return fail("req_DH_params: unknown key")
    if (req.encryptedData.length !== 256) return fail("req_DH_params: encrypted_data is not 256 bytes")
    let keyAesEncrypted: Buffer
    try {
      keyAesEncrypted = NodeCrypto.privateDecrypt(
        { key: key.privateKey, padding: NodeCrypto.constants.RSA_NO_PADDING },
        req.encryptedData
      )
    } catch {
      return fail("req_DH_params: RSA decryption failed")
    }
    // RSA_PAD: temp_key_xor (32) ‖ aes_encrypted (224)
    const tempKeyXor = keyAesEncrypted.subarray(0, 32)
    const aesEncrypted = keyAesEncrypted.subarray(32)
    const aesHash = sha256(aesEncrypted)
    const tempKey = Buffer.alloc(32)
    for (let i = 0; i < 32; i++) tempKey[i] = tempKeyXor[i]! ^ aesHash[i]!
    const dataWithHash = igeDecrypt(tempKey, Buffer.alloc(32), aesEncrypted)
    const dataWithPadding = Buffer.from(dataWithHash.subarray(0, 192)).reverse()
    const hash = dataWithHash.subarray(192, 224)
    if (!sha256(tempKey, dataWithPadding).equals(hash)) return fail("req_DH_params: RSA_PAD hash mismatch")
    const inner = readObject(dataWithPadding)
    if (!(inner instanceof Api.PQInnerData || inner instanceof Api.PQInnerDataDc))
      return fail("req_DH_params: no p_q_inner_data")
    if (!this.checkNonces(inner.nonce, inner.serverNonce)) return fail("p_q_inner_data: nonce mismatch")
    this.newNonce = le(inner.newNonce, 32)
    const dh = NodeCrypto.getDiffieHellman("modp14")
    dh.generateKeys()
    this.dh = dh
    const answer = new Api.ServerDHInnerData({
      nonce: req.nonce,
      serverNonce: req.serverNonce,
      g: 2,
      dhPrime: dh.getPrime(),
      gA: dh.getPublicKey(),
      serverTime: Math.floor(Date.now() / 1000)
    }).getBytes()
    const withHash = Buffer.concat([sha1(answer), answer])
    const padded = Buffer.concat([withHash, NodeCrypto.randomBytes((16 - (withHash.length % 16)) % 16)])
    const { key: aesKey, iv } = nonceKeyIv(this.serverNonce!, this.newNonce)
    const res = new Api.ServerDHParamsOk({
      nonce: req.nonce,
      serverNonce: req.serverNonce,
      encryptedAnswer: igeEncrypt(aesKey, iv, padded)
    })
    return { _tag: "Reply", body: res.getBytes() }
  }

  private setClientDh(req: Api.SetClientDHParams): StepResult {
    if (!this.checkNonces(req.nonce, req.serverNonce)) return fail("set_client_DH_params: nonce mismatch")
    if (this.newNonce === undefined || this.dh === undefined)
      return fail("set_client_DH_params: out of order")
    if (req.encryptedData.length % 16 !== 0) return fail("set_client_DH_params: bad length")
    const { key: aesKey, iv } = nonceKeyIv(this.serverNonce!, this.newNonce)
    const plain = igeDecrypt(aesKey, iv, req.encryptedData)
    const inner = readObject(plain.subarray(20))
    if (!(inner instanceof Api.ClientDHInnerData))
      return fail("set_client_DH_params: no client_DH_inner_data")
    if (!this.checkNonces(inner.nonce, inner.serverNonce)) return fail("client_DH_inner_data: nonce mismatch")
    const innerBytes = inner.getBytes()
    if (!sha1(innerBytes).equals(plain.subarray(0, 20))) return fail("client_DH_inner_data: sha1 mismatch")
    const prime = bytesToBig(this.dh.getPrime())
    const gB = bytesToBig(inner.gB)
    if (gB <= 1n || gB >= prime - 1n) return fail("client_DH_inner_data: g_b out of range")
    let secret: Buffer
    try {
      secret = this.dh.computeSecret(inner.gB)
    } catch {
      return fail("client_DH_inner_data: g_b rejected")
    }
    const authKey = Buffer.from(minimal(secret))
    // new_nonce_hash1 = sha1(new_nonce ‖ 0x01 ‖ auth_key_aux_hash)[4..20]
    const hash1 = sha1(this.newNonce, Buffer.from([1]), authKeyAuxHash(authKey)).subarray(4, 20)
    const res = new Api.DhGenOk({
      nonce: req.nonce,
      serverNonce: req.serverNonce,
      newNonceHash1: helpers.readBigIntFromBuffer(hash1, true, true)
    })
    this.nonce = undefined
    this.dh = undefined
    return { _tag: "Done", body: res.getBytes(), authKey }
  }
}
