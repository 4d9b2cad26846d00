/**
 * A minimal SCTP association (RFC 9260) over the signalling channel, as the 11.0.0 tgcalls
 * instance runs one (`SignalingSctpConnection`: WebRTC's SCTP transport on a packet transport
 * whose packets are `phone.sendSignalingData` payloads; ports 5000/5000, stream 0, ordered,
 * binary messages = PPID 53). Telegram Web A's `sctpSignaling.ts` is the measure of how little
 * a peer needs: INIT / INIT-ACK / COOKIE-ECHO / COOKIE-ACK, DATA with SACK, HEARTBEAT-ACK,
 * ABORT. Unlike it, this one also retransmits unacknowledged DATA (T3-rtx), retries INIT and
 * COOKIE-ECHO, fragments large messages and honours gap-ack blocks. Written here; no code copied.
 *
 * Pure: time is passed in, packets come out. Cleartext: SCTP sits outside the encryption, its
 * user messages are encrypted signalling packets.
 */
import { crc32c } from "./crc32c.js"

export const PORT = 5000
export const PPID_BINARY = 53
const STREAM = 0
const RWND = 0x100000
const MAX_PACKET = 1200
const MAX_FRAGMENT = MAX_PACKET - 12 - 16
const RTO_INITIAL = 1000
const RTO_MAX = 8000
const MAX_BUFFERED = 4096
/** RFC 9260 §16 `Max.Init.Retransmits`. */
const MAX_INIT_RETRANSMITS = 8

const DATA = 0
const INIT = 1
const INIT_ACK = 2
const SACK = 3
const HEARTBEAT = 4
const HEARTBEAT_ACK = 5
const ABORT = 6
const SHUTDOWN = 7
const SHUTDOWN_ACK = 8
const COOKIE_ECHO = 10
const COOKIE_ACK = 11
const SHUTDOWN_COMPLETE = 14
const PARAM_STATE_COOKIE = 7

const u32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!
const put32 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = v >>> 24
  b[at + 1] = v >>> 16
  b[at + 2] = v >>> 8
  b[at + 3] = v
}
const put16 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = v >>> 8
  b[at + 1] = v
}
const pad4 = (n: number): number => (n + 3) & ~3
/** TSN comparison in serial-number arithmetic (RFC 1982). */
const after = (a: number, b: number): boolean => a !== b && (a - b) >>> 0 < 0x80000000

export interface Chunk {
  readonly type: number
  readonly flags: number
  readonly body: Uint8Array
}

export const chunk = (type: number, flags: number, body: Uint8Array): Chunk => ({ type, flags, body })

/** A packet: common header (ports, verification tag, CRC-32C little-endian) and chunks. */
export const packet = (tag: number, chunks: ReadonlyArray<Chunk>): Uint8Array => {
  const size = 12 + chunks.reduce((n, c) => n + pad4(4 + c.body.length), 0)
  const out = new Uint8Array(size)
  put16(out, 0, PORT)
  put16(out, 2, PORT)
  put32(out, 4, tag)
  let at = 12
  for (const c of chunks) {
    out[at] = c.type
    out[at + 1] = c.flags
    put16(out, at + 2, 4 + c.body.length)
    out.set(c.body, at + 4)
    at += pad4(4 + c.body.length)
  }
  const crc = crc32c(out, 8)
  out[8] = crc
  out[9] = crc >>> 8
  out[10] = crc >>> 16
  out[11] = crc >>> 24
  return out
}

export type ParseFailure = "too-short" | "bad-ports" | "bad-checksum" | "bad-chunk"

export const parse = (
  data: Uint8Array
): { readonly tag: number; readonly chunks: ReadonlyArray<Chunk> } | { readonly invalid: ParseFailure } => {
  if (data.length < 12) return { invalid: "too-short" }
  if (u16(data, 0) !== PORT || u16(data, 2) !== PORT) return { invalid: "bad-ports" }
  const crc = (data[8]! | (data[9]! << 8) | (data[10]! << 16) | (data[11]! << 24)) >>> 0
  if (crc !== crc32c(data, 8)) return { invalid: "bad-checksum" }
  const chunks: Array<Chunk> = []
  let at = 12
  while (at + 4 <= data.length) {
    const length = u16(data, at + 2)
    if (length < 4 || at + length > data.length) return { invalid: "bad-chunk" }
    chunks.push({ type: data[at]!, flags: data[at + 1]!, body: data.slice(at + 4, at + length) })
    at += pad4(length)
  }
  return { tag: u32(data, 4), chunks }
}

