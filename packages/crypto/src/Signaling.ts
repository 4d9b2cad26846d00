/**
 * The encrypted signalling channel of an active call, in the layout tgcalls uses for the
 * negotiated library version (docs/security.md §8 has the version → layout table with its
 * sources in TelegramMessenger/tgcalls).
 *
 * Every layout encrypts packets as `msg_key (16) ‖ AES-256-CTR(aes_key, aes_iv)(seq (u32 BE) ‖ …)`
 * (spec §6, tgcalls `EncryptedConnection::encryptPrepared`), where
 *
 * - `msg_key = SHA256(key[88+x .. 88+x+32] ‖ plaintext)[8 .. 24]`
 * - `sha256_a = SHA256(msg_key ‖ key[x .. x+36])`, `sha256_b = SHA256(key[40+x .. 40+x+36] ‖ msg_key)`
 * - `aes_key = sha256_a[0..8] ‖ sha256_b[8..24] ‖ sha256_a[24..32]`
 * - `aes_iv = sha256_b[0..4] ‖ sha256_a[8..16] ‖ sha256_b[24..28]`, the initial 128-bit counter
 *   block, incremented as one big-endian number
 *
 * and `x` is the sender's: 128 for the caller, 136 for the callee. The two top bits of `seq` are
 * flags (2^31 single-message packet, 2^30 requires ack); the counter is `seq` with both cleared.
 *
 * - `"raw"` (6.0.0, 7.0.0): `seq ‖ message`, one message per packet, no flag bits.
 * - `"framed"` (8.0.0, 9.0.0, 10.0.0): `seq ‖ 0x7F ‖ u32 BE length ‖ message`, followed by
 *   further items (acks, resends); every message requires an ack and is resent until acked.
 * - `"sctp"` (11.0.0): raw packets carried as the messages of an SCTP association whose
 *   cleartext packets are what `phone.sendSignalingData` carries.
 *
 * AES is `@noble/ciphers` (audited). Pure helpers return plain values or `Result`.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Queue, Redacted, Result, Schema, type Scope, Stream } from "effect"
import { KeyLengthInvalid } from "./CryptoError.js"
import {
  aesCtr,
  Connection,
  counterOf,
  kdfUnchecked,
  MAX_COUNTER,
  MAX_INCOMING_PACKET,
  msgKeyOf,
  type OpenFailure,
  open,
  parseFramed,
  REQUIRES_ACK_BIT,
  type ReceiveFailure,
  type SendFailure,
  SINGLE_MESSAGE_BIT,
  seal
} from "./internal/signaling/connection.js"
import { Association } from "./internal/signaling/sctp.js"

// ---------------------------------------------------------------------------------- errors --

/**
 * A received packet was refused before any message was taken from it, as tgcalls refuses it:
 * shorter than 21 bytes (`"too-short"`), longer than 128 KiB (`"too-long"`,
 * `kMaxIncomingPacketSize`), a `msg_key` that does not match (`"msg-key-mismatch"`), a framed
 * plaintext tgcalls' `processRawPacket` would not parse (`"malformed"`, with `detail`), or, on
 * the SCTP layout, a packet that is not an SCTP packet of this association (`"sctp"`).
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingPacketInvalid extends Schema.TaggedError<SignalingPacketInvalid>()(
  "SignalingPacketInvalid",
  {
    reason: Schema.Literals(["too-short", "too-long", "msg-key-mismatch", "malformed", "sctp"]),
    /** Length in bytes of the rejected packet. */
    length: Schema.Int,
    detail: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    const messages = {
      "too-short": `signalling packet is ${this.length} bytes; at least ${MIN_PACKET_LENGTH} are required`,
      "too-long": `signalling packet is ${this.length} bytes; at most ${MAX_PACKET_LENGTH} are accepted`,
      "msg-key-mismatch":
        "signalling packet rejected: msg_key does not match SHA256(key[88+x..88+x+32] || plaintext)[8..24]",
      malformed: `framed signalling packet rejected: ${this.detail ?? "malformed"}`,
      sctp: `SCTP signalling packet rejected: ${this.detail ?? "invalid"}`
    }
    return messages[this.reason]
  }
}

