import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import * as Errors from "../src/Errors.js"
import { RpcError, TransportError } from "../src/TelegramRpc.js"

// The catalog rows, parsed here independently of the generator, so the generated tables are
// checked against the data rather than against themselves.
const tsv = (file: string): Array<Record<string, string>> => {
  const [head = "", ...rows] = readFileSync(new URL(`../catalog/${file}`, import.meta.url), "utf8")
    .split("\n")
    .filter((line) => line !== "")
  const names = head.split("\t")
  return rows.map((row) => Object.fromEntries(row.split("\t").map((v, i) => [names[i] ?? "", v])))
}
const catalogMethods = tsv("phone-methods.tsv")
const documented: Array<{ method: string; code: number; type: string }> = catalogMethods.flatMap((row) =>
  (row["errors"] ?? "")
    .split(" ")
    .filter((e) => e !== "")
    .map((e) => {
      const [code = "", type = ""] = e.split(":")
      return { method: row["name"] ?? "", code: Number(code), type }
    })
)
const tagOf = (type: string) =>
  type
    .split("_")
    .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
    .join("")

const classify = <M extends Errors.CatalogMethod>(method: M, code: number, type: string) =>
  Errors.fromRpcFailure(method, new RpcError({ method, code, type }))

describe("catalog coverage", () => {
  it("covers the 44 methods (the 43 phone.* of layer 229 and messages.getDhConfig), all users-only", () => {
    assert.strictEqual(catalogMethods.length, 44)
    assert.deepStrictEqual([...Errors.catalogMethods].sort(), catalogMethods.map((r) => r["name"]).sort())
    for (const m of Errors.catalogMethods) assert.isTrue(Errors.usersOnly[m])
  })

  it("has 46 documented error classes, and 111 documented (method, code, type) pairs", () => {
    // MESSAGE_ID_INVALID and 12 of the pairs belong to the 11 methods newer than layer 198
    assert.strictEqual(Object.keys(Errors.errorClasses).length, 46)
    assert.strictEqual(documented.length, 111)
  })
})

describe("fromRpcFailure: documented errors", () => {
  it.each(documented)("$method $code $type → its class", ({ method, code, type }) => {
    const error = classify(method as Errors.CatalogMethod, code, type)
    assert.strictEqual(error._tag, tagOf(type))
    assert.deepInclude(error, { method, code, type })
    assert.strictEqual(typeof error.isRetryable, "boolean")
    assert.include(error.message, type)
    assert.include(error.message, method)
  })

  it("keeps the code the server sent (USER_IS_BLOCKED as 400 and 403)", () => {
    assert.deepInclude(classify("phone.requestCall", 400, "USER_IS_BLOCKED"), {
      _tag: "UserIsBlocked",
      code: 400
    })
    assert.deepInclude(classify("phone.requestCall", 403, "USER_IS_BLOCKED"), {
      _tag: "UserIsBlocked",
      code: 403
    })
  })

  it("is an instance of the exported class, with a description-based message", () => {
    const error = classify("phone.requestCall", 403, "USER_PRIVACY_RESTRICTED")
    assert.instanceOf(error, Errors.UserPrivacyRestricted)
    assert.strictEqual(
      error.message,
      "The user's privacy settings do not allow you to do this. (phone.requestCall: 403 USER_PRIVACY_RESTRICTED)"
    )
    assert.strictEqual(Errors.UserPrivacyRestricted.errorType, "USER_PRIVACY_RESTRICTED")
  })

  it("marks only server-side failures retryable", () => {
    assert.isTrue(classify("phone.requestCall", 500, "PARTICIPANT_CALL_FAILED").isRetryable)
    assert.isFalse(classify("phone.requestCall", 500, "RANDOM_ID_DUPLICATE").isRetryable)
    assert.isFalse(classify("phone.acceptCall", 500, "CALL_OCCUPY_FAILED").isRetryable)
    assert.isFalse(classify("phone.acceptCall", 400, "CALL_PEER_INVALID").isRetryable)
  })
})

describe("fromRpcFailure: errors documented for another method", () => {
  it.each([
    ["phone.requestCall", 400, "CALL_ALREADY_ACCEPTED"],
    ["phone.requestCall", 400, "CALL_PEER_INVALID"],
    ["phone.acceptCall", 403, "USER_PRIVACY_RESTRICTED"],
    ["phone.setCallRating", 400, "DATA_JSON_INVALID"],
    ["phone.getCallConfig", 400, "CALL_PEER_INVALID"],
    ["messages.getDhConfig", 400, "GROUPCALL_INVALID"]
  ] as const)("%s %i %s → UnknownRpcError", (method, code, type) => {
    const error = classify(method, code, type)
    assert.deepInclude(error, { _tag: "UnknownRpcError", method, code, type })
    assert.isFalse(error.isRetryable)
  })
})

