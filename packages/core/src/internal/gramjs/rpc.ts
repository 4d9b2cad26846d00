/**
 * Request and result codecs for every method of the registry, both directions, plus the
 * serialisation helpers a server needs (`serializeResult`) and their client-side twins
 * (`readResult`). Every public function returns a `Result`: no exception escapes.
 */
import { Result, Schema } from "effect"
import { Api } from "telegram"
import { BinaryReader } from "telegram/extensions/index.js"
import type * as Model from "../../Model.js"
import { type MethodName, type MethodParams, type MethodResult, RpcMethods } from "../../RpcMethods.js"
import * as C from "./codec.js"

const { req, opt, flag, long, int, string, bool, bytes, vector } = C.fields
const { encodeFields, decodeFields } = C.internals

/**
 * A request the backend received that the registry does not carry.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedRequest extends Schema.TaggedError<UnsupportedRequest>()("UnsupportedRequest", {
  className: Schema.String
}) {
  override get message(): string {
    return `unsupported request: ${this.className}`
  }
}

interface RequestClass {
  readonly className: string
  new (args: never): object
}

/** GramJS declares `readResult` static, but at run time it is an instance method reading only its closure. */
interface ResultReader {
  readResult(reader: unknown): unknown
}

interface MethodCodec<M extends MethodName> {
  readonly request: RequestClass
  readonly fields: Readonly<Record<string, ReturnType<typeof req>>>
  readonly result: C.Codec<MethodResult<M>>
}

const call = req(C.inputGroupCall)
const peer = req(C.inputPeer)
const phoneCallPeer = req(C.inputPhoneCall)

