/**
 * Every `phone.*` method of layer 198 (plus `messages.getDhConfig`) as an `Effect`: one
 * function per TL method, named after it, taking one object with camelCase fields.
 *
 * Each function
 * 1. fails with `BotMethodForbidden` at once when the account is a bot (all these methods are
 *    for user accounts only), without a round trip;
 * 2. fails with `MethodNotInLayer` at once when the backend's TL layer (`TelegramRpc.layer`)
 *    lacks the method, naming the method, that layer and the first layer that has it;
 * 3. decodes its input with the Schema exported next to it (`RequestCallInput`, …): a bad field
 *    fails with `InvalidInput` naming the field, before anything is sent (an input that throws
 *    while it is read, from a getter or a proxy, fails with `InvalidInput` too);
 * 4. resolves user references (a `bigint` id, a `@username`, a `+phone`, or an `InputUser`)
 *    through `TelegramRpc.resolveUser`;
 * 5. sends the request with `TelegramRpc.invoke`, in a span named after the TL method, and
 *    classifies a failure with `Errors.fromRpcFailure`.
 *
 * The error channel is exactly the method's documented errors (`Errors.RequestCallError`, …),
 * the generic ones (`Errors.GenericError`), `InvalidInput` and `MethodNotInLayer`: `Effect.catchTag` can only name
 * errors the method can raise.
 *
 * @since 0.1.0
 */
import { Protocol } from "@tgphone/crypto"
import { Cause, Context, Effect, Exit, References, Result, Schema, SchemaIssue, Tracer } from "effect"
import {
  botMethodForbidden,
  fromRpcFailure,
  InvalidInput,
  MethodNotInLayer,
  type PhoneError
} from "./Errors.js"
import { type CatalogMethod, usersOnly } from "./generated/Errors.js"
import { methods as registry } from "./generated/Methods.js"
import {
  Bytes,
  DataJson,
  DiscardReason,
  InputFile,
  InputGroupCall,
  InputPeer,
  InputPhoneCall,
  InputUser,
  Int32,
  Long,
  PhoneCallProtocol
} from "./Model.js"
import type { MethodName, MethodParams, MethodResult } from "./RpcMethods.js"
import { type ResolveFailure, type RpcFailure, TelegramRpc } from "./TelegramRpc.js"
import { layerFor } from "./Tl.js"

// ---------------------------------------------------------------------------------------------
// Field schemas shared by the inputs
// ---------------------------------------------------------------------------------------------

/**
 * How an input names a user: a user id (`bigint`), a username (`"alice"` or `"@alice"`), a
 * phone number starting with `+`, or an already resolved `InputUser`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserRef = Schema.Union([
  Long,
  Schema.String.check(
    Schema.makeFilter((s) => /^@?[A-Za-z0-9_]{1,64}$/.test(s) || /^\+[0-9][0-9 -]{2,30}$/.test(s), {
      message: "Expected a username (alice or @alice) or a phone number starting with +"
    })
  ),
  InputUser
])
/**
 * What the `UserRef` Schema accepts.
 *
 * @since 0.1.0
 * @category schemas
 */
export type UserRef = typeof UserRef.Encoded

/**
 * A 1:1 call as requests name it: its `id` and `accessHash` (any object with both, such as a
 * `PhoneCall` from an update, will do).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PhoneCallRef = InputPhoneCall
/**
 * What the `PhoneCallRef` Schema accepts.
 *
 * @since 0.1.0
 * @category schemas
 */
export type PhoneCallRef = typeof InputPhoneCall.Encoded

/**
 * A group call as requests name it: its `id` and `accessHash`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const GroupCallRef = InputGroupCall
/**
 * What the `GroupCallRef` Schema accepts.
 *
 * @since 0.1.0
 * @category schemas
 */
export type GroupCallRef = typeof InputGroupCall.Encoded

/** Where in the input a protocol rule of `@tgphone/crypto` failed: the field its error names. */
const protocolIssue = (protocol: PhoneCallProtocol): { path: Array<string>; issue: string } | undefined =>
  Result.match(Protocol.validate(protocol), {
    onSuccess: () => undefined,
    onFailure: (error) => ({ path: error.field === "protocol" ? [] : [error.field], issue: error.message })
  })

/**
 * A `phoneCallProtocol` as an input: the Schema plus `@tgphone/crypto`'s `Protocol.validate`
 * (both transport flags, `1 <= minLayer <= maxLayer`, `65 <= maxLayer <= 1000`, distinct
 * `major.minor.patch` library versions), so a protocol the server would refuse with
 * `CALL_PROTOCOL_*_INVALID` fails as `InvalidInput` before anything is sent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ProtocolInput = PhoneCallProtocol.check(
  Schema.makeFilter(protocolIssue, {
    expected: "both flags, 1 <= minLayer <= maxLayer, 65 <= maxLayer <= 1000, distinct x.y.z library versions"
  })
)

/** JSON text (a `dataJSON` payload). */
const JsonText = Schema.String.check(
  Schema.makeFilter(
    (s) => {
      try {
        JSON.parse(s)
        return true
      } catch {
        return false
      }
    },
    { message: "Expected valid JSON text" }
  )
)

