/**
 * The encrypted signalling connection of one side, as tgcalls' `EncryptedConnection` (type
 * Signaling) runs it: the packet cipher, the 64-entry replay window, the raw layout
 * (`encryptRawPacket` / `decryptRawPacket`) and the framed one (`prepareForSendingRawMessage`,
 * `prepareForSendingService`, `handleIncomingRawPacket` / `processRawPacket`) with its acks and
 * resends. Written from a reading of tgcalls (TelegramMessenger/tgcalls, branch development,
 * tgcalls/EncryptedConnection.cpp and Message.cpp `DeserializeRawMessage`); no code copied.
 *
 * Pure state machine: time (milliseconds) is passed in, packets come out; nothing here sleeps.
 */
import { ctr } from "@noble/ciphers/aes.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { concat, constantTimeEqual } from "../bytes.js"

export const SINGLE_MESSAGE_BIT = 0x80000000
export const REQUIRES_ACK_BIT = 0x40000000
/** `kMaxAllowedCounter`: the last counter a sender may use (2^30 − 1). */
export const MAX_COUNTER = 0x3fffffff
export const MIN_PACKET = 21
/** `kMaxIncomingPacketSize`. */
export const MAX_INCOMING_PACKET = 128 * 1024
/** `kMaxSignalingPacketSize`: the framed layout's outgoing packet limit. */
export const MAX_FRAMED_PACKET = 16 * 1024
export const WINDOW = 64
const ACK_ID = 0xff
const EMPTY_ID = 0xfe
const CUSTOM_ID = 0x7f
const ACK_SIZE = 5
const NOT_ACKED_LIMIT = 64 * 1024
/** `DeserializeRawMessage`: a framed message longer than 1 MiB is refused. */
const MAX_FRAMED_MESSAGE = 1024 * 1024
/** `DelayIntervalsByType(Signaling)`. */
export const MIN_RESEND_DELAY = 3000
export const MAX_RESEND_DELAY = 5000
export const MAX_ACK_DELAY = 5000
const CAUSE_ACKS = 1
const CAUSE_RESEND = 2

export const counterOf = (seq: number): number => (seq & MAX_COUNTER) >>> 0

const readU32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0

const writeU32 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = v >>> 24
  b[at + 1] = v >>> 16
  b[at + 2] = v >>> 8
  b[at + 3] = v
}

// ---------------------------------------------------------------------------- cipher --

export interface PacketKeys {
  readonly aesKey: Uint8Array
  readonly aesIv: Uint8Array
}

/** tgcalls `PrepareAesKeyIv` (spec §6). */
export const kdfUnchecked = (key: Uint8Array, msgKey: Uint8Array, x: number): PacketKeys => {
  const a = sha256(concat(msgKey, key.subarray(x, x + 36)))
  const b = sha256(concat(key.subarray(40 + x, 40 + x + 36), msgKey))
  return {
    aesKey: concat(a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)),
    aesIv: concat(b.subarray(0, 4), a.subarray(8, 16), b.subarray(24, 28))
  }
}

export const msgKeyOf = (key: Uint8Array, plaintext: Uint8Array, x: number): Uint8Array =>
  sha256(concat(key.subarray(88 + x, 88 + x + 32), plaintext)).slice(8, 24)

/** AES-256-CTR with a 128-bit big-endian counter (OpenSSL `CRYPTO_ctr128_encrypt`), noble. */
export const aesCtr = (aesKey: Uint8Array, aesIv: Uint8Array, data: Uint8Array): Uint8Array =>
  ctr(aesKey, aesIv).encrypt(data)

/** `encryptPrepared`: `msg_key ‖ AES-256-CTR(plaintext)`. */
export const seal = (key: Uint8Array, x: number, plaintext: Uint8Array): Uint8Array => {
  const mk = msgKeyOf(key, plaintext, x)
  const { aesIv, aesKey } = kdfUnchecked(key, mk, x)
  return concat(mk, aesCtr(aesKey, aesIv, plaintext))
}

export type OpenFailure =
  | { readonly _tag: "too-short" | "too-long"; readonly length: number }
  | { readonly _tag: "msg-key-mismatch"; readonly length: number }

/** The size check and authentication of `decryptRawPacket` / `handleIncomingRawPacket`. */
export const open = (
  key: Uint8Array,
  x: number,
  packet: Uint8Array
): { readonly plaintext: Uint8Array } | OpenFailure => {
  if (packet.length < MIN_PACKET) return { _tag: "too-short", length: packet.length }
  if (packet.length > MAX_INCOMING_PACKET) return { _tag: "too-long", length: packet.length }
  const received = packet.subarray(0, 16)
  const { aesIv, aesKey } = kdfUnchecked(key, received, x)
  const plaintext = aesCtr(aesKey, aesIv, packet.subarray(16))
  if (!constantTimeEqual(msgKeyOf(key, plaintext, x), received))
    return { _tag: "msg-key-mismatch", length: packet.length }
  return { plaintext }
}