const table: { readonly [M in MethodName]: MethodCodec<M> } = {
  "messages.getDhConfig": {
    request: Api.messages.GetDhConfig,
    fields: { version: req(int), randomLength: req(int) },
    result: C.dhConfig
  },
  "phone.getCallConfig": { request: Api.phone.GetCallConfig, fields: {}, result: C.dataJson },
  "phone.requestCall": {
    request: Api.phone.RequestCall,
    fields: {
      video: flag,
      userId: req(C.inputUser),
      conferenceCall: opt(C.inputGroupCall),
      randomId: req(int),
      gAHash: req(bytes),
      protocol: req(C.protocol)
    },
    result: C.phonePhoneCall
  },
  "phone.acceptCall": {
    request: Api.phone.AcceptCall,
    fields: { peer: phoneCallPeer, gB: req(bytes), protocol: req(C.protocol) },
    result: C.phonePhoneCall
  },
  "phone.confirmCall": {
    request: Api.phone.ConfirmCall,
    fields: { peer: phoneCallPeer, gA: req(bytes), keyFingerprint: req(long), protocol: req(C.protocol) },
    result: C.phonePhoneCall
  },
  "phone.receivedCall": { request: Api.phone.ReceivedCall, fields: { peer: phoneCallPeer }, result: bool },
  "phone.discardCall": {
    request: Api.phone.DiscardCall,
    fields: {
      video: flag,
      peer: phoneCallPeer,
      duration: req(int),
      reason: req(C.discardReason),
      connectionId: req(long)
    },
    result: C.updates
  },
  "phone.setCallRating": {
    request: Api.phone.SetCallRating,
    fields: { userInitiative: flag, peer: phoneCallPeer, rating: req(int), comment: req(string) },
    result: C.updates
  },
  "phone.saveCallDebug": {
    request: Api.phone.SaveCallDebug,
    fields: { peer: phoneCallPeer, debug: req(C.dataJson) },
    result: bool
  },
  "phone.sendSignalingData": {
    request: Api.phone.SendSignalingData,
    fields: { peer: phoneCallPeer, data: req(bytes) },
    result: bool
  },
  "phone.createGroupCall": {
    request: Api.phone.CreateGroupCall,
    fields: { rtmpStream: flag, peer, randomId: req(int), title: opt(string), scheduleDate: opt(int) },
    result: C.updates
  },
  "phone.joinGroupCall": {
    request: Api.phone.JoinGroupCall,
    fields: {
      muted: flag,
      videoStopped: flag,
      call,
      joinAs: peer,
      inviteHash: opt(string),
      keyFingerprint: opt(long),
      params: req(C.dataJson)
    },
    result: C.updates
  },
  "phone.leaveGroupCall": {
    request: Api.phone.LeaveGroupCall,
    fields: { call, source: req(int) },
    result: C.updates
  },
  "phone.inviteToGroupCall": {
    request: Api.phone.InviteToGroupCall,
    fields: { call, users: req(vector(C.inputUser)) },
    result: C.updates
  },
  "phone.discardGroupCall": { request: Api.phone.DiscardGroupCall, fields: { call }, result: C.updates },
  "phone.toggleGroupCallSettings": {
    request: Api.phone.ToggleGroupCallSettings,
    fields: { resetInviteHash: flag, call, joinMuted: opt(bool) },
    result: C.updates
  },
  "phone.getGroupCall": {
    request: Api.phone.GetGroupCall,
    fields: { call, limit: req(int) },
    result: C.phoneGroupCall
  },
  "phone.getGroupParticipants": {
    request: Api.phone.GetGroupParticipants,
    fields: {
      call,
      ids: req(vector(C.inputPeer)),
      sources: req(vector(int)),
      offset: req(string),
      limit: req(int)
    },
    result: C.phoneGroupParticipants
  },
  "phone.checkGroupCall": {
    request: Api.phone.CheckGroupCall,
    fields: { call, sources: req(vector(int)) },
    result: vector(int)
  },
  "phone.toggleGroupCallRecord": {
    request: Api.phone.ToggleGroupCallRecord,
    fields: { start: flag, video: flag, call, title: opt(string), videoPortrait: opt(bool) },
    result: C.updates
  },
  "phone.editGroupCallParticipant": {
    request: Api.phone.EditGroupCallParticipant,
    fields: {
      call,
      participant: peer,
      muted: opt(bool),
      volume: opt(int),
      raiseHand: opt(bool),
      videoStopped: opt(bool),
      videoPaused: opt(bool),
      presentationPaused: opt(bool)
    },
    result: C.updates
  },
  "phone.editGroupCallTitle": {
    request: Api.phone.EditGroupCallTitle,
    fields: { call, title: req(string) },
    result: C.updates
  },
  "phone.getGroupCallJoinAs": {
    request: Api.phone.GetGroupCallJoinAs,
    fields: { peer },
    result: C.phoneJoinAsPeers
  },
  "phone.exportGroupCallInvite": {
    request: Api.phone.ExportGroupCallInvite,
    fields: { canSelfUnmute: flag, call },
    result: C.exportedGroupCallInvite
  },
  "phone.toggleGroupCallStartSubscription": {
    request: Api.phone.ToggleGroupCallStartSubscription,
    fields: { call, subscribed: req(bool) },
    result: C.updates
  },
  "phone.startScheduledGroupCall": {
    request: Api.phone.StartScheduledGroupCall,
    fields: { call },
    result: C.updates
  },
  "phone.saveDefaultGroupCallJoinAs": {
    request: Api.phone.SaveDefaultGroupCallJoinAs,
    fields: { peer, joinAs: peer },
    result: bool
  },
  "phone.joinGroupCallPresentation": {
    request: Api.phone.JoinGroupCallPresentation,
    fields: { call, params: req(C.dataJson) },
    result: C.updates
  },
  "phone.leaveGroupCallPresentation": {
    request: Api.phone.LeaveGroupCallPresentation,
    fields: { call },
    result: C.updates
  },
  "phone.getGroupCallStreamChannels": {
    request: Api.phone.GetGroupCallStreamChannels,
    fields: { call },
    result: C.streamChannels
  },
  "phone.getGroupCallStreamRtmpUrl": {
    request: Api.phone.GetGroupCallStreamRtmpUrl,
    fields: { peer, revoke: req(bool) },
    result: C.streamRtmpUrl
  },
  "phone.saveCallLog": {
    request: Api.phone.SaveCallLog,
    fields: { peer: phoneCallPeer, file: req(C.inputFile) },
    result: bool
  },
  "phone.createConferenceCall": {
    request: Api.phone.CreateConferenceCall,
    fields: { peer: phoneCallPeer, keyFingerprint: req(long) },
    result: C.phonePhoneCall
  }
}

const byClassName: ReadonlyMap<string, MethodName> = new Map(
  (Object.keys(table) as Array<MethodName>).map((m) => [table[m].request.className, m] as const)
)