describe("fromRpcFailure: generic families", () => {
  it.each([
    [420, "FLOOD_WAIT_7", "FloodWait"],
    [420, "FLOOD_PREMIUM_WAIT_30", "FloodWait"],
    [420, "FLOOD_TEST_PHONE_WAIT_120", "FloodWait"],
    [401, "AUTH_KEY_UNREGISTERED", "Unauthorized"],
    [401, "AUTH_KEY_INVALID", "Unauthorized"],
    [401, "AUTH_KEY_PERM_EMPTY", "Unauthorized"],
    [401, "SESSION_REVOKED", "Unauthorized"],
    [401, "SESSION_EXPIRED", "Unauthorized"],
    [401, "SESSION_PASSWORD_NEEDED", "Unauthorized"],
    [401, "USER_DEACTIVATED", "Unauthorized"],
    [401, "USER_DEACTIVATED_BAN", "Unauthorized"],
    [401, "SOMETHING_NEW_401", "Unauthorized"],
    [406, "AUTH_KEY_DUPLICATED", "Unauthorized"],
    [500, "RPC_CALL_FAIL", "InternalServerError"],
    [500, "RPC_MCGET_FAIL", "InternalServerError"],
    [500, "WORKER_BUSY_TOO_LONG_RETRY", "InternalServerError"],
    [500, "INTERDC_2_CALL_ERROR", "InternalServerError"],
    [500, "INTERDC_4_CALL_RICH_ERROR", "InternalServerError"],
    [500, "TIMEOUT", "InternalServerError"],
    [-500, "No workers running", "InternalServerError"],
    [500, "SOME_UNDOCUMENTED_500", "InternalServerError"],
    [500, "CALL_OCCUPY_FAILED", "InternalServerError"], // documented for acceptCall, not requestCall
    [-503, "Timeout", "RequestTimeout"],
    [-503, "Timedout", "RequestTimeout"],
    [-503, "MSG_WAIT_TIMEOUT", "RequestTimeout"],
    [400, "BOT_METHOD_INVALID", "BotMethodForbidden"]
  ] as const)("%i %s → %s", (code, type, tag) => {
    const error = classify("phone.requestCall", code, type)
    assert.deepInclude(error, { _tag: tag, method: "phone.requestCall", code, type })
  })

  it("reads the seconds of every flood-wait variant and flags the premium one", () => {
    const plain = classify("phone.receivedCall", 420, "FLOOD_WAIT_7")
    assert.instanceOf(plain, Errors.FloodWait)
    assert.strictEqual(Duration.toMillis(plain.retryAfter), 7000)
    assert.isFalse(plain.premium)
    assert.isTrue(plain.isRetryable)
    const premium = classify("phone.receivedCall", 420, "FLOOD_PREMIUM_WAIT_30")
    assert.instanceOf(premium, Errors.FloodWait)
    assert.strictEqual(Duration.toSeconds(premium.retryAfter), 30)
    assert.isTrue(premium.premium)
    const test = classify("phone.receivedCall", 420, "FLOOD_TEST_PHONE_WAIT_120")
    assert.instanceOf(test, Errors.FloodWait)
    assert.strictEqual(Duration.toSeconds(test.retryAfter), 120)
    assert.isFalse(test.premium)
  })

  it("describes generic errors in their message", () => {
    assert.include(
      classify("phone.acceptCall", 401, "SESSION_REVOKED").message,
      "The authorization was revoked"
    )
    assert.include(classify("phone.acceptCall", 420, "FLOOD_WAIT_7").message, "7s")
  })

  it.each([
    [418, "I_AM_A_TEAPOT"],
    [0, ""],
    [303, "USER_MIGRATE_2"],
    [303, "PHONE_MIGRATE_4"],
    [400, "PEER_FLOOD"],
    [420, "FROZEN_METHOD_INVALID"],
    [420, "SLOWMODE_WAIT_10"],
    [400, "DH_G_A_INVALID"],
    [403, "CHAT_FORBIDDEN"],
    [999, "FLOOD_WAIT"]
  ] as const)("unknown: %i %s → UnknownRpcError", (code, type) => {
    const error = classify("phone.confirmCall", code, type)
    assert.deepInclude(error, { _tag: "UnknownRpcError", method: "phone.confirmCall", code, type })
    assert.isFalse(error.isRetryable)
  })

  it("turns a TransportError into a TransportFailure with its message and cause", () => {
    const cause = new Error("socket hang up")
    const error = Errors.fromRpcFailure(
      "phone.discardCall",
      new TransportError({ method: "phone.discardCall", message: "connection closed", cause })
    )
    assert.instanceOf(error, Errors.TransportFailure)
    assert.deepInclude(error, { method: "phone.discardCall", message: "connection closed" })
    assert.strictEqual(error.cause, cause)
    assert.isTrue(error.isRetryable)
  })

  it("isRetryable answers for any value", () => {
    assert.isTrue(Errors.isRetryable(classify("phone.requestCall", 500, "RPC_CALL_FAIL")))
    assert.isFalse(Errors.isRetryable(classify("phone.requestCall", 401, "SESSION_REVOKED")))
    assert.isFalse(Errors.isRetryable(new Error("x")))
    assert.isFalse(Errors.isRetryable(null))
  })
})

