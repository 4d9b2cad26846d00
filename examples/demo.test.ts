/**
 * The main demo is also a test: two real GramJS clients over the loopback MTProto server
 * complete a call and see the same emoji and fingerprint.
 */
import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { demo } from "./demo.js"

it.live("demo: Alice calls Bob over the loopback server; both see the same emoji and fingerprint", () =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const result = yield* demo((line) => lines.push(line))
    assert.lengthOf(result.alice.emojis, 4)
    assert.deepStrictEqual(result.alice.emojis, result.bob.emojis)
    assert.strictEqual(result.alice.fingerprint, result.bob.fingerprint)
    assert.strictEqual(result.rating, 5)
    assert.strictEqual(result.bobSawEnd, "Hangup")
    // once, after the elapsed time: "+123 ms  both   the emoji and fingerprints match: …"
    assert.lengthOf(
      lines.filter((l) =>
        / ms {2}both {3}the emoji and fingerprints match: no one is in the middle$/.test(l)
      ),
      1
    )
    assert.include(lines.at(-1), "call ended by the peer (reason Hangup)")
  })
)