/** Anything a codec threw, as a `CodecError`. */
const codecError = (what: string, direction: "encode" | "decode", e: unknown): C.CodecError =>
  e instanceof C.CodecError
    ? e
    : new C.CodecError({ direction, message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

const attempt = <A>(
  what: string,
  direction: "encode" | "decode",
  f: () => A
): Result.Result<A, C.CodecError> => {
  try {
    return Result.succeed(f())
  } catch (e) {
    return Result.fail(codecError(what, direction, e))
  }
}

const codecOf = <M extends MethodName>(method: M): MethodCodec<M> => {
  const codec = (table as unknown as Record<string, MethodCodec<M> | undefined>)[method]
  if (codec === undefined)
    throw new C.CodecError({ direction: "encode", message: `unknown method ${method}` })
  return codec
}

/** The GramJS request class of a registry method (its `className` is e.g. `phone.RequestCall`). */
export const requestClassOf = (method: MethodName): RequestClass => table[method].request

const WRAPPERS: ReadonlySet<string> = new Set([
  "InvokeWithLayer",
  "InitConnection",
  "InvokeWithoutUpdates",
  "InvokeAfterMsg",
  "InvokeAfterMsgs",
  "InvokeWithTakeout",
  "InvokeWithMessagesRange",
  "InvokeWithBusinessConnection",
  "InvokeWithGooglePlayIntegrity",
  "InvokeWithApnsSecret"
])

/** Strips `invokeWithLayer`, `initConnection`, `invokeWithoutUpdates`, `invokeAfterMsg`, … down to the inner `query`. */
export const unwrapRequest = (request: unknown): unknown => {
  let current = request
  for (let depth = 0; depth < 16; depth++) {
    const name = C.classNameOf(current)
    if (name === undefined || !WRAPPERS.has(name)) return current
    current = (current as { query?: unknown }).query
  }
  return current
}

/** A decoded request: the method name and its parameters in the domain model. */
export type AnyRequest = {
  readonly [M in MethodName]: { readonly method: M; readonly params: MethodParams<M> }
}[MethodName]

/** Domain request → GramJS request object (ready for `client.invoke` or `getBytes()`). */
export const encodeRequest = <M extends MethodName>(
  method: M,
  params: MethodParams<M>
): Result.Result<object, C.CodecError> => {
  // on every request: no closure, one try
  try {
    const codec = codecOf(method)
    return Result.succeed(
      new codec.request(encodeFields(codec.request.className, codec.fields, params) as never)
    )
  } catch (e) {
    return Result.fail(codecError(method, "encode", e))
  }
}

/**
 * GramJS request object (as `BinaryReader.tgReadObject()` returns it) → domain request.
 * Wrappers (`invokeWithLayer`, `initConnection`, `invokeWithoutUpdates`, `invokeAfterMsg`)
 * are not unwrapped here; a request outside the registry fails with `UnsupportedRequest`.
 */
export const decodeRequest = (
  request: unknown
): Result.Result<AnyRequest, C.CodecError | UnsupportedRequest> => {
  const className = C.classNameOf(request)
  const method = className === undefined ? undefined : byClassName.get(className)
  if (method === undefined) {
    return Result.fail(
      new UnsupportedRequest({
        className: className ?? (request === null ? "null" : typeof request)
      })
    )
  }
  return attempt(method, "decode", () => {
    const params = decodeFields(className as string, table[method].fields, request)
    const decoded = Schema.decodeUnknownResult(
      RpcMethods[method].params as Schema.Top as Schema.Codec<unknown>
    )(params)
    if (Result.isFailure(decoded))
      throw new C.CodecError({ direction: "decode", message: `${method}: ${decoded.failure.message}` })
    return { method, params: decoded.success } as AnyRequest
  })
}

/** Domain result → GramJS result value (a TL object, a `boolean` for `Bool`, `number[]` for `Vector<int>`). */
export const encodeResult = <M extends MethodName>(
  method: M,
  result: MethodResult<M>
): Result.Result<unknown, C.CodecError> =>
  attempt(method, "encode", () => codecOf(method).result.encode(result))

/** GramJS result value (as `client.invoke` resolves it) → domain result. */
export const decodeResult = <M extends MethodName>(
  method: M,
  result: unknown
): Result.Result<MethodResult<M>, C.CodecError> => {
  // on every request: no closure, one try
  try {
    return Result.succeed(codecOf(method).result.decode(result))
  } catch (e) {
    return Result.fail(codecError(method, "decode", e))
  }
}

const BOOL_TRUE = 0x997275b5
const BOOL_FALSE = 0xbc799737
const VECTOR = 0x1cb5c415

const uint32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0, 0)
  return b
}

