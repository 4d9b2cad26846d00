/**
 * The shared suite (`test/suite/`), run against three backends: the in-memory world (layer
 * 229) and the same world behind the loopback MTProto server, reached with tgphone's GramJS
 * live layer (layer 198) and with its Teleproto live layer (layer 229). What a layer lacks is
 * expected from the backend's `TelegramRpc.layer`, never from its name.
 * Any difference between the two is a bug in one of them; the known ones are expected failures
 * (`it.live.fails`) on the backend that is wrong, with the reason next to the test.
 */
import { describe } from "@effect/vitest"
import { errorsSuite } from "./suite/errors.js"
import { methodsSuite } from "./suite/methods.js"
import { scenariosSuite } from "./suite/scenarios.js"
import { updatesSuite } from "./suite/updates.js"
import { backends } from "./support-backend.js"

describe.each(backends)("backend: $name", (backend) => {
  describe("Phone.* methods", () => methodsSuite(backend))
  describe("typed errors", () => errorsSuite(backend))
  describe("PhoneCalls scenarios", () => scenariosSuite(backend))
  describe("updates", () => updatesSuite(backend))
})