const initBody = (tag: number, tsn: number, cookie?: Uint8Array): Uint8Array => {
  const extra = cookie === undefined ? 0 : pad4(4 + cookie.length)
  const b = new Uint8Array(16 + extra)
  put32(b, 0, tag)
  put32(b, 4, RWND)
  put16(b, 8, 0xffff)
  put16(b, 10, 0xffff)
  put32(b, 12, tsn)
  if (cookie !== undefined) {
    put16(b, 16, PARAM_STATE_COOKIE)
    put16(b, 18, 4 + cookie.length)
    b.set(cookie, 20)
  }
  return b
}

const findParam = (params: Uint8Array, type: number): Uint8Array | undefined => {
  let at = 0
  while (at + 4 <= params.length) {
    const t = u16(params, at)
    const length = u16(params, at + 2)
    if (length < 4 || at + length > params.length) return undefined
    if (t === type) return params.slice(at + 4, at + length)
    at += pad4(length)
  }
  return undefined
}

interface Outstanding {
  readonly tsn: number
  readonly chunk: Chunk
  sentAt: number
}

interface Inbound {
  readonly flags: number
  readonly ppid: number
  readonly stream: number
  readonly data: Uint8Array
}

export interface AssociationEvents {
  /** Complete user messages of stream 0 with PPID 53, in order. */
  readonly messages: Array<Uint8Array>
  /** Packets to send. */
  readonly outgoing: Array<Uint8Array>
}

export class Association {
  private peerTag: number | undefined
  private peerCumulative: number | undefined
  private established = false
  private cookieEchoed: Uint8Array | undefined
  private handshakeAt = 0
  private handshakeRto = RTO_INITIAL
  private handshakeTries = 0
  private nextTsn: number
  private ssn = 0
  private readonly outstanding: Array<Outstanding> = []
  private readonly pending: Array<Uint8Array> = []
  private readonly buffered = new Map<number, Inbound>()
  private reassembly: Array<Uint8Array> | undefined
  private rtxRto = RTO_INITIAL

  constructor(
    private localTag: number,
    initialTsn: number,
    private readonly cookie: Uint8Array
  ) {
    this.nextTsn = initialTsn
    this.initialTsn = initialTsn
  }

  private readonly initialTsn: number

  get isEstablished(): boolean {
    return this.established
  }

  /** Starts the association: our INIT (tgcalls starts its transport at once, on both sides). */
  start(now: number): Uint8Array {
    this.handshakeAt = now
    return packet(0, [chunk(INIT, 0, initBody(this.localTag, this.initialTsn))])
  }

  get nextDeadline(): number | undefined {
    const times: Array<number> = []
    if (!this.established && this.handshakeTries < MAX_INIT_RETRANSMITS)
      times.push(this.handshakeAt + this.handshakeRto)
    if (this.outstanding.length > 0)
      times.push(Math.min(...this.outstanding.map((o) => o.sentAt)) + this.rtxRto)
    return times.length === 0 ? undefined : Math.min(...times)
  }

  private dataChunks(message: Uint8Array): Array<Chunk> {
    const out: Array<Chunk> = []
    const count = Math.max(1, Math.ceil(message.length / MAX_FRAGMENT))
    for (let i = 0; i < count; i++) {
      const part = message.subarray(i * MAX_FRAGMENT, Math.min(message.length, (i + 1) * MAX_FRAGMENT))
      const body = new Uint8Array(12 + part.length)
      put32(body, 0, this.nextTsn)
      put16(body, 4, STREAM)
      put16(body, 6, this.ssn)
      put32(body, 8, PPID_BINARY)
      body.set(part, 12)
      const flags = (i === 0 ? 0x02 : 0) | (i === count - 1 ? 0x01 : 0)
      out.push(chunk(DATA, flags, body))
      this.nextTsn = (this.nextTsn + 1) >>> 0
    }
    this.ssn = (this.ssn + 1) & 0xffff
    return out
  }

  private transmit(chunks: ReadonlyArray<Chunk>, now: number, out: Array<Uint8Array>): void {
    for (const c of chunks) {
      this.outstanding.push({ tsn: u32(c.body, 0), chunk: c, sentAt: now })
      out.push(packet(this.peerTag!, [c]))
    }
  }

  /** Queues one user message; sends it now when the association is up. */
  send(message: Uint8Array, now: number): Array<Uint8Array> {
    const out: Array<Uint8Array> = []
    if (this.established && this.peerTag !== undefined) this.transmit(this.dataChunks(message), now, out)
    else this.pending.push(message)
    return out
  }

