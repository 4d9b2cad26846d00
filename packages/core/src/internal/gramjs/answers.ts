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
 * Fails with the server's answer to `request` (`RpcError{code: error_code, type: error_message}`)
 * as soon as the library decodes one; never succeeds. Race it against the library's `invoke`.
 */
export const awaitAnswer = (method: string, request: object): Effect.Effect<never, RpcError> =>
  Effect.callback<never, RpcError>((resume) => {
    waiting.set(request, (answer) => {
      waiting.delete(request)
      resume(Effect.fail(new RpcError({ method, code: answer.errorCode, type: answer.errorMessage })))
    })
    return Effect.sync(() => {
      waiting.delete(request)
    })
  })
