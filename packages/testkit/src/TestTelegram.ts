/**
 * An in-memory Telegram for phone calls. `TestTelegram` holds a world of users, chats and calls
 * that answers the seam's requests (`TelegramRpc.invoke`) with the state machine, results,
 * updates and errors of Telegram's server; `layerFor(user)` gives application code a
 * `TelegramRpc` for one user, so it runs unchanged. Everything is deterministic: ids come from a
 * seeded generator and every timeout or latency sleeps on Effect's `Clock`, so `TestClock`
 * drives ring timeouts in tests.
 *
 * @example
 * ```ts
 * import { TelegramRpc } from "@tgphone/core"
 * import { TestTelegram } from "@tgphone/testkit"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const world = yield* TestTelegram.TestTelegram
 *   const alice = yield* world.addUser({ firstName: "Alice" })
 *   const bob = yield* world.addUser({ firstName: "Bob", privacy: { allow: "nobody" } })
 *   const config = yield* Effect.gen(function*() {
 *     const rpc = yield* TelegramRpc.TelegramRpc
 *     return yield* rpc.invoke("phone.getCallConfig", {})
 *   }).pipe(Effect.provide(world.layerFor(alice)))
 *   return { config, bob }
 * }).pipe(Effect.provide(TestTelegram.layer({ seed: "example" })))
 * ```
 *
 * @since 0.1.0
 */
import type { Model, RpcMethods } from "@tgphone/core"
import { TelegramRpc } from "@tgphone/core"
import * as Tl from "@tgphone/core/Tl"
import type { PhoneCallProtocol } from "@tgphone/crypto"
import { Context, Effect, Layer, type Option, type Scope, Stream } from "effect"
import { World } from "./internal/world.js"
import type { TestTelegramError } from "./TestTelegramError.js"

/**
 * How the world is set up. Every field is optional.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Seed of the generator behind ids, access hashes and server randomness (default `"tgphone"`). */
  readonly seed?: string | number | bigint | undefined
  /** How long a call may ring once the callee's device acknowledged it (default 90 000). */
  readonly callRingTimeoutMs?: number | undefined
  /** How long a call may wait for the callee's device to acknowledge it (default 20 000). */
  readonly callReceiveTimeoutMs?: number | undefined
  /** Reported in `phone.getCallConfig` for clients (default 30 000); the world does not enforce it. */
  readonly callConnectTimeoutMs?: number | undefined
  /** Reported in `phone.getCallConfig` for clients (default 10 000); the world does not enforce it. */
  readonly callPacketTimeoutMs?: number | undefined
  /** The `version` of the world's DH config (default 3). */
  readonly dhVersion?: number | undefined
  /**
   * Whether `phone.confirmCall` checks `SHA-256(g_a)` against the `g_a_hash` of
   * `phone.requestCall`, answering `400 DH_G_A_INVALID` on a mismatch (default `true`).
   */
  readonly verifyGAHash?: boolean | undefined
  /** Whether requests are recorded in `requests` (default `true`; benchmarks turn it off). */
  readonly recordRequests?: boolean | undefined
  /** Whether delivered updates are recorded per user for `updatesOf` (default `true`). */
  readonly recordUpdates?: boolean | undefined
}

/**
 * Who may call a user: everybody, their contacts, or nobody, with per-user exceptions
 * (Telegram's `privacyKeyPhoneCall` rule).
 *
 * @since 0.1.0
 * @category models
 */
export interface CallPrivacy {
  readonly allow: "everybody" | "contacts" | "nobody"
  /** Users who may always call, whatever `allow` says. */
  readonly alwaysAllow?: ReadonlyArray<TestUser> | undefined
  /** Users who may never call, whatever `allow` says. */
  readonly neverAllow?: ReadonlyArray<TestUser> | undefined
}

/**
 * A user to add to the world.
 *
 * @since 0.1.0
 * @category options
 */
