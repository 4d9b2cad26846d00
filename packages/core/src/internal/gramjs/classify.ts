/**
 * How a GramJS-family library's failures become seam errors (`RpcError` / `TransportError`),
 * without loading the library: an `rpc_error` arrives as an object carrying the numeric `code`
 * and the raw TL text in `errorMessage` (GramJS's `RPCError`; teleproto keeps the raw text in
 * `errorMessage` on every error class it builds). A library that replaces the text for some
 * errors (GramJS's `FloodWaitError` and friends) supplies `rebuild`, which gives the TL text
 * back. Anything else (socket errors, "Request was unsuccessful", disconnects, timeouts) got no
 * answer: `TransportError`.
 */
import { RpcError, type RpcFailure, TransportError } from "../../TelegramRpc.js"

/** A finite number field of an error object, if it has one. */
export const numberField = (error: object, key: string): number | undefined => {
  const value = (error as Record<string, unknown>)[key]
  return typeof value === "number" && Number.isFinite(value) ? value : undefined
}

/**
 * The classifier of a library. Rules, in order: an error `rebuild` knows → `RpcError` with the
 * rebuilt TL text (code from the error, else 420); an object with an integer `code` and a
 * non-empty string `errorMessage` → `RpcError{code, type: errorMessage}`; anything else →
 * `TransportError` with the error as its cause.
 */
export const makeClassifier =
  (rebuild: (error: unknown) => string | undefined) =>
  (method: string, error: unknown): RpcFailure => {
    if (error instanceof RpcError || error instanceof TransportError) return error
    const rebuilt = rebuild(error)
    if (rebuilt !== undefined) {
      const code = numberField(error as object, "code") ?? 420
      return new RpcError({ method, code, type: rebuilt })
    }
    if (typeof error === "object" && error !== null) {
      const code = numberField(error, "code")
      const type = (error as { errorMessage?: unknown }).errorMessage
      if (code !== undefined && Number.isInteger(code) && typeof type === "string" && type.length > 0) {
        return new RpcError({ method, code, type })
      }
    }
    const message =
      error instanceof Error
        ? error.message
        : typeof error === "string"
          ? error
          : "the backend failed without a reason"
    return new TransportError({ method, message, cause: error })
  }
