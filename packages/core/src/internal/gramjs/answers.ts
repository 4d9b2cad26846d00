/**
 * A server's `rpc_error` answers, as they came off the wire, for the requests the live layer
 * sends. Both GramJS-family libraries lose facts of an answer on the way to the caller:
 * - teleproto builds a class per known error text, and that class carries the library's own
 *   numeric code (`USER_PRIVACY_RESTRICTED` is a `BadRequestError`, 400, whatever the server
 *   sent; the server's `error_code` is not kept);
 * - both treat some answers as recoverable (`500`-class internal errors, `RPC_CALL_FAIL`,
 *   migrations, `MSG_WAIT_*`, `CONNECTION_NOT_INITED`): they sleep or reconnect, and as the
 *   layer allows no retry (`requestRetries: 1`) they then throw "Request was unsuccessful 1
 *   time(s)" — the server's answer is lost, and the caller sees a transport failure.
 *
 * Each library's sender turns every `rpc_error` into an exception through one function of its
 * `errors` module (`RPCMessageToError(rpcError, request)`, called through the module object).
 * `watchAnswers` wraps it once per module, so it also hands the raw answer to whoever waits for
 * that request (`awaitAnswer`); the library's own behaviour is unchanged.
 */
import { Effect } from "effect"
import { RpcError } from "../../TelegramRpc.js"

/** A library's `errors` module, as far as its sender uses it. */
export interface ErrorsModule {
  RPCMessageToError: (rpcError: RawAnswer, request: unknown) => unknown
}

/** The `rpc_error` object the library decoded: the server's code and TL text. */
export interface RawAnswer {
  readonly errorCode: number
  readonly errorMessage: string
}

const wrapped = Symbol.for("@tgphone/core/watchAnswers")
const waiting = new WeakMap<object, (answer: RawAnswer) => void>()

/**
 * The request the caller sent, inside the wrappers the library adds on the first request of a
 * connection (`invokeWithLayer`, `initConnection`: each keeps it in `query`).
 */
const waiterOf = (request: unknown): ((answer: RawAnswer) => void) | undefined => {
  let current = request
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const waiter = waiting.get(current)
    if (waiter !== undefined) return waiter
    current = (current as { query?: unknown }).query
  }
  return undefined
}

/** Wraps `errors.RPCMessageToError` once, so every raw answer also reaches its waiter. */
export const watchAnswers = (errors: ErrorsModule): void => {
  const current = errors.RPCMessageToError as ErrorsModule["RPCMessageToError"] & { [wrapped]?: true }
  if (current[wrapped] === true) return
  const watched = Object.assign(
    (rpcError: RawAnswer, request: unknown) => {
      const error = current(rpcError, request)
      const waiter = waiterOf(request)
      if (waiter !== undefined && typeof rpcError?.errorCode === "number") waiter(rpcError)
      return error
    },
    { [wrapped]: true as const }
  )
  errors.RPCMessageToError = watched
}

/**
 * Sends `request` with the library's `invoke` and waits for the first of: the server's raw
 * `rpc_error` answer (`RpcError{code: error_code, type: error_message}`, as soon as the library
 * decodes it, before the library's own handling of it), the library's result, or the library's
 * rejection (`classify`). One callback, no forked fibers: the answer's waiter is registered
 * before the request goes out, and whatever comes second is ignored (the library's rejection
 * that follows a raw answer is still handled, so it never surfaces as unhandled). Interrupting
 * only abandons the request: the library cannot cancel it.
 */
export const invokeAnswered = <E>(
  method: string,
  request: object,
  invoke: (request: object) => Promise<unknown>,
  classify: (method: string, error: unknown) => E
): Effect.Effect<unknown, E | RpcError> =>
  Effect.callback<unknown, E | RpcError>((resume) => {
    let settled = false
    const settle = (outcome: Effect.Effect<unknown, E | RpcError>): void => {
      if (settled) return
      settled = true
      waiting.delete(request)
      resume(outcome)
    }
    waiting.set(request, (answer) =>
      settle(Effect.fail(new RpcError({ method, code: answer.errorCode, type: answer.errorMessage })))
    )
    let sent: Promise<unknown>
    try {
      sent = invoke(request)
    } catch (thrown) {
      settle(Effect.fail(classify(method, thrown)))
      return
    }
    sent.then(
      (result) => settle(Effect.succeed(result)),
      (error: unknown) => settle(Effect.fail(classify(method, error)))
    )
    return Effect.sync(() => {
      settled = true
      waiting.delete(request)
    })
  })
