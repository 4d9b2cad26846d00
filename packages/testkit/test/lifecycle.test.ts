/**
 * The live layer's release leaves nothing running: a process that built the GramJS layer,
 * held it long enough for a keep-alive ping (GramJS's own ping loop then left a 10 s timer
 * that is not unref'd) and released it, exits promptly.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const fixture = fileURLToPath(new URL("./fixtures/releaseLayer.ts", import.meta.url))

/** Runs the fixture; resolves with the milliseconds between its release and its exit. */
const exitAfterRelease = Effect.callback<number, Error>((resume) => {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, "9500"], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  let out = ""
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString()
  })
  child.on("exit", (code) => {
    const exitedAt = Date.now()
    const released = /released (\d+)/.exec(out)
    if (code !== 0 || released === null) resume(Effect.fail(new Error(`fixture failed (${code}): ${out}`)))
    else resume(Effect.succeed(exitedAt - Number(released[1])))
  })
  return Effect.sync(() => child.kill())
})

describe("GramJS live layer lifecycle", () => {
  it.live(
    "after the layer is released the process exits (no GramJS timer keeps it alive)",
    () =>
      Effect.gen(function* () {
        const lingered = yield* exitAfterRelease
        // GramJS's ping loop kept the process ~9–10 s; a loose bound, not a timing measurement
        assert.isBelow(lingered, 4000, `the process exited ${lingered} ms after the release`)
      }),
    60_000
  )
})
