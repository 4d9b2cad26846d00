/**
 * The one place where GramJS failures become seam errors (`RpcError` / `TransportError`).
 *
 * How GramJS 2.26 surfaces an `rpc_error` (`errors/index.js`, `RPCMessageToError`):
 * - texts matching its regex table become dedicated classes that *replace* `errorMessage`
 *   and keep the number elsewhere: `FloodWaitError` (`errorMessage === "FLOOD"`, `.seconds`;
 *   used for both `FLOOD_WAIT_X` and `FLOOD_PREMIUM_WAIT_X`, so the "premium" distinction is
 *   lost inside GramJS and cannot be recovered here), `FloodTestPhoneWaitError`,
 *   `SlowModeWaitError`, `*_MIGRATE_X` (`.newDc`), `EmailUnconfirmedError` (`.codeLength`),
 *   `MsgWaitError`;
 * - everything else is a plain `RPCError` with the server's `.code` and raw `.errorMessage`
 *   (also for 401 and 500: the code-named subclasses are never built from the wire).
 * Anything that is not an `RPCError` (socket errors, "Request was unsuccessful N time(s)",
 * "Cannot send requests while disconnected", timeouts) did not get an answer: `TransportError`.
 *
 * The live layer's own requests do not depend on this reconstruction: it takes each
 * `rpc_error` as the server sent it (`answers.ts`); this classifier covers the rest (a
 * rejection with no answer, entity look-ups, a client of another copy of the package).
 */
import { errors } from "telegram"
import type { RpcFailure } from "../../TelegramRpc.js"
import { makeClassifier, numberField } from "./classify.js"

/** The raw TL error text GramJS replaced with a class, rebuilt from the class and its captured number. */
const regexClassType = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const seconds = numberField(error, "seconds")
  const newDc = numberField(error, "newDc")
  if (error instanceof errors.FloodTestPhoneWaitError) return `FLOOD_TEST_PHONE_WAIT_${seconds ?? 0}`
  if (error instanceof errors.SlowModeWaitError) return `SLOWMODE_WAIT_${seconds ?? 0}`
  if (error instanceof errors.FloodWaitError) return `FLOOD_WAIT_${seconds ?? 0}`
  if (error instanceof errors.FileMigrateError) return `FILE_MIGRATE_${newDc ?? 0}`
  if (error instanceof errors.PhoneMigrateError) return `PHONE_MIGRATE_${newDc ?? 0}`
  if (error instanceof errors.UserMigrateError) return `USER_MIGRATE_${newDc ?? 0}`
  if (error instanceof errors.NetworkMigrateError) return `NETWORK_MIGRATE_${newDc ?? 0}`
  if (error instanceof errors.EmailUnconfirmedError)
    return `EMAIL_UNCONFIRMED_${numberField(error, "codeLength") ?? 0}`
  if (error instanceof errors.MsgWaitError) return "MSG_WAIT_FAILED"
  return undefined
}

/**
 * Classifies anything GramJS threw or rejected with for `method`.
 *
 * Rules, in order: a GramJS regex-table class → `RpcError` with its TL text rebuilt
 * (`FLOOD_WAIT_<seconds>`, code 420, …); an `RPCError` (or any object carrying a numeric
 * `code` and a string `errorMessage`, e.g. from another copy of the package) →
 * `RpcError{code, type: errorMessage}`; anything else → `TransportError`.
 */
export const classifyGramJsError: (method: string, error: unknown) => RpcFailure =
  makeClassifier(regexClassType)
