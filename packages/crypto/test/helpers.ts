/** Shared helpers for the @tgphone/crypto tests (not a test file itself). */
import { readFileSync } from "node:fs"
import { Option } from "effect"
import { ModExp } from "../src/index.js"

/** `success` and `failure` (the two sides of a `Result`) are shared by every package's tests. */
export { failure, success } from "../../../test-support/assert.js"

/** Reads a fixture as text. */
export const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"))
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

/** Both arithmetic backends; the native one must exist on Node (the test fails otherwise). */
export const backends: ReadonlyArray<readonly [string, ModExp.Backend]> = [
  [
    "native",
    Option.getOrThrowWith(ModExp.native(), () => new Error("node:crypto backend unavailable on Node"))
  ],
  ["portable", ModExp.portable]
]
