/**
 * Calls that just work: the whole 1:1 handshake, outgoing and incoming, ending in an
 * `ActiveCall` whose key both sides verified.
 *
 * Outgoing (`PhoneCalls.call`): DH config (cached by version) → our key pair → `requestCall`
 * with `g_a_hash` → wait for `phoneCallAccepted` (receive timeout, then ring timeout once the
 * callee's device rings) → shared key + fingerprint → `confirmCall` with `g_a` → check the
 * echoed fingerprint → `ActiveCall`.
 *
 * Incoming (`PhoneCalls.incoming`): every `phoneCallRequested` is acknowledged with
 * `receivedCall` and offered as an `IncomingCall`; `accept` sends `g_b`, waits for the final
 * `phoneCall`, and verifies `SHA-256(g_a) == g_a_hash`, the range of `g_a` and the key
 * fingerprint — the man-in-the-middle check. Any mismatch discards the call and fails with the
 * typed crypto error.
 *
 * Calls are scoped resources: leaving the scope hangs up (or cancels, or declines), with the
 * discard reason official clients send (`docs/handshake.md`).
 *
 * On an active call, `sendEncrypted` / `encryptedSignaling` carry signalling data encrypted
 * with the call key as tgcalls does (`Signaling` of @tgphone/crypto, spec §6).
 *
 * @since 0.1.0
 */
import {
  type CryptoError,
  DhGroup,
  Fingerprint,
  KeyExchange,
  type PhoneCallProtocol,
  Protocol,
  SecureRandom,
  Signaling
} from "@tgphone/crypto"
import {
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Layer,
  Option,
  PubSub,
  Redacted,
  Ref,
  Schema,
  type Scope,
  Stream,
  SubscriptionRef
} from "effect"
import { type PhoneError, TransportFailure } from "./Errors.js"
import type { DataJson, DiscardReason, PhoneCall, PhoneConnection, Update } from "./Model.js"
import * as Phone from "./Phone.js"
import { type ConnectionState, TelegramRpc, type UserNotFound, type UserRef } from "./TelegramRpc.js"

// ---------------------------------------------------------------------------------------------
// Errors and models
// ---------------------------------------------------------------------------------------------

/**
 * The call ended before it became active: the peer refused or hung up, the server ended it,
 * or (with `reason: "Busy"`) the callee was in another call.
 *
 * @since 0.1.0
 * @category errors
 */
export class CallDiscarded extends Schema.TaggedError<CallDiscarded>()("CallDiscarded", {
  callId: Schema.BigInt,
  reason: Schema.Literals(["Missed", "Disconnect", "Hangup", "Busy", "MigrateConferenceCall", "None"]),
  needRating: Schema.Boolean,
  needDebug: Schema.Boolean
}) {
  override get message(): string {
    return `call ${this.callId} was discarded before it became active (reason: ${this.reason})`
  }
}

/**
 * A timeout of the handshake passed (`phase`: `"receive"` — the callee's device never
 * acknowledged; `"ring"` — nobody answered; `"connect"` — the key exchange did not finish).
 * The call was discarded on our side.
 *
 * @since 0.1.0
 * @category errors
 */
export class CallTimeout extends Schema.TaggedError<CallTimeout>()("CallTimeout", {
  callId: Schema.BigInt,
  phase: Schema.Literals(["receive", "ring", "connect"]),
  after: Schema.Duration
}) {
  override get message(): string {
    return `call ${this.callId}: ${this.phase} timeout after ${Duration.format(this.after)}`
  }
}

/**
 * The server answered a handshake step with a call state that makes no sense at that step
 * (for example `requestCall` returning something other than `phoneCallWaiting`).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedCallState extends Schema.TaggedError<UnexpectedCallState>()("UnexpectedCallState", {
  callId: Schema.BigInt,
  step: Schema.String,
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message(): string {
    return `call ${this.callId}: ${this.step} returned ${this.actual}, expected ${this.expected}`
  }
}

/**
 * `messages.getDhConfig` answered `dhConfigNotModified` although this client has no DH config
 * cached (it asked with version 0): there is no group to compute with.
 *
 * @since 0.1.0
 * @category errors
 */
export class DhConfigUnexpected extends Schema.TaggedError<DhConfigUnexpected>()("DhConfigUnexpected", {
  askedVersion: Schema.Int
}) {
  override get message(): string {
    return `messages.getDhConfig answered dhConfigNotModified to version ${this.askedVersion}, but no DH config is cached`
  }
}

/**
 * Why an active call ended: the discard reason, and for `MigrateConferenceCall` (the peer moved
 * the call into a conference, layer 202 on) the conference's `slug`, the link to join it. A
 * backend on an older layer (GramJS, 198) never reads that reason: it sees `Hangup`.
 *
 * @since 0.1.0
 * @category models
 */
export type CallEnd =
  | { readonly reason: Exclude<CallDiscarded["reason"], "MigrateConferenceCall"> }
  | { readonly reason: "MigrateConferenceCall"; readonly slug: string }

/**
 * Where a call is. `states` streams these in order; each state is reported once. `Ended`
 * carries its `CallEnd` (narrow on `reason` to read a conference's `slug`).
 *
 * @since 0.1.0
 * @category models
 */
export type CallState =
  | { readonly _tag: "Requesting" }
  | { readonly _tag: "Waiting"; readonly callId: bigint }
  | { readonly _tag: "Ringing"; readonly callId: bigint }
  | { readonly _tag: "ExchangingKeys"; readonly callId: bigint }
  | { readonly _tag: "Active"; readonly callId: bigint }
  | ({
      readonly _tag: "Ended"
      readonly callId: bigint
      readonly by: "us" | "peer"
      readonly needRating: boolean
      readonly needDebug: boolean
    } & CallEnd)