/**
 * An authentic packet whose counter was already seen (`"duplicate"`) or is at least 64 below
 * the highest counter seen (`"too-old"`): tgcalls' `registerIncomingCounter`. Dropping it is
 * normal; the call goes on.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingReplay extends Schema.TaggedError<SignalingReplay>()("SignalingReplay", {
  reason: Schema.Literals(["duplicate", "too-old"]),
  /** The packet's counter (flag bits cleared). */
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
 * Our send counter reached 2^30 − 1 (`kMaxAllowedCounter`): tgcalls refuses to send further
 * packets on this connection. Received counters never end a call.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingSeqExhausted extends Schema.TaggedError<SignalingSeqExhausted>()(
  "SignalingSeqExhausted",
  {
    direction: Schema.Literals(["send"]),
    seq: Schema.Number
  }
) {
  override get message(): string {
    return `signalling send counter reached ${this.seq} (tgcalls' limit is 2^30 - 1); no further packet can be sent`
  }
}

/**
 * A message the layout cannot carry: larger than fits a framed packet (16 KiB,
 * `kMaxSignalingPacketSize`) or than a peer accepts (128 KiB − 20), or, on the framed layout,
 * 65,536 messages still waiting for their ack (`kNotAckedMessagesLimit`).
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingMessageRefused extends Schema.TaggedError<SignalingMessageRefused>()(
  "SignalingMessageRefused",
  {
    reason: Schema.Literals(["too-large", "too-many-unacked"]),
    value: Schema.Number,
    limit: Schema.Number
  }
) {
  override get message(): string {
    return this.reason === "too-large"
      ? `signalling message of ${this.value} bytes exceeds the layout's limit of ${this.limit}`
      : `${this.value} signalling messages are waiting for an ack (limit ${this.limit})`
  }
}

/**
 * A library version with no signalling layout we speak (tgcalls' 2.4.4, 2.7.7 and 5.0.0
 * implementations do not use these layouts; see docs/security.md §8).
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingVersionUnsupported extends Schema.TaggedError<SignalingVersionUnsupported>()(
  "SignalingVersionUnsupported",
  { libraryVersion: Schema.String }
) {
  override get message(): string {
    return `no signalling layout for library version ${JSON.stringify(this.libraryVersion)}; supported: ${Object.keys(layouts).join(", ")}`
  }
}

/**
 * An argument that no packet can be made from: a key that is not a `Uint8Array` (`"key"`), a
 * `msg_key` that is not 16 bytes, an `x` outside 0..136, a `seq` that is not an unsigned
 * 32-bit integer (a first counter: within 1..2^30 − 1).
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalingArgumentInvalid extends Schema.TaggedError<SignalingArgumentInvalid>()(
  "SignalingArgumentInvalid",
  {
    argument: Schema.Literals(["key", "msgKey", "x", "seq", "iv"]),
    value: Schema.Number
  }
) {
  override get message(): string {
    const messages = {
      key: "the call key must be a Uint8Array (or a Redacted one) of 256 bytes",
      msgKey: `msg_key must be 16 bytes, got ${this.value}`,
      x: `x must be an integer within 0..136, got ${this.value}`,
      seq: `seq must be an unsigned 32-bit integer (a first counter: within 1..2^30 - 1), got ${this.value}`,
      iv: `the AES-CTR counter block must be 16 bytes, got ${this.value}`
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
 * The longest packet a receiver accepts (tgcalls `kMaxIncomingPacketSize`): 128 KiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_PACKET_LENGTH = MAX_INCOMING_PACKET

/**
 * How many counters the receiver remembers (tgcalls `kKeepIncomingCountersCount`).
 *
 * @since 0.1.0
 * @category constants
 */
export const REPLAY_WINDOW = 64

/**
 * The single-message flag bit of `seq` (tgcalls `kSingleMessagePacketSeqBit`): 2^31.
 *
 * @since 0.1.0
 * @category constants
 */
export const SINGLE_MESSAGE_SEQ_BIT = SINGLE_MESSAGE_BIT

