/**
 * The typed errors of `Phone.*`: one class per error type Telegram documents for a method
 * (generated from the catalog, e.g. `CallPeerInvalid`, `UserPrivacyRestricted`), the generic
 * errors any method can fail with (`FloodWait`, `Unauthorized`, `InternalServerError`,
 * `RequestTimeout`, `TransportFailure`, `BotMethodForbidden`, `InvalidInput`, `UnknownRpcError`),
 * and the one classifier, `fromRpcFailure`, that turns the seam's raw `RpcError` /
 * `TransportError` into them.
 *
 * Every class is a `Schema.TaggedError` carrying `method`; the ones the server sent also carry
 * its `code` and the raw `type` text; all answer `isRetryable`. Handle one with
 * `Effect.catchTag`, several with `Effect.catchTags`.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schedule, Schema } from "effect"
import {
  type CatalogMethod,
  errorClasses,
  genericErrors,
  type MethodErrors,
  methodErrorTypes
} from "./generated/Errors.js"
import type { RpcFailure, UserNotFound } from "./TelegramRpc.js"

export * from "./generated/Errors.js"

const describe = (type: string): string | undefined =>
  genericErrors.find((row) => row.pattern.test(type))?.description

const rawFields = { method: Schema.String, code: Schema.Int, type: Schema.String }

/**
 * The server asks to wait before repeating the request: `FLOOD_WAIT_X`, `FLOOD_PREMIUM_WAIT_X`
 * (`premium: true`: Telegram Premium lifts the limit) and `FLOOD_TEST_PHONE_WAIT_X` (test
 * servers). `retryAfter` is the X seconds. The library never sleeps on its own: retry with
 * `floodWaitSchedule` or your own `Schedule`.
 *
 * @since 0.1.0
 * @category errors
 */
export class FloodWait extends Schema.TaggedError<FloodWait>()("FloodWait", {
  ...rawFields,
  retryAfter: Schema.Duration,
  premium: Schema.Boolean
}) {
  /** Always `true`: the same request succeeds once `retryAfter` has passed. */
  get isRetryable(): boolean {
    return true
  }
  override get message(): string {
    return `${this.method}: wait ${Duration.format(this.retryAfter)} before repeating the request${
      this.premium ? " (or use a Premium account)" : ""
    } (${this.code} ${this.type})`
  }
}

/**
 * The session cannot make requests: the 401 family (`AUTH_KEY_UNREGISTERED`, `AUTH_KEY_INVALID`,
 * `SESSION_REVOKED`, `SESSION_EXPIRED`, `SESSION_PASSWORD_NEEDED`, `USER_DEACTIVATED`,
 * `USER_DEACTIVATED_BAN`, …) and `AUTH_KEY_DUPLICATED` (406). `type` tells which.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", rawFields) {
  /** Always `false`: the session must be fixed (log in again) first. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${describe(this.type) ?? "The session is not authorized."} (${this.method}: ${this.code} ${this.type})`
  }
}

/**
 * Telegram failed internally (the 500 / -500 family: `RPC_CALL_FAIL`, `RPC_MCGET_FAIL`,
 * `WORKER_BUSY_TOO_LONG_RETRY`, `INTERDC_X_CALL_ERROR`, `TIMEOUT`, `No workers running`, or any
 * other 500 a method does not document). Retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class InternalServerError extends Schema.TaggedError<InternalServerError>()(
  "InternalServerError",
  rawFields
) {
  /** Always `true`: retry later. */
  get isRetryable(): boolean {
    return true
  }
  override get message(): string {
    return `${describe(this.type) ?? "Telegram failed internally; retry later."} (${this.method}: ${this.code} ${this.type})`
  }
}

/**
 * The server gave up waiting (code -503: `Timeout`, `Timedout`, `MSG_WAIT_TIMEOUT`). Retryable;
 * the server may or may not have acted on the request.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestTimeout extends Schema.TaggedError<RequestTimeout>()("RequestTimeout", rawFields) {
  /** Always `true`. */
  get isRetryable(): boolean {
    return true
  }
  override get message(): string {
    return `${describe(this.type) ?? "The server timed out."} (${this.method}: ${this.code} ${this.type})`
  }
}

/**
 * The request got no answer: the connection failed or closed (the seam's `TransportError`).
 * Whether the server acted on it is unknown.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportFailure extends Schema.TaggedError<TransportFailure>()("TransportFailure", {
  method: Schema.String,
  message: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  /** Always `true`: a new connection may succeed. */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * A bot account called a method for user accounts only (every phone method is). Raised before
 * anything is sent when the account is known to be a bot, and for `BOT_METHOD_INVALID` from
 * the server; `code` is 400 and `type` `BOT_METHOD_INVALID` in both cases.
 *
 * @since 0.1.0
 * @category errors
 */