/**
 * Handshake timeouts. Telegram's clients take them from the server config
 * (`call_receive_timeout_ms`, `call_ring_timeout_ms`, `call_connect_timeout_ms`); the defaults
 * are TDLib's.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallTimeouts {
  readonly receive: Duration.Duration
  readonly ring: Duration.Duration
  readonly connect: Duration.Duration
}

/**
 * TDLib's defaults: receive 20 s, ring 90 s, connect 30 s.
 *
 * @since 0.1.0
 * @category models
 */
export const defaultTimeouts: CallTimeouts = {
  receive: Duration.seconds(20),
  ring: Duration.seconds(90),
  connect: Duration.seconds(30)
}

type Rpc = TelegramRpc["Service"]
/**
 * What hanging up (`phone.discardCall`) can fail with: the errors Telegram documents for it.
 *
 * @since 0.1.0
 * @category errors
 */
export type DiscardError = PhoneError<"phone.discardCall">

/**
 * A call whose key exchange finished and was verified on this side. Everything a media
 * layer (tgcalls) needs is here: `key`, `isOutgoing`, the negotiated `libraryVersion`,
 * `connections`, `p2pAllowed`, `customParameters`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ActiveCall {
  readonly id: bigint
  readonly accessHash: bigint
  /** `true` on the caller's side. */
  readonly isOutgoing: boolean
  /** The other party's user id. */
  readonly peerUserId: bigint
  readonly video: boolean
  /** The shared 256-byte key. Redacted: `Redacted.value(call.key)` to hand it to the media layer. */
  readonly key: Redacted.Redacted<Uint8Array>
  /** `key_fingerprint` as the TL `long` (signed 64-bit). */
  readonly keyFingerprint: bigint
  /** The 4 emoji both parties see; compare them aloud to rule out a man in the middle. */
  readonly emojis: ReadonlyArray<string>
  /** The protocol of the final `phoneCall` (the server's choice). */
  readonly protocol: PhoneCallProtocol
  /** The tgcalls version to start (`protocol.libraryVersions[0]`). */
  readonly libraryVersion: string
  readonly connections: ReadonlyArray<PhoneConnection>
  readonly p2pAllowed: boolean
  readonly startDate: number
  readonly customParameters: DataJson | undefined
  /**
   * Ends the call with reason Hangup (idempotent; does nothing once the call has ended). While
   * the transport is down it does not wait for an answer: it fails at once with
   * `TransportFailure`, and the call ends on this side all the same (as after any
   * `TransportFailure`); any other error leaves the call active.
   */
  readonly hangUp: Effect.Effect<void, DiscardError>
  /** Rates the call (1–5 stars). */
  readonly rate: (stars: number, comment?: string) => Effect.Effect<void, PhoneError<"phone.setCallRating">>
  /** Sends the client's debug log (JSON text). */
  readonly saveDebug: (json: string) => Effect.Effect<void, PhoneError<"phone.saveCallDebug">>
  /** Sends opaque signalling data to the peer (`phone.sendSignalingData`). */
  readonly sendSignalingData: (data: Uint8Array) => Effect.Effect<void, PhoneError<"phone.sendSignalingData">>
  /**
   * The signalling data the peer sends, from the moment the call became active (a stream that
   * starts late first sees the most recent 1024 packets before it started); ends when the call
   * ends.
   */
  readonly signalingData: Stream.Stream<Uint8Array>
  /**
   * Encrypts `payload` (one signalling message) with the call key in the layout tgcalls uses
   * for `libraryVersion` (raw, framed with acks and resends, or SCTP-wrapped; see
   * `Signaling` and docs/security.md §8). Its packets, and the acks, resends and SCTP control
   * packets the channel produces, are sent with `phone.sendSignalingData` by a fiber of the
   * call (a failed send is logged at Warning level; framed and SCTP layouts resend). Fails
   * with `SignalingSeqExhausted` after 2^30 − 1 packets, `SignalingMessageRefused` when the
   * layout cannot carry the message, `SignalingVersionUnsupported` when the negotiated version
   * has no layout we speak.
   */
  readonly sendEncrypted: (payload: Uint8Array) => Effect.Effect<void, SignalingSendError>
  /**
   * The signalling messages of the peer, decrypted and authenticated, in arrival order, from the
   * moment the call became active (the call reads the peer's packets from activation on, with
   * one replay window, and answers acks; a late run replays the last 1024 messages), ending when
   * the call ends. Refused packets (shorter than 21 bytes, longer than
   * 128 KiB, wrong `msg_key`, malformed framing, duplicate or too old) are dropped and logged at
   * Debug level; an authentic packet never ends the call. Fails only with
   * `SignalingVersionUnsupported`.
   */
  readonly encryptedSignaling: Stream.Stream<Uint8Array, Signaling.SignalingVersionUnsupported>
  /** The call's states from now on: `Active`, then `Ended`. */
  readonly states: Stream.Stream<CallState>
  /**
   * Completes when the call ends, with the final `Ended` state: by either side, or here with
   * reason `Disconnect` when the transport (`TelegramRpc.connection`) has been down for longer
   * than the call's connect timeout.
   */
  readonly ended: Effect.Effect<Extract<CallState, { _tag: "Ended" }>>
}

/**
 * Why `ActiveCall.sendEncrypted` failed.
 *
 * @since 0.1.0
 * @category models
 */
export type SignalingSendError = Signaling.SendError | Signaling.SignalingVersionUnsupported

