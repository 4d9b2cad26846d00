/**
 * Request and result codecs for every method of the registry, both directions, plus the
 * serialisation helpers a server needs (`serializeResult`) and their client-side twins
 * (`readResult`). Every public function returns a `Result`: no exception escapes.
 */
import { Result, Schema } from "effect"
import { Api, helpers } from "telegram"
import { BinaryReader } from "telegram/extensions/index.js"
import { LAYER as GRAMJS_LAYER } from "telegram/tl/AllTLObjects.js"
import type * as Model from "../../Model.js"
import {
  type MethodName,
  type MethodParams,
  type MethodResult,
  methodByConstructorId,
  RpcMethods
} from "../../RpcMethods.js"
import * as Tl from "../../Tl.js"
import * as C from "./codec.js"
import * as LiveCodecs from "./liveCodecs.js"

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

/** GramJS declares `readResult` static, but at run time it is an instance method reading only its closure. */
interface ResultReader {
  readResult(reader: unknown): unknown
}

/** The schema-driven codec of GramJS (`telegram` 2.26), in its layer. */
const codec = C.makeCodec({ Api, layer: GRAMJS_LAYER, returnBigInt: (n) => helpers.returnBigInt(n) })

const { attempt, codecError } = LiveCodecs

/** The GramJS request class of a registry method (its `className` is e.g. `phone.RequestCall`). */
export const requestClassOf = (method: MethodName): C.ApiClass => {
  const cls = codec.apiClass(method)
  if (cls === undefined) throw new C.CodecError({ direction: "encode", message: `unknown method ${method}` })
  return cls
}

/** Strips `invokeWithLayer`, `initConnection`, `invokeWithoutUpdates`, `invokeAfterMsg`, … (`Tl.isWrapper`) down to the inner `query`. */
export const unwrapRequest = (request: unknown): unknown => {
  let current = request
  for (let depth = 0; depth < 16; depth++) {
    const name = C.classNameOf(current)
    if (name === undefined || !Tl.isWrapper(C.tlNameOfClass(name))) return current
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
  try {
    return Result.succeed(codec.encodeRequest(method, params))
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
  const id = (request as { CONSTRUCTOR_ID?: unknown } | null)?.CONSTRUCTOR_ID
  const method = typeof id === "number" ? methodByConstructorId(id) : undefined
  if (method === undefined || className === undefined) {
    return Result.fail(
      new UnsupportedRequest({
        className: className ?? (request === null ? "null" : typeof request)
      })
    )
  }
  return attempt(method, "decode", () => {
    const { params } = codec.decodeRequest(request)
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
): Result.Result<unknown, C.CodecError> => attempt(method, "encode", () => codec.encodeResult(method, result))

/** GramJS result value (as `client.invoke` resolves it) → domain result. */
export const decodeResult = <M extends MethodName>(
  method: M,
  result: unknown
): Result.Result<MethodResult<M>, C.CodecError> => {
  try {
    return Result.succeed(codec.decodeResult(method, result) as MethodResult<M>)
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
  attempt(method, "encode", () => new Uint8Array(serializeWire(codec.encodeResult(method, result))))

/** TL bytes of a result → domain result, read the way GramJS reads `rpc_result` for this method. */
export const readResult = <M extends MethodName>(
  method: M,
  data: Uint8Array
): Result.Result<MethodResult<M>, C.CodecError> =>
  attempt(method, "decode", () => {
    const reader = requestClassOf(method).prototype as unknown as ResultReader
    const wire = reader.readResult(new BinaryReader(Buffer.from(data)))
    return codec.decodeResult(method, wire) as MethodResult<M>
  })

/** TL bytes → the GramJS object (`BinaryReader.tgReadObject()`), e.g. a request a client sent. */
export const readObject = (data: Uint8Array): Result.Result<unknown, C.CodecError> =>
  attempt("tgReadObject", "decode", () => new BinaryReader(Buffer.from(data)).tgReadObject())

/** Domain `Update` → GramJS update object. */
export const encodeUpdate = (update: Model.Update): Result.Result<unknown, C.CodecError> =>
  attempt("Update", "encode", () => codec.update.encode(update))

/** GramJS update object → domain `Update` (fails for updates the model does not carry). */
export const decodeUpdate = (update: unknown): Result.Result<Model.Update, C.CodecError> =>
  attempt("Update", "decode", () => codec.update.decode(update))

/** Domain `Updates` → a GramJS `updates` container (`date` and `seq` 0). */
export const encodeUpdates = (updates: Model.Updates): Result.Result<unknown, C.CodecError> =>
  attempt("Updates", "encode", () => codec.updates.encode(updates))

/** Any GramJS `Updates` or single `Update` → domain `Updates`, unmodelled updates dropped. */
export const decodeUpdates = (updates: unknown): Result.Result<Model.Updates, C.CodecError> =>
  attempt("Updates", "decode", () => codec.updates.decode(updates))

/** Domain `User` → GramJS `user`. */
export const encodeUser = (user: Model.User): Result.Result<unknown, C.CodecError> =>
  attempt("User", "encode", () => codec.user.encode(user))

/** GramJS `user` / `userEmpty` → domain `User` (the GramJS object kept in `raw`). */
export const decodeUser = (user: unknown): Result.Result<Model.User, C.CodecError> =>
  attempt("User", "decode", () => codec.user.decode(user))

/** GramJS `InputPeer` / `InputUser` / `InputChannel` → domain `InputUser`, when it names a user. */
export const inputUserFromEntity: (entity: unknown) => Result.Result<Model.InputUser, C.CodecError> =
  LiveCodecs.inputUserFromEntity
