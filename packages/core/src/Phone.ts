/**
 * Every `phone.*` method of layer 229 (plus `messages.getDhConfig`) as an `Effect`: one
 * function per TL method, named after it, taking one object with camelCase fields. Generated
 * from the shipped TL and the catalog by `scripts/generators/phone.ts`, with the hand-written
 * overlay `overlay/phone.ts` (summaries, narrower field Schemas, defaults).
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

export * from "./generated/Phone.js"
export * from "./overlay/phoneInputs.js"
