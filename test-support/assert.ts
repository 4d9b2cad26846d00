/**
 * Assertions the packages' tests share (not a test file itself): `assertMatches`, the assert
 * form of a partial match, for results whose other fields (ids, access hashes, dates) a test
 * does not pin down; `success` and `failure`, the two sides of a `Result` a test expects.
 */
import { assert } from "@effect/vitest"
import { Result } from "effect"

const isPlainRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" &&
  u !== null &&
  (Object.getPrototypeOf(u) === Object.prototype || Object.getPrototypeOf(u) === null)

/**
 * Asserts that `actual` has every property of `expected` with an equal value, recursively:
 * a nested plain object is matched the same way (its other properties are ignored), an array
 * element by element and with the same length, anything else with `deepStrictEqual`. The
 * failure names the path of the first property that differs (`value.call.title`).
 */
export const assertMatches = (actual: unknown, expected: unknown, path = "value"): void => {
  if (Array.isArray(expected)) {
    assert.isArray(actual, `${path} is not an array`)
    const items = actual as ReadonlyArray<unknown>
    assert.lengthOf(items, expected.length, `${path} has ${items.length} items, not ${expected.length}`)
    expected.forEach((item, i) => {
      assertMatches(items[i], item, `${path}[${i}]`)
    })
  } else if (isPlainRecord(expected)) {
    assert.isTrue(typeof actual === "object" && actual !== null, `${path} is not an object`)
    const record = actual as Readonly<Record<string, unknown>>
    for (const [key, value] of Object.entries(expected)) assertMatches(record[key], value, `${path}.${key}`)
  } else assert.deepStrictEqual(actual, expected, path)
}

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