const bytesOfLength = (n: number, what: string) =>
  Bytes.check(Schema.isBetweenLength(n, n, { message: `Expected ${what}: exactly ${n} bytes` }))

/**
 * A DH public value as TL `bytes`: an unsigned big-endian number of at most 256 significant
 * bytes. Official clients send the minimal encoding (255 bytes or fewer in about 0.5% of
 * calls) and Android may send 256 bytes with a leading zero, so any length from 1 to 257
 * (a leading zero before 256 bytes) is accepted here; the range check is `@tgphone/crypto`'s.
 */
const publicValue = (what: string) =>
  Bytes.check(Schema.isBetweenLength(1, 257, { message: `Expected ${what}: 1 to 256 significant bytes` }))

const NonNegativeInt32 = Int32.check(Schema.isGreaterThanOrEqualTo(0))
const flag = Schema.optionalKey(Schema.Boolean)

// ---------------------------------------------------------------------------------------------
// The runner every method goes through
// ---------------------------------------------------------------------------------------------

type Rpc = TelegramRpc["Service"]
type Method = MethodName & CatalogMethod
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

const resolveUser = (rpc: Rpc, ref: typeof UserRef.Type): Effect.Effect<InputUser, ResolveFailure> =>
  typeof ref === "object" ? Effect.succeed(ref) : rpc.resolveUser(ref)

const decodeOptions = { errors: "first" } as const

/** Where a method is defined (the line that called `make`), read only if a failure is rendered. */
const definitionSite = (): (() => string | undefined) => {
  const limit = Error.stackTraceLimit
  if (limit === 0) return () => undefined
  // frames: this function, `methodSpan`, `make`, then the line defining the method
  Error.stackTraceLimit = 4
  const error = new Error()
  Error.stackTraceLimit = limit
  let line: string | undefined
  return () => (line ??= error.stack?.split("\n")[4]?.trim())
}

/**
 * What `Effect.withSpan(method, options)` does, in one fiber-context update instead of two:
 * the span (kind `client`, named after the TL method) becomes the parent of everything inside,
 * and the stack frame Effect renders in failures names the method and where it is defined.
 */
const methodSpan = (method: string) => {
  const options = { kind: "client", attributes: { "rpc.system": "telegram", "rpc.method": method } } as const
  const stack = definitionSite()
  return <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.useSpan(method, options, (span) =>
      Effect.updateContext(effect, (context: Context.Context<R>) =>
        Context.add(Context.add(context, Tracer.ParentSpan, span), References.CurrentStackFrame, {
          name: method,
          stack,
          parent: Context.get(context, References.CurrentStackFrame)
        })
      )
    )
}

/**
 * One function per method. Everything that does not depend on the input is built here, once
 * per method: the input decoder, the span wrapper (Effect captures the span's stack trace
 * when the wrapper is made) and the error classifier. A call is then one span around one
 * service lookup, a synchronous input check, `build` and the request.
 */