export class BotMethodForbidden extends Schema.TaggedError<BotMethodForbidden>()(
  "BotMethodForbidden",
  rawFields
) {
  /** Always `false`: use a user account. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.method} is for user accounts only; bots cannot call it (${this.code} ${this.type})`
  }
}

/**
 * The backend speaks a TL layer that lacks the method: nothing was sent. `layer` is the
 * backend's layer, `firstLayer` the first layer that has the method (`undefined` when only the
 * shipped schemas say it is missing).
 *
 * @since 0.1.0
 * @category errors
 */
export class MethodNotInLayer extends Schema.TaggedError<MethodNotInLayer>()("MethodNotInLayer", {
  method: Schema.String,
  layer: Schema.Number,
  firstLayer: Schema.UndefinedOr(Schema.Number)
}) {
  /** Always `false`: use a backend that speaks a newer layer. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.method} is not in layer ${this.layer}${this.firstLayer === undefined ? "" : ` (it first appears in layer ${this.firstLayer})`}: use a backend that speaks a newer layer`
  }
}

/**
 * The input of a `Phone.*` function failed its Schema: nothing was sent. `field` is the path of
 * the offending field (`"rating"`, `"protocol.minLayer"`; empty for the input as a whole) and
 * `problem` says what is wrong with it.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  method: Schema.String,
  field: Schema.String,
  problem: Schema.String
}) {
  /** Always `false`: fix the input. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.method}: invalid input${this.field === "" ? "" : ` at ${this.field}`}: ${this.problem}`
  }
}

/**
 * An error the catalog does not document for this method (for example `DH_G_A_INVALID` on
 * `phone.confirmCall`, a DC migration, or a type documented only for another method). Match on
 * `type`.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownRpcError extends Schema.TaggedError<UnknownRpcError>()("UnknownRpcError", rawFields) {
  /** Always `false`: nothing is known about it. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.method} failed with ${this.code} ${this.type}${
      describe(this.type) === undefined ? "" : `: ${describe(this.type)}`
    }`
  }
}

/**
 * The errors any method can fail with, besides its documented ones.
 *
 * @since 0.1.0
 * @category unions
 */
export type GenericError =
  | FloodWait
  | Unauthorized
  | InternalServerError
  | RequestTimeout
  | TransportFailure
  | BotMethodForbidden
  | UnknownRpcError

/**
 * What a request to method `M` can fail with once sent: its documented errors and the generic ones.
 *
 * @since 0.1.0
 * @category unions
 */
export type RpcErrorOf<M extends CatalogMethod> = MethodErrors[M] | GenericError

/**
 * The `Phone.*` methods whose input names users by reference (`UserRef`), resolved through
 * `TelegramRpc.resolveUser` before the request is sent.
 *
 * @since 0.1.0
 * @category unions
 */
export type ResolvesUsers =
  | "phone.requestCall"
  | "phone.inviteToGroupCall"
  | "phone.inviteConferenceCallParticipant"

/**
 * The error channel of `Phone.<M>`: `RpcErrorOf<M>` plus `InvalidInput`, `MethodNotInLayer`, and `UserNotFound`
 * for the methods that resolve user references (`ResolvesUsers`).
 *
 * @since 0.1.0
 * @category unions
 */
export type PhoneError<M extends CatalogMethod> =
  | RpcErrorOf<M>
  | InvalidInput
  | MethodNotInLayer
  | (M extends ResolvesUsers ? UserNotFound : never)

/**
 * Any error this module defines.
 *
 * @since 0.1.0
 * @category unions
 */
export type TgPhoneError = MethodErrors[CatalogMethod] | GenericError | InvalidInput | MethodNotInLayer

const floodPattern = /^FLOOD_(PREMIUM_|TEST_PHONE_)?WAIT_(\d+)$/
const unauthorizedTypes = new Set(
  genericErrors.filter((row) => row.codes.includes(401)).map((row) => row.type)
).add("AUTH_KEY_DUPLICATED")
const timeoutTypes = new Set(genericErrors.filter((row) => row.codes.includes(-503)).map((row) => row.type))
const internalRows = genericErrors.filter((row) => row.codes.some((code) => code === 500 || code === -500))

type DocumentedClass = new (props: {
  method: string
  code: number
  type: string
}) => MethodErrors[CatalogMethod]

/**
 * The one classifier: turns what the seam failed with into the method's typed error.
 *
 * - a `TransportError` → `TransportFailure`;
 * - a type Telegram documents for `method` → its class (`CALL_PEER_INVALID` → `CallPeerInvalid`),
 *   whatever code the server sent; a type documented only for *other* methods is not one;
 * - `FLOOD_WAIT_X`, `FLOOD_PREMIUM_WAIT_X`, `FLOOD_TEST_PHONE_WAIT_X` → `FloodWait`;
 * - `BOT_METHOD_INVALID` → `BotMethodForbidden`;
 * - code 401 or a 401-family type, `AUTH_KEY_DUPLICATED` → `Unauthorized`;
 * - code -503 or `Timeout` / `Timedout` / `MSG_WAIT_TIMEOUT` → `RequestTimeout`;
 * - code 500 / -500 or a 500-family type → `InternalServerError`;
 * - anything else → `UnknownRpcError` (code and raw type preserved).
 *
 * @since 0.1.0
 * @category classification
 */
export const fromRpcFailure = <M extends CatalogMethod>(method: M, failure: RpcFailure): RpcErrorOf<M> => {
  if (failure._tag === "TransportError") {
    return new TransportFailure({
      method,
      message: failure.message,
      ...(failure.cause === undefined ? {} : { cause: failure.cause })
    })
  }
  const { code, type } = failure
  const raw = { method, code, type }
  if (methodErrorTypes[method].includes(type)) {
    const Class = (errorClasses as unknown as Record<string, DocumentedClass>)[type]
    if (Class !== undefined) return new Class(raw) as MethodErrors[M]
  }
  const flood = floodPattern.exec(type)
  if (flood !== null) {
    return new FloodWait({
      ...raw,
      retryAfter: Duration.seconds(Number(flood[2])),
      premium: flood[1] === "PREMIUM_"
    })
  }
  if (type === "BOT_METHOD_INVALID") return new BotMethodForbidden(raw)
  if (code === 401 || unauthorizedTypes.has(type)) return new Unauthorized(raw)
  if (code === -503 || timeoutTypes.has(type)) return new RequestTimeout(raw)
  if (code === 500 || code === -500 || internalRows.some((row) => row.pattern.test(type))) {
    return new InternalServerError(raw)
  }
  return new UnknownRpcError(raw)
}

/**
 * The error a bot account gets for a users-only method, raised without a round trip.
 *
 * @since 0.1.0
 * @category constructors
 */
export const botMethodForbidden = (method: string): BotMethodForbidden =>
  new BotMethodForbidden({ method, code: 400, type: "BOT_METHOD_INVALID" })

/**
 * Whether `u` is a `FloodWait`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isFloodWait = (u: unknown): u is FloodWait => u instanceof FloodWait

/**
 * Whether repeating the request that failed with `error` may succeed (`error.isRetryable`);
 * `false` for anything that is not one of this module's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRetryable = (error: unknown): boolean =>
  typeof error === "object" &&
  error !== null &&
  "isRetryable" in error &&
  typeof error.isRetryable === "boolean" &&
  error.isRetryable

/**
 * A retry `Schedule` for flood waits: recurs only when the failure is a `FloodWait` whose
 * `retryAfter` is at most `maxWait`, waits exactly `retryAfter` (plus `extra`, default none),
 * and stops after `times` retries (default 3). Any other error ends the retries at once, so the
 * caller sees it unchanged. The library never sleeps by itself; this is how callers opt in.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, Phone } from "@tgphone/core"
 *
 * const received = Phone.receivedCall({ peer: { id: 1n, accessHash: 2n } }).pipe(
 *   Effect.retry(Errors.floodWaitSchedule({ maxWait: "30 seconds", times: 2 }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category retrying
 */
export const floodWaitSchedule = (options: {
  readonly maxWait: Duration.Input
  readonly times?: number | undefined
  readonly extra?: Duration.Input | undefined
}): Schedule.Schedule<number, unknown> => {
  const maxWait = Duration.fromInputUnsafe(options.maxWait)
  const extra = options.extra === undefined ? Duration.zero : Duration.fromInputUnsafe(options.extra)
  return Schedule.recurs(options.times ?? 3).pipe(
    Schedule.setInputType<unknown>(),
    Schedule.while(
      ({ input }) => isFloodWait(input) && Duration.isLessThanOrEqualTo(input.retryAfter, maxWait)
    ),
    Schedule.addDelay(({ input }) =>
      Effect.succeed(isFloodWait(input) ? Duration.sum(input.retryAfter, extra) : Duration.zero)
    )
  )
}
