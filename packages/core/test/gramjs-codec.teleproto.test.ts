/**
 * The schema-driven codec (`internal/gramjs/codec.ts`) is parameterised by the backend's `Api`
 * namespace and layer: the same module, given teleproto 1.229's `Api` and layer 229, speaks
 * layer 229 (and given GramJS's, layer 198). Round trips go through each library's own
 * serialiser and reader.
 */
import { assert, describe, it } from "@effect/vitest"
import { Api as GramApi, helpers as gramHelpers } from "telegram"
import { Api, helpers } from "teleproto"
import { BinaryReader } from "teleproto/extensions/BinaryReader.js"
import { CodecError, makeCodec } from "../src/internal/gramjs/codec.js"
import * as Model from "../src/Model.js"

const teleproto = makeCodec({ Api, layer: 229, returnBigInt: (n) => helpers.returnBigInt(n) })
const gramjs = makeCodec({ Api: GramApi, layer: 198, returnBigInt: (n) => gramHelpers.returnBigInt(n) })

const bytesOf = (o: unknown): Buffer => (o as { getBytes(): Buffer }).getBytes()
const idOf = (o: unknown): number => bytesOf(o).readUInt32LE(0)
const readObject = (data: Buffer): unknown => new BinaryReader(data).tgReadObject()
/** What `client.invoke` resolves to: the request class reads the result bytes. */
const readResult = (method: string, data: Buffer): unknown => {
  const cls = teleproto.apiClass(method)
  if (cls === undefined) throw new Error(`teleproto has no class for ${method}`)
  return (cls.prototype as unknown as { readResult(r: unknown): unknown }).readResult(new BinaryReader(data))
}

const protocol = new Model.PhoneCallProtocol({
  udpP2p: true,
  udpReflector: true,
  minLayer: 65,
  maxLayer: 92,
  libraryVersions: ["11.0.0"]
})

const requestParams = {
  video: false,
  userId: { _tag: "InputUser" as const, userId: 1001n, accessHash: -77n },
  randomId: 42,
  gAHash: new Uint8Array(32).fill(7),
  protocol
}

const active = (conferenceSupported: boolean): Model.PhoneCall => ({
  _tag: "PhoneCall",
  p2pAllowed: true,
  video: false,
  conferenceSupported,
  id: 5n,
  accessHash: -6n,
  date: 1_700_000_000,
  adminId: 1001n,
  participantId: 1002n,
  gAOrB: new Uint8Array(256).fill(3),
  keyFingerprint: -1657149778470745933n,
  protocol,
  connections: [
    {
      _tag: "PhoneConnectionWebrtc",
      turn: true,
      stun: false,
      id: 9n,
      ip: "10.0.0.1",
      ipv6: "",
      port: 3478,
      username: "u",
      password: "p"
    }
  ],
  startDate: 1_700_000_005
})

const user = new Model.User({
  id: 1001n,
  accessHash: -77n,
  firstName: "Ann",
  bot: false,
  self: false,
  deleted: false
})

const plain = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Array.from(value)
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (k !== "raw") out[k] = plain(v)
    return out
  }
  return value
}

