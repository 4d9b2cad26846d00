/**
 * The shared suite (`test/suite/`), run against both backends: the in-memory world and the
 * same world behind the loopback MTProto server, reached with tgphone's GramJS live layer.
 * Any difference between the two is a bug in one of them.
 */
import { describe } from "@effect/vitest"
import { errorsSuite } from "./suite/errors.js"
import { methodsSuite } from "./suite/methods.js"
import { backends } from "./support-backend.js"

describe.each(backends)("backend: $name", (backend) => {
  describe("Phone.* methods", () => methodsSuite(backend))
  describe("typed errors", () => errorsSuite(backend))
})