/**
 * The requires-ack flag bit of `seq` (tgcalls `kMessageRequiresAckSeqBit`): 2^30.
 *
 * @since 0.1.0
 * @category constants
 */
export const REQUIRES_ACK_SEQ_BIT = REQUIRES_ACK_BIT

/**
 * The last counter a sender may use (tgcalls `kMaxAllowedCounter`): 2^30 − 1.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_SEND_COUNTER = MAX_COUNTER

/**
 * The signalling layouts tgcalls uses (see the module documentation).
 *
 * @since 0.1.0
 * @category models
 */
export type Layout = "raw" | "framed" | "sctp"

/**
 * Library version → layout, from tgcalls' `GetVersions` lists and each instance's
 * `signalingProtocolVersion` (docs/security.md §8).
 *
 * @since 0.1.0
 * @category constants
 */
export const layouts: Readonly<Record<string, Layout>> = {
  "11.0.0": "sctp",
  "10.0.0": "framed",
  "9.0.0": "framed",
  "8.0.0": "framed",
  "7.0.0": "raw",
  "6.0.0": "raw"
}

/**
 * The layout of a library version, or `SignalingVersionUnsupported`.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * Result.getOrThrow(Signaling.layoutOf("9.0.0")) // "framed"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const layoutOf = (libraryVersion: string): Result.Result<Layout, SignalingVersionUnsupported> => {
  const layout = Object.hasOwn(layouts, libraryVersion) ? layouts[libraryVersion] : undefined
  return layout === undefined
    ? Result.fail(new SignalingVersionUnsupported({ libraryVersion }))
    : Result.succeed(layout)
}

/**
 * The sender's `x` on the signalling channel: 128 for the caller, 136 for the callee.
 *
 * @since 0.1.0
 * @category kdf
 */
export const senderX = (senderIsOutgoing: boolean): number => (senderIsOutgoing ? CALLER_X : CALLEE_X)

// ----------------------------------------------------------------------------------- KDF --

/**
 * The call key: a plain or `Redacted` `Uint8Array` of exactly 256 bytes.
 *
 * @since 0.1.0
 * @category models
 */
export type CallKey = Uint8Array | Redacted.Redacted<Uint8Array>

const keyOf = (key: unknown): Result.Result<Uint8Array, KeyLengthInvalid | SignalingArgumentInvalid> => {
  const bytes: unknown = Redacted.isRedacted(key) ? Redacted.value(key as Redacted.Redacted<unknown>) : key
  if (!(bytes instanceof Uint8Array))
    return Result.fail(new SignalingArgumentInvalid({ argument: "key", value: -1 }))
  return bytes.length === 256
    ? Result.succeed(bytes)
    : Result.fail(new KeyLengthInvalid({ length: bytes.length }))
}

const checkX = (x: number): Result.Result<number, SignalingArgumentInvalid> =>
  Number.isInteger(x) && x >= 0 && x <= 136
    ? Result.succeed(x)
    : Result.fail(new SignalingArgumentInvalid({ argument: "x", value: x }))

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

/**
 * `aes_key` and `aes_iv` for one packet (spec §6; tgcalls `PrepareAesKeyIv`). `x` is the
 * sender's (`senderX`).
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * const keys = Signaling.kdf(new Uint8Array(256), new Uint8Array(16), Signaling.CALLER_X)
 * Result.isSuccess(keys) // true
 * ```
 *
 * @since 0.1.0
 * @category kdf
 */
export const kdf = (
  key: CallKey,
  msgKey: Uint8Array,
  x: number
): Result.Result<PacketKeys, KeyLengthInvalid | SignalingArgumentInvalid> =>
  Result.gen(function* () {
    const bytes = yield* keyOf(key)
    yield* checkX(x)
    if (!(msgKey instanceof Uint8Array) || msgKey.length !== 16)
      return yield* Result.fail(
        new SignalingArgumentInvalid({ argument: "msgKey", value: msgKey?.length ?? -1 })
      )
    return kdfUnchecked(bytes, msgKey, x)
  })

/**
 * `msg_key` of a plaintext (`seq ‖ …`): `SHA256(key[88+x .. 88+x+32] ‖ plaintext)[8..24]`.
 *
 * @since 0.1.0
 * @category kdf
 */