export interface AddUserOptions {
  readonly firstName: string
  readonly lastName?: string | undefined
  /** Without `@`; unique in the world. */
  readonly username?: string | undefined
  /** Digits, optionally starting with `+`; unique in the world. */
  readonly phone?: string | undefined
  /** A bot account: may not call any phone method (`BOT_METHOD_INVALID`) and cannot be called. */
  readonly bot?: boolean | undefined
  /**
   * The call protocol this user's client supports, checked when someone calls them
   * (`PARTICIPANT_VERSION_OUTDATED`); `null` for a client without call support. Default: a
   * modern client (layers 65–92, tgcalls 2.4.4 … 11.0.0).
   */
  readonly protocol?: PhoneCallProtocol | null | undefined
  /** Who may call this user (default: everybody). */
  readonly privacy?: CallPrivacy | undefined
  /**
   * Whether this user's client can move a 1:1 call into a conference (default `true`): a call
   * reports `conferenceSupported` when both sides can, and `migrateToConference` needs it.
   */
  readonly conferenceCalls?: boolean | undefined
}

/**
 * A user of the world: the handle `addUser` returns.
 *
 * @since 0.1.0
 * @category models
 */
export interface TestUser {
  readonly id: bigint
  readonly accessHash: bigint
  readonly firstName: string
  readonly lastName?: string | undefined
  readonly username?: string | undefined
  readonly phone?: string | undefined
  readonly bot: boolean
  /** `inputUser{id, access_hash}`, ready for requests. */
  readonly inputUser: Model.InputUser
  /** `inputPeerUser{id, access_hash}`, ready for requests. */
  readonly inputPeer: Model.InputPeer
}

/**
 * A user as the world currently sees them: the handle plus their mutable settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface UserInfo extends TestUser {
  readonly deactivated: boolean
  readonly connected: boolean
  readonly privacy: {
    readonly allow: CallPrivacy["allow"]
    readonly alwaysAllow: ReadonlyArray<bigint>
    readonly neverAllow: ReadonlyArray<bigint>
  }
  readonly contacts: ReadonlyArray<bigint>
  readonly blocked: ReadonlyArray<bigint>
  readonly protocol: PhoneCallProtocol | null
  readonly conferenceCalls: boolean
}

/**
 * A group chat or channel to add to the world.
 *
 * - `"group"`: a basic group (`inputPeerChat`, no access hash).
 * - `"supergroup"`: a megagroup (`inputPeerChannel`).
 * - `"channel"`: a broadcast channel (`inputPeerChannel`).
 *
 * @since 0.1.0
 * @category options
 */
export interface AddChatOptions {
  readonly kind: "group" | "supergroup" | "channel"
  readonly title: string
  /** The creator: a member and an admin. */
  readonly creator: TestUser
  readonly members?: ReadonlyArray<TestUser> | undefined
  /** Admins (they become members too). */
  readonly admins?: ReadonlyArray<TestUser> | undefined
  /** A public username (needed for `phone.exportGroupCallInvite`); supergroups and channels only. */
  readonly username?: string | undefined
}

/**
 * A chat of the world.
 *
 * @since 0.1.0
 * @category models
 */
export interface TestChat {
  readonly id: bigint
  readonly kind: AddChatOptions["kind"]
  readonly title: string
  /** Supergroups and channels only. */
  readonly accessHash?: bigint | undefined
  readonly username?: string | undefined
  /** `inputPeerChat` or `inputPeerChannel`, ready for requests. */
  readonly inputPeer: Model.InputPeer
}

/**
 * How a recorded request ended.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestOutcome =
  | { readonly _tag: "Success"; readonly value: unknown }
  | { readonly _tag: "Failure"; readonly error: TelegramRpc.RpcFailure }

/**
 * One request the world received, in arrival order. `method` is a registry method, or one of
 * `users.getUsers`, `contacts.resolveUsername`, `contacts.resolvePhone` for `resolveUser`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  readonly seq: number
  readonly atMillis: number
  readonly userId: bigint
  readonly method: string
  readonly params: unknown
  readonly outcome: RequestOutcome
}

/**
 * A recorded request of a registry method, with its parameters typed by the registry.
 *
 * @since 0.1.0
 * @category models
 */