const make = <M extends Method, S extends InputSchema>(
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
  const span = methodSpan(method)
  const forbiddenForBots = usersOnly[method]
  const info = registry[method]
  // the first layer Telegram gave the method when the catalog knows it, else the shipped schemas
  const lacks = (layer: number): boolean =>
    info.firstLayer !== undefined
      ? layer < info.firstLayer
      : (info.layers as Readonly<Record<number, unknown>>)[layerFor(layer)] === undefined
  const classify = (error: RpcFailure): PhoneError<M> => fromRpcFailure(method, error)
  const send = (rpc: Rpc, params: MethodParams<M>): Effect.Effect<MethodResult<M>, PhoneError<M>> =>
    Effect.mapError(rpc.invoke(method, params), classify)
  const run = (rpc: Rpc, input: unknown): Effect.Effect<MethodResult<M>, PhoneError<M>> => {
    if (forbiddenForBots && rpc.account.isBot) return Effect.fail(botMethodForbidden(method))
    if (lacks(rpc.layer))
      return Effect.fail(new MethodNotInLayer({ method, layer: rpc.layer, firstLayer: info.firstLayer }))
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

// ---------------------------------------------------------------------------------------------
// 1:1 calls
// ---------------------------------------------------------------------------------------------

/**
 * Input of `getDhConfig`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const GetDhConfigInput = Schema.Struct({
  /** The `version` of the DH config you have cached; 0 (the default) for none. */
  version: Schema.optionalKey(NonNegativeInt32),
  /** How many random bytes the server should add (default 256, the size of a 2048-bit exponent). */
  randomLength: Schema.optionalKey(NonNegativeInt32)
})
/**
 * The input `GetDhConfigInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type GetDhConfigInput = typeof GetDhConfigInput.Encoded

/**
 * `messages.getDhConfig`: the Diffie–Hellman group for 1:1 calls (or "not modified" when
 * `version` is current) plus `randomLength` fresh random bytes from the server.
 * User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const getDhConfig: (
  input?: GetDhConfigInput
) => Effect.Effect<MethodResult<"messages.getDhConfig">, PhoneError<"messages.getDhConfig">, TelegramRpc> = (
  input = {}
) => getDhConfigImpl(input)
const getDhConfigImpl = make("messages.getDhConfig", GetDhConfigInput, (i) =>
  Effect.succeed({ version: i.version ?? 0, randomLength: i.randomLength ?? 256 })
)

/**
 * `phone.getCallConfig`: the server's call configuration (JSON text: timeouts and libtgvoip
 * settings). Deprecated by Telegram but still served. User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const getCallConfig: () => Effect.Effect<
  MethodResult<"phone.getCallConfig">,
  PhoneError<"phone.getCallConfig">,
  TelegramRpc
> = () => getCallConfigImpl({})
const getCallConfigImpl = make("phone.getCallConfig", Schema.Struct({}), () => Effect.succeed({}))

/**
 * Input of `requestCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const RequestCallInput = Schema.Struct({
  /** Whom to call: a user id, `@username`, `+phone` or `InputUser`. */
  userId: UserRef,
  /** A random 32-bit integer identifying this request (a retry needs a new one). */
  randomId: Int32,
  /** `SHA-256(g_a)`: exactly 32 bytes. */
  gAHash: bytesOfLength(32, "SHA-256(g_a)"),
  /** What this client speaks. */
  protocol: ProtocolInput,
  /** Start with video (default `false`). */
  video: flag,
  /** The conference this call belongs to (layer-198 draft API). */
  conferenceCall: Schema.optionalKey(GroupCallRef)
})
/**
 * The input `RequestCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type RequestCallInput = typeof RequestCallInput.Encoded

/**
 * `phone.requestCall`: start a 1:1 call (the caller's first step; the callee sees a
 * `PhoneCallRequested`). User accounts only.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Phone } from "@tgphone/core"
 *
 * declare const gAHash: Uint8Array
 * const call = Phone.requestCall({
 *   userId: "@alice",
 *   randomId: 42,
 *   gAHash,
 *   protocol: { udpP2p: true, udpReflector: true, minLayer: 65, maxLayer: 92, libraryVersions: ["4.0.0"] }
 * }).pipe(Effect.catchTag("UserPrivacyRestricted", () => Effect.succeed(undefined)))
 * ```
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const requestCall = make("phone.requestCall", RequestCallInput, (i, rpc) =>
  Effect.map(resolveUser(rpc, i.userId), (userId) => ({
    video: i.video ?? false,
    userId,
    randomId: i.randomId,
    gAHash: i.gAHash,
    protocol: i.protocol,
    ...(i.conferenceCall === undefined ? {} : { conferenceCall: i.conferenceCall })
  }))
)

/**
 * Input of `acceptCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const AcceptCallInput = Schema.Struct({
  /** The incoming call. */
  peer: PhoneCallRef,
  /** The callee's public value `g_b`, big-endian (the minimal encoding, as official clients send). */
  gB: publicValue("g_b as a big-endian number"),
  /** What this client speaks. */
  protocol: ProtocolInput
})
/**
 * The input `AcceptCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type AcceptCallInput = typeof AcceptCallInput.Encoded

/**
 * `phone.acceptCall`: the callee accepts an incoming call with its `g_b`. User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const acceptCall = make("phone.acceptCall", AcceptCallInput, (i) =>
  Effect.succeed({ peer: i.peer, gB: i.gB, protocol: i.protocol })
)

/**
 * Input of `confirmCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ConfirmCallInput = Schema.Struct({
  /** The outgoing call. */
  peer: PhoneCallRef,
  /** The caller's public value `g_a`, big-endian (the minimal encoding, as official clients send). */
  gA: publicValue("g_a as a big-endian number"),
  /** The fingerprint of the shared key (a signed 64-bit integer). */
  keyFingerprint: Long,
  /** What this client speaks. */
  protocol: ProtocolInput
})
/**
 * The input `ConfirmCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type ConfirmCallInput = typeof ConfirmCallInput.Encoded

/**
 * `phone.confirmCall`: the caller completes the key exchange with `g_a` and the key
 * fingerprint. User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const confirmCall = make("phone.confirmCall", ConfirmCallInput, (i) =>
  Effect.succeed({ peer: i.peer, gA: i.gA, keyFingerprint: i.keyFingerprint, protocol: i.protocol })
)

/**
 * Input of `receivedCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ReceivedCallInput = Schema.Struct({
  /** The incoming call. */
  peer: PhoneCallRef
})
/**
 * The input `ReceivedCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type ReceivedCallInput = typeof ReceivedCallInput.Encoded

/**
 * `phone.receivedCall`: tell the server this device is ringing for the incoming call (the
 * caller then sees `receiveDate`). User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const receivedCall = make("phone.receivedCall", ReceivedCallInput, (i) =>
  Effect.succeed({ peer: i.peer })
)

const DiscardReasonInput = Schema.Union([
  Schema.Literals(["Missed", "Disconnect", "Hangup", "Busy"]),
  DiscardReason
])

/**
 * Input of `discardCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const DiscardCallInput = Schema.Struct({
  /** The call to end or refuse. */
  peer: PhoneCallRef,
  /** Why: `"Missed"`, `"Disconnect"`, `"Hangup"`, `"Busy"`, or a `DiscardReason` value. */
  reason: DiscardReasonInput,
  /** How long the call lasted, in seconds (default 0). */
  duration: Schema.optionalKey(NonNegativeInt32),
  /** The id of the connection that was in use (default 0). */
  connectionId: Schema.optionalKey(Long),
  /** Whether it was a video call (default `false`). */
  video: flag
})
/**
 * The input `DiscardCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type DiscardCallInput = typeof DiscardCallInput.Encoded

/**
 * `phone.discardCall`: refuse or end a call. User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const discardCall = make("phone.discardCall", DiscardCallInput, (i) =>
  Effect.succeed({
    video: i.video ?? false,
    peer: i.peer,
    duration: i.duration ?? 0,
    reason: typeof i.reason === "string" ? DiscardReason.make({ _tag: i.reason }) : i.reason,
    connectionId: i.connectionId ?? 0n
  })
)

/**
 * Input of `setCallRating`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const SetCallRatingInput = Schema.Struct({
  /** The finished call. */
  peer: PhoneCallRef,
  /** 1 (worst) to 5 (best). */
  rating: Schema.Int.check(
    Schema.isBetween({ minimum: 1, maximum: 5 }, { message: "Expected an integer from 1 to 5" })
  ),
  /** Free text (default empty). */
  comment: Schema.optionalKey(Schema.String),
  /** Whether the user rated on their own, not because the app asked (default `false`). */
  userInitiative: flag
})
/**
 * The input `SetCallRatingInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type SetCallRatingInput = typeof SetCallRatingInput.Encoded

/**
 * `phone.setCallRating`: rate a finished call (sent to Telegram's VoIP bot). User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const setCallRating = make("phone.setCallRating", SetCallRatingInput, (i) =>
  Effect.succeed({
    userInitiative: i.userInitiative ?? false,
    peer: i.peer,
    rating: i.rating,
    comment: i.comment ?? ""
  })
)

/**
 * Input of `saveCallDebug`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const SaveCallDebugInput = Schema.Struct({
  /** The call. */
  peer: PhoneCallRef,
  /** The debug data, as JSON text. */
  debug: JsonText
})
/**
 * The input `SaveCallDebugInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type SaveCallDebugInput = typeof SaveCallDebugInput.Encoded

/**
 * `phone.saveCallDebug`: send a call's debug data (JSON) to Telegram. User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const saveCallDebug = make("phone.saveCallDebug", SaveCallDebugInput, (i) =>
  Effect.succeed({ peer: i.peer, debug: new DataJson({ data: i.debug }) })
)

/**
 * Input of `sendSignalingData`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const SendSignalingDataInput = Schema.Struct({
  /** The active call. */
  peer: PhoneCallRef,
  /** The signalling payload (not empty). */
  data: Bytes.check(Schema.isMinLength(1))
})
/**
 * The input `SendSignalingDataInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type SendSignalingDataInput = typeof SendSignalingDataInput.Encoded

/**
 * `phone.sendSignalingData`: send signalling data (tgcalls) to the other side of an active
 * call. User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const sendSignalingData = make("phone.sendSignalingData", SendSignalingDataInput, (i) =>
  Effect.succeed({ peer: i.peer, data: i.data })
)

/**
 * Input of `saveCallLog`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const SaveCallLogInput = Schema.Struct({
  /** The call. */
  peer: PhoneCallRef,
  /** The log, uploaded beforehand with `upload.saveFilePart`. */
  file: InputFile
})
/**
 * The input `SaveCallLogInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type SaveCallLogInput = typeof SaveCallLogInput.Encoded

/**
 * `phone.saveCallLog`: send a libtgvoip call log file (deprecated by Telegram). User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const saveCallLog = make("phone.saveCallLog", SaveCallLogInput, (i) =>
  Effect.succeed({ peer: i.peer, file: i.file })
)

/**
 * Input of `createConferenceCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const CreateConferenceCallInput = Schema.Struct({
  /** The 1:1 call to turn into a conference. */
  peer: PhoneCallRef,
  /** The fingerprint of the call's key. */
  keyFingerprint: Long
})
/**
 * The input `CreateConferenceCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type CreateConferenceCallInput = typeof CreateConferenceCallInput.Encoded

/**
 * `phone.createConferenceCall` (layer-198 draft form, undocumented by Telegram): turn a 1:1
 * call into a conference. User accounts only.
 *
 * @since 0.1.0
 * @category 1:1 calls
 */