export const msgKey = (
  key: CallKey,
  plaintext: Uint8Array,
  x: number
): Result.Result<Uint8Array, KeyLengthInvalid | SignalingArgumentInvalid> =>
  Result.gen(function* () {
    const bytes = yield* keyOf(key)
    yield* checkX(x)
    return msgKeyOf(bytes, plaintext, x)
  })

/**
 * AES-256-CTR (`@noble/ciphers`) with the 128-bit big-endian counter tgcalls' OpenSSL call
 * uses. `key` 32 bytes, `iv` 16.
 *
 * @since 0.1.0
 * @category kdf
 */
export const aes256Ctr = (
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array
): Result.Result<Uint8Array, KeyLengthInvalid | SignalingArgumentInvalid> => {
  if (key.length !== 32) return Result.fail(new KeyLengthInvalid({ length: key.length }))
  if (iv.length !== 16) return Result.fail(new SignalingArgumentInvalid({ argument: "iv", value: iv.length }))
  return Result.succeed(aesCtr(key, iv, data))
}

// -------------------------------------------------------------------------------- packets --

/**
 * What `encryptPacket` needs: the sender's role, the raw `seq` (flag bits included) and the
 * plaintext that follows it.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutgoingPacket {
  /** `true` when the **sender** is the caller (x = 128), `false` for the callee (x = 136). */
  readonly isOutgoing: boolean
  /** The raw `seq`: counter plus flag bits; an unsigned 32-bit integer. */
  readonly seq: number
  /** What follows `seq`: the message (raw) or the framed items. */
  readonly payload: Uint8Array
}

/**
 * One signalling message and the counter it was sent with.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignalingMessage {
  readonly counter: number
  readonly message: Uint8Array
}

/**
 * A decrypted, authentic packet read statelessly (no replay window, no acks).
 *
 * @since 0.1.0
 * @category models
 */
export interface DecryptedPacket {
  /** The raw `seq` with its flag bits. */
  readonly seq: number
  /** `seq` with the flag bits cleared. */
  readonly counter: number
  readonly singleMessage: boolean
  readonly requiresAck: boolean
  /** The messages the packet carries (raw: the whole rest; framed: each 0x7F item). */
  readonly messages: ReadonlyArray<SignalingMessage>
  /** The raw seqs the framed packet acknowledges. */
  readonly acks: ReadonlyArray<number>
}

/**
 * Encrypts one packet: `msg_key ‖ AES-256-CTR(seq ‖ payload)` with the sender's `x`.
 * Deterministic.
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * const key = new Uint8Array(256).fill(7)
 * const packet = Signaling.encryptPacket(key, { isOutgoing: true, seq: 1, payload: new Uint8Array([1, 2, 3]) })
 * Result.map(packet, (p) => p.length) // Success(23)
 * ```
 *
 * @since 0.1.0
 * @category packets
 */
export const encryptPacket = (
  key: CallKey,
  packet: OutgoingPacket
): Result.Result<Uint8Array, KeyLengthInvalid | SignalingArgumentInvalid> =>
  Result.gen(function* () {
    const bytes = yield* keyOf(key)
    const { seq } = packet
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff)
      return yield* Result.fail(new SignalingArgumentInvalid({ argument: "seq", value: seq }))
    const plaintext = new Uint8Array(4 + packet.payload.length)
    new DataView(plaintext.buffer).setUint32(0, seq, false)
    plaintext.set(packet.payload, 4)
    return seal(bytes, senderX(packet.isOutgoing), plaintext)
  })

const openFailure = (f: OpenFailure): SignalingPacketInvalid =>
  new SignalingPacketInvalid({ reason: f._tag, length: f.length })

/**
 * Decrypts and authenticates one packet statelessly and splits it as `layout` says (default
 * `"raw"`). `isOutgoing` is the **receiver's** role. Fails with `SignalingPacketInvalid`.
 *
 * @since 0.1.0
 * @category packets
 */