// -------------------------------------------------------------------- replay window --

/**
 * `registerIncomingCounter`: a sorted list of at most 64 counters. Refuses a counter already
 * in the list, or one at least 64 below the largest; otherwise inserts it and forgets the
 * counters that fell out of the window.
 */
export class ReplayWindow {
  readonly list: Array<number> = []

  get largest(): number {
    return this.list.length === 0 ? 0 : this.list[this.list.length - 1]!
  }

  check(counter: number): "duplicate" | "too-old" | undefined {
    if (this.list.includes(counter)) return "duplicate"
    if (counter + WINDOW <= this.largest) return "too-old"
    return undefined
  }

  register(counter: number): "duplicate" | "too-old" | undefined {
    const refused = this.check(counter)
    if (refused !== undefined) return refused
    const kept = this.list.filter((c) => c + WINDOW > counter)
    kept.push(counter)
    kept.sort((a, b) => a - b)
    this.list.length = 0
    this.list.push(...kept)
    return undefined
  }
}

// -------------------------------------------------------------------- the connection --

export interface Message {
  readonly counter: number
  readonly payload: Uint8Array
}

export type FramedItem =
  | { readonly _tag: "Empty"; readonly seq: number }
  | { readonly _tag: "Ack"; readonly seq: number }
  | { readonly _tag: "Message"; readonly seq: number; readonly payload: Uint8Array }

export type MalformedReason =
  | "single-message-not-first"
  | "empty-not-first"
  | "ack-first"
  | "bad-length"
  | "unknown-type"
  | "single-message-trailing-data"
  | "bad-remaining-size"

/**
 * `processRawPacket`'s parser, without its side effects: the items of a framed plaintext
 * (after `seq`), or why tgcalls refuses the packet.
 */
export const parseFramed = (
  plaintext: Uint8Array
): { readonly items: ReadonlyArray<FramedItem> } | { readonly malformed: MalformedReason } => {
  const items: Array<FramedItem> = []
  let seq = readU32(plaintext, 0)
  let at = 4
  let additional = false
  while (true) {
    const type = plaintext[at]
    const single = (seq & SINGLE_MESSAGE_BIT) !== 0
    if (single && additional) return { malformed: "single-message-not-first" }
    if (type === EMPTY_ID) {
      if (additional) return { malformed: "empty-not-first" }
      items.push({ _tag: "Empty", seq })
      at += 1
    } else if (type === ACK_ID) {
      if (!additional) return { malformed: "ack-first" }
      items.push({ _tag: "Ack", seq })
      at += 1
    } else if (type === CUSTOM_ID) {
      at += 1
      if (plaintext.length - at < 4) return { malformed: "bad-length" }
      const length = readU32(plaintext, at)
      at += 4
      if (length > MAX_FRAMED_MESSAGE || plaintext.length - at < length) return { malformed: "bad-length" }
      items.push({ _tag: "Message", seq, payload: plaintext.slice(at, at + length) })
      at += length
    } else {
      return { malformed: "unknown-type" }
    }
    const remaining = plaintext.length - at
    if (remaining === 0) break
    if (single) return { malformed: "single-message-trailing-data" }
    if (remaining < 5) return { malformed: "bad-remaining-size" }
    seq = readU32(plaintext, at)
    at += 4
    additional = true
  }
  return { items }
}

/** `SerializeRawMessageWithSeq`: `seq ‖ 0x7F ‖ u32 BE length ‖ message`. */
export const serializeFramed = (seq: number, message: Uint8Array): Uint8Array => {
  const out = new Uint8Array(9 + message.length)
  writeU32(out, 0, seq)
  out[4] = CUSTOM_ID
  writeU32(out, 5, message.length)
  out.set(message, 9)
  return out
}

const serializeEmpty = (seq: number): Uint8Array => {
  const out = new Uint8Array(5)
  writeU32(out, 0, seq)
  out[4] = EMPTY_ID
  return out
}

const serializeAck = (seq: number): Uint8Array => {
  const out = new Uint8Array(5)
  writeU32(out, 0, seq)
  out[4] = ACK_ID
  return out
}

export type SendFailure =
  | { readonly _tag: "exhausted"; readonly counter: number }
  | { readonly _tag: "too-large"; readonly length: number; readonly limit: number }
  | { readonly _tag: "too-many-unacked"; readonly count: number }

