/**
 * `GramJs.config` / `GramJs.layerConfig`: every wrong or missing `TG_*` variable is named at
 * once, in a typed `ConfigInvalid` that is an `Error` (so an unhandled `Effect.runPromise`
 * rejection prints its message instead of `[object Object]`).
 */
import { assert, describe, it } from "@effect/vitest"
import * as GramJs from "@tgphone/core/GramJs"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"

const withEnv =
  (env: Record<string, string>) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.provideService(self, ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))

const layerError = (env: Record<string, string>) =>
  Effect.flip(Layer.build(GramJs.layerConfig()).pipe(withEnv(env)))

const valid = { TG_API_ID: "12345", TG_API_HASH: "abcdef", TG_SESSION: "1session" }

describe("GramJs.layerConfig", () => {
  it.effect("names every missing variable at once, in an Error whose message says it", () =>
    Effect.gen(function* () {
      const error = yield* layerError({})
      assert.strictEqual(error._tag, "ConfigInvalid")
      assert.instanceOf(error, Error)
      assert.deepStrictEqual((error as GramJs.ConfigInvalid).variables, [
        "TG_API_ID",
        "TG_API_HASH",
        "TG_SESSION"
      ])
      assert.strictEqual(
        error.message,
        "GramJs.layerConfig: TG_API_ID is not set (the api_id of your app, from my.telegram.org); " +
          "TG_API_HASH is not set (the api_hash of your app, from my.telegram.org); " +
          "TG_SESSION is not set (a GramJS StringSession of a logged-in account)"
      )
      assert.notInclude(String(error), "[object Object]")
    })
  )

  it.effect("a non-numeric TG_API_ID and an empty TG_SESSION are both reported", () =>
    Effect.gen(function* () {
      const error = yield* layerError({ ...valid, TG_API_ID: "abc", TG_SESSION: "" })
      assert.strictEqual(error._tag, "ConfigInvalid")
      const invalid = error as GramJs.ConfigInvalid
      assert.deepStrictEqual(invalid.variables, ["TG_API_ID", "TG_SESSION"])
      assert.include(invalid.message, 'TG_API_ID is not an integer from 1 to 9007199254740991: "abc"')
      // an empty variable reads as unset (ConfigProvider.fromEnv), either way it is named
      assert.match(invalid.message, /TG_SESSION is (empty|not set)/)
      assert.notInclude(invalid.message, "1session")
    })
  )

  it.effect("half a server pin, a bad port and a bad timeout are errors, not silently ignored", () =>
    Effect.gen(function* () {
      const portOnly = (yield* layerError({ ...valid, TG_SERVER_PORT: "4444" })) as GramJs.ConfigInvalid
      assert.deepStrictEqual(portOnly.variables, ["TG_SERVER_IP"])
      const bad = (yield* layerError({
        ...valid,
        TG_SERVER_IP: "127.0.0.1",
        TG_SERVER_PORT: "70000",
        TG_REQUEST_TIMEOUT: "soon"
      })) as GramJs.ConfigInvalid
      assert.deepStrictEqual(bad.variables, ["TG_SERVER_PORT", "TG_REQUEST_TIMEOUT"])
      assert.include(bad.message, 'TG_SERVER_PORT is not an integer from 1 to 65535: "70000"')
      assert.include(
        bad.message,
        'TG_REQUEST_TIMEOUT is not a positive duration such as "30 seconds": "soon"'
      )
      const dcAlone = (yield* layerError({ ...valid, TG_DC_ID: "3" })) as GramJs.ConfigInvalid
      assert.deepStrictEqual(dcAlone.variables, ["TG_DC_ID"])
    })
  )

  it.effect("config reads valid variables; the server is pinned with ip and port", () =>
    Effect.gen(function* () {
      const plain = yield* GramJs.config.pipe(withEnv(valid))
      assert.strictEqual(plain.apiId, 12345)
      assert.strictEqual(Redacted.value(plain.apiHash), "abcdef")
      assert.strictEqual(Redacted.value(plain.session), "1session")
      assert.isUndefined(plain.server)
      assert.isTrue(
        Duration.equals(Duration.fromInputUnsafe(plain.requestTimeout ?? 0), Duration.seconds(30))
      )
      const pinned = yield* GramJs.config.pipe(
        withEnv({
          ...valid,
          TG_SERVER_IP: "127.0.0.1",
          TG_SERVER_PORT: "4444",
          TG_DC_ID: "3",
          TG_REQUEST_TIMEOUT: "3 seconds"
        })
      )
      assert.deepStrictEqual(pinned.server, { ip: "127.0.0.1", port: 4444, dcId: 3 })
      assert.isTrue(
        Duration.equals(Duration.fromInputUnsafe(pinned.requestTimeout ?? 0), Duration.seconds(3))
      )
    })
  )

  it.effect("config's own ConfigError names every variable too (for users reading it directly)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(GramJs.config.pipe(withEnv({ TG_API_HASH: "x" })))
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, "TG_API_ID is not set")
      assert.include(error.message, "TG_SESSION is not set")
    })
  )
})