/** The TL bytes of a wire result value (what a server puts in `rpc_result.result`). */
export const serializeWire = (wire: unknown): Uint8Array => {
  if (typeof wire === "boolean") return uint32(wire ? BOOL_TRUE : BOOL_FALSE)
  if (Array.isArray(wire)) {
    const out = [uint32(VECTOR), uint32(wire.length)]
    for (const n of wire) {
      const b = Buffer.alloc(4)
      b.writeInt32LE(n as number, 0)
      out.push(b)
    }
    return Buffer.concat(out)
  }
  if (
    typeof wire === "object" &&
    wire !== null &&
    typeof (wire as { getBytes?: unknown }).getBytes === "function"
  )
    return (wire as { getBytes(): Buffer }).getBytes()
  throw new C.CodecError({ direction: "encode", message: "not a TL value" })
}

/** Domain result → its TL bytes, as a server sends it inside `rpc_result`. */
export const serializeResult = <M extends MethodName>(
  method: M,
  result: MethodResult<M>
): Result.Result<Uint8Array, C.CodecError> =>
  attempt(method, "encode", () => new Uint8Array(serializeWire(codecOf(method).result.encode(result))))

/** TL bytes of a result → domain result, read the way GramJS reads `rpc_result` for this method. */
export const readResult = <M extends MethodName>(
  method: M,
  data: Uint8Array
): Result.Result<MethodResult<M>, C.CodecError> =>
  attempt(method, "decode", () => {
    const codec = codecOf(method)
    const reader = codec.request.prototype as unknown as ResultReader
    const wire = reader.readResult(new BinaryReader(Buffer.from(data)))
    return codec.result.decode(wire)
  })

/** TL bytes → the GramJS object (`BinaryReader.tgReadObject()`), e.g. a request a client sent. */
export const readObject = (data: Uint8Array): Result.Result<unknown, C.CodecError> =>
  attempt("tgReadObject", "decode", () => new BinaryReader(Buffer.from(data)).tgReadObject())

/** Domain `Update` → GramJS update object. */
export const encodeUpdate = (update: Model.Update): Result.Result<unknown, C.CodecError> =>
  attempt("Update", "encode", () => C.update.encode(update))

/** GramJS update object → domain `Update` (fails for updates the model does not carry). */
export const decodeUpdate = (update: unknown): Result.Result<Model.Update, C.CodecError> =>
  attempt("Update", "decode", () => C.update.decode(update))

/** Domain `Updates` → a GramJS `updates` container (`date` and `seq` 0). */
export const encodeUpdates = (updates: Model.Updates): Result.Result<unknown, C.CodecError> =>
  attempt("Updates", "encode", () => C.updates.encode(updates))

/** Any GramJS `Updates` or single `Update` → domain `Updates`, unmodelled updates dropped. */
export const decodeUpdates = (updates: unknown): Result.Result<Model.Updates, C.CodecError> =>
  attempt("Updates", "decode", () => C.updates.decode(updates))

/** Domain `User` → GramJS `user`. */
export const encodeUser = (user: Model.User): Result.Result<unknown, C.CodecError> =>
  attempt("User", "encode", () => C.user.encode(user))

/** GramJS `user` / `userEmpty` → domain `User` (the GramJS object kept in `raw`). */
export const decodeUser = (user: unknown): Result.Result<Model.User, C.CodecError> =>
  attempt("User", "decode", () => C.user.decode(user))

/** GramJS `InputPeer` / `InputUser` / `InputChannel` → domain `InputUser`, when it names a user. */
export const inputUserFromEntity = (entity: unknown): Result.Result<Model.InputUser, C.CodecError> =>
  attempt("InputUser", "decode", () => {
    const o = entity as Record<string, unknown>
    switch (C.classNameOf(entity)) {
      case "InputPeerUser":
      case "InputUser":
        return { _tag: "InputUser", userId: C.toBigInt(o.userId), accessHash: C.toBigInt(o.accessHash) }
      case "InputPeerSelf":
      case "InputUserSelf":
        return { _tag: "InputUserSelf" }
      default:
        throw new C.CodecError({
          direction: "decode",
          message: `not a user: ${C.classNameOf(entity) ?? typeof entity}`
        })
    }
  })
