/**
 * The hand-written part of the model that is not one TL constructor: `Updates`, the flattened
 * form of every TL `Updates` constructor. `Model` re-exports it.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { Chat, Update, User } from "../generated/Model.js"

/**
 * An `Updates` result (`phone.discardCall`, `phone.setCallRating`, the group-call methods),
 * flattened: the modelled updates in order, and the users and chats it carried. `chats`
 * defaults to empty when constructing.
 *
 * @since 0.1.0
 * @category models
 */
export class Updates extends Schema.Class<Updates>("@tgphone/core/Updates")({
  updates: Schema.Array(Update),
  users: Schema.Array(User),
  chats: Schema.Array(Chat).pipe(Schema.withConstructorDefault(Effect.succeed([])))
}) {}