/**
 * An incoming call, already acknowledged with `receivedCall` (the caller sees it ringing).
 *
 * @since 0.1.0
 * @category models
 */
export interface IncomingCall {
  readonly id: bigint
  readonly accessHash: bigint
  readonly callerId: bigint
  readonly video: boolean
  readonly date: number
  /** The caller's protocol. */
  readonly protocol: PhoneCallProtocol
  /** Accepts the call and completes the key exchange; the call lives in the current scope. */
  readonly accept: (options?: AcceptOptions) => Effect.Effect<ActiveCall, AcceptError, Scope.Scope>
  /** Refuses the call (reason Busy, as TDLib and Telegram Desktop send). */
  readonly decline: Effect.Effect<void, DiscardError>
}

/**
 * Options of an outgoing call.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallOptions {
  readonly video?: boolean | undefined
  /** What this client speaks (default: the layer's protocol, `Protocol.defaultProtocol`). */
  readonly protocol?: PhoneCallProtocol | undefined
  /** Called with each state as the handshake advances. */
  readonly onState?: ((state: CallState) => Effect.Effect<void>) | undefined
}

/**
 * Options of `IncomingCall.accept`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AcceptOptions {
  readonly protocol?: PhoneCallProtocol | undefined
}

/**
 * The key-exchange failures of a handshake: an unusable DH config, a bad public value, a
 * `g_a_hash` or key-fingerprint mismatch.
 *
 * @since 0.1.0
 * @category errors
 */
export type CryptoFailure =
  | DhConfigUnexpected
  | CryptoError.DhPrimeInvalid
  | CryptoError.DhGeneratorInvalid
  | CryptoError.KeyGenerationFailed
  | CryptoError.PublicValueMalformed
  | CryptoError.PublicValueOutOfRange
  | CryptoError.GAHashMismatch
  | CryptoError.KeyFingerprintMismatch
  | CryptoError.RandomLengthInvalid

/**
 * What an outgoing call can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type CallError =
  | UserNotFound
  | PhoneError<"messages.getDhConfig">
  | PhoneError<"phone.requestCall">
  | PhoneError<"phone.confirmCall">
  | CryptoFailure
  | Protocol.ProtocolIncompatible
  | CallDiscarded
  | CallTimeout
  | UnexpectedCallState

/**
 * What accepting an incoming call can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type AcceptError =
  | PhoneError<"messages.getDhConfig">
  | PhoneError<"phone.acceptCall">
  | CryptoFailure
  | CallDiscarded
  | CallTimeout
  | UnexpectedCallState

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

/**
 * The call handshake service for one account.
 *
 * @since 0.1.0
 * @category services
 */
export class PhoneCalls extends Context.Service<
  PhoneCalls,
  {
    /** Calls `user`; the returned call lives in the current scope (leaving it hangs up). */
    readonly call: (user: UserRef, options?: CallOptions) => Effect.Effect<ActiveCall, CallError, Scope.Scope>
    /**
     * Incoming calls, each acknowledged with `receivedCall`, from the moment the stream starts
     * running (a call requested before that is not seen; use `listen` to be sure).
     */
    readonly incoming: Stream.Stream<IncomingCall>
    /**
     * Starts listening for incoming calls now and returns them as a stream: no call requested
     * after this effect returns is missed. Listening stops when the scope closes.
     */
    readonly listen: Effect.Effect<Stream.Stream<IncomingCall>, never, Scope.Scope>
  }
>()("@tgphone/core/PhoneCalls") {}

/**
 * Options of `layer`.
 *
 * @since 0.1.0
 * @category layers
 */
export interface Options {
  /** What this client speaks (default `Protocol.defaultProtocol`). */
  readonly protocol?: PhoneCallProtocol | undefined
  /**
   * Handshake timeouts. Each one left out comes from the server's call config
   * (`TelegramRpc.callConfig`), or from `defaultTimeouts` when it cannot be read.
   */
  readonly timeouts?: Partial<CallTimeouts> | undefined
}

const reasonOf = (reason: DiscardReason | undefined): CallDiscarded["reason"] => reason?._tag ?? "None"

/** How the server's discard reason ends an active call (with the conference's slug). */
const endOf = (reason: DiscardReason | undefined): CallEnd =>
  reason?._tag === "MigrateConferenceCall"
    ? { reason: "MigrateConferenceCall", slug: reason.slug }
    : { reason: reason?._tag ?? "None" }

const describeCall = (call: PhoneCall): string => call._tag

/**
 * The call state a handshake step must see: `tag`, or the typed outcome — `CallDiscarded` when
 * the server already ended the call, `UnexpectedCallState` for anything else.
 */
const expectCall = <T extends PhoneCall["_tag"]>(
  call: PhoneCall,
  tag: T,
  step: string,
  callId: bigint
): Effect.Effect<Extract<PhoneCall, { _tag: T }>, CallDiscarded | UnexpectedCallState> =>
  call._tag === tag
    ? Effect.succeed(call as Extract<PhoneCall, { _tag: T }>)
    : call._tag === "PhoneCallDiscarded"
      ? Effect.fail(discardedBy(call))
      : Effect.fail(new UnexpectedCallState({ callId, step, expected: tag, actual: describeCall(call) }))

/** Whether a handshake ended because the server had already discarded the call. */
const endedByServer = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Option.exists(Exit.findErrorOption(exit), (e) => e instanceof CallDiscarded)

/** The typed outcome of a call the server reports as discarded before it became active. */
const discardedBy = (call: Extract<PhoneCall, { _tag: "PhoneCallDiscarded" }>): CallDiscarded =>
  new CallDiscarded({
    callId: call.id,
    reason: reasonOf(call.reason),
    needRating: call.needRating,
    needDebug: call.needDebug
  })

