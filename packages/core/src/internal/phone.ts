/**
 * The runner every `Phone.*` function goes through (the functions themselves are generated into
 * `generated/Phone.ts` by `scripts/generators/phone.ts`): bots refused and `MethodNotInLayer`
 * without a round trip, the input decoded with its Schema (`InvalidInput` naming the field),
 * user references resolved, one span per TL method, failures classified.
 *
 * @internal
 */
import { Cause, Effect, Exit, Result, Schema, SchemaIssue } from "effect"
import {
  botMethodForbidden,
  fromRpcFailure,
  InvalidInput,
  MethodNotInLayer,
  type PhoneError
} from "../Errors.js"
import { type CatalogMethod, usersOnly } from "../generated/Errors.js"
import type { InputUser } from "../Model.js"
import type { UserRef } from "../overlay/phoneInputs.js"
import {
  isInLayer,
  type MethodName,
  type MethodParams,
  type MethodResult,
  RpcMethods
} from "../RpcMethods.js"
import { type ResolveFailure, type RpcFailure, TelegramRpc } from "../TelegramRpc.js"
import { requestSpan } from "./span.js"

/** The seam a function runs against. */
export type Rpc = TelegramRpc["Service"]
/** A method `Phone` has a function for. */
export type Method = MethodName & CatalogMethod
type InputSchema = Schema.Top & { readonly DecodingServices: never }

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const formatPath = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string =>
  (path ?? [])
    .map((segment) => (typeof segment === "object" ? segment.key : segment))
    .reduce<string>(
      (out, key) =>
        typeof key === "number" ? `${out}[${key}]` : out === "" ? String(key) : `${out}.${String(key)}`,
      ""
    )

const invalidInput = (method: string, error: Schema.SchemaError): InvalidInput => {
  const first = formatter(error.issue).issues[0]
  return new InvalidInput({
    method,
    field: formatPath(first?.path),
    problem: first?.message ?? error.message
  })
}

/** The input threw while it was read (a throwing getter, a proxy trap, a revoked proxy). */
const unreadableInput = (method: string, thrown: unknown): InvalidInput => {
  // Schema rethrows what the input threw as the `cause` of its own error
  const original =
    thrown instanceof Error && Cause.isCause(thrown.cause) ? Cause.squash(thrown.cause) : thrown
  let detail: string
  try {
    detail = original instanceof Error ? original.message : String(original)
  } catch {
    detail = "a value that cannot be printed"
  }
  return new InvalidInput({ method, field: "", problem: `reading the input threw: ${detail}` })
}

/** An `InputUser` as it is, anything else through `TelegramRpc.resolveUser`. */
export const resolveUser = (rpc: Rpc, ref: typeof UserRef.Type): Effect.Effect<InputUser, ResolveFailure> =>
  typeof ref === "object" ? Effect.succeed(ref) : rpc.resolveUser(ref)

const decodeOptions = { errors: "first" } as const

/**
 * One function per method. Everything that does not depend on the input is built here, once
 * per method: the input decoder, the span wrapper and the error classifier. A call is then one span around one
 * service lookup, a synchronous input check, `build` and the request.
 */
export const make = <M extends Method, S extends InputSchema>(
  method: M,
  schema: S,
  build: (input: S["Type"], rpc: Rpc) => Effect.Effect<MethodParams<M>, ResolveFailure>
): ((input: S["Encoded"]) => Effect.Effect<MethodResult<M>, PhoneError<M>, TelegramRpc>) => {
  // inputs are plain synchronous Schemas (no services, no async checks)
  const decode: (
    input: unknown,
    options: typeof decodeOptions
  ) => Result.Result<S["Type"], Schema.SchemaError> = Schema.decodeUnknownResult(schema)
  // An input that already is a valid value of the schema's type side (its class-valued fields
  // are instances, e.g. the `InputPhoneCall` a previous call returned) is taken as it is: the
  // type side still runs every check and filter, and a `Schema.Class` instance was validated
  // by its constructor. Anything else goes through the full decode (and its error messages).
  const isDecoded: (input: unknown) => input is S["Type"] = Schema.is(schema)
  const span = requestSpan(method)
  const forbiddenForBots = usersOnly[method]
  const firstLayer: number | undefined = RpcMethods[method].firstLayer
  const classify = (error: RpcFailure): PhoneError<M> => fromRpcFailure(method, error)
  const send = (rpc: Rpc, params: MethodParams<M>): Effect.Effect<MethodResult<M>, PhoneError<M>> =>
    Effect.mapError(rpc.invoke(method, params), classify)
  const run = (rpc: Rpc, input: unknown): Effect.Effect<MethodResult<M>, PhoneError<M>> => {
    if (forbiddenForBots && rpc.account.isBot) return Effect.fail(botMethodForbidden(method))
    if (!isInLayer(method, rpc.layer))
      return Effect.fail(new MethodNotInLayer({ method, layer: rpc.layer, firstLayer }))
    let value: S["Type"]
    // Reading the input runs the caller's code (getters, proxy traps), which may throw: that is
    // bad input, not a defect (Effect's Schema adapters only accept schema issues from it).
    try {
      if (isDecoded(input)) {
        value = input
      } else {
        const decoded = decode(input, decodeOptions)
        if (Result.isFailure(decoded)) return Effect.fail(invalidInput(method, decoded.failure))
        value = decoded.success
      }
    } catch (thrown) {
      return Effect.fail(unreadableInput(method, thrown))
    }
    const params = build(value, rpc)
    // most inputs map to parameters without a round trip: skip the extra step then
    if (Exit.isExit(params) && Exit.isSuccess(params)) return send(rpc, params.value as MethodParams<M>)
    // a user the resolution did not find stays `UserNotFound`: the failing step was resolving it
    return Effect.flatMap(
      Effect.mapError(
        params,
        (e): PhoneError<M> =>
          // only the methods of `ResolvesUsers` have a `build` that resolves users
          e._tag === "UserNotFound" ? (e as PhoneError<M>) : classify(e as RpcFailure)
      ),
      (p) => send(rpc, p)
    )
  }
  return (input) => span(TelegramRpc.use((rpc) => run(rpc, input)))
}

/** `{ [key]: value }` when `value` is defined, else `{}` (an optional parameter left out). */
export const present = <K extends string, V>(key: K, value: V | undefined): { readonly [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { readonly [P in K]?: V }
