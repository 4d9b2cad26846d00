/**
 * The main demo is also a test: two real GramJS clients over the loopback MTProto server
 * complete a call and see the same emoji and fingerprint.
 */
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { demo } from "./demo.js"

it.live("demo: Alice calls Bob over the loopback server; both see the same emoji and fingerprint", () =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const result = yield* demo((line) => lines.push(line))
    expect(result.alice.emojis).toHaveLength(4)
    expect(result.alice.emojis).toEqual(result.bob.emojis)
    expect(result.alice.fingerprint).toBe(result.bob.fingerprint)
    expect(result.rating).toBe(5)
    expect(result.bobSawEnd).toBe("Hangup")
    expect(lines.some((l) => l.includes("the emoji and fingerprints match"))).toBe(true)
    expect(lines.at(-1)).toContain("call ended by the peer (reason Hangup)")
  })
)