interface Context_ {
  readonly rpc: Rpc
  readonly hub: PubSub.PubSub<Update>
  readonly protocol: PhoneCallProtocol
  /** The handshake timeouts: explicit options, else the server's call config, else the defaults. */
  readonly timeouts: Effect.Effect<CallTimeouts>
  /** Our side of a new exchange: the DH config (cached by version), then a fresh key pair. */
  readonly keyPair: Effect.Effect<
    KeyExchange.KeyPair,
    | PhoneError<"messages.getDhConfig">
    | CryptoError.DhPrimeInvalid
    | CryptoError.DhGeneratorInvalid
    | CryptoError.KeyGenerationFailed
    | DhConfigUnexpected
  >
  readonly random: SecureRandom.SecureRandom["Service"]
}

const provideRpc = <A, E>(ctx: Context_, effect: Effect.Effect<A, E, TelegramRpc>): Effect.Effect<A, E> =>
  Effect.provideService(effect, TelegramRpc, ctx.rpc)

/** Waits for the next update about `callId` until `deadline` (epoch ms); `None` on timeout. */
const nextCallUpdate = (
  sub: PubSub.Subscription<Update>,
  callId: bigint,
  deadline: number
): Effect.Effect<Option.Option<PhoneCall>> =>
  Effect.gen(function* () {
    while (true) {
      const remaining = deadline - (yield* Clock.currentTimeMillis)
      if (remaining <= 0) return Option.none()
      const next = yield* Effect.timeoutOption(PubSub.take(sub), Duration.millis(remaining))
      if (Option.isNone(next)) return Option.none()
      const update = next.value
      if (update._tag === "UpdatePhoneCall" && update.phoneCall.id === callId)
        return Option.some(update.phoneCall)
    }
  })

const discard = (
  ctx: Context_,
  peer: { id: bigint; accessHash: bigint },
  reason: "Missed" | "Hangup" | "Busy" | "Disconnect",
  video: boolean,
  duration = 0
): Effect.Effect<void, DiscardError> =>
  provideRpc(ctx, Phone.discardCall({ peer, reason, video, duration })).pipe(
    // The call already ended on the server: nothing left to discard.
    Effect.catchTag(["CallAlreadyAccepted", "CallPeerInvalid"], () => Effect.void),
    Effect.catchIf(
      (e) => e._tag === "UnknownRpcError" && e.type === "CALL_ALREADY_DECLINED",
      () => Effect.void
    ),
    Effect.asVoid
  )

interface Live {
  readonly ended: Deferred.Deferred<Extract<CallState, { _tag: "Ended" }>>
  readonly states: PubSub.PubSub<CallState>
  /** The peer's signalling data since activation (replayed to late subscribers), ended with the call. */
  readonly signals: PubSub.PubSub<Uint8Array | typeof callEnded>
}

/** The final message of `Live.signals`: the call ended, no more data follows. */
const callEnded: unique symbol = Symbol("tgphone/PhoneCalls/callEnded")

/**
 * How many signalling packets of a call a stream that starts late still sees (the most recent
 * ones); everything after it started it sees in full.
 */
const signalingReplay = 1024