  private establish(now: number, out: Array<Uint8Array>): void {
    if (this.established) return
    this.established = true
    this.cookieEchoed = undefined
    for (const message of this.pending.splice(0)) this.transmit(this.dataChunks(message), now, out)
  }

  tick(now: number): Array<Uint8Array> {
    const out: Array<Uint8Array> = []
    if (
      !this.established &&
      this.handshakeTries < MAX_INIT_RETRANSMITS &&
      now >= this.handshakeAt + this.handshakeRto
    ) {
      this.handshakeTries += 1
      this.handshakeAt = now
      this.handshakeRto = Math.min(RTO_MAX, this.handshakeRto * 2)
      out.push(
        this.cookieEchoed !== undefined && this.peerTag !== undefined
          ? packet(this.peerTag, [chunk(COOKIE_ECHO, 0, this.cookieEchoed)])
          : packet(0, [chunk(INIT, 0, initBody(this.localTag, this.initialTsn))])
      )
    }
    if (
      this.outstanding.length > 0 &&
      now >= Math.min(...this.outstanding.map((o) => o.sentAt)) + this.rtxRto
    ) {
      for (const o of this.outstanding) {
        o.sentAt = now
        out.push(packet(this.peerTag!, [o.chunk]))
      }
      this.rtxRto = Math.min(RTO_MAX, this.rtxRto * 2)
    }
    return out
  }

  private sack(): Uint8Array {
    const cumulative = this.peerCumulative ?? 0
    const gaps: Array<[number, number]> = []
    const offsets = [...this.buffered.keys()].map((t) => (t - cumulative) >>> 0).sort((a, b) => a - b)
    for (const off of offsets) {
      const last = gaps[gaps.length - 1]
      if (last !== undefined && last[1] + 1 === off) last[1] = off
      else gaps.push([off, off])
    }
    const body = new Uint8Array(12 + 4 * gaps.length)
    put32(body, 0, cumulative)
    put32(body, 4, RWND)
    put16(body, 8, gaps.length)
    gaps.forEach(([s, e], i) => {
      put16(body, 12 + 4 * i, s)
      put16(body, 14 + 4 * i, e)
    })
    return packet(this.peerTag ?? 0, [chunk(SACK, 0, body)])
  }

  private deliver(item: Inbound, events: AssociationEvents): void {
    const begin = (item.flags & 0x02) !== 0
    const end = (item.flags & 0x01) !== 0
    let message: Uint8Array | undefined
    if (begin && end) message = item.data
    else if (begin) this.reassembly = [item.data]
    else if (this.reassembly !== undefined) {
      this.reassembly.push(item.data)
      if (end) {
        const size = this.reassembly.reduce((n, p) => n + p.length, 0)
        message = new Uint8Array(size)
        let at = 0
        for (const p of this.reassembly) {
          message.set(p, at)
          at += p.length
        }
        this.reassembly = undefined
      }
    }
    if (message !== undefined && item.stream === STREAM && item.ppid === PPID_BINARY)
      events.messages.push(message)
  }

  private onData(c: Chunk, events: AssociationEvents): void {
    if (c.body.length < 12 || this.peerCumulative === undefined) return
    const tsn = u32(c.body, 0)
    const item: Inbound = {
      flags: c.flags,
      stream: u16(c.body, 4),
      ppid: u32(c.body, 8),
      data: c.body.slice(12)
    }
    if (!after(tsn, this.peerCumulative)) return
    if (tsn !== (this.peerCumulative + 1) >>> 0) {
      if (this.buffered.size < MAX_BUFFERED && (tsn - this.peerCumulative) >>> 0 < 0xffff)
        this.buffered.set(tsn, item)
      return
    }
    this.peerCumulative = tsn
    this.deliver(item, events)
    while (true) {
      const next: number = (this.peerCumulative! + 1) >>> 0
      const waiting = this.buffered.get(next)
      if (waiting === undefined) break
      this.buffered.delete(next)
      this.peerCumulative = next
      this.deliver(waiting, events)
    }
  }

  private onSack(body: Uint8Array): void {
    if (body.length < 12) return
    const cumulative = u32(body, 0)
    const gapCount = u16(body, 8)
    const acked = (tsn: number): boolean => {
      if (!after(tsn, cumulative)) return true
      for (let i = 0; i < gapCount && 16 + 4 * i <= body.length; i++) {
        const start = (cumulative + u16(body, 12 + 4 * i)) >>> 0
        const end = (cumulative + u16(body, 14 + 4 * i)) >>> 0
        if (!after(start, tsn) && !after(tsn, end)) return true
      }
      return false
    }
    const before = this.outstanding.length
    for (let i = this.outstanding.length - 1; i >= 0; i--)
      if (acked(this.outstanding[i]!.tsn)) this.outstanding.splice(i, 1)
    if (this.outstanding.length < before) this.rtxRto = RTO_INITIAL
  }