export type ReceiveFailure =
  | OpenFailure
  | { readonly _tag: "duplicate" | "too-old"; readonly counter: number; readonly largest: number }
  | { readonly _tag: "malformed"; readonly reason: MalformedReason; readonly counter: number }

export interface Received {
  /** The counter of the packet (its `seq` with the flag bits cleared). */
  readonly counter: number
  readonly messages: ReadonlyArray<Message>
  /** Packets to send now (framed: none; acks go out through `tick`). */
  readonly outgoing: ReadonlyArray<Uint8Array>
}

interface Unacked {
  readonly data: Uint8Array
  readonly seq: number
  lastSent: number
}

interface Service {
  readonly at: number
  readonly cause: number
}

/**
 * One side of the connection. `framed` selects `prepareForSendingRawMessage(message, true)` /
 * `handleIncomingRawPacket`; otherwise `encryptRawPacket` / `decryptRawPacket`.
 */
export class Connection {
  private counter: number
  readonly window = new ReplayWindow()
  private readonly notYetAcked: Array<Unacked> = []
  private readonly acksToSend: Array<number> = []
  private readonly acksSent: Array<number> = []
  private readonly services: Array<Service> = []
  private sendAcksTimerActive = false
  private resendTimerActive = false

  constructor(
    private readonly key: Uint8Array,
    readonly isOutgoing: boolean,
    readonly framed: boolean,
    firstCounter: number
  ) {
    this.counter = firstCounter - 1
  }

  private get sendX(): number {
    return this.isOutgoing ? 128 : 136
  }

  private get receiveX(): number {
    return this.isOutgoing ? 136 : 128
  }

  get nextCounter(): number {
    return this.counter + 1
  }

  get unacked(): number {
    return this.notYetAcked.length
  }

  /** The earliest time `tick` has something to do, if any. */
  get nextDeadline(): number | undefined {
    let at: number | undefined
    for (const s of this.services) if (at === undefined || s.at < at) at = s.at
    return at
  }

  private requestService(now: number, delay: number, cause: number): void {
    this.services.push({ at: now + delay, cause })
  }

  private computeNextSeq(requiresAck: boolean, single: boolean): number | SendFailure {
    if (requiresAck && this.notYetAcked.length >= NOT_ACKED_LIMIT)
      return { _tag: "too-many-unacked", count: this.notYetAcked.length }
    if (this.counter >= MAX_COUNTER) return { _tag: "exhausted", counter: this.counter }
    this.counter += 1
    return (this.counter | (single ? SINGLE_MESSAGE_BIT : 0) | (requiresAck ? REQUIRES_ACK_BIT : 0)) >>> 0
  }

  private fits(length: number, amount: number): boolean {
    return amount < MAX_FRAMED_PACKET && 16 + length + amount <= MAX_FRAMED_PACKET
  }

  /** `appendAdditionalMessages`: pending acks, then due resends in order, as many as fit. */
  private appendAdditional(parts: Array<Uint8Array>, now: number): void {
    let length = parts.reduce((n, p) => n + p.length, 0)
    while (this.acksToSend.length > 0 && this.fits(length, ACK_SIZE)) {
      parts.push(serializeAck(this.acksToSend.shift()!))
      length += ACK_SIZE
    }
    if (this.notYetAcked.length === 0) return
    for (const resending of this.notYetAcked) {
      const when = resending.lastSent ? resending.lastSent + MIN_RESEND_DELAY : 0
      if (when > now) break
      if (!this.fits(length, resending.data.length)) break
      parts.push(resending.data)
      length += resending.data.length
      resending.lastSent = now
    }
    if (!this.resendTimerActive) {
      this.resendTimerActive = true
      this.requestService(now, MAX_RESEND_DELAY, CAUSE_RESEND)
    }
  }

  /** `prepareForSendingService(cause)`: an empty message carrying acks and resends, if any. */
  private service(cause: number, now: number): Uint8Array | undefined {
    if (cause === CAUSE_ACKS) this.sendAcksTimerActive = false
    else if (cause === CAUSE_RESEND) this.resendTimerActive = false
    if (this.notYetAcked.length === 0 && this.acksToSend.length === 0) return undefined
    const seq = this.computeNextSeq(false, false)
    if (typeof seq !== "number") return undefined
    const parts = [serializeEmpty(seq)]
    this.appendAdditional(parts, now)
    return seal(this.key, this.sendX, concat(...parts))
  }