export interface TypedRequest<M extends RpcMethods.MethodName> extends RecordedRequest {
  readonly method: M
  readonly params: RpcMethods.MethodParams<M>
}

/**
 * A request filter: any field left out matches everything.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestFilter {
  readonly method?: string | undefined
  readonly user?: TestUser | undefined
  readonly outcome?: "Success" | "Failure" | undefined
}

/**
 * A 1:1 call as the server holds it, for assertions.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallInfo {
  readonly id: bigint
  readonly accessHash: bigint
  readonly video: boolean
  readonly callerId: bigint
  readonly calleeId: bigint
  readonly state: "Waiting" | "Accepted" | "Active" | "Discarded"
  readonly date: number
  readonly receiveDate?: number | undefined
  readonly startDate?: number | undefined
  readonly protocol?: PhoneCallProtocol | undefined
  readonly keyFingerprint?: bigint | undefined
  readonly discard?:
    | {
        /** The user who discarded, or `"server"` for a timeout or a busy callee. */
        readonly by: bigint | "server"
        readonly reason?: Model.DiscardReason | undefined
        readonly duration?: number | undefined
        readonly needRating: boolean
        readonly needDebug: boolean
      }
    | undefined
}

/**
 * A feedback record about a call: a rating, a debug log, a call log file, or signalling data.
 *
 * @since 0.1.0
 * @category models
 */
export type CallFeedback =
  | {
      readonly _tag: "Rating"
      readonly callId: bigint
      readonly userId: bigint
      readonly rating: number
      readonly comment: string
      readonly userInitiative: boolean
    }
  | { readonly _tag: "Debug"; readonly callId: bigint; readonly userId: bigint; readonly json: unknown }
  | { readonly _tag: "Log"; readonly callId: bigint; readonly userId: bigint; readonly file: Model.InputFile }
  | {
      readonly _tag: "Signaling"
      readonly callId: bigint
      readonly fromUserId: bigint
      readonly data: Uint8Array
    }

/**
 * A group call as the server holds it, for assertions.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupCallInfo {
  readonly id: bigint
  readonly accessHash: bigint
  /** The chat's id; `0n` for a conference call, which has no chat. */
  readonly chatId: bigint
  readonly title?: string | undefined
  readonly discarded: boolean
  readonly scheduleDate?: number | undefined
  readonly recording: boolean
  readonly joinMuted: boolean
  readonly rtmpStream: boolean
  /** Participants who have not left: the peer id, the source and whether they are muted. */
  readonly participants: ReadonlyArray<{
    readonly peerId: bigint
    readonly source: number
    readonly muted: boolean
  }>
  readonly invited: ReadonlyArray<bigint>
  readonly inputGroupCall: Model.InputGroupCall
  /** The in-call messages, in order (deleted ones too, marked). */
  readonly messages: ReadonlyArray<GroupCallMessageInfo>
  /** What only a conference call has (absent for video chats and live streams). */
  readonly conference?: ConferenceInfo | undefined
}

/**
 * An in-call message of a group call, for assertions.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupCallMessageInfo {
  readonly id: number
  /** The author shown (the sender, or the channel they sent as). */
  readonly fromId: Model.Peer
  readonly text: string
  /** The stars paid with it, if any. */
  readonly paidStars?: bigint | undefined
  readonly deleted: boolean
  /** Whether someone who deleted it reported it as spam. */
  readonly reportedSpam: boolean
}

/**
 * A conference call's own state, for assertions: its link, the invitations, the E2E chain
 * blocks as sent (stored and relayed opaquely) and who was kicked.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConferenceInfo {
  readonly slug: string
  /** `https://t.me/call/<slug>`. */
  readonly inviteLink: string
  /** The latest invitation of each invited user. */
  readonly invites: ReadonlyArray<{
    readonly userId: bigint
    readonly inviterId: bigint
    /** The invitation message's id, what `phone.declineConferenceCallInvite` takes. */
    readonly msgId: number
    readonly video: boolean
    readonly state: "Pending" | "Declined" | "Joined"
  }>
  /** Each sub-chain's blocks in order (0: participant changes, 1: broadcasts). */
  readonly chainBlocks: ReadonlyArray<{
    readonly subChainId: number
    readonly blocks: ReadonlyArray<Uint8Array>
  }>
  /** Users removed with `kick`, who cannot join again unless invited anew. */
  readonly kicked: ReadonlyArray<bigint>
}