/** Builds the `ActiveCall` and the fiber that follows its end. */
const activate = (
  ctx: Context_,
  sub: PubSub.Subscription<Update>,
  connectTimeout: Duration.Duration,
  fields: Omit<
    ActiveCall,
    | "hangUp"
    | "rate"
    | "saveDebug"
    | "sendSignalingData"
    | "signalingData"
    | "sendEncrypted"
    | "encryptedSignaling"
    | "states"
    | "ended"
  >
): Effect.Effect<ActiveCall, never, Scope.Scope> =>
  Effect.gen(function* () {
    const live: Live = {
      ended: yield* Deferred.make<Extract<CallState, { _tag: "Ended" }>>(),
      states: yield* PubSub.unbounded<CallState>({ replay: 1 }),
      signals: yield* PubSub.unbounded<Uint8Array | typeof callEnded>({ replay: signalingReplay })
    }
    yield* PubSub.publish(live.states, { _tag: "Active", callId: fields.id })
    const peer = { id: fields.id, accessHash: fields.accessHash }
    // Ends the call once (`false` when it had already ended); never cut off half-way, so the
    // `Ended` state and the end of the signalling streams always follow `ended`.
    const finish = (state: Extract<CallState, { _tag: "Ended" }>) =>
      Effect.uninterruptible(
        Effect.gen(function* () {
          if (!(yield* Deferred.succeed(live.ended, state))) return false
          yield* PubSub.publish(live.states, state)
          yield* PubSub.end(live.signals, callEnded)
          return true
        })
      )
    // Set while our own hang-up is in flight, so that the discard the server reports back
    // (in the result or pushed) is attributed to us.
    const hangingUp = yield* Ref.make(false)
    // The transport, followed from activation on (docs/handshake.md, "Losing the connection"):
    // `link` is its latest state; when it stays "Disconnected" for the connect timeout, the call
    // ends on this side with reason Disconnect, and the discard is sent for when the backend
    // reconnects. One fiber pulls the states and arms the deadline in the same step that sees
    // the loss, so the timeout counts from that moment.
    const transport = yield* ctx.rpc.connection
    const link = yield* SubscriptionRef.make<ConnectionState>("Connected")
    const lost = Effect.gen(function* () {
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const ended = yield* finish({
        _tag: "Ended",
        callId: fields.id,
        reason: "Disconnect",
        by: "us",
        needRating: false,
        needDebug: false
      })
      if (ended)
        yield* Effect.ignore(
          discard(ctx, peer, "Disconnect", fields.video, Math.max(0, now - fields.startDate))
        )
    })
    const follow = Effect.gen(function* () {
      const pull = yield* Stream.toPull(transport)
      // when the transport was lost (epoch ms), while it is
      let downSince: number | undefined
      while (!(yield* Deferred.isDone(live.ended))) {
        const now = yield* Clock.currentTimeMillis
        const remaining =
          downSince === undefined ? undefined : downSince + Duration.toMillis(connectTimeout) - now
        if (remaining !== undefined && remaining <= 0) return yield* lost
        const next =
          remaining === undefined
            ? yield* Effect.option(pull)
            : yield* Effect.timeoutOption(Effect.option(pull), Duration.millis(remaining)).pipe(
                Effect.map(Option.getOrElse(() => Option.some([] as ReadonlyArray<ConnectionState>)))
              )
        // the stream ended (the backend was released): nothing more to follow
        if (Option.isNone(next)) return
        const state = next.value.at(-1)
        if (state === undefined) continue
        yield* SubscriptionRef.set(link, state)
        if (state === "Connected") downSince = undefined
        else downSince ??= yield* Clock.currentTimeMillis
      }
    }).pipe(Effect.scoped)
    yield* Effect.forkScoped(follow)
    // Fails as soon as the transport is down: a hang-up does not wait for an answer then.
    const transportDown = SubscriptionRef.changes(link).pipe(
      Stream.filter((state) => state === "Disconnected"),
      Stream.runHead,
      Effect.andThen(() =>
        Effect.fail(
          new TransportFailure({
            method: "phone.discardCall",
            message: "not answered: the connection to the server is lost"
          })
        )
      )
    )
    // Follow the call until the server reports its end.
    yield* Effect.forkScoped(
      Effect.gen(function* () {
        while (true) {
          const update = yield* PubSub.take(sub)
          if (update._tag === "UpdatePhoneCallSignalingData" && update.phoneCallId === fields.id) {
            yield* PubSub.publish(live.signals, update.data)
            continue
          }
          if (
            update._tag === "UpdatePhoneCall" &&
            update.phoneCall.id === fields.id &&
            update.phoneCall._tag === "PhoneCallDiscarded"
          ) {
            const d = update.phoneCall
            return yield* finish({
              _tag: "Ended",
              callId: fields.id,
              ...endOf(d.reason),
              by: (yield* Ref.get(hangingUp)) ? "us" : "peer",
              needRating: d.needRating,
              needDebug: d.needDebug
            })
          }
        }
      })
    )
    const hangUp: Effect.Effect<void, DiscardError> = Effect.gen(function* () {
      if (yield* Deferred.isDone(live.ended)) return
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const ended = {
        _tag: "Ended",
        callId: fields.id,
        reason: "Hangup",
        by: "us",
        needRating: false,
        needDebug: false
      } as const
      yield* Ref.set(hangingUp, true)
      yield* discard(ctx, peer, "Hangup", fields.video, Math.max(0, now - fields.startDate)).pipe(
        // During an outage the answer is not awaited (the backend still sends the request if it
        // reconnects). Without a transport the call is over on this side: it ends, and the
        // `TransportFailure` says the server may not know yet. Any other error leaves it active.
        Effect.raceFirst(transportDown),
        Effect.tapError((e) => (e._tag === "TransportFailure" ? finish(ended) : Ref.set(hangingUp, false)))
      )
      yield* finish(ended)
    })
    yield* Effect.addFinalizer(() => Effect.ignore(hangUp))
    // Ends with the call: the end is the final message of `signals`, after every packet before it.
    const signalingData = Stream.fromPubSub(live.signals).pipe(
      Stream.takeWhile((m): m is Uint8Array => m !== callEnded)
    )
    // ---- signalling (owned by the `Signaling` module): one channel per call, in the layout of
    // the negotiated library version; its packets (messages, acks, resends, SCTP control) are
    // sent by one fiber, the peer's packets are read by another from the moment the call is
    // active, and the messages they carry are published to `encryptedSignaling`'s runs.
    const channel = yield* Effect.result(
      Signaling.makeChannel(fields.key, fields.isOutgoing, { libraryVersion: fields.libraryVersion }).pipe(
        // The key is the checked 256-byte shared key: only the version can be refused.
        Effect.catchTag(["KeyLengthInvalid", "SignalingArgumentInvalid"], (e) => Effect.die(e))
      )
    )
    // The peer's messages, replayed to late runs like `signalingData`, ended with the call.
    const received = yield* PubSub.unbounded<Uint8Array | typeof callEnded>({ replay: signalingReplay })
    if (channel._tag === "Success") {
      const ch = channel.success
      yield* Effect.forkScoped(
        Stream.runForEach(ch.outgoing, (data) =>
          // Once the hang-up has begun or the call has ended, the channel's late packets
          // (resends, SCTP) are not sent: they would reach a discarded call and be refused.
          Effect.flatMap(
            Effect.zipWith(Ref.get(hangingUp), Deferred.isDone(live.ended), (a, b) => a || b),
            (over) => (over ? Effect.void : provideRpc(ctx, Phone.sendSignalingData({ peer, data })))
          ).pipe(
            // `CallNotActive`: the server has ended the call (a packet racing the peer's
            // discard), and its end is on the way: nothing to warn about
            Effect.catch((e) =>
              (e._tag === "CallNotActive"
                ? Effect.logDebug("signalling packet not sent")
                : Effect.logWarning("signalling packet not sent")
              ).pipe(Effect.annotateLogs({ callId: String(fields.id), reason: e.message }))
            )
          )
        )
      )
      yield* Effect.forkScoped(
        Stream.runForEach(signalingData, (data) =>
          Effect.gen(function* () {
            const r = yield* Effect.result(ch.receive(data))
            if (r._tag === "Failure")
              return yield* Effect.logDebug("encrypted signalling packet dropped").pipe(
                Effect.annotateLogs({ callId: String(fields.id), reason: r.failure.message })
              )
            for (const m of r.success.messages) yield* PubSub.publish(received, m.message)
          })
        ).pipe(Effect.andThen(PubSub.publish(received, callEnded)))
      )
    }
    const encryptedSignaling =
      channel._tag === "Success"
        ? Stream.fromPubSub(received).pipe(Stream.takeWhile((m): m is Uint8Array => m !== callEnded))
        : Stream.fail(channel.failure)
    const sendEncrypted = (payload: Uint8Array) =>
      channel._tag === "Success" ? channel.success.send(payload) : Effect.fail(channel.failure)
    return {
      ...fields,
      hangUp,
      rate: (stars, comment) =>
        provideRpc(
          ctx,
          Phone.setCallRating({
            peer,
            rating: stars,
            userInitiative: true,
            ...(comment === undefined ? {} : { comment })
          })
        ).pipe(Effect.asVoid),
      saveDebug: (json) => provideRpc(ctx, Phone.saveCallDebug({ peer, debug: json })).pipe(Effect.asVoid),
      sendSignalingData: (data) =>
        provideRpc(ctx, Phone.sendSignalingData({ peer, data })).pipe(Effect.asVoid),
      signalingData,
      sendEncrypted,
      encryptedSignaling,
      states: Stream.fromPubSub(live.states).pipe(Stream.takeUntil((s) => s._tag === "Ended")),
      ended: Deferred.await(live.ended)
    } satisfies ActiveCall
  })