export const createConferenceCall = make("phone.createConferenceCall", CreateConferenceCallInput, (i) =>
  Effect.succeed({ peer: i.peer, keyFingerprint: i.keyFingerprint })
)

// ---------------------------------------------------------------------------------------------
// Group calls (video chats, livestreams)
// ---------------------------------------------------------------------------------------------

const CallOnlyInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef
})

/**
 * Input of the methods that take only a group call (`discardGroupCall`,
 * `startScheduledGroupCall`, `leaveGroupCallPresentation`, `getGroupCallStreamChannels`).
 *
 * @since 0.1.0
 * @category inputs
 */
export type CallOnlyInput = typeof CallOnlyInput.Encoded

/**
 * Input of `createGroupCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const CreateGroupCallInput = Schema.Struct({
  /** The group or channel. */
  peer: InputPeer,
  /** A random 32-bit integer identifying this request. */
  randomId: Int32,
  /** A title. */
  title: Schema.optionalKey(Schema.String),
  /** Schedule it for this Unix time instead of starting now. */
  scheduleDate: Schema.optionalKey(Int32),
  /** An RTMP livestream (default `false`). */
  rtmpStream: flag
})
/**
 * The input `CreateGroupCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type CreateGroupCallInput = typeof CreateGroupCallInput.Encoded

/**
 * `phone.createGroupCall`: start (or schedule) a video chat or livestream. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const createGroupCall = make("phone.createGroupCall", CreateGroupCallInput, (i) =>
  Effect.succeed({
    rtmpStream: i.rtmpStream ?? false,
    peer: i.peer,
    randomId: i.randomId,
    ...(i.title === undefined ? {} : { title: i.title }),
    ...(i.scheduleDate === undefined ? {} : { scheduleDate: i.scheduleDate })
  })
)

/**
 * Input of `joinGroupCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const JoinGroupCallInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** Join as this peer (yourself, or a channel you own). */
  joinAs: InputPeer,
  /** The WebRTC join parameters, as JSON text. */
  params: JsonText,
  /** Join muted (default `false`). */
  muted: flag,
  /** Join with video off (default `false`). */
  videoStopped: flag,
  /** The invite hash of a link, to join as a speaker. */
  inviteHash: Schema.optionalKey(Schema.String),
  /** The conference key fingerprint (layer-198 draft API). */
  keyFingerprint: Schema.optionalKey(Long)
})
/**
 * The input `JoinGroupCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type JoinGroupCallInput = typeof JoinGroupCallInput.Encoded

/**
 * `phone.joinGroupCall`: join a group call. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const joinGroupCall = make("phone.joinGroupCall", JoinGroupCallInput, (i) =>
  Effect.succeed({
    muted: i.muted ?? false,
    videoStopped: i.videoStopped ?? false,
    call: i.call,
    joinAs: i.joinAs,
    params: new DataJson({ data: i.params }),
    ...(i.inviteHash === undefined ? {} : { inviteHash: i.inviteHash }),
    ...(i.keyFingerprint === undefined ? {} : { keyFingerprint: i.keyFingerprint })
  })
)

/**
 * Input of `leaveGroupCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const LeaveGroupCallInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** Your audio source id (SSRC). */
  source: Int32
})
/**
 * The input `LeaveGroupCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type LeaveGroupCallInput = typeof LeaveGroupCallInput.Encoded

/**
 * `phone.leaveGroupCall`: leave a group call without ending it. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const leaveGroupCall = make("phone.leaveGroupCall", LeaveGroupCallInput, (i) =>
  Effect.succeed({ call: i.call, source: i.source })
)

/**
 * Input of `inviteToGroupCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const InviteToGroupCallInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** Whom to invite (at least one): user ids, usernames, phone numbers or `InputUser`s. */
  users: Schema.Array(UserRef).check(Schema.isMinLength(1))
})
/**
 * The input `InviteToGroupCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type InviteToGroupCallInput = typeof InviteToGroupCallInput.Encoded

/**
 * `phone.inviteToGroupCall`: invite users to a video chat. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const inviteToGroupCall = make("phone.inviteToGroupCall", InviteToGroupCallInput, (i, rpc) =>
  Effect.map(
    Effect.forEach(i.users, (ref) => resolveUser(rpc, ref)),
    (users) => ({ call: i.call, users })
  )
)

/**
 * `phone.discardGroupCall`: end a group call for everyone. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const discardGroupCall = make("phone.discardGroupCall", CallOnlyInput, (i) =>
  Effect.succeed({ call: i.call })
)

/**
 * Input of `toggleGroupCallSettings`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ToggleGroupCallSettingsInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** Whether new participants join muted (unchanged when absent). */
  joinMuted: flag,
  /** Invalidate the current invite links (default `false`). */
  resetInviteHash: flag
})
/**
 * The input `ToggleGroupCallSettingsInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type ToggleGroupCallSettingsInput = typeof ToggleGroupCallSettingsInput.Encoded

/**
 * `phone.toggleGroupCallSettings`: change a group call's settings. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const toggleGroupCallSettings = make(
  "phone.toggleGroupCallSettings",
  ToggleGroupCallSettingsInput,
  (i) =>
    Effect.succeed({
      resetInviteHash: i.resetInviteHash ?? false,
      call: i.call,
      ...(i.joinMuted === undefined ? {} : { joinMuted: i.joinMuted })
    })
)

const Limit = Int32.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * Input of `getGroupCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const GetGroupCallInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** At most this many participants in the answer. */
  limit: Limit
})
/**
 * The input `GetGroupCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type GetGroupCallInput = typeof GetGroupCallInput.Encoded

/**
 * `phone.getGroupCall`: a group call and its first participants. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const getGroupCall = make("phone.getGroupCall", GetGroupCallInput, (i) =>
  Effect.succeed({ call: i.call, limit: i.limit })
)

/**
 * Input of `getGroupParticipants`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const GetGroupParticipantsInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** Only these participants (default: all). */
  ids: Schema.optionalKey(Schema.Array(InputPeer)),
  /** Only the participants with these source ids (default: all). */
  sources: Schema.optionalKey(Schema.Array(Int32)),
  /** The `nextOffset` of the previous page (default: the first page). */
  offset: Schema.optionalKey(Schema.String),
  /** At most this many participants. */
  limit: Limit
})
/**
 * The input `GetGroupParticipantsInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type GetGroupParticipantsInput = typeof GetGroupParticipantsInput.Encoded

/**
 * `phone.getGroupParticipants`: a page of a group call's participants. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const getGroupParticipants = make("phone.getGroupParticipants", GetGroupParticipantsInput, (i) =>
  Effect.succeed({
    call: i.call,
    ids: i.ids ?? [],
    sources: i.sources ?? [],
    offset: i.offset ?? "",
    limit: i.limit
  })
)

/**
 * Input of `checkGroupCall`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const CheckGroupCallInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** The source ids to check. */
  sources: Schema.Array(Int32)
})
/**
 * The input `CheckGroupCallInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type CheckGroupCallInput = typeof CheckGroupCallInput.Encoded

/**
 * `phone.checkGroupCall`: which of these source ids the server still counts as joined.
 * User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const checkGroupCall = make("phone.checkGroupCall", CheckGroupCallInput, (i) =>
  Effect.succeed({ call: i.call, sources: i.sources })
)

/**
 * Input of `toggleGroupCallRecord`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ToggleGroupCallRecordInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** `true` to start recording, `false` to stop. */
  start: Schema.Boolean,
  /** The recording's title. */
  title: Schema.optionalKey(Schema.String),
  /** Record video too, in this orientation (default: audio only). */
  video: Schema.optionalKey(Schema.Literals(["portrait", "landscape"]))
})
/**
 * The input `ToggleGroupCallRecordInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type ToggleGroupCallRecordInput = typeof ToggleGroupCallRecordInput.Encoded

/**
 * `phone.toggleGroupCallRecord`: start or stop recording a group call. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const toggleGroupCallRecord = make("phone.toggleGroupCallRecord", ToggleGroupCallRecordInput, (i) =>
  Effect.succeed({
    start: i.start,
    video: i.video !== undefined,
    call: i.call,
    ...(i.title === undefined ? {} : { title: i.title }),
    ...(i.video === undefined ? {} : { videoPortrait: i.video === "portrait" })
  })
)

/**
 * Input of `editGroupCallParticipant`. Fields left out are not changed.
 *
 * @since 0.1.0
 * @category inputs
 */
