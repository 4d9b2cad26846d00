import { assert, describe, it } from "@effect/vitest"
import * as Telegram from "telegram"
import * as Teleproto from "teleproto"
import { methods } from "../src/generated/Methods.js"

// What each client library actually puts on the wire for phone.requestCall: the first four
// bytes of the encoded request are its constructor id.
const encodeRequestCall = (lib: typeof Telegram | typeof Teleproto): number => {
  const { Api, helpers } = lib as typeof Telegram
  const request = new Api.phone.RequestCall({
    video: true,
    userId: new Api.InputUser({ userId: helpers.returnBigInt(5), accessHash: helpers.returnBigInt(6) }),
    randomId: 7,
    gAHash: Buffer.alloc(32, 1),
    protocol: new Api.PhoneCallProtocol({
      udpP2p: true,
      udpReflector: true,
      minLayer: 65,
      maxLayer: 92,
      libraryVersions: ["4.0.0"]
    })
  })
  return request.getBytes().readUInt32LE(0)
}

describe("the client libraries' requests carry the registry's ids", () => {
  it("telegram@2.26.22 (layer 198) sends phone.requestCall as #a6c4600c", () => {
    assert.strictEqual(encodeRequestCall(Telegram), 0xa6c4600c)
    assert.strictEqual(encodeRequestCall(Telegram), methods["phone.requestCall"].layers[198].id)
  })
  it("teleproto@1.229.0 (layer 229) sends phone.requestCall as #42ff96ed", () => {
    assert.strictEqual(encodeRequestCall(Teleproto as unknown as typeof Telegram), 0x42ff96ed)
    assert.strictEqual(
      encodeRequestCall(Teleproto as unknown as typeof Telegram),
      methods["phone.requestCall"].layers[229].id
    )
  })
})