const outgoing = (
  ctx: Context_,
  user: UserRef,
  options: CallOptions | undefined
): Effect.Effect<ActiveCall, CallError, Scope.Scope> =>
  Effect.gen(function* () {
    const protocol = options?.protocol ?? ctx.protocol
    const video = options?.video ?? false
    const timeouts = yield* ctx.timeouts
    const report = (state: CallState) => options?.onState?.(state) ?? Effect.void
    yield* report({ _tag: "Requesting" })
    // Subscribe before anything is sent, so no update about the call can be missed.
    const sub = yield* PubSub.subscribe(ctx.hub)
    const pair = yield* ctx.keyPair
    const randomId = new DataView((yield* ctx.random.nextBytes(4)).buffer).getInt32(0)
    // The request is not interruptible (it is bounded by the backend's request timeout): an
    // interruption that arrives meanwhile takes effect once the call's id is known, so the
    // call is discarded instead of being left ringing. From then on an interruption can only
    // land inside `restore(...)`, where the cleanup is installed.
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const requested = yield* provideRpc(
          ctx,
          Phone.requestCall({
            userId: user,
            randomId,
            gAHash: Fingerprint.gAHash(pair.publicValue),
            protocol,
            video
          })
        )
        const waiting = yield* expectCall(
          requested.phoneCall,
          "PhoneCallWaiting",
          "phone.requestCall",
          requested.phoneCall.id
        )
        const peer = { id: waiting.id, accessHash: waiting.accessHash }
        yield* report({ _tag: "Waiting", callId: waiting.id })

        // Until the call is active, leaving cancels it (docs/handshake.md, spec §2.1): Missed before
        // the callee answered; during the key exchange Hangup when interrupted, Disconnect when a
        // step or a check failed.
        const phase = yield* Ref.make<"ringing" | "exchanging">("ringing")
        const handshake = Effect.gen(function* () {
          let ringing = waiting.receiveDate !== undefined
          if (ringing) yield* report({ _tag: "Ringing", callId: waiting.id })
          let deadline =
            (yield* Clock.currentTimeMillis) + Duration.toMillis(ringing ? timeouts.ring : timeouts.receive)
          let accepted: Extract<PhoneCall, { _tag: "PhoneCallAccepted" }> | undefined
          while (accepted === undefined) {
            const next = yield* nextCallUpdate(sub, waiting.id, deadline)
            if (Option.isNone(next)) {
              return yield* new CallTimeout({
                callId: waiting.id,
                phase: ringing ? "ring" : "receive",
                after: ringing ? timeouts.ring : timeouts.receive
              })
            }
            const call = next.value
            if (call._tag === "PhoneCallAccepted") accepted = call
            else if (call._tag === "PhoneCallDiscarded") return yield* discardedBy(call)
            else if (call._tag === "PhoneCallWaiting" && call.receiveDate !== undefined && !ringing) {
              ringing = true
              deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(timeouts.ring)
              yield* report({ _tag: "Ringing", callId: waiting.id })
            }
          }
          yield* Ref.set(phase, "exchanging")
          yield* report({ _tag: "ExchangingKeys", callId: waiting.id })
          const chosen = accepted.protocol.libraryVersions[0]
          if (chosen === undefined || !protocol.libraryVersions.includes(chosen)) {
            return yield* new Protocol.ProtocolIncompatible({
              reason: "library-versions",
              ours: protocol,
              theirs: accepted.protocol
            })
          }
          const key = yield* KeyExchange.computeSharedKey(pair.group, pair.secret, accepted.gB)
          const keyFingerprint = Fingerprint.keyFingerprint(Redacted.value(key))
          const confirmed = yield* provideRpc(
            ctx,
            Phone.confirmCall({ peer, gA: pair.publicValue, keyFingerprint, protocol })
          ).pipe(
            Effect.timeoutOrElse({
              duration: timeouts.connect,
              orElse: () =>
                Effect.fail(
                  new CallTimeout({ callId: waiting.id, phase: "connect", after: timeouts.connect })
                )
            })
          )
          const final = yield* expectCall(confirmed.phoneCall, "PhoneCall", "phone.confirmCall", waiting.id)
          yield* Effect.fromResult(
            Fingerprint.verifyKeyFingerprint(Redacted.value(key), final.keyFingerprint)
          )
          return { final, key, keyFingerprint }
        })
        const { final, key, keyFingerprint } = yield* restore(handshake).pipe(
          Effect.onExit((exit) =>
            Exit.isSuccess(exit) || endedByServer(exit)
              ? Effect.void
              : Effect.flatMap(Ref.get(phase), (p) =>
                  Effect.ignore(
                    discard(
                      ctx,
                      peer,
                      p === "ringing" ? "Missed" : Exit.hasInterrupts(exit) ? "Hangup" : "Disconnect",
                      video
                    )
                  )
                )
          )
        )
        const active = yield* activate(ctx, sub, timeouts.connect, {
          id: final.id,
          accessHash: final.accessHash,
          isOutgoing: true,
          peerUserId: final.participantId,
          video: final.video,
          key,
          keyFingerprint,
          emojis: Fingerprint.emojiFingerprint(Redacted.value(key), pair.publicValue),
          protocol: final.protocol,
          libraryVersion: final.protocol.libraryVersions[0] ?? "",
          connections: final.connections,
          p2pAllowed: final.p2pAllowed,
          startDate: final.startDate,
          customParameters: final.customParameters
        })
        yield* report({ _tag: "Active", callId: final.id })
        return active
      })
    )
  })

