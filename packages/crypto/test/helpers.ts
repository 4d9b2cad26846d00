/** Shared helpers for the @tgphone/crypto tests (not a test file itself). */
import { readFileSync } from "node:fs"
import { assert } from "@effect/vitest"
import { Option, Result } from "effect"
import { ModExp } from "../src/index.js"

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

/** The value of a `Result` that must succeed (fails the test, with the error, otherwise). */
export const success = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) assert.fail(`expected a success, got ${String(result.failure)}`)
  return result.success
}

/** The error of a `Result` that must fail (fails the test otherwise). */
export const failure = <A, E>(result: Result.Result<A, E>): E => {
  if (Result.isSuccess(result)) assert.fail("expected a failure, got a success")
  return result.failure
}