export const EditGroupCallParticipantInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** The participant (yourself or, as an admin, someone else). */
  participant: InputPeer,
  muted: flag,
  /** The participant's volume for you (10000 = 100%). */
  volume: Schema.optionalKey(Int32.check(Schema.isGreaterThanOrEqualTo(1))),
  raiseHand: flag,
  videoStopped: flag,
  videoPaused: flag,
  presentationPaused: flag
})
/**
 * The input `EditGroupCallParticipantInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type EditGroupCallParticipantInput = typeof EditGroupCallParticipantInput.Encoded

/**
 * `phone.editGroupCallParticipant`: mute, set volume, raise a hand, pause video… User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const editGroupCallParticipant = make(
  "phone.editGroupCallParticipant",
  EditGroupCallParticipantInput,
  (i) =>
    Effect.succeed({
      call: i.call,
      participant: i.participant,
      ...(i.muted === undefined ? {} : { muted: i.muted }),
      ...(i.volume === undefined ? {} : { volume: i.volume }),
      ...(i.raiseHand === undefined ? {} : { raiseHand: i.raiseHand }),
      ...(i.videoStopped === undefined ? {} : { videoStopped: i.videoStopped }),
      ...(i.videoPaused === undefined ? {} : { videoPaused: i.videoPaused }),
      ...(i.presentationPaused === undefined ? {} : { presentationPaused: i.presentationPaused })
    })
)

/**
 * Input of `editGroupCallTitle`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const EditGroupCallTitleInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** The new title. */
  title: Schema.String
})
/**
 * The input `EditGroupCallTitleInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type EditGroupCallTitleInput = typeof EditGroupCallTitleInput.Encoded

/**
 * `phone.editGroupCallTitle`: rename a group call. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const editGroupCallTitle = make("phone.editGroupCallTitle", EditGroupCallTitleInput, (i) =>
  Effect.succeed({ call: i.call, title: i.title })
)

/**
 * Input of `getGroupCallJoinAs`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const GetGroupCallJoinAsInput = Schema.Struct({
  /** The group or channel. */
  peer: InputPeer
})
/**
 * The input `GetGroupCallJoinAsInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type GetGroupCallJoinAsInput = typeof GetGroupCallJoinAsInput.Encoded

/**
 * `phone.getGroupCallJoinAs`: the peers you can join this chat's video chat as. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const getGroupCallJoinAs = make("phone.getGroupCallJoinAs", GetGroupCallJoinAsInput, (i) =>
  Effect.succeed({ peer: i.peer })
)

/**
 * Input of `exportGroupCallInvite`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ExportGroupCallInviteInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** A link that lets people join as speakers (default `false`). */
  canSelfUnmute: flag
})
/**
 * The input `ExportGroupCallInviteInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type ExportGroupCallInviteInput = typeof ExportGroupCallInviteInput.Encoded

/**
 * `phone.exportGroupCallInvite`: an invite link for a public video chat. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const exportGroupCallInvite = make("phone.exportGroupCallInvite", ExportGroupCallInviteInput, (i) =>
  Effect.succeed({ canSelfUnmute: i.canSelfUnmute ?? false, call: i.call })
)

/**
 * Input of `toggleGroupCallStartSubscription`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ToggleGroupCallStartSubscriptionInput = Schema.Struct({
  /** The scheduled group call. */
  call: GroupCallRef,
  /** Be notified when it starts. */
  subscribed: Schema.Boolean
})
/**
 * The input `ToggleGroupCallStartSubscriptionInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type ToggleGroupCallStartSubscriptionInput = typeof ToggleGroupCallStartSubscriptionInput.Encoded

/**
 * `phone.toggleGroupCallStartSubscription`: (un)subscribe to a scheduled group call's start.
 * User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const toggleGroupCallStartSubscription = make(
  "phone.toggleGroupCallStartSubscription",
  ToggleGroupCallStartSubscriptionInput,
  (i) => Effect.succeed({ call: i.call, subscribed: i.subscribed })
)

/**
 * `phone.startScheduledGroupCall`: start a scheduled group call now. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const startScheduledGroupCall = make("phone.startScheduledGroupCall", CallOnlyInput, (i) =>
  Effect.succeed({ call: i.call })
)

/**
 * Input of `saveDefaultGroupCallJoinAs`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const SaveDefaultGroupCallJoinAsInput = Schema.Struct({
  /** The group or channel. */
  peer: InputPeer,
  /** The peer to join its video chats as by default. */
  joinAs: InputPeer
})
/**
 * The input `SaveDefaultGroupCallJoinAsInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type SaveDefaultGroupCallJoinAsInput = typeof SaveDefaultGroupCallJoinAsInput.Encoded

/**
 * `phone.saveDefaultGroupCallJoinAs`: set the default join-as peer for a chat. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const saveDefaultGroupCallJoinAs = make(
  "phone.saveDefaultGroupCallJoinAs",
  SaveDefaultGroupCallJoinAsInput,
  (i) => Effect.succeed({ peer: i.peer, joinAs: i.joinAs })
)

/**
 * Input of `joinGroupCallPresentation`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const JoinGroupCallPresentationInput = Schema.Struct({
  /** The group call. */
  call: GroupCallRef,
  /** The WebRTC parameters of the screen-sharing stream, as JSON text. */
  params: JsonText
})
/**
 * The input `JoinGroupCallPresentationInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type JoinGroupCallPresentationInput = typeof JoinGroupCallPresentationInput.Encoded

/**
 * `phone.joinGroupCallPresentation`: start screen sharing. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const joinGroupCallPresentation = make(
  "phone.joinGroupCallPresentation",
  JoinGroupCallPresentationInput,
  (i) => Effect.succeed({ call: i.call, params: new DataJson({ data: i.params }) })
)

/**
 * `phone.leaveGroupCallPresentation`: stop screen sharing. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const leaveGroupCallPresentation = make("phone.leaveGroupCallPresentation", CallOnlyInput, (i) =>
  Effect.succeed({ call: i.call })
)

/**
 * `phone.getGroupCallStreamChannels`: the stream channels of an RTMP video chat or livestream.
 * User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const getGroupCallStreamChannels = make("phone.getGroupCallStreamChannels", CallOnlyInput, (i) =>
  Effect.succeed({ call: i.call })
)

/**
 * Input of `getGroupCallStreamRtmpUrl`.
 *
 * @since 0.1.0
 * @category inputs
 */