export const decryptPacket = (
  key: CallKey,
  options: {
    readonly isOutgoing: boolean
    readonly packet: Uint8Array
    readonly layout?: "raw" | "framed" | undefined
  }
): Result.Result<DecryptedPacket, KeyLengthInvalid | SignalingArgumentInvalid | SignalingPacketInvalid> =>
  Result.gen(function* () {
    const bytes = yield* keyOf(key)
    const opened = open(bytes, senderX(!options.isOutgoing), options.packet)
    if (!("plaintext" in opened)) return yield* Result.fail(openFailure(opened))
    const { plaintext } = opened
    const seq = new DataView(plaintext.buffer, plaintext.byteOffset, 4).getUint32(0, false)
    const counter = counterOf(seq)
    const head = {
      seq,
      counter,
      singleMessage: (seq & SINGLE_MESSAGE_BIT) !== 0,
      requiresAck: (seq & REQUIRES_ACK_BIT) !== 0
    }
    if (options.layout !== "framed")
      return { ...head, messages: [{ counter, message: plaintext.slice(4) }], acks: [] }
    const parsed = parseFramed(plaintext)
    if ("malformed" in parsed)
      return yield* Result.fail(
        new SignalingPacketInvalid({
          reason: "malformed",
          length: options.packet.length,
          detail: parsed.malformed
        })
      )
    const messages: Array<SignalingMessage> = []
    const acks: Array<number> = []
    for (const item of parsed.items) {
      if (item._tag === "Message") messages.push({ counter: counterOf(item.seq), message: item.payload })
      else if (item._tag === "Ack") acks.push(item.seq)
    }
    return { ...head, messages, acks }
  })

// -------------------------------------------------------------------------------- session --

/**
 * What one received packet yielded: the messages it carried (possibly none: an ack, a resend
 * already seen, an SCTP control packet) and, on the SCTP layout, the inner packets that were
 * dropped.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceivedPacket {
  readonly messages: ReadonlyArray<SignalingMessage>
  readonly dropped: ReadonlyArray<SignalingPacketInvalid | SignalingReplay>
}

/**
 * Errors of receiving a packet.
 *
 * @since 0.1.0
 * @category models
 */
export type ReceiveError = SignalingPacketInvalid | SignalingReplay

/**
 * Errors of sending a message.
 *
 * @since 0.1.0
 * @category models
 */
export type SendError = SignalingSeqExhausted | SignalingMessageRefused

const sendFailure = (f: SendFailure): SendError =>
  f._tag === "exhausted"
    ? new SignalingSeqExhausted({ direction: "send", seq: f.counter })
    : f._tag === "too-large"
      ? new SignalingMessageRefused({ reason: "too-large", value: f.length, limit: f.limit })
      : new SignalingMessageRefused({ reason: "too-many-unacked", value: f.count, limit: 65536 })

const receiveFailure = (f: ReceiveFailure, length: number): ReceiveError => {
  if (f._tag === "duplicate" || f._tag === "too-old")
    return new SignalingReplay({ reason: f._tag, seq: f.counter, highest: f.largest })
  if (f._tag === "malformed")
    return new SignalingPacketInvalid({ reason: "malformed", length, detail: f.reason })
  return openFailure(f as OpenFailure)
}

/**
 * The pure state machine of one side of a signalling channel: feed it messages, packets and
 * the time (milliseconds); it returns what to send. `makeChannel` runs one with the `Clock`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Session {
  readonly layout: Layout
  /** Packets to send at the start (the SCTP layout's INIT; none otherwise). */
  readonly start: (now: number) => ReadonlyArray<Uint8Array>
  /** Encrypts one message; returns the packets to send now. */
  readonly send: (message: Uint8Array, now: number) => Result.Result<ReadonlyArray<Uint8Array>, SendError>
  /** Handles one received packet. */
  readonly receive: (
    packet: Uint8Array,
    now: number
  ) => Result.Result<ReceivedPacket & { readonly outgoing: ReadonlyArray<Uint8Array> }, ReceiveError>
  /** Runs timers due at `now` (framed acks and resends, SCTP retransmissions). */
  readonly tick: (now: number) => ReadonlyArray<Uint8Array>
  /** When `tick` next has work, if ever. */
  readonly nextDeadline: () => number | undefined
  /** The counter the next encrypted packet will use. */
  readonly nextCounter: () => number
}