/**
 * The conference a 1:1 call moved into (`migrateToConference`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConferenceMigration {
  /** The slug the 1:1 call's discard reason carries. */
  readonly slug: string
  /** `https://t.me/call/<slug>`. */
  readonly inviteLink: string
  /** The conference, for `phone.joinGroupCall` and the other group-call methods. */
  readonly inputGroupCall: Model.InputGroupCall
}

/**
 * An error a fault makes a request fail with: the raw Telegram code and type
 * (`{ code: 420, type: "FLOOD_WAIT_7" }`), or `"transport"` for a `TransportError`.
 *
 * @since 0.1.0
 * @category models
 */
export type FaultError = { readonly code: number; readonly type: string } | "transport"

/**
 * What a man in the middle alters: the field of the next request of `method` (from `user`, if
 * given). The server checks the request as sent, but the *other* party receives the altered
 * value (last byte inverted; a fingerprint with its low bit flipped), so a client's own checks
 * (`g_a_hash`, key fingerprint) are what must catch it.
 *
 * - `phone.requestCall` / `gAHash`: the callee's `phoneCallRequested.g_a_hash`.
 * - `phone.acceptCall` / `gB`: the caller's `phoneCallAccepted.g_b`.
 * - `phone.confirmCall` / `gA`: the callee's `phoneCall.g_a_or_b`.
 * - `phone.confirmCall` / `keyFingerprint`: the callee's `phoneCall.key_fingerprint`.
 *
 * @since 0.1.0
 * @category options
 */
export type TamperTarget = (
  | { readonly method: "phone.requestCall"; readonly field: "gAHash" }
  | { readonly method: "phone.acceptCall"; readonly field: "gB" }
  | { readonly method: "phone.confirmCall"; readonly field: "gA" | "keyFingerprint" }
) &
  FaultScope

/**
 * A request a fault can target: a registry method, or one of the requests behind the seam's
 * `resolveUser` (`users.getUsers`, `contacts.resolveUsername`, `contacts.resolvePhone`) and
 * `callConfig` (`help.getConfig`). A misspelt name (`"phone.requestcall"`) does not compile.
 *
 * @since 0.1.0
 * @category options
 */
export type FaultMethod =
  | RpcMethods.MethodName
  | "users.getUsers"
  | "contacts.resolveUsername"
  | "contacts.resolvePhone"
  | "help.getConfig"

/**
 * Where a fault applies; any field left out matches every request.
 *
 * @since 0.1.0
 * @category options
 */
export interface FaultScope {
  readonly user?: TestUser | undefined
  /** How many matching requests fail (default 1). */
  readonly times?: number | undefined
}

/**
 * The world, as a service.
 *
 * @since 0.1.0
 * @category services
 */
export interface Service {
  /**
   * The call timeouts this world enforces and reports as its server config (`help.getConfig`
   * through `TelegramRpc.callConfig`; the loopback server reports the same).
   */
  readonly callConfig: TelegramRpc.CallConfig
  /** Adds a user. Fails when the username or phone is taken or a field is malformed. */
  readonly addUser: (options: AddUserOptions) => Effect.Effect<TestUser, TestTelegramError>
  /** Every user, in creation order (for the loopback server: minting sessions, `users.getUsers`). */
  readonly users: Effect.Effect<ReadonlyArray<UserInfo>>
  /** The user with this id. */
  readonly user: (id: bigint) => Effect.Effect<Option.Option<UserInfo>>
  /** The user with this username (with or without `@`) or phone number (starting with `+`). */
  readonly findUser: (ref: string) => Effect.Effect<Option.Option<UserInfo>>

