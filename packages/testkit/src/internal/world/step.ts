/**
 * One step of the in-memory world: the context a request's handler runs in, the Telegram error it
 * answers with, and the operator-side error of a bad test-kit call.
 *
 * Concurrency discipline: every change of world state happens inside one synchronous step
 * (`Effect.sync`), which JavaScript runs to completion without yielding, so each request's
 * transition is atomic no matter how many fibers call at once. Work that must wait (timers,
 * delayed updates) is forked into the world's scope after the step and re-checks the state when
 * it runs (a call's timer carries a token that every transition invalidates).
 */
import type { RpcMethods } from "@tgphone/core"
import { Clock, Effect } from "effect"
import { TestTelegramError } from "../../TestTelegramError.js"
import type { UserRec } from "./directory.js"

/** A Telegram error a handler answers with; caught at the step boundary and never escapes. */
export class Reject {
  constructor(
    readonly code: number,
    readonly type: string
  ) {}
}

/** Answers the current request with a Telegram error. */
export const reject = (code: number, type: string): never => {
  throw new Reject(code, type)
}

/** What one step may use: the time, the acting user, and effects to run after the step. */
export interface Ctx {
  readonly now: number
  readonly date: number
  readonly actor: UserRec
  readonly post: Array<Effect.Effect<void>>
}

/** The handler of registry method `M`: one step that answers with the result or `reject`s. */
export type Handler<M extends RpcMethods.MethodName> = (
  ctx: Ctx,
  params: RpcMethods.MethodParams<M>
) => RpcMethods.MethodResult<M>

/** Handlers of the registry methods `K`. */
export type Handlers<K extends RpcMethods.MethodName> = { readonly [M in K]: Handler<M> }

/** Runs one atomic step as `actor` at the current `Clock` time, then its post effects. */
export const atomically = <A>(actor: UserRec, body: (ctx: Ctx) => A): Effect.Effect<A> =>
  Effect.uninterruptible(
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const ctx: Ctx = { now, date: Math.floor(now / 1000), actor, post: [] }
      const value = yield* Effect.sync(() => body(ctx))
      for (const effect of ctx.post) yield* effect
      return value
    })
  )

/** The error of a test-kit operation called with a bad argument. */
export const handleError = (operation: string, message: string) =>
  new TestTelegramError({ operation, message })

/** Succeeds when `n` is a non-negative integer. */
export const nonNegative = (op: string, name: string, n: number): Effect.Effect<void, TestTelegramError> =>
  Number.isInteger(n) && n >= 0
    ? Effect.void
    : Effect.fail(handleError(op, `${name} must be a non-negative integer, got ${n}`))