type Requested = Extract<PhoneCall, { _tag: "PhoneCallRequested" }>

const accept = (
  ctx: Context_,
  requested: Requested,
  options: AcceptOptions | undefined
): Effect.Effect<ActiveCall, AcceptError, Scope.Scope> =>
  Effect.gen(function* () {
    const protocol = options?.protocol ?? ctx.protocol
    const peer = { id: requested.id, accessHash: requested.accessHash }
    const timeouts = yield* ctx.timeouts
    const sub = yield* PubSub.subscribe(ctx.hub)
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const handshake = Effect.gen(function* () {
          const pair = yield* ctx.keyPair
          const answered = yield* provideRpc(ctx, Phone.acceptCall({ peer, gB: pair.publicValue, protocol }))
          const afterAccept = answered.phoneCall
          if (afterAccept._tag === "PhoneCallDiscarded") return yield* discardedBy(afterAccept)
          const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(timeouts.connect)
          // The server's answer may already be the final state (spec §8.7 lists what clients see).
          let final: PhoneCall | undefined = afterAccept._tag === "PhoneCall" ? afterAccept : undefined
          while (final === undefined) {
            const next = yield* nextCallUpdate(sub, requested.id, deadline)
            if (Option.isNone(next)) {
              return yield* new CallTimeout({
                callId: requested.id,
                phase: "connect",
                after: timeouts.connect
              })
            }
            if (next.value._tag === "PhoneCall" || next.value._tag === "PhoneCallDiscarded")
              final = next.value
          }
          const active = yield* expectCall(final, "PhoneCall", "updatePhoneCall", requested.id)
          // The man-in-the-middle checks (spec §2 step 14): the hash over g_a exactly as received,
          // the range of g_a, then the key fingerprint.
          yield* Effect.fromResult(Fingerprint.verifyGAHash(active.gAOrB, requested.gAHash))
          const key = yield* KeyExchange.computeSharedKey(pair.group, pair.secret, active.gAOrB)
          yield* Effect.fromResult(
            Fingerprint.verifyKeyFingerprint(Redacted.value(key), active.keyFingerprint)
          )
          return { final: active, key }
        })
        const { final, key } = yield* restore(handshake).pipe(
          Effect.onExit((exit) =>
            Exit.isSuccess(exit) || endedByServer(exit)
              ? Effect.void
              : Effect.ignore(
                  discard(ctx, peer, Exit.hasInterrupts(exit) ? "Hangup" : "Disconnect", requested.video)
                )
          )
        )
        return yield* activate(ctx, sub, timeouts.connect, {
          id: final.id,
          accessHash: final.accessHash,
          isOutgoing: false,
          peerUserId: final.adminId,
          video: final.video,
          key,
          keyFingerprint: final.keyFingerprint,
          emojis: Fingerprint.emojiFingerprint(Redacted.value(key), final.gAOrB),
          protocol: final.protocol,
          libraryVersion: final.protocol.libraryVersions[0] ?? "",
          connections: final.connections,
          p2pAllowed: final.p2pAllowed,
          startDate: final.startDate,
          customParameters: final.customParameters
        })
      })
    )
  })