  /** Sets who may call `user`. */
  readonly setPrivacy: (user: TestUser, privacy: CallPrivacy) => Effect.Effect<void, TestTelegramError>
  /** Adds `contact` to `owner`'s contacts (what `allow: "contacts"` checks). */
  readonly addContact: (owner: TestUser, contact: TestUser) => Effect.Effect<void, TestTelegramError>
  /** `blocker` blocks `blocked`: calls from `blocked` fail with `USER_IS_BLOCKED`. */
  readonly block: (blocker: TestUser, blocked: TestUser) => Effect.Effect<void, TestTelegramError>
  /** Lifts a block. */
  readonly unblock: (blocker: TestUser, blocked: TestUser) => Effect.Effect<void, TestTelegramError>
  /** Deletes the account: calls to it fail with `INPUT_USER_DEACTIVATED`, its own requests with `401 USER_DEACTIVATED`. */
  readonly deactivate: (user: TestUser) => Effect.Effect<void, TestTelegramError>
  /** Sets the call protocol the user's client supports (`null`: no call support). */
  readonly setClientProtocol: (
    user: TestUser,
    protocol: PhoneCallProtocol | null
  ) => Effect.Effect<void, TestTelegramError>

  /** Adds a group chat or channel. */
  readonly addChat: (options: AddChatOptions) => Effect.Effect<TestChat, TestTelegramError>
  /** Adds a member (or an admin) to a chat. */
  readonly addMember: (
    chat: TestChat,
    user: TestUser,
    options?: { readonly admin?: boolean | undefined }
  ) => Effect.Effect<void, TestTelegramError>

  /** The seam service for one user (what `layerFor` provides; the loopback server calls it directly). */
  readonly rpcFor: (user: TestUser) => Effect.Effect<TelegramRpc.TelegramRpc["Service"], TestTelegramError>
  /** A `TelegramRpc` layer acting as `user`. */
  readonly layerFor: (user: TestUser) => Layer.Layer<TelegramRpc.TelegramRpc, TestTelegramError>
  /**
   * `user`'s updates from now on, already subscribed when this effect returns (what
   * `TelegramRpc.subscribe` of `rpcFor(user)` does, without a seam service).
   */
  readonly subscribe: (
    user: TestUser
  ) => Effect.Effect<Stream.Stream<Model.Update>, TestTelegramError, Scope.Scope>
  /** Every update delivered to `user` so far (pushed or carried in a result), in order. */
  readonly updatesOf: (user: TestUser) => Effect.Effect<ReadonlyArray<Model.Update>>

  /** Every recorded request, in arrival order. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** The recorded requests matching a filter. */
  readonly requestsWhere: (filter: RequestFilter) => Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** The recorded requests of one registry method (from `user`, if given), params typed. */
  readonly requestsOf: <M extends RpcMethods.MethodName>(
    method: M,
    user?: TestUser
  ) => Effect.Effect<ReadonlyArray<TypedRequest<M>>>
  /** Forgets the recorded requests. */
  readonly clearRequests: Effect.Effect<void>

  /** Every 1:1 call, in creation order. */
  readonly calls: Effect.Effect<ReadonlyArray<CallInfo>>
  /** The 1:1 call with this id. */
  readonly call: (id: bigint) => Effect.Effect<Option.Option<CallInfo>>
  /** Ratings, debug logs, call logs and signalling data, in arrival order. */
  readonly feedback: Effect.Effect<ReadonlyArray<CallFeedback>>
  /** Every group call, in creation order. */
  readonly groupCalls: Effect.Effect<ReadonlyArray<GroupCallInfo>>
  /**
   * `by` moves their active 1:1 call `callId` into a conference, as a layer-202+ app does: a new
   * conference call is created with `by` joined and the peer invited (pushed `UpdateGroupCall`
   * for it), then the 1:1 call ends for both sides (each pushed `phoneCallDiscarded`) with reason
   * `{ _tag: "MigrateConferenceCall", slug }`. Fails when `by` is not in that call, the call is
   * not active, or either side's client lacks conference calls (`conferenceCalls: false`).
   */
  readonly migrateToConference: (
    by: TestUser,
    callId: bigint
  ) => Effect.Effect<ConferenceMigration, TestTelegramError>

