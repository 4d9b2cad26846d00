/**
 * The server's call config (`TelegramRpc.callConfig`, i.e. `help.getConfig`'s call timeouts)
 * is the world's, on both backends: the in-memory seam and tgphone's GramJS layer over the
 * loopback server.
 */
import { assert, describe, it } from "@effect/vitest"
import { TelegramRpc } from "@tgphone/core"
import { Effect } from "effect"
import { backends, scene } from "./support-backend.js"

describe.each(backends)("backend: $name", (backend) => {
  it.live("callConfig reports the world's call timeouts", () =>
    Effect.gen(function* () {
      const { alice, as } = yield* scene(backend, {
        callReceiveTimeoutMs: 11_000,
        callRingTimeoutMs: 44_000,
        callConnectTimeoutMs: 7_000,
        callPacketTimeoutMs: 3_000
      })
      const config = yield* as(alice)(
        TelegramRpc.TelegramRpc.use((rpc) =>
          rpc.callConfig === undefined ? Effect.die("no callConfig on this backend") : rpc.callConfig
        )
      )
      assert.deepStrictEqual(config, {
        callReceiveTimeoutMs: 11_000,
        callRingTimeoutMs: 44_000,
        callConnectTimeoutMs: 7_000,
        callPacketTimeoutMs: 3_000
      })
    })
  )
})
