/**
 * The span every request runs in: kind `client`, named after the TL method, with the
 * `rpc.system` / `rpc.method` attributes. One home for both `Phone` and the live layers.
 *
 * It is `Effect.useSpan` plus the span as `Tracer.ParentSpan` of everything inside, and no
 * more: `Effect.withSpan` also installs a stack frame (`References.CurrentStackFrame`), even
 * with `captureStackTrace: false`, and a fiber with a stack frame annotates every interruption
 * with it. A request's deadline (`Effect.timeoutOrElse`) interrupts its timer fiber on every
 * answered request, so that frame cost about 3 µs of CPU per request in a hot loop, and several
 * times that between real round trips (docs/loopback.md "Where a request's microseconds go").
 *
 * @internal
 */
import { Effect, Tracer } from "effect"

/** The span options of a request to `method`. */
const spanOptions = (method: string) =>
  ({
    kind: "client",
    attributes: { "rpc.system": "telegram", "rpc.method": method }
  }) as const

/**
 * `effect` in a request span named `method`. `Phone` builds the wrapper once per method; the
 * layer, whose method varies per request, builds it per request (two small objects).
 */
export const requestSpan = (method: string) => {
  const options = spanOptions(method)
  return <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.useSpan(method, options, (span) => Effect.provideService(effect, Tracer.ParentSpan, span))
}