  /** The next `times` requests of `method` (from `user`, if given) fail with `error`. */
  readonly failNext: (
    method: FaultMethod,
    error: FaultError,
    scope?: FaultScope
  ) => Effect.Effect<void, TestTelegramError>
  /** The next matching request is relayed to the peer altered (see `TamperTarget`). */
  readonly tamper: (target: TamperTarget) => Effect.Effect<void, TestTelegramError>
  /** Shorthand for `failNext(method, { code: 420, type: "FLOOD_WAIT_<seconds>" })`. */
  readonly floodWait: (
    method: FaultMethod,
    seconds: number,
    scope?: FaultScope
  ) => Effect.Effect<void, TestTelegramError>
  /**
   * Every request (of `method` / from `user`, if given) waits `millis` on the `Clock` before the
   * world handles it. The most specific rule wins; `0` removes the rule.
   */
  readonly setLatency: (
    millis: number,
    scope?: { readonly method?: FaultMethod | undefined; readonly user?: TestUser | undefined }
  ) => Effect.Effect<void, TestTelegramError>
  /** The next `count` pushed updates to `user` are lost. */
  readonly dropNextUpdates: (user: TestUser, count?: number) => Effect.Effect<void, TestTelegramError>
  /** The next `count` pushed updates to `user` arrive `millis` later (on the `Clock`). */
  readonly delayNextUpdates: (
    user: TestUser,
    millis: number,
    count?: number
  ) => Effect.Effect<void, TestTelegramError>
  /**
   * Cuts `user` off: their requests fail with `TransportError`, their updates are held back
   * until `reconnect` (then delivered in order, as `updates.getDifference` would), and their
   * seam's `connection` reports `"Disconnected"`.
   */
  readonly disconnect: (user: TestUser) => Effect.Effect<void, TestTelegramError>
  /** Reconnects `user` and delivers the updates held back while they were away. */
  readonly reconnect: (user: TestUser) => Effect.Effect<void, TestTelegramError>
}

/**
 * The world service.
 *
 * @since 0.1.0
 * @category services
 */
export class TestTelegram extends Context.Service<TestTelegram, Service>()("@tgphone/testkit/TestTelegram") {}

/**
 * Builds a world (scoped: its timers stop when the scope closes).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    return new World(options ?? {}, scope).service()
  })

/**
 * A layer with a fresh world.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<TestTelegram> =>
  Layer.effect(TestTelegram, make(options))

/**
 * A `TelegramRpc` that is never connected: every request (`callConfig` included) fails with
 * `TransportError`, no update ever arrives (a subscription's stream ends at once), and
 * `connection` reports `"Disconnected"`.
 *
 * @since 0.1.0
 * @category layers
 */
export const offlineFor = (account: TelegramRpc.Account): Layer.Layer<TelegramRpc.TelegramRpc> =>
  Layer.succeed(TelegramRpc.TelegramRpc, {
    account,
    layer: Tl.newest,
    invoke: (method) =>
      Effect.fail(
        new TelegramRpc.TransportError({ method, message: "offline: the test kit has no connection" })
      ),
    resolveUser: () =>
      Effect.fail(
        new TelegramRpc.TransportError({
          method: "resolveUser",
          message: "offline: the test kit has no connection"
        })
      ),
    subscribe: Effect.succeed(Stream.empty),
    connection: Effect.succeed(Stream.concat(Stream.succeed("Disconnected" as const), Stream.never)),
    callConfig: Effect.fail(
      new TelegramRpc.TransportError({
        method: "help.getConfig",
        message: "offline: the test kit has no connection"
      })
    )
  })

/**
 * `offlineFor` a user account with id `0`.
 *
 * @since 0.1.0
 * @category layers
 */
export const offline: Layer.Layer<TelegramRpc.TelegramRpc> = offlineFor({ userId: 0n, isBot: false })
