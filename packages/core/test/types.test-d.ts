/**
 * Type tests (checked by `tsc -p tsconfig.json`, not run): the error channel of a `Phone`
 * function is exactly its documented errors plus the generic ones, so `Effect.catchTag` can
 * name only errors the method can raise. Every `@ts-expect-error` below must be an error, or
 * `tsc` fails.
 */
import { Effect } from "effect"
import type * as Errors from "../src/Errors.js"
import * as Phone from "../src/Phone.js"
import type { TelegramRpc, UserNotFound } from "../src/TelegramRpc.js"

declare const gAHash: Uint8Array
const protocol = { udpP2p: true, udpReflector: true, minLayer: 65, maxLayer: 92, libraryVersions: ["4.0.0"] }

const request = Phone.requestCall({ userId: "@alice", randomId: 1, gAHash, protocol })
type RequestErrors = Effect.Error<typeof request>

// Equality of types, both ways.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(): T => true as T

// The channel holds the documented errors…
assertType<Errors.UserPrivacyRestricted extends RequestErrors ? true : false>()
assertType<Errors.CallProtocolFlagsInvalid extends RequestErrors ? true : false>()
assertType<Errors.RandomIdDuplicate extends RequestErrors ? true : false>()
// …the generic ones and InvalidInput…
assertType<Errors.FloodWait extends RequestErrors ? true : false>()
assertType<Errors.BotMethodForbidden extends RequestErrors ? true : false>()
assertType<Errors.InvalidInput extends RequestErrors ? true : false>()
assertType<Errors.UnknownRpcError extends RequestErrors ? true : false>()
// …and nothing documented only for other methods.
assertType<Errors.CallAlreadyAccepted extends RequestErrors ? false : true>()
assertType<Errors.CallPeerInvalid extends RequestErrors ? false : true>()
// Exactly:
assertType<
  Equals<
    RequestErrors,
    | Errors.RequestCallError
    | Errors.GenericError
    | Errors.InvalidInput
    | Errors.MethodNotInLayer
    | UserNotFound
  >
>()
assertType<Equals<Effect.Services<typeof request>, TelegramRpc>>()

// catchTag compiles for a documented error and removes it from the channel.
const caught = request.pipe(Effect.catchTag("UserPrivacyRestricted", (e) => Effect.succeed(e.type)))
type CaughtErrors = Effect.Error<typeof caught>
assertType<Errors.UserPrivacyRestricted extends CaughtErrors ? false : true>()
assertType<Errors.CallProtocolFlagsInvalid extends CaughtErrors ? true : false>()
assertType<Equals<CaughtErrors, Exclude<RequestErrors, Errors.UserPrivacyRestricted>>>()

// catchTags over documented + generic errors.
export const handled = request.pipe(
  Effect.catchTags({
    UserPrivacyRestricted: () => Effect.succeed("privacy"),
    FloodWait: (e) => Effect.succeed(`wait ${e.retryAfter}`),
    InvalidInput: (e) => Effect.succeed(e.field)
  })
)

// Catching a tag requestCall cannot raise does not compile.
// @ts-expect-error CallAlreadyAccepted is documented for acceptCall/discardCall, not requestCall
export const wrong = request.pipe(Effect.catchTag("CallAlreadyAccepted", () => Effect.succeed(0)))
// @ts-expect-error not an error tag at all
export const typo = request.pipe(Effect.catchTag("UserPrivacyRestrictd", () => Effect.succeed(0)))

// Another method: setCallRating raises CallPeerInvalid, not UserPrivacyRestricted.
const rating = Phone.setCallRating({ peer: { id: 1n, accessHash: 2n }, rating: 5 })
export const ratingOk = rating.pipe(Effect.catchTag("CallPeerInvalid", () => Effect.void))
// @ts-expect-error UserPrivacyRestricted is not documented for setCallRating
export const ratingWrong = rating.pipe(Effect.catchTag("UserPrivacyRestricted", () => Effect.void))

// Methods that document no errors still carry the generic ones.
type ConfigErrors = Effect.Error<ReturnType<typeof Phone.getCallConfig>>
assertType<Equals<ConfigErrors, Errors.GenericError | Errors.InvalidInput | Errors.MethodNotInLayer>>()

// Inputs are typed: a number where a bigint id is required, or a missing field, does not compile.
// @ts-expect-error peer ids are bigint
Phone.receivedCall({ peer: { id: 1, accessHash: 2n } })
// @ts-expect-error rating is required
Phone.setCallRating({ peer: { id: 1n, accessHash: 2n } })

// The methods of layer 229 carry their documented errors, MethodNotInLayer, and (resolving a
// user) UserNotFound.
const invite = Phone.inviteConferenceCallParticipant({ call: { id: 1n, accessHash: 2n }, userId: "@bob" })
type InviteErrors = Effect.Error<typeof invite>
assertType<Errors.GroupcallInvalid extends InviteErrors ? true : false>()
assertType<Errors.MethodNotInLayer extends InviteErrors ? true : false>()
assertType<UserNotFound extends InviteErrors ? true : false>()
const decline = Phone.declineConferenceCallInvite({ msgId: 12 })
export const declineOk = decline.pipe(Effect.catchTag("MessageIdInvalid", () => Effect.void))
// @ts-expect-error GroupcallInvalid is not documented for declineConferenceCallInvite
export const declineWrong = decline.pipe(Effect.catchTag("GroupcallInvalid", () => Effect.void))
// @ts-expect-error layer 198's draft createConferenceCall(peer, keyFingerprint) is not the method of layer 229
Phone.createConferenceCall({ peer: { id: 1n, accessHash: 2n }, keyFingerprint: 1n })
const conferenceCall = { id: 1n, accessHash: 2n }
// @ts-expect-error requestCall has no conferenceCall (layer 198's draft field is not modelled)
Phone.requestCall({ userId: "@alice", randomId: 1, gAHash, protocol, conferenceCall })

// The model of layer 229: conferenceSupported on an active call, the MigrateConferenceCall reason.
declare const active: Extract<import("../src/Model.js").PhoneCall, { readonly _tag: "PhoneCall" }>
assertType<Equals<typeof active.conferenceSupported, boolean>>()
declare const reason: import("../src/Model.js").DiscardReason
export const slug: string | undefined = reason._tag === "MigrateConferenceCall" ? reason.slug : undefined