/**
 * Options of `makeSession` / `makeChannel`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChannelOptions {
  /** The negotiated tgcalls version (`ActiveCall.libraryVersion`). */
  readonly libraryVersion: string
  /** The first counter to send (default 1), within 1..2^30 − 1. */
  readonly firstSeq?: number | undefined
  /** SCTP only: our verification tag, initial TSN and state cookie (random by default). */
  readonly sctp?: { readonly tag: number; readonly tsn: number; readonly cookie: Uint8Array } | undefined
}

const randomU32 = (): number => {
  const v = new Uint32Array(1)
  globalThis.crypto.getRandomValues(v)
  return v[0]! >>> 0 || 1
}

/**
 * Creates the pure session of one side (`isOutgoing`: we are the caller).
 *
 * @example
 * ```ts
 * import { Result } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * const key = new Uint8Array(256).fill(1)
 * const caller = Result.getOrThrow(Signaling.makeSession(key, true, { libraryVersion: "7.0.0" }))
 * const callee = Result.getOrThrow(Signaling.makeSession(key, false, { libraryVersion: "7.0.0" }))
 * const [packet] = Result.getOrThrow(caller.send(new TextEncoder().encode("{}"), 0))
 * Result.map(callee.receive(packet!, 0), (r) => r.messages[0]?.counter) // Success(1)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSession = (
  key: CallKey,
  isOutgoing: boolean,
  options: ChannelOptions
): Result.Result<Session, KeyLengthInvalid | SignalingArgumentInvalid | SignalingVersionUnsupported> =>
  Result.gen(function* () {
    const bytes = Uint8Array.from(yield* keyOf(key))
    const layout = yield* layoutOf(options.libraryVersion)
    const firstSeq = options.firstSeq ?? 1
    if (!Number.isInteger(firstSeq) || firstSeq < 1 || firstSeq > MAX_COUNTER)
      return yield* Result.fail(new SignalingArgumentInvalid({ argument: "seq", value: firstSeq }))
    const connection = new Connection(bytes, isOutgoing, layout === "framed", firstSeq)
    const toMessages = (r: { readonly messages: ReadonlyArray<{ counter: number; payload: Uint8Array }> }) =>
      r.messages.map((m) => ({ counter: m.counter, message: m.payload }))
    if (layout !== "sctp") {
      return {
        layout,
        start: () => [],
        send: (message, now) => {
          const out = connection.send(message, now)
          return "_tag" in out ? Result.fail(sendFailure(out)) : Result.succeed(out)
        },
        receive: (packet, now) => {
          const r = connection.receive(packet, now)
          return "_tag" in r
            ? Result.fail(receiveFailure(r, packet.length))
            : Result.succeed({ messages: toMessages(r), dropped: [], outgoing: r.outgoing })
        },
        tick: (now) => connection.tick(now),
        nextDeadline: () => connection.nextDeadline,
        nextCounter: () => connection.nextCounter
      } satisfies Session
    }
    const params = options.sctp ?? {
      tag: randomU32(),
      tsn: randomU32(),
      cookie: globalThis.crypto.getRandomValues(new Uint8Array(16))
    }
    const association = new Association(params.tag, params.tsn, Uint8Array.from(params.cookie))
    return {
      layout,
      start: (now) => [association.start(now)],
      send: (message, now) => {
        const out = connection.send(message, now)
        if ("_tag" in out) return Result.fail(sendFailure(out))
        return Result.succeed(out.flatMap((p) => association.send(p, now)))
      },
      receive: (packet, now) => {
        const events = association.receive(packet, now)
        if ("invalid" in events)
          return Result.fail(
            new SignalingPacketInvalid({ reason: "sctp", length: packet.length, detail: events.invalid })
          )
        const messages: Array<SignalingMessage> = []
        const dropped: Array<ReceiveError> = []
        for (const inner of events.messages) {
          const r = connection.receive(inner, now)
          if ("_tag" in r) dropped.push(receiveFailure(r, inner.length))
          else messages.push(...toMessages(r))
        }
        return Result.succeed({ messages, dropped, outgoing: events.outgoing })
      },
      tick: (now) => association.tick(now),
      nextDeadline: () => association.nextDeadline,
      nextCounter: () => connection.nextCounter
    } satisfies Session
  })

// -------------------------------------------------------------------------------- channel --

/**
 * The signalling channel of one call, for one side, running a `Session` with the `Clock`:
 * `send` encrypts a message, `receive` handles a packet of the peer, and every packet to send
 * (messages, acks, resends, SCTP control) appears on `outgoing`, in order; send each with
 * `phone.sendSignalingData`. Timers (framed acks after ≤ 5 s, resends after 3–5 s, SCTP
 * retransmissions) run in a fiber of the scope `makeChannel` was given.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignalingChannel {
  /** `true` on the caller's side. */
  readonly isOutgoing: boolean
  readonly libraryVersion: string
  readonly layout: Layout
  /** Encrypts `message`; its packet(s) go to `outgoing`. */
  readonly send: (message: Uint8Array) => Effect.Effect<void, SendError>
  /**
   * Handles one packet of the peer: the messages it carries, or why it was refused
   * (`SignalingPacketInvalid`, `SignalingReplay`; drop it and carry on). Replies (acks, SCTP
   * control) go to `outgoing`.
   */
  readonly receive: (packet: Uint8Array) => Effect.Effect<ReceivedPacket, ReceiveError>
  /** The packets to send to the peer, in order. Consume it once. */
  readonly outgoing: Stream.Stream<Uint8Array>
  /** The counter the next encrypted packet will use. */
  readonly nextSeq: Effect.Effect<number>
}

