/**
 * The hand-written field Schemas of `Phone`'s inputs that TL cannot say: how an input names a
 * user, a call or a group call, and the protocol rules of `@tgphone/crypto`. `Phone`
 * re-exports them.
 *
 * @since 0.1.0
 */
import { Protocol } from "@tgphone/crypto"
import { Result, Schema } from "effect"
import { InputGroupCall, InputPhoneCall, InputUser, Long, PhoneCallProtocol } from "../Model.js"

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
