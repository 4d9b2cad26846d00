/**
 * The codecs the live layer uses (`Live.Codecs`), over the schema-driven codec of one
 * GramJS-family library (`makeCodec({ Api, layer, returnBigInt })`): every function returns a
 * `Result`, nothing thrown escapes. Loads no client library.
 */
import { Result } from "effect"
import type * as Model from "../../Model.js"
import type { MethodName, MethodResult } from "../../RpcMethods.js"
import * as C from "./codec.js"
import type { Codecs } from "./live.js"

/** Anything a codec threw, as a `CodecError`. */
export const codecError = (what: string, direction: "encode" | "decode", e: unknown): C.CodecError =>
  e instanceof C.CodecError
    ? e
    : new C.CodecError({ direction, message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

/** `f()` as a `Result`: what it throws becomes a `CodecError` naming `what`. */
export const attempt = <A>(
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

/** A library `InputPeer` / `InputUser` / `InputChannel` → domain `InputUser`, when it names a user. */
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

/** The live layer's codecs over `codec`. */
export const liveCodecs = (codec: C.SchemaCodec): Codecs => ({
  encodeRequest: (method, params) => attempt(method, "encode", () => codec.encodeRequest(method, params)),
  decodeResult: <M extends MethodName>(method: M, result: unknown) =>
    attempt(method, "decode", () => codec.decodeResult(method, result) as MethodResult<M>),
  decodeUpdate: (update) => attempt("Update", "decode", () => codec.update.decode(update)),
  decodeUpdates: (updates) => attempt("Updates", "decode", () => codec.updates.decode(updates)),
  inputUserFromEntity,
  isModelledUpdate: C.isModelledUpdate,
  classNameOf: C.classNameOf,
  toBigInt: C.toBigInt
})