describe("the codec over teleproto 1.229 (layer 229)", () => {
  it("phone.requestCall goes out as #42ff96ed and reads back", () => {
    const request = teleproto.encodeRequest("phone.requestCall", requestParams)
    assert.strictEqual(idOf(request), 0x42ff96ed)
    const decoded = teleproto.decodeRequest(readObject(bytesOf(request)))
    assert.strictEqual(decoded.method, "phone.requestCall")
    assert.deepStrictEqual(plain(decoded.params), plain(requestParams))
  })

  it("the same module over GramJS (layer 198) sends layer 198's #a6c4600c", () => {
    assert.strictEqual(idOf(gramjs.encodeRequest("phone.requestCall", requestParams)), 0xa6c4600c)
  })

  it("a phoneCall with conferenceSupported survives teleproto's serialiser and reader", () => {
    for (const conferenceSupported of [true, false]) {
      const result = new Model.PhonePhoneCall({ phoneCall: active(conferenceSupported), users: [user] })
      const wire = teleproto.encodeResult("phone.confirmCall", result)
      assert.strictEqual(idOf((wire as { phoneCall: unknown }).phoneCall), 0x30535af5)
      const read = readResult("phone.confirmCall", bytesOf(wire))
      const decoded = teleproto.decodeResult("phone.confirmCall", read) as Model.PhonePhoneCall
      assert.instanceOf(decoded, Model.PhonePhoneCall)
      assert.deepStrictEqual(plain(decoded), plain(result))
      assert.strictEqual(
        decoded.phoneCall._tag === "PhoneCall" && decoded.phoneCall.conferenceSupported,
        conferenceSupported
      )
    }
  })

  it("a call moved into a conference ends with MigrateConferenceCall and its slug", () => {
    const discarded: Model.PhoneCall = {
      _tag: "PhoneCallDiscarded",
      needRating: false,
      needDebug: false,
      video: false,
      id: 5n,
      reason: { _tag: "MigrateConferenceCall", slug: "AbCdEf" },
      duration: 12
    }
    const update: Model.Update = { _tag: "UpdatePhoneCall", phoneCall: discarded }
    const wire = teleproto.update.encode(update)
    const reason = (wire as { phoneCall: { reason: unknown } }).phoneCall.reason
    assert.strictEqual(idOf(reason), 0x9fbbf1f7)
    assert.deepStrictEqual(teleproto.update.decode(readObject(bytesOf(wire))), update)
    // the discardCall request carries it too
    const request = teleproto.encodeRequest("phone.discardCall", {
      video: false,
      peer: new Model.InputPhoneCall({ id: 5n, accessHash: -6n }),
      duration: 12,
      reason: { _tag: "MigrateConferenceCall", slug: "AbCdEf" },
      connectionId: 0n
    })
    assert.deepStrictEqual(teleproto.decodeRequest(readObject(bytesOf(request))).params["reason"], {
      _tag: "MigrateConferenceCall",
      slug: "AbCdEf"
    })
  })

  it("on layer 198 the nearest honest forms: Hangup for the reason, no conferenceSupported", () => {
    const ended = {
      _tag: "PhoneCallDiscarded",
      needRating: false,
      needDebug: false,
      video: false,
      id: 5n
    } as const
    const discarded: Model.Update = {
      _tag: "UpdatePhoneCall",
      phoneCall: { ...ended, reason: { _tag: "MigrateConferenceCall", slug: "AbCdEf" } }
    }
    const sent = gramjs.update.encode(discarded)
    assert.strictEqual(idOf((sent as { phoneCall: { reason: unknown } }).phoneCall.reason), 0x57adc690)
    assert.deepStrictEqual(gramjs.update.decode(sent), {
      _tag: "UpdatePhoneCall",
      phoneCall: { ...ended, reason: { _tag: "Hangup" } }
    })
    const result = new Model.PhonePhoneCall({ phoneCall: active(true), users: [] })
    const wire = gramjs.encodeResult("phone.confirmCall", result) as { phoneCall: unknown }
    assert.strictEqual(idOf(wire.phoneCall), 0x3ba5940c)
    const phoneCall = (gramjs.decodeResult("phone.confirmCall", wire) as Model.PhonePhoneCall).phoneCall
    assert.strictEqual(phoneCall._tag === "PhoneCall" && phoneCall.conferenceSupported, false)
    // a client request is not rewritten: it fails, naming what layer 198 lacks
    assert.throws(
      () =>
        gramjs.encodeRequest("phone.discardCall", {
          video: false,
          peer: new Model.InputPhoneCall({ id: 5n, accessHash: -6n }),
          duration: 0,
          reason: { _tag: "MigrateConferenceCall", slug: "x" },
          connectionId: 0n
        }),
      CodecError
    )
  })

  it("the 11 methods of layer 229 encode over teleproto and not over GramJS", () => {
    const call = new Model.InputGroupCall({ id: 1n, accessHash: 2n })
    const request = teleproto.encodeRequest("phone.sendConferenceCallBroadcast", {
      call,
      block: new Uint8Array([1, 2, 3])
    })
    assert.strictEqual(idOf(request), 0xc6701900)
    assert.throws(
      () => gramjs.encodeRequest("phone.sendConferenceCallBroadcast", { call, block: new Uint8Array(1) }),
      CodecError
    )
  })
})
