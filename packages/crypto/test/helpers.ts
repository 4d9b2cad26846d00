/** Shared helpers for the @tgphone/crypto tests (not a test file itself). */
import { readFileSync } from "node:fs"
import { Effect, Option } from "effect"
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

/** Runs a synchronous effect with the given backend and returns its value (throws on failure). */
export const runWith =
  (backend: ModExp.Backend) =>
  <A, E>(self: Effect.Effect<A, E>): A =>
    Effect.runSync(Effect.provideService(self, ModExp.ModExp, backend))

/** Runs a synchronous effect that must fail and returns its error (throws if it succeeds). */
export const failWith =
  (backend: ModExp.Backend) =>
  <A, E>(self: Effect.Effect<A, E>): E =>
    Effect.runSync(Effect.flip(Effect.provideService(self, ModExp.ModExp, backend)))