/**
 * Creates the signalling channel of a call for one side, in the layout of
 * `options.libraryVersion`. `isOutgoing` is our role (`true` for the caller).
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Signaling } from "@tgphone/crypto"
 *
 * const key = new Uint8Array(256).fill(1)
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const caller = yield* Signaling.makeChannel(key, true, { libraryVersion: "9.0.0" })
 *     const callee = yield* Signaling.makeChannel(key, false, { libraryVersion: "9.0.0" })
 *     yield* caller.send(new TextEncoder().encode("{}"))
 *     const [packet] = yield* Stream.runCollect(Stream.take(caller.outgoing, 1))
 *     return (yield* callee.receive(packet!)).messages.length // 1
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeChannel = (
  key: CallKey,
  isOutgoing: boolean,
  options: ChannelOptions
): Effect.Effect<
  SignalingChannel,
  KeyLengthInvalid | SignalingArgumentInvalid | SignalingVersionUnsupported,
  Scope.Scope
> =>
  Effect.gen(function* () {
    const session = yield* Effect.fromResult(makeSession(key, isOutgoing, options))
    const outgoing = yield* Queue.unbounded<Uint8Array>()
    const wake = yield* Queue.sliding<void>(1)
    const emit = (packets: ReadonlyArray<Uint8Array>) => {
      for (const p of packets) Queue.offerUnsafe(outgoing, p)
      Queue.offerUnsafe(wake, undefined)
    }
    emit(session.start(yield* Clock.currentTimeMillis))
    // The timer fiber: sleeps until the session's next deadline or until woken by activity.
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const deadline = session.nextDeadline()
          if (deadline !== undefined && deadline <= now) {
            emit(session.tick(now))
            return
          }
          const wait = Queue.take(wake)
          yield* deadline === undefined ? wait : Effect.timeoutOption(wait, deadline - now)
        })
      )
    )
    return {
      isOutgoing,
      libraryVersion: options.libraryVersion,
      layout: session.layout,
      send: (message) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.map(Effect.fromResult(session.send(message, now)), emit)
        ),
      receive: (packet) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.map(Effect.fromResult(session.receive(packet, now)), (r) => {
            emit(r.outgoing)
            return { messages: r.messages, dropped: r.dropped }
          })
        ),
      outgoing: Stream.fromQueue(outgoing),
      nextSeq: Effect.sync(() => session.nextCounter())
    } satisfies SignalingChannel
  })