export const GetGroupCallStreamRtmpUrlInput = Schema.Struct({
  /** The group or channel. */
  peer: InputPeer,
  /** Revoke the previous stream key (default `false`). */
  revoke: flag
})
/**
 * The input `GetGroupCallStreamRtmpUrlInput` accepts (the encoded side of its Schema).
 *
 * @since 0.1.0
 * @category inputs
 */
export type GetGroupCallStreamRtmpUrlInput = typeof GetGroupCallStreamRtmpUrlInput.Encoded

/**
 * `phone.getGroupCallStreamRtmpUrl`: the RTMP URL and stream key for a livestream. User accounts only.
 *
 * @since 0.1.0
 * @category group calls
 */
export const getGroupCallStreamRtmpUrl = make(
  "phone.getGroupCallStreamRtmpUrl",
  GetGroupCallStreamRtmpUrlInput,
  (i) => Effect.succeed({ peer: i.peer, revoke: i.revoke ?? false })
)

/**
 * The input schema of every function, keyed by TL method (for tooling: the reference docs are
 * generated from it).
 *
 * @since 0.1.0
 * @category inputs
 */
export const inputs: { readonly [M in Method]: Schema.Top } = {
  "messages.getDhConfig": GetDhConfigInput,
  "phone.getCallConfig": Schema.Struct({}),
  "phone.requestCall": RequestCallInput,
  "phone.acceptCall": AcceptCallInput,
  "phone.confirmCall": ConfirmCallInput,
  "phone.receivedCall": ReceivedCallInput,
  "phone.discardCall": DiscardCallInput,
  "phone.setCallRating": SetCallRatingInput,
  "phone.saveCallDebug": SaveCallDebugInput,
  "phone.sendSignalingData": SendSignalingDataInput,
  "phone.createGroupCall": CreateGroupCallInput,
  "phone.joinGroupCall": JoinGroupCallInput,
  "phone.leaveGroupCall": LeaveGroupCallInput,
  "phone.inviteToGroupCall": InviteToGroupCallInput,
  "phone.discardGroupCall": CallOnlyInput,
  "phone.toggleGroupCallSettings": ToggleGroupCallSettingsInput,
  "phone.getGroupCall": GetGroupCallInput,
  "phone.getGroupParticipants": GetGroupParticipantsInput,
  "phone.checkGroupCall": CheckGroupCallInput,
  "phone.toggleGroupCallRecord": ToggleGroupCallRecordInput,
  "phone.editGroupCallParticipant": EditGroupCallParticipantInput,
  "phone.editGroupCallTitle": EditGroupCallTitleInput,
  "phone.getGroupCallJoinAs": GetGroupCallJoinAsInput,
  "phone.exportGroupCallInvite": ExportGroupCallInviteInput,
  "phone.toggleGroupCallStartSubscription": ToggleGroupCallStartSubscriptionInput,
  "phone.startScheduledGroupCall": CallOnlyInput,
  "phone.saveDefaultGroupCallJoinAs": SaveDefaultGroupCallJoinAsInput,
  "phone.joinGroupCallPresentation": JoinGroupCallPresentationInput,
  "phone.leaveGroupCallPresentation": CallOnlyInput,
  "phone.getGroupCallStreamChannels": CallOnlyInput,
  "phone.getGroupCallStreamRtmpUrl": GetGroupCallStreamRtmpUrlInput,
  "phone.saveCallLog": SaveCallLogInput,
  "phone.createConferenceCall": CreateConferenceCallInput
}