  private reset(): void {
    this.peerTag = undefined
    this.peerCumulative = undefined
    this.established = false
    this.cookieEchoed = undefined
    this.outstanding.length = 0
    this.buffered.clear()
    this.reassembly = undefined
    this.ssn = 0
  }

  private learnPeer(body: Uint8Array): void {
    const tag = u32(body, 0)
    if (this.peerTag !== undefined && this.peerTag !== tag) this.reset()
    if (this.peerTag === undefined) {
      this.peerTag = tag
      this.peerCumulative = (u32(body, 12) - 1) >>> 0
    }
  }

  /** Handles one received packet; `invalid` when it is not an SCTP packet of this association. */
  receive(data: Uint8Array, now: number): AssociationEvents | { readonly invalid: ParseFailure | "bad-tag" } {
    const parsed = parse(data)
    if ("invalid" in parsed) return parsed
    const events: AssociationEvents = { messages: [], outgoing: [] }
    let needSack = false
    for (const c of parsed.chunks) {
      const expected = c.type === INIT ? 0 : this.localTag
      const tagOk =
        parsed.tag === expected || (c.type === ABORT && (c.flags & 1) === 1 && parsed.tag === this.peerTag)
      if (!tagOk) {
        if (parsed.chunks.length === 1 || c === parsed.chunks[0]) return { invalid: "bad-tag" }
        continue
      }
      if (c.type === INIT) {
        if (c.body.length < 16) continue
        this.learnPeer(c.body)
        events.outgoing.push(
          packet(this.peerTag!, [chunk(INIT_ACK, 0, initBody(this.localTag, this.initialTsn, this.cookie))])
        )
      } else if (c.type === INIT_ACK) {
        if (c.body.length < 16 || this.established) continue
        const cookie = findParam(c.body.subarray(16), PARAM_STATE_COOKIE)
        if (cookie === undefined) continue
        this.learnPeer(c.body)
        this.cookieEchoed = cookie
        this.handshakeAt = now
        events.outgoing.push(packet(this.peerTag!, [chunk(COOKIE_ECHO, 0, cookie)]))
      } else if (c.type === COOKIE_ECHO) {
        if (this.peerTag === undefined || c.body.length !== this.cookie.length) continue
        if (!c.body.every((b, i) => b === this.cookie[i])) continue
        events.outgoing.push(packet(this.peerTag, [chunk(COOKIE_ACK, 0, new Uint8Array(0))]))
        this.establish(now, events.outgoing)
      } else if (c.type === COOKIE_ACK) {
        this.establish(now, events.outgoing)
      } else if (c.type === DATA) {
        this.onData(c, events)
        needSack = true
      } else if (c.type === SACK) {
        this.onSack(c.body)
      } else if (c.type === HEARTBEAT) {
        if (this.peerTag !== undefined)
          events.outgoing.push(packet(this.peerTag, [chunk(HEARTBEAT_ACK, 0, c.body)]))
      } else if (c.type === ABORT) {
        this.reset()
        this.handshakeAt = now
        this.handshakeRto = RTO_INITIAL
        this.handshakeTries = 0
        events.outgoing.push(packet(0, [chunk(INIT, 0, initBody(this.localTag, this.initialTsn))]))
        return events
      } else if (c.type === SHUTDOWN) {
        if (this.peerTag !== undefined)
          events.outgoing.push(packet(this.peerTag, [chunk(SHUTDOWN_ACK, 0, new Uint8Array(0))]))
      } else if (c.type === SHUTDOWN_ACK) {
        if (this.peerTag !== undefined)
          events.outgoing.push(packet(this.peerTag, [chunk(SHUTDOWN_COMPLETE, 0, new Uint8Array(0))]))
      } else if (c.type === HEARTBEAT_ACK || c.type === SHUTDOWN_COMPLETE) {
        // nothing to do
      } else if ((c.type & 0x80) === 0) {
        // RFC 9260 §3.2: unknown chunk type with the top bit clear: stop processing the packet.
        break
      }
    }
    if (needSack && this.peerTag !== undefined) events.outgoing.push(this.sack())
    return events
  }
}