const incomingCalls = (updates: Stream.Stream<Update>, ctx: Context_): Stream.Stream<IncomingCall> =>
  updates.pipe(
    Stream.filter(
      (u): u is { readonly _tag: "UpdatePhoneCall"; readonly phoneCall: Requested } =>
        u._tag === "UpdatePhoneCall" &&
        u.phoneCall._tag === "PhoneCallRequested" &&
        u.phoneCall.participantId === ctx.rpc.account.userId
    ),
    Stream.map((u) => u.phoneCall),
    // Acknowledge each call (the caller then sees it ringing); a call the server already
    // ended is not offered.
    Stream.filterEffect((call) =>
      provideRpc(ctx, Phone.receivedCall({ peer: { id: call.id, accessHash: call.accessHash } })).pipe(
        Effect.as(true),
        Effect.catch(() => Effect.succeed(false))
      )
    ),
    Stream.map(
      (call): IncomingCall => ({
        id: call.id,
        accessHash: call.accessHash,
        callerId: call.adminId,
        video: call.video,
        date: call.date,
        protocol: call.protocol,
        accept: (options) => accept(ctx, call, options),
        decline: discard(ctx, { id: call.id, accessHash: call.accessHash }, "Busy", call.video)
      })
    )
  )

/**
 * The `PhoneCalls` service over the current `TelegramRpc` and `SecureRandom`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<PhoneCalls, never, TelegramRpc | SecureRandom.SecureRandom> =>
  Layer.effect(
    PhoneCalls,
    Effect.gen(function* () {
      const rpc = yield* TelegramRpc
      const random = yield* SecureRandom.SecureRandom
      const hub = yield* PubSub.unbounded<Update>()
      // The seam's subscription is live once `subscribe` returns, so no update is missed however
      // late the forwarding fiber starts.
      const updates = yield* rpc.subscribe
      yield* Effect.forkScoped(Stream.runForEach(updates, (u) => PubSub.publish(hub, u)))
      const cache = yield* Ref.make<Option.Option<DhGroup.DhGroup>>(Option.none())
      const dh = Effect.gen(function* () {
        const cached = yield* Ref.get(cache)
        const config = yield* Effect.provideService(
          Phone.getDhConfig({
            version: Option.match(cached, { onNone: () => 0, onSome: (g) => g.version }),
            randomLength: 256
          }),
          TelegramRpc,
          rpc
        )
        if (config._tag === "DhConfigNotModified" && Option.isSome(cached)) {
          return { group: cached.value, random: config.random }
        }
        if (config._tag === "DhConfigNotModified") return yield* new DhConfigUnexpected({ askedVersion: 0 })
        const group = yield* DhGroup.make({ g: config.g, p: config.p, version: config.version })
        yield* Ref.set(cache, Option.some(group))
        return { group, random: config.random }
      })
      // Timeouts: explicit options win, then the server's call config (read once, on the first
      // call), then TDLib's defaults. A failed read is not cached: the next call asks again.
      const fromServer = yield* Ref.make<Option.Option<CallTimeouts>>(Option.none())
      const serverTimeouts: Effect.Effect<CallTimeouts> = Effect.flatMap(Ref.get(fromServer), (cached) =>
        Option.isSome(cached)
          ? Effect.succeed(cached.value)
          : rpc.callConfig.pipe(
              Effect.map(
                (c): CallTimeouts => ({
                  receive: Duration.millis(c.callReceiveTimeoutMs),
                  ring: Duration.millis(c.callRingTimeoutMs),
                  connect: Duration.millis(c.callConnectTimeoutMs)
                })
              ),
              Effect.tap((t) => Ref.set(fromServer, Option.some(t))),
              Effect.catch((error) =>
                Effect.as(
                  Effect.logDebug("PhoneCalls: the server's call config could not be read", error),
                  defaultTimeouts
                )
              )
            )
      )
      const explicit = options?.timeouts ?? {}
      const timeouts =
        explicit.receive !== undefined && explicit.ring !== undefined && explicit.connect !== undefined
          ? Effect.succeed({ ...defaultTimeouts, ...explicit })
          : Effect.map(serverTimeouts, (t): CallTimeouts => ({ ...t, ...explicit }))
      const ctx: Context_ = {
        rpc,
        hub,
        protocol: options?.protocol ?? Protocol.defaultProtocol,
        timeouts,
        keyPair: Effect.flatMap(dh, ({ group, random: serverRandom }) =>
          KeyExchange.generateKeyPair(group, serverRandom).pipe(
            Effect.provideService(SecureRandom.SecureRandom, random)
          )
        ),
        random
      }
      return PhoneCalls.of({
        call: (user, callOptions) => outgoing(ctx, user, callOptions),
        incoming: incomingCalls(Stream.fromPubSub(hub), ctx),
        listen: Effect.map(PubSub.subscribe(hub), (sub) => incomingCalls(Stream.fromSubscription(sub), ctx))
      })
    })
  )

/**
 * Calls `user` with the `PhoneCalls` service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const call = (
  user: UserRef,
  options?: CallOptions
): Effect.Effect<ActiveCall, CallError, PhoneCalls | Scope.Scope> =>
  PhoneCalls.use((s) => s.call(user, options))

/**
 * The incoming calls of the `PhoneCalls` service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const incoming: Stream.Stream<IncomingCall, never, PhoneCalls> = Stream.unwrap(
  PhoneCalls.use((s) => Effect.succeed(s.incoming))
)

/**
 * Starts listening for incoming calls of the `PhoneCalls` service in context now: no call
 * requested after this effect returns is missed, however late the returned stream starts
 * running. Listening stops when the scope closes.
 *
 * @example
 * ```ts
 * import { PhoneCalls } from "@tgphone/core"
 * import { Effect, Stream } from "effect"
 *
 * const answerFirst = Effect.gen(function* () {
 *   const incoming = yield* PhoneCalls.listen
 *   const call = yield* Effect.fromOption(yield* Stream.runHead(incoming))
 *   return yield* call.accept()
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const listen: Effect.Effect<
  Stream.Stream<IncomingCall>,
  never,
  PhoneCalls | Scope.Scope
> = PhoneCalls.use((s) => s.listen)