describe("floodWaitSchedule", () => {
  const flood = (seconds: number) =>
    classify("phone.receivedCall", 420, `FLOOD_WAIT_${seconds}`) as Errors.RpcErrorOf<"phone.receivedCall">

  // fails with the given errors in order, then succeeds; counts attempts
  const scripted = (failures: ReadonlyArray<Errors.RpcErrorOf<"phone.receivedCall">>) =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const effect = Effect.gen(function* () {
        const n = yield* Ref.getAndUpdate(attempts, (k) => k + 1)
        const failure = failures[n]
        if (failure !== undefined) return yield* Effect.fail(failure)
        return "ok"
      })
      return { attempts, effect }
    })

  it.effect("waits exactly retryAfter, then retries", () =>
    Effect.gen(function* () {
      const { attempts, effect } = yield* scripted([flood(5), flood(3)])
      const fiber = yield* effect.pipe(
        Effect.retry(Errors.floodWaitSchedule({ maxWait: "10 seconds" })),
        Effect.forkChild
      )
      yield* TestClock.adjust("4999 millis")
      assert.strictEqual(yield* Ref.get(attempts), 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Ref.get(attempts), 2)
      yield* TestClock.adjust("2999 millis")
      assert.strictEqual(yield* Ref.get(attempts), 2)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.strictEqual(yield* Ref.get(attempts), 3)
    })
  )

  it.effect("gives up when the wait exceeds maxWait", () =>
    Effect.gen(function* () {
      const { attempts, effect } = yield* scripted([flood(60)])
      const exit = yield* effect.pipe(
        Effect.retry(Errors.floodWaitSchedule({ maxWait: "30 seconds" })),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(yield* Ref.get(attempts), 1)
    })
  )

  it.effect("does not retry other errors", () =>
    Effect.gen(function* () {
      const internal = classify("phone.receivedCall", 500, "RPC_CALL_FAIL")
      const { attempts, effect } = yield* scripted([internal])
      const exit = yield* effect.pipe(
        Effect.retry(Errors.floodWaitSchedule({ maxWait: "30 seconds" })),
        Effect.exit
      )
      assert.deepStrictEqual(exit, Exit.fail(internal))
      assert.strictEqual(yield* Ref.get(attempts), 1)
    })
  )

  it.effect("stops after `times` retries", () =>
    Effect.gen(function* () {
      const { attempts, effect } = yield* scripted([flood(1), flood(1), flood(1), flood(1)])
      const fiber = yield* effect.pipe(
        Effect.retry(Errors.floodWaitSchedule({ maxWait: "5 seconds", times: 2 })),
        Effect.exit,
        Effect.forkChild
      )
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(yield* Ref.get(attempts), 3)
    })
  )
})

describe("fromRpcFailure: properties", () => {
  const genericTags = new Set([
    "FloodWait",
    "Unauthorized",
    "InternalServerError",
    "RequestTimeout",
    "BotMethodForbidden",
    "UnknownRpcError"
  ])
  const wireTypes = fc.oneof(
    fc.constantFrom(...Object.keys(Errors.errorClasses)),
    fc.nat({ max: 100_000 }).map((n) => `FLOOD_WAIT_${n}`),
    fc.constantFrom("AUTH_KEY_UNREGISTERED", "RPC_CALL_FAIL", "Timeout", "BOT_METHOD_INVALID"),
    fc.string()
  )
  const codes = fc.oneof(fc.constantFrom(303, 400, 401, 403, 406, 420, 500, -500, -503), fc.integer())

  it("never throws, keeps method/code/type, and stays within the method's union", () =>
    fc.assert(
      fc.property(fc.constantFrom(...Errors.catalogMethods), codes, wireTypes, (method, code, type) => {
        const error = classify(method, code, type)
        assert.deepInclude(error, { method, code, type })
        const documented = Errors.methodErrorTypes[method].map(tagOf)
        assert.isTrue(genericTags.has(error._tag) || documented.includes(error._tag))
        // a documented type for this method always gets its class, whatever the code
        if (Errors.methodErrorTypes[method].includes(type)) assert.strictEqual(error._tag, tagOf(type))
        assert.strictEqual(typeof error.message, "string")
      })
    ))
})