  /** Encrypts one message into the packet(s) to send now. */
  send(message: Uint8Array, now: number): ReadonlyArray<Uint8Array> | SendFailure {
    if (!this.framed) {
      const limit = MAX_INCOMING_PACKET - 20
      if (message.length > limit) return { _tag: "too-large", length: message.length, limit }
      if (this.counter >= MAX_COUNTER) return { _tag: "exhausted", counter: this.counter }
      this.counter += 1
      const plaintext = new Uint8Array(4 + message.length)
      writeU32(plaintext, 0, this.counter)
      plaintext.set(message, 4)
      return [seal(this.key, this.sendX, plaintext)]
    }
    const limit = MAX_FRAMED_PACKET - 16 - 9
    if (message.length > limit) return { _tag: "too-large", length: message.length, limit }
    // A message that requires an ack is never a single-message packet (it may be resent
    // inside a bigger one), so the single-message bit stays clear here.
    const seq = this.computeNextSeq(true, false)
    if (typeof seq !== "number") return seq
    const serialized = serializeFramed(seq, message)
    const sendEnqueued = this.notYetAcked.length > 0
    const parts = [serialized]
    if (!sendEnqueued) this.appendAdditional(parts, now)
    this.notYetAcked.push({ data: serialized, seq, lastSent: now })
    if (!sendEnqueued) {
      // tgcalls arms the resend timer only when a later packet carries additional messages;
      // arming it here too makes a lone lost message come back without changing the wire.
      if (!this.resendTimerActive) {
        this.resendTimerActive = true
        this.requestService(now, MAX_RESEND_DELAY, CAUSE_RESEND)
      }
      return [seal(this.key, this.sendX, concat(...parts))]
    }
    for (const queued of this.notYetAcked) queued.lastSent = 0
    const packet = this.service(0, now)
    return packet === undefined ? [] : [packet]
  }

  /** Runs the service requests that are due at `now` (delayed acks, resends). */
  tick(now: number): ReadonlyArray<Uint8Array> {
    const out: Array<Uint8Array> = []
    while (true) {
      let index = -1
      for (let i = 0; i < this.services.length; i++)
        if (this.services[i]!.at <= now && (index < 0 || this.services[i]!.at < this.services[index]!.at))
          index = i
      if (index < 0) break
      const [due] = this.services.splice(index, 1)
      const packet = this.service(due!.cause, now)
      if (packet !== undefined) out.push(packet)
    }
    return out
  }

  /** `registerSentAck`: was this ack-requiring counter new? Forgets older ones when first. */
  private registerSentAck(counter: number, firstInPacket: boolean): boolean {
    const list = this.acksSent
    let position = 0
    while (position < list.length && list[position]! < counter) position++
    const already = position < list.length && list[position] === counter
    if (firstInPacket) {
      list.splice(0, position)
      if (!already) list.unshift(counter)
    } else if (!already) {
      list.splice(position, 0, counter)
    }
    return !already
  }

  private ackMine(seq: number): void {
    const i = this.notYetAcked.findIndex((m) => m.seq === seq)
    if (i >= 0) this.notYetAcked.splice(i, 1)
  }

  receive(packet: Uint8Array, now: number): Received | ReceiveFailure {
    const opened = open(this.key, this.receiveX, packet)
    if (!("plaintext" in opened)) return opened
    const { plaintext } = opened
    const seq = readU32(plaintext, 0)
    const counter = counterOf(seq)
    const refused = this.window.register(counter)
    if (refused !== undefined) return { _tag: refused, counter, largest: this.window.largest }
    if (!this.framed) return { counter, messages: [{ counter, payload: plaintext.slice(4) }], outgoing: [] }
    const parsed = parseFramed(plaintext)
    if ("malformed" in parsed) return { _tag: "malformed", reason: parsed.malformed, counter }
    const messages: Array<Message> = []
    let firstRequiringAck = true
    let newRequiringAck = false
    parsed.items.forEach((item, index) => {
      if (item._tag === "Ack") this.ackMine(item.seq)
      if (item._tag !== "Message") return
      const itemCounter = counterOf(item.seq)
      const requiresAck = (item.seq & REQUIRES_ACK_BIT) !== 0
      const skip = requiresAck
        ? !this.registerSentAck(itemCounter, firstRequiringAck)
        : index > 0 && this.window.register(itemCounter) !== undefined
      if (requiresAck) {
        firstRequiringAck = false
        if (!skip) newRequiringAck = true
        if (!this.acksToSend.includes(item.seq)) this.acksToSend.push(item.seq)
      }
      if (!skip) messages.push({ counter: itemCounter, payload: item.payload })
    })
    if (this.acksToSend.length > 0) {
      if (newRequiringAck) this.requestService(now, 0, 0)
      else if (!this.sendAcksTimerActive) {
        this.sendAcksTimerActive = true
        this.requestService(now, MAX_ACK_DELAY, CAUSE_ACKS)
      }
    }
    return { counter, messages, outgoing: [] }
  }
}
