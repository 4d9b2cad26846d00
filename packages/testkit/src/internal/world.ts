/**
 * The in-memory world behind `TestTelegram`.
 *
 * Concurrency discipline: every change of world state happens inside one synchronous step
 * (`Effect.sync`), which JavaScript runs to completion without yielding, so each request's
 * transition is atomic no matter how many fibers call at once. Work that must wait (timers,
 * delayed updates) is forked into the world's scope after the step and re-checks the state when
 * it runs (a call's timer carries a token that every transition invalidates).
 */
import type { RpcMethods } from "@tgphone/core"
import { Model, TelegramRpc } from "@tgphone/core"
import * as Tl from "@tgphone/core/Tl"
import type { PhoneCallProtocol } from "@tgphone/crypto"
import { Clock, Effect, type Fiber, Layer, Option, PubSub, type Scope, Stream } from "effect"
import type {
  AddChatOptions,
  AddUserOptions,
  CallFeedback,
  CallInfo,
  CallPrivacy,
  FaultError,
  GroupCallInfo,
  Options,
  RecordedRequest,
  RequestFilter,
  Service,
  TestChat,
  TestUser,
  TypedRequest,
  UserInfo
} from "../TestTelegram.js"
import { TestTelegramError } from "../TestTelegramError.js"
import * as Dh from "./dh.js"
import { GroupCalls } from "./groupCalls.js"
import * as Protocol from "./protocol.js"
import { SeededRandom } from "./random.js"

type MethodName = RpcMethods.MethodName
type MethodParams<M extends MethodName> = RpcMethods.MethodParams<M>
type MethodResult<M extends MethodName> = RpcMethods.MethodResult<M>

/** A Telegram error a handler answers with; caught at the step boundary and never escapes. */
export class Reject {
  constructor(
    readonly code: number,
    readonly type: string
  ) {}
}

/** Answers the current request with a Telegram error. */
export const reject = (code: number, type: string): never => {
  throw new Reject(code, type)
}

/** What one step may use: the time, the acting user, and effects to run after the step. */
export interface Ctx {
  readonly now: number
  readonly date: number
  readonly actor: UserRec
  readonly post: Array<Effect.Effect<void>>
}

export interface UserRec {
  readonly id: bigint
  readonly accessHash: bigint
  readonly firstName: string
  readonly lastName: string | undefined
  readonly username: string | undefined
  readonly phone: string | undefined
  readonly bot: boolean
  readonly handle: TestUser
  deactivated: boolean
  connected: boolean
  privacy: { allow: CallPrivacy["allow"]; alwaysAllow: Set<bigint>; neverAllow: Set<bigint> }
  readonly contacts: Set<bigint>
  /** Users this account resolved by username or phone (a client's entity cache). */
  readonly seen: Set<bigint>
  readonly blocked: Set<bigint>
  protocol: PhoneCallProtocol | null
  readonly pubsub: PubSub.PubSub<Model.Update>
  /** The state of this user's connection (`disconnect` / `reconnect`), its latest one replayed. */
  readonly link: PubSub.PubSub<TelegramRpc.ConnectionState>
  readonly log: Array<Model.Update>
  readonly pending: Array<Model.Update>
  dropNext: number
  readonly delays: Array<number>
  readonly randomIds: Set<number>
  /** Non-discarded 1:1 calls this user takes part in. */
  readonly calls: Set<CallRec>
}

export interface CallRec {
  readonly id: bigint
  readonly accessHash: bigint
  readonly video: boolean
  readonly caller: UserRec
  readonly callee: UserRec
  readonly date: number
  readonly gAHash: Uint8Array
  readonly callerProtocol: PhoneCallProtocol
  state: "waiting" | "accepted" | "active" | "discarded"
  receiveDate: number | undefined
  gB: Uint8Array | undefined
  gA: Uint8Array | undefined
  negotiated: PhoneCallProtocol | undefined
  keyFingerprint: bigint | undefined
  /** What a man in the middle (`tamper`) made the peer receive instead. */
  readonly relayed: { gAHash?: Uint8Array; gB?: Uint8Array; gA?: Uint8Array; keyFingerprint?: bigint }
  startDate: number | undefined
  connections: ReadonlyArray<Model.PhoneConnection>
  p2pAllowed: boolean
  discard: NonNullable<CallInfo["discard"]> | undefined
  conferenceCall: Model.InputGroupCall | undefined
  timer: Fiber.Fiber<void> | undefined
  timerToken: number
}

export interface ChatRec {
  readonly id: bigint
  readonly kind: AddChatOptions["kind"]
  title: string
  readonly accessHash: bigint | undefined
  readonly username: string | undefined
  readonly date: number
  readonly creatorId: bigint
  readonly members: Set<bigint>
  readonly admins: Set<bigint>
  readonly handle: TestChat
  rtmpKey: string
}

interface Fault {
  readonly method: string
  readonly userId: bigint | undefined
  readonly error: FaultError
  remaining: number
}

/** A copy of `bytes` with the last byte inverted (all of it when empty: one 0xff byte). */
const tamperBytes = (bytes: Uint8Array): Uint8Array => {
  if (bytes.length === 0) return new Uint8Array([0xff])
  const out = bytes.slice()
  out[out.length - 1] = out[out.length - 1]! ^ 0xff
  return out
}

interface Tamper {
  readonly method: string
  readonly field: string
  readonly userId: bigint | undefined
  remaining: number
}

const handleError = (operation: string, message: string) => new TestTelegramError({ operation, message })

export class World {
  readonly rng: SeededRandom
  readonly ringTimeoutMs: number
  readonly receiveTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly packetTimeoutMs: number
  readonly dhVersion: number
  readonly verifyGAHash: boolean
  readonly recordRequests: boolean
  readonly recordUpdates: boolean

  readonly usersById = new Map<bigint, UserRec>()
  private readonly usersByName = new Map<string, UserRec>()
  private readonly usersByPhone = new Map<string, UserRec>()
  readonly chats = new Map<bigint, ChatRec>()
  private readonly callsById = new Map<bigint, CallRec>()
  private readonly requestLog: Array<RecordedRequest> = []
  readonly feedbackLog: Array<CallFeedback> = []
  private readonly faults: Array<Fault> = []
  private readonly tampers: Array<Tamper> = []
  private readonly latency = new Map<string, number>()
  private nextUserId = 1_000_000_001n
  private nextChatId = 2_000_000_001n
  private seq = 0
  readonly group: GroupCalls

  constructor(
    options: Options,
    readonly scope: Scope.Scope
  ) {
    this.rng = new SeededRandom(options.seed ?? "tgphone")
    this.ringTimeoutMs = options.callRingTimeoutMs ?? 90_000
    this.receiveTimeoutMs = options.callReceiveTimeoutMs ?? 20_000
    this.connectTimeoutMs = options.callConnectTimeoutMs ?? 30_000
    this.packetTimeoutMs = options.callPacketTimeoutMs ?? 10_000
    this.dhVersion = options.dhVersion ?? 3
    this.verifyGAHash = options.verifyGAHash ?? true
    this.recordRequests = options.recordRequests ?? true
    this.recordUpdates = options.recordUpdates ?? true
    this.group = new GroupCalls(this)
  }

  // ---------------------------------------------------------------------------------------------
  // handles
  // ---------------------------------------------------------------------------------------------

  userOf(operation: string, handle: TestUser): Effect.Effect<UserRec, TestTelegramError> {
    const rec = this.usersById.get(handle.id)
    return rec !== undefined && rec.accessHash === handle.accessHash
      ? Effect.succeed(rec)
      : Effect.fail(handleError(operation, `user ${handle.id} does not belong to this world`))
  }

  chatOf(operation: string, handle: TestChat): Effect.Effect<ChatRec, TestTelegramError> {
    const rec = this.chats.get(handle.id)
    return rec !== undefined && rec.handle === handle
      ? Effect.succeed(rec)
      : Effect.fail(handleError(operation, `chat ${handle.id} does not belong to this world`))
  }

  info(rec: UserRec): UserInfo {
    return {
      ...rec.handle,
      deactivated: rec.deactivated,
      connected: rec.connected,
      privacy: {
        allow: rec.privacy.allow,
        alwaysAllow: [...rec.privacy.alwaysAllow],
        neverAllow: [...rec.privacy.neverAllow]
      },
      contacts: [...rec.contacts],
      blocked: [...rec.blocked],
      protocol: rec.protocol
    }
  }

  /** `user` as a result carries it, seen by `viewerId`. */
  userObject(rec: UserRec, viewerId: bigint): Model.User {
    return new Model.User({
      id: rec.id,
      accessHash: rec.accessHash,
      firstName: rec.firstName,
      ...(rec.lastName !== undefined ? { lastName: rec.lastName } : {}),
      ...(rec.username !== undefined ? { username: rec.username } : {}),
      ...(rec.phone !== undefined ? { phone: rec.phone.replace(/^\+/, "") } : {}),
      bot: rec.bot,
      self: rec.id === viewerId,
      deleted: rec.deactivated
    })
  }

  // ---------------------------------------------------------------------------------------------
  // building the world
  // ---------------------------------------------------------------------------------------------

  addUser(options: AddUserOptions): Effect.Effect<TestUser, TestTelegramError> {
    return Effect.gen({ self: this }, function* () {
      const op = "addUser"
      if (options.firstName.trim() === "") return yield* handleError(op, "firstName must not be empty")
      const username = options.username?.replace(/^@/, "")
      if (username !== undefined) {
        if (!/^[A-Za-z][A-Za-z0-9_]{4,31}$/.test(username))
          return yield* handleError(
            op,
            `username "${username}" must be 5–32 letters, digits or _ and start with a letter`
          )
        if (this.usersByName.has(username.toLowerCase()) || this.chatUsernameTaken(username))
          return yield* handleError(op, `username "${username}" is taken`)
      }
      const phone = options.phone === undefined ? undefined : `+${options.phone.replace(/^\+/, "")}`
      if (phone !== undefined) {
        if (!/^\+[0-9]{5,15}$/.test(phone))
          return yield* handleError(op, `phone "${options.phone}" must be 5–15 digits`)
        if (this.usersByPhone.has(phone)) return yield* handleError(op, `phone "${phone}" is taken`)
      }
      const pubsub = yield* PubSub.unbounded<Model.Update>()
      const link = yield* PubSub.unbounded<TelegramRpc.ConnectionState>({ replay: 1 })
      PubSub.publishUnsafe(link, "Connected")
      const id = this.nextUserId++
      const accessHash = this.rng.nextPositiveLong()
      const bot = options.bot ?? false
      const handle: TestUser = {
        id,
        accessHash,
        firstName: options.firstName,
        ...(options.lastName !== undefined ? { lastName: options.lastName } : {}),
        ...(username !== undefined ? { username } : {}),
        ...(phone !== undefined ? { phone } : {}),
        bot,
        inputUser: { _tag: "InputUser", userId: id, accessHash },
        inputPeer: { _tag: "InputPeerUser", userId: id, accessHash }
      }
      const rec: UserRec = {
        id,
        accessHash,
        firstName: options.firstName,
        lastName: options.lastName,
        username,
        phone,
        bot,
        handle,
        deactivated: false,
        connected: true,
        privacy: { allow: "everybody", alwaysAllow: new Set(), neverAllow: new Set() },
        contacts: new Set(),
        seen: new Set(),
        blocked: new Set(),
        protocol: options.protocol === undefined ? Protocol.defaultClientProtocol() : options.protocol,
        pubsub,
        link,
        log: [],
        pending: [],
        dropNext: 0,
        delays: [],
        randomIds: new Set(),
        calls: new Set()
      }
      if (options.privacy !== undefined) rec.privacy = yield* this.privacyOf(op, options.privacy)
      this.usersById.set(id, rec)
      if (username !== undefined) this.usersByName.set(username.toLowerCase(), rec)
      if (phone !== undefined) this.usersByPhone.set(phone, rec)
      return handle
    })
  }

  private chatUsernameTaken(username: string): boolean {
    for (const chat of this.chats.values())
      if (chat.username?.toLowerCase() === username.toLowerCase()) return true
    return false
  }

  private privacyOf(op: string, privacy: CallPrivacy): Effect.Effect<UserRec["privacy"], TestTelegramError> {
    return Effect.gen({ self: this }, function* () {
      const alwaysAllow = new Set<bigint>()
      const neverAllow = new Set<bigint>()
      for (const u of privacy.alwaysAllow ?? []) alwaysAllow.add((yield* this.userOf(op, u)).id)
      for (const u of privacy.neverAllow ?? []) neverAllow.add((yield* this.userOf(op, u)).id)
      return { allow: privacy.allow, alwaysAllow, neverAllow }
    })
  }

  findUser(ref: string): UserRec | undefined {
    return ref.startsWith("+")
      ? this.usersByPhone.get(`+${ref.slice(1).replace(/[^0-9]/g, "")}`)
      : this.usersByName.get(ref.replace(/^@/, "").toLowerCase())
  }

  addChat(options: AddChatOptions): Effect.Effect<TestChat, TestTelegramError> {
    return Effect.gen({ self: this }, function* () {
      const op = "addChat"
      if (options.title.trim() === "") return yield* handleError(op, "title must not be empty")
      const username = options.username?.replace(/^@/, "")
      if (username !== undefined) {
        if (options.kind === "group") return yield* handleError(op, "a basic group cannot have a username")
        if (!/^[A-Za-z][A-Za-z0-9_]{4,31}$/.test(username))
          return yield* handleError(
            op,
            `username "${username}" must be 5–32 letters, digits or _ and start with a letter`
          )
        if (this.usersByName.has(username.toLowerCase()) || this.chatUsernameTaken(username))
          return yield* handleError(op, `username "${username}" is taken`)
      }
      const creator = yield* this.userOf(op, options.creator)
      const members = new Set<bigint>([creator.id])
      const admins = new Set<bigint>([creator.id])
      for (const m of options.members ?? []) members.add((yield* this.userOf(op, m)).id)
      for (const a of options.admins ?? []) {
        const rec = yield* this.userOf(op, a)
        members.add(rec.id)
        admins.add(rec.id)
      }
      const now = yield* Clock.currentTimeMillis
      const id = this.nextChatId++
      const accessHash = options.kind === "group" ? undefined : this.rng.nextPositiveLong()
      const handle: TestChat = {
        id,
        kind: options.kind,
        title: options.title,
        ...(accessHash !== undefined ? { accessHash } : {}),
        ...(username !== undefined ? { username } : {}),
        inputPeer:
          accessHash === undefined
            ? { _tag: "InputPeerChat", chatId: id }
            : { _tag: "InputPeerChannel", channelId: id, accessHash }
      }
      this.chats.set(id, {
        id,
        kind: options.kind,
        title: options.title,
        accessHash,
        username,
        date: Math.floor(now / 1000),
        creatorId: creator.id,
        members,
        admins,
        handle,
        rtmpKey: this.rtmpKey()
      })
      return handle
    })
  }

  rtmpKey(): string {
    return Array.from(this.rng.nextBytes(12), (b) => b.toString(16).padStart(2, "0")).join("")
  }

  // ---------------------------------------------------------------------------------------------
  // updates
  // ---------------------------------------------------------------------------------------------

  private publishNow(user: UserRec, update: Model.Update): void {
    if (!user.connected) {
      user.pending.push(update)
      return
    }
    if (this.recordUpdates) user.log.push(update)
    PubSub.publishUnsafe(user.pubsub, update)
  }

  /**
   * Delivers an update to a user. `pushed` updates are the ones the server sends on its own;
   * updates carried in an RPC result are delivered too (as GramJS does) but no fault applies.
   */
  deliver(ctx: Ctx, user: UserRec, update: Model.Update, pushed: boolean): void {
    if (pushed && user.connected && user.dropNext > 0) {
      user.dropNext--
      return
    }
    const delay = pushed && user.connected ? user.delays.shift() : undefined
    if (delay !== undefined) {
      ctx.post.push(
        Effect.asVoid(
          Effect.forkIn(
            Effect.sleep(delay).pipe(Effect.andThen(Effect.sync(() => this.publishNow(user, update)))),
            this.scope
          )
        )
      )
      return
    }
    // Published after the step, never inside it: a subscriber woken by the publish may run its
    // next request at once, and that must not interleave with (and alter the result of) this one.
    ctx.post.push(Effect.sync(() => this.publishNow(user, update)))
  }

  // ---------------------------------------------------------------------------------------------
  // steps
  // ---------------------------------------------------------------------------------------------

  /** Runs one atomic step as `actor` at the current `Clock` time, then its post effects. */
  atomically<A>(actor: UserRec, body: (ctx: Ctx) => A): Effect.Effect<A> {
    return Effect.uninterruptible(
      Effect.gen({ self: this }, function* () {
        const now = yield* Clock.currentTimeMillis
        const ctx: Ctx = { now, date: Math.floor(now / 1000), actor, post: [] }
        const value = yield* Effect.sync(() => body(ctx))
        for (const effect of ctx.post) yield* effect
        return value
      })
    )
  }

  private latencyFor(method: string, userId: bigint): number {
    return (
      this.latency.get(`${method}|${userId}`) ??
      this.latency.get(`${method}|*`) ??
      this.latency.get(`*|${userId}`) ??
      this.latency.get("*|*") ??
      0
    )
  }

  private takeFault(method: string, userId: bigint): FaultError | undefined {
    const i = this.faults.findIndex(
      (f) => f.method === method && (f.userId === undefined || f.userId === userId) && f.remaining > 0
    )
    if (i < 0) return undefined
    const fault = this.faults[i]!
    fault.remaining--
    if (fault.remaining === 0) this.faults.splice(i, 1)
    return fault.error
  }

  private takeTamper(method: string, field: string, userId: bigint): boolean {
    const i = this.tampers.findIndex(
      (t) => t.method === method && t.field === field && (t.userId === undefined || t.userId === userId)
    )
    if (i < 0) return false
    const t = this.tampers[i]!
    t.remaining--
    if (t.remaining === 0) this.tampers.splice(i, 1)
    return true
  }

  /**
   * A request from `actor`: latency, then one step that checks the connection, faults, the
   * account, runs `handler` and records the request.
   */
  request<A>(
    actor: UserRec,
    method: string,
    params: unknown,
    handler: (ctx: Ctx) => A,
    options: { readonly userOnly: boolean }
  ): Effect.Effect<A, TelegramRpc.RpcFailure> {
    return Effect.gen({ self: this }, function* () {
      const latency = this.latencyFor(method, actor.id)
      if (latency > 0) yield* Effect.sleep(latency)
      const outcome = yield* this.atomically(actor, (ctx) => {
        const result = this.runHandler(ctx, method, handler, options.userOnly)
        if (this.recordRequests) {
          this.requestLog.push({
            seq: this.seq++,
            atMillis: ctx.now,
            userId: actor.id,
            method,
            params,
            outcome: result.ok
              ? { _tag: "Success", value: result.value }
              : { _tag: "Failure", error: result.error }
          })
        }
        return result
      })
      if (!outcome.ok) return yield* Effect.fail(outcome.error)
      return outcome.value
    })
  }

  private runHandler<A>(
    ctx: Ctx,
    method: string,
    handler: (ctx: Ctx) => A,
    userOnly: boolean
  ): { ok: true; value: A } | { ok: false; error: TelegramRpc.RpcFailure } {
    const actor = ctx.actor
    const fail = (code: number, type: string) =>
      ({ ok: false, error: new TelegramRpc.RpcError({ method, code, type }) }) as const
    if (!actor.connected)
      return {
        ok: false,
        error: new TelegramRpc.TransportError({
          method,
          message: `user ${actor.id} is disconnected (test kit)`
        })
      }
    const fault = this.takeFault(method, actor.id)
    if (fault === "transport")
      return {
        ok: false,
        error: new TelegramRpc.TransportError({
          method,
          message: "connection dropped (injected by the test kit)"
        })
      }
    if (fault !== undefined) return fail(fault.code, fault.type)
    if (actor.deactivated) return fail(401, "USER_DEACTIVATED")
    if (userOnly && actor.bot) return fail(400, "BOT_METHOD_INVALID")
    try {
      return { ok: true, value: handler(ctx) }
    } catch (e) {
      if (e instanceof Reject) return fail(e.code, e.type)
      throw e
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the seam for one user
  // ---------------------------------------------------------------------------------------------

  rpcFor(actor: UserRec): TelegramRpc.TelegramRpc["Service"] {
    const invoke = <M extends MethodName>(
      method: M,
      params: MethodParams<M>
    ): Effect.Effect<MethodResult<M>, TelegramRpc.RpcFailure> => {
      const handler = this.handlers[method] as
        | ((ctx: Ctx, params: MethodParams<M>) => MethodResult<M>)
        | undefined
      return this.request(
        actor,
        method,
        params,
        (ctx): MethodResult<M> =>
          // a method name outside the registry (possible from untyped callers) is "unknown method"
          handler === undefined ? reject(400, "INPUT_METHOD_INVALID") : handler(ctx, params),
        { userOnly: true }
      )
    }
    const resolveUser = (
      ref: TelegramRpc.UserRef
    ): Effect.Effect<Model.InputUser, TelegramRpc.ResolveFailure> => {
      if (typeof ref === "object") return Effect.succeed(ref)
      const method =
        typeof ref === "bigint"
          ? "users.getUsers"
          : ref.startsWith("+")
            ? "contacts.resolvePhone"
            : "contacts.resolveUsername"
      return this.request(
        actor,
        method,
        ref,
        (): Model.InputUser => {
          const byId = typeof ref === "bigint" ? this.usersById.get(ref) : undefined
          // A bare id resolves only for a user the account knows (as a Telegram client needs
          // the user's access hash from somewhere): itself, a contact, a user it resolved
          // before, shares a chat or had a call with.
          const found =
            typeof ref === "bigint"
              ? byId !== undefined && this.knows(actor, byId)
                ? byId
                : undefined
              : this.findUser(ref)
          if (found !== undefined) actor.seen.add(found.id)
          if (found === undefined)
            return reject(
              400,
              typeof ref === "bigint"
                ? "USER_ID_INVALID"
                : ref.startsWith("+")
                  ? "PHONE_NOT_OCCUPIED"
                  : "USERNAME_NOT_OCCUPIED"
            )
          return found.handle.inputUser
        },
        { userOnly: false }
      ).pipe(Effect.mapError((failure) => TelegramRpc.resolveFailure(ref, failure)))
    }
    return {
      account: { userId: actor.id, isBot: actor.bot },
      layer: Tl.newest, // the world speaks the newest shipped layer
      invoke,
      resolveUser,
      subscribe: Effect.map(PubSub.subscribe(actor.pubsub), (sub) => Stream.fromSubscription(sub)),
      connection: Effect.map(PubSub.subscribe(actor.link), (sub) => Stream.fromSubscription(sub)),
      callConfig: this.request(
        actor,
        "help.getConfig",
        {},
        (): TelegramRpc.CallConfig => ({
          callReceiveTimeoutMs: this.receiveTimeoutMs,
          callRingTimeoutMs: this.ringTimeoutMs,
          callConnectTimeoutMs: this.connectTimeoutMs,
          callPacketTimeoutMs: this.packetTimeoutMs
        }),
        { userOnly: false }
      )
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 1:1 calls
  // ---------------------------------------------------------------------------------------------

  /** The call a request names, if `actor` takes part in it and the access hash matches. */
  callOf(ctx: Ctx, peer: Model.InputPhoneCall): CallRec {
    const call = this.callsById.get(peer.id)
    if (
      call === undefined ||
      call.accessHash !== peer.accessHash ||
      (call.caller !== ctx.actor && call.callee !== ctx.actor)
    )
      return reject(400, "CALL_PEER_INVALID")
    return call
  }

  /** The call as `viewer` sees it. */
  view(call: CallRec, viewer: UserRec): Model.PhoneCall {
    const header = {
      video: call.video,
      id: call.id,
      accessHash: call.accessHash,
      date: call.date,
      adminId: call.caller.id,
      participantId: call.callee.id
    }
    const conference = call.conferenceCall !== undefined ? { conferenceCall: call.conferenceCall } : {}
    const isCaller = viewer === call.caller
    switch (call.state) {
      case "discarded": {
        const d = call.discard!
        return {
          _tag: "PhoneCallDiscarded",
          needRating: d.needRating,
          needDebug: d.needDebug,
          video: call.video,
          id: call.id,
          ...(d.reason !== undefined ? { reason: d.reason } : {}),
          ...(d.duration !== undefined ? { duration: d.duration } : {}),
          ...conference
        }
      }
      case "waiting":
        return isCaller
          ? {
              _tag: "PhoneCallWaiting",
              ...header,
              protocol: call.callerProtocol,
              ...(call.receiveDate !== undefined ? { receiveDate: call.receiveDate } : {}),
              ...conference
            }
          : {
              _tag: "PhoneCallRequested",
              ...header,
              gAHash: call.relayed.gAHash ?? call.gAHash,
              protocol: call.callerProtocol,
              ...conference
            }
      case "accepted":
        return isCaller
          ? {
              _tag: "PhoneCallAccepted",
              ...header,
              gB: call.relayed.gB ?? call.gB!,
              protocol: call.negotiated!,
              ...conference
            }
          : // e2e-calls §2 step 8 / §8.7: the callee's acceptCall result is phoneCallWaiting.
            {
              _tag: "PhoneCallWaiting",
              ...header,
              protocol: call.negotiated!,
              ...(call.receiveDate !== undefined ? { receiveDate: call.receiveDate } : {}),
              ...conference
            }
      case "active":
        return {
          _tag: "PhoneCall",
          ...header,
          p2pAllowed: call.p2pAllowed,
          gAOrB: isCaller ? (call.relayed.gB ?? call.gB!) : (call.relayed.gA ?? call.gA!),
          keyFingerprint: isCaller
            ? call.keyFingerprint!
            : (call.relayed.keyFingerprint ?? call.keyFingerprint!),
          protocol: call.negotiated!,
          connections: call.connections,
          startDate: call.startDate!,
          ...conference
        }
    }
  }

  private callUsers(call: CallRec, viewer: UserRec): Array<Model.User> {
    return [this.userObject(call.caller, viewer.id), this.userObject(call.callee, viewer.id)]
  }

  private phoneCallResult(
    call: CallRec,
    viewer: UserRec,
    phoneCall = this.view(call, viewer)
  ): Model.PhonePhoneCall {
    return new Model.PhonePhoneCall({ phoneCall, users: this.callUsers(call, viewer) })
  }

  private cancelTimer(call: CallRec): void {
    call.timerToken++
    const timer = call.timer
    call.timer = undefined
    timer?.interruptUnsafe()
  }

  /** Arms the call's single timer: after `ms`, an unanswered call ends as Missed for both. */
  private armTimer(ctx: Ctx, call: CallRec, ms: number): void {
    this.cancelTimer(call)
    const token = call.timerToken
    const expire = Effect.sleep(ms).pipe(
      Effect.andThen(
        this.atomically(call.caller, (ctx2) => {
          if (call.timerToken !== token || call.state === "discarded") return
          call.timer = undefined
          this.endCall(ctx2, call, "server", { _tag: "Missed" }, undefined, [])
        })
      )
    )
    ctx.post.push(
      Effect.gen({ self: this }, function* () {
        const fiber = yield* Effect.forkIn(expire, this.scope)
        if (call.timerToken === token && call.state !== "discarded") call.timer = fiber
        else fiber.interruptUnsafe()
      })
    )
  }

  /** Ends a call; every participant not in `quiet` is pushed the discarded call. */
  private endCall(
    ctx: Ctx,
    call: CallRec,
    by: bigint | "server",
    reason: Model.DiscardReason | undefined,
    duration: number | undefined,
    quiet: ReadonlyArray<UserRec>
  ): void {
    this.cancelTimer(call)
    const wasActive = call.state === "active"
    call.state = "discarded"
    call.discard = {
      by,
      ...(reason !== undefined ? { reason } : {}),
      ...(wasActive ? { duration: Math.max(0, duration ?? ctx.date - (call.startDate ?? ctx.date)) } : {}),
      needRating: wasActive,
      needDebug: wasActive && reason?._tag === "Disconnect"
    }
    call.caller.calls.delete(call)
    call.callee.calls.delete(call)
    for (const user of [call.caller, call.callee]) {
      if (!quiet.includes(user))
        this.deliver(ctx, user, { _tag: "UpdatePhoneCall", phoneCall: this.view(call, user) }, true)
    }
  }

  /** Whether `user` is busy for a new incoming call (DOC-CALLS, e2e-calls §2 step 5). */
  private isBusy(user: UserRec): boolean {
    for (const call of user.calls) {
      if (call.caller === user || call.state !== "waiting" || call.receiveDate !== undefined) return true
    }
    return false
  }

  private mayCall(caller: UserRec, callee: UserRec): boolean {
    const p = callee.privacy
    if (p.neverAllow.has(caller.id)) return false
    if (p.alwaysAllow.has(caller.id)) return true
    switch (p.allow) {
      case "everybody":
        return true
      case "contacts":
        return callee.contacts.has(caller.id)
      case "nobody":
        return false
    }
  }

  private checkProtocol(protocol: PhoneCallProtocol): void {
    if (!Protocol.flagsValid(protocol)) reject(400, "CALL_PROTOCOL_FLAGS_INVALID")
    if (!Protocol.layerValid(protocol)) reject(400, "CALL_PROTOCOL_LAYER_INVALID")
  }

  private connectionsFor(p2pAllowed: boolean): Array<Model.PhoneConnection> {
    const reflector: Model.PhoneConnection = {
      _tag: "PhoneConnection",
      tcp: false,
      id: this.rng.nextPositiveLong(),
      ip: "192.0.2.10",
      ipv6: "2001:db8::10",
      port: 553,
      peerTag: this.rng.nextBytes(16)
    }
    if (!p2pAllowed) return [reflector]
    return [
      reflector,
      {
        _tag: "PhoneConnectionWebrtc",
        turn: false,
        stun: true,
        id: this.rng.nextPositiveLong(),
        ip: "192.0.2.20",
        ipv6: "2001:db8::20",
        port: 3478,
        username: "",
        password: ""
      }
    ]
  }

  /** Whether `actor` knows `target` well enough to name it by its bare id. */
  private knows(actor: UserRec, target: UserRec): boolean {
    if (actor.id === target.id || actor.contacts.has(target.id) || actor.seen.has(target.id)) return true
    for (const call of this.callsById.values()) {
      const ids = [call.caller.id, call.callee.id]
      if (ids.includes(actor.id) && ids.includes(target.id)) return true
    }
    for (const chat of this.chats.values()) {
      if (chat.members.has(actor.id) && chat.members.has(target.id)) return true
    }
    return false
  }

  private readonly requestCall = (ctx: Ctx, p: MethodParams<"phone.requestCall">): Model.PhonePhoneCall => {
    const caller = ctx.actor
    this.checkProtocol(p.protocol)
    if (p.userId._tag === "InputUserSelf") return reject(400, "USER_ID_INVALID")
    const callee = this.usersById.get(p.userId.userId)
    if (callee === undefined || callee.accessHash !== p.userId.accessHash || callee === caller)
      return reject(400, "USER_ID_INVALID")
    if (callee.deactivated) return reject(400, "INPUT_USER_DEACTIVATED")
    if (callee.blocked.has(caller.id)) return reject(403, "USER_IS_BLOCKED")
    if (callee.bot || !this.mayCall(caller, callee)) return reject(403, "USER_PRIVACY_RESTRICTED")
    if (callee.protocol === null || !Protocol.layersMeet(callee.protocol, p.protocol))
      return reject(400, "PARTICIPANT_VERSION_OUTDATED")
    if (caller.randomIds.has(p.randomId)) return reject(500, "RANDOM_ID_DUPLICATE")
    caller.randomIds.add(p.randomId)
    const call: CallRec = {
      id: this.rng.nextPositiveLong(),
      accessHash: this.rng.nextPositiveLong(),
      video: p.video,
      caller,
      callee,
      date: ctx.date,
      gAHash: p.gAHash,
      callerProtocol: p.protocol,
      state: "waiting",
      receiveDate: undefined,
      gB: undefined,
      gA: undefined,
      negotiated: undefined,
      keyFingerprint: undefined,
      relayed: {},
      startDate: undefined,
      connections: [],
      p2pAllowed: false,
      discard: undefined,
      conferenceCall: p.conferenceCall,
      timer: undefined,
      timerToken: 0
    }
    this.callsById.set(call.id, call)
    if (this.takeTamper("phone.requestCall", "gAHash", caller.id)) call.relayed.gAHash = tamperBytes(p.gAHash)
    const busy = this.isBusy(callee)
    caller.calls.add(call)
    callee.calls.add(call)
    const result = this.phoneCallResult(call, caller)
    if (busy) {
      // Telegram answers a call to a busy user with phoneCallWaiting and then discards it with
      // reason Busy; the busy callee hears nothing.
      this.endCall(ctx, call, "server", { _tag: "Busy" }, undefined, [callee])
    } else {
      // Arm before delivering: the callee's reaction to the update must find the timer set.
      this.armTimer(ctx, call, this.receiveTimeoutMs)
      this.deliver(ctx, callee, { _tag: "UpdatePhoneCall", phoneCall: this.view(call, callee) }, true)
    }
    return result
  }

  private readonly receivedCall = (ctx: Ctx, p: MethodParams<"phone.receivedCall">): boolean => {
    const call = this.callOf(ctx, p.peer)
    if (call.callee !== ctx.actor) return reject(400, "CALL_PEER_INVALID")
    if (call.state === "discarded") return reject(400, "CALL_ALREADY_DECLINED")
    if (call.state === "waiting" && call.receiveDate === undefined) {
      call.receiveDate = ctx.date
      this.armTimer(ctx, call, this.ringTimeoutMs)
      this.deliver(
        ctx,
        call.caller,
        { _tag: "UpdatePhoneCall", phoneCall: this.view(call, call.caller) },
        true
      )
    }
    return true
  }

  private readonly acceptCall = (ctx: Ctx, p: MethodParams<"phone.acceptCall">): Model.PhonePhoneCall => {
    const call = this.callOf(ctx, p.peer)
    if (call.callee !== ctx.actor) return reject(400, "CALL_PEER_INVALID")
    if (call.state === "discarded") return reject(400, "CALL_ALREADY_DECLINED")
    if (call.state !== "waiting") return reject(400, "CALL_ALREADY_ACCEPTED")
    this.checkProtocol(p.protocol)
    const negotiated = Protocol.negotiate(call.callerProtocol, p.protocol)
    if (negotiated === undefined) return reject(406, "CALL_PROTOCOL_COMPAT_LAYER_INVALID")
    for (const other of ctx.actor.calls) {
      if (other !== call && (other.caller === ctx.actor || other.state !== "waiting"))
        return reject(500, "CALL_OCCUPY_FAILED")
    }
    this.cancelTimer(call)
    call.state = "accepted"
    call.gB = p.gB
    if (this.takeTamper("phone.acceptCall", "gB", ctx.actor.id)) call.relayed.gB = tamperBytes(p.gB)
    call.negotiated = negotiated
    call.receiveDate ??= ctx.date
    this.deliver(ctx, call.caller, { _tag: "UpdatePhoneCall", phoneCall: this.view(call, call.caller) }, true)
    return this.phoneCallResult(call, ctx.actor)
  }

  private readonly confirmCall = (ctx: Ctx, p: MethodParams<"phone.confirmCall">): Model.PhonePhoneCall => {
    const call = this.callOf(ctx, p.peer)
    if (call.caller !== ctx.actor) return reject(400, "CALL_PEER_INVALID")
    if (call.state === "discarded") return reject(400, "CALL_ALREADY_DECLINED")
    if (call.state !== "accepted") return reject(400, "CALL_PEER_INVALID")
    if (this.verifyGAHash && !Dh.gAHashMatches(p.gA, call.gAHash)) return reject(400, "DH_G_A_INVALID")
    call.state = "active"
    call.gA = p.gA
    call.keyFingerprint = p.keyFingerprint
    if (this.takeTamper("phone.confirmCall", "gA", ctx.actor.id)) call.relayed.gA = tamperBytes(p.gA)
    if (this.takeTamper("phone.confirmCall", "keyFingerprint", ctx.actor.id))
      call.relayed.keyFingerprint = p.keyFingerprint ^ 1n
    call.startDate = ctx.date
    call.p2pAllowed = call.negotiated!.udpP2p
    call.connections = this.connectionsFor(call.p2pAllowed)
    this.deliver(ctx, call.callee, { _tag: "UpdatePhoneCall", phoneCall: this.view(call, call.callee) }, true)
    return this.phoneCallResult(call, ctx.actor)
  }

  private readonly discardCall = (ctx: Ctx, p: MethodParams<"phone.discardCall">): Model.Updates => {
    const call = this.callOf(ctx, p.peer)
    if (call.state === "discarded") return reject(400, "CALL_ALREADY_DECLINED")
    this.endCall(ctx, call, ctx.actor.id, p.reason, p.duration, [ctx.actor])
    const update: Model.Update = { _tag: "UpdatePhoneCall", phoneCall: this.view(call, ctx.actor) }
    this.deliver(ctx, ctx.actor, update, false)
    return new Model.Updates({ updates: [update], users: this.callUsers(call, ctx.actor) })
  }

  private readonly setCallRating = (ctx: Ctx, p: MethodParams<"phone.setCallRating">): Model.Updates => {
    const call = this.callOf(ctx, p.peer)
    this.feedbackLog.push({
      _tag: "Rating",
      callId: call.id,
      userId: ctx.actor.id,
      rating: p.rating,
      comment: p.comment,
      userInitiative: p.userInitiative
    })
    return new Model.Updates({ updates: [], users: [] })
  }

  private readonly saveCallDebug = (ctx: Ctx, p: MethodParams<"phone.saveCallDebug">): boolean => {
    const call = this.callOf(ctx, p.peer)
    let json: unknown
    try {
      json = JSON.parse(p.debug.data)
    } catch {
      return reject(400, "DATA_JSON_INVALID")
    }
    this.feedbackLog.push({ _tag: "Debug", callId: call.id, userId: ctx.actor.id, json })
    return true
  }

  private readonly saveCallLog = (ctx: Ctx, p: MethodParams<"phone.saveCallLog">): boolean => {
    const call = this.callOf(ctx, p.peer)
    this.feedbackLog.push({ _tag: "Log", callId: call.id, userId: ctx.actor.id, file: p.file })
    return true
  }

  private readonly sendSignalingData = (ctx: Ctx, p: MethodParams<"phone.sendSignalingData">): boolean => {
    const call = this.callOf(ctx, p.peer)
    if (call.state !== "active") return reject(400, "CALL_NOT_ACTIVE")
    const peer = call.caller === ctx.actor ? call.callee : call.caller
    this.feedbackLog.push({ _tag: "Signaling", callId: call.id, fromUserId: ctx.actor.id, data: p.data })
    this.deliver(
      ctx,
      peer,
      { _tag: "UpdatePhoneCallSignalingData", phoneCallId: call.id, data: p.data },
      true
    )
    return true
  }

  private readonly createConferenceCall = (
    ctx: Ctx,
    p: MethodParams<"phone.createConferenceCall">
  ): Model.PhonePhoneCall => {
    const call = this.callOf(ctx, p.peer)
    if (call.state !== "active") return reject(400, "CALL_PEER_INVALID")
    call.conferenceCall ??= this.group.createConference(ctx, call.id)
    return this.phoneCallResult(call, ctx.actor)
  }

  private readonly getDhConfig = (_ctx: Ctx, p: MethodParams<"messages.getDhConfig">): Model.DhConfig => {
    if (p.randomLength < 0 || p.randomLength > Dh.maxRandomLength) return reject(400, "RANDOM_LENGTH_INVALID")
    const random = this.rng.nextBytes(p.randomLength)
    return p.version === this.dhVersion
      ? { _tag: "DhConfigNotModified", random }
      : { _tag: "DhConfig", g: Dh.generator, p: Dh.knownPrimeBytes(), version: this.dhVersion, random }
  }

  private readonly getCallConfig = (): Model.DataJson =>
    new Model.DataJson({
      data: JSON.stringify({
        audio_frame_size: 60,
        jitter_min_delay_60: 2,
        jitter_max_delay_60: 10,
        jitter_max_slots_60: 20,
        jitter_losses_to_reset: 20,
        jitter_resync_threshold: 0.5,
        audio_congestion_window: 1024,
        audio_max_bitrate: 20000,
        audio_init_bitrate: 16000,
        audio_min_bitrate: 8000,
        call_receive_timeout_ms: this.receiveTimeoutMs,
        call_ring_timeout_ms: this.ringTimeoutMs,
        call_connect_timeout_ms: this.connectTimeoutMs,
        call_packet_timeout_ms: this.packetTimeoutMs
      })
    })

  /** Every registry method's handler. */
  private readonly handlers: {
    readonly [M in MethodName]: (ctx: Ctx, params: MethodParams<M>) => MethodResult<M>
  } = {
    "messages.getDhConfig": this.getDhConfig,
    "phone.getCallConfig": this.getCallConfig,
    "phone.requestCall": this.requestCall,
    "phone.acceptCall": this.acceptCall,
    "phone.confirmCall": this.confirmCall,
    "phone.receivedCall": this.receivedCall,
    "phone.discardCall": this.discardCall,
    "phone.setCallRating": this.setCallRating,
    "phone.saveCallDebug": this.saveCallDebug,
    "phone.sendSignalingData": this.sendSignalingData,
    "phone.saveCallLog": this.saveCallLog,
    "phone.createConferenceCall": this.createConferenceCall,
    "phone.createGroupCall": (ctx, p) => this.group.createGroupCall(ctx, p),
    "phone.joinGroupCall": (ctx, p) => this.group.joinGroupCall(ctx, p),
    "phone.leaveGroupCall": (ctx, p) => this.group.leaveGroupCall(ctx, p),
    "phone.inviteToGroupCall": (ctx, p) => this.group.inviteToGroupCall(ctx, p),
    "phone.discardGroupCall": (ctx, p) => this.group.discardGroupCall(ctx, p),
    "phone.toggleGroupCallSettings": (ctx, p) => this.group.toggleGroupCallSettings(ctx, p),
    "phone.getGroupCall": (ctx, p) => this.group.getGroupCall(ctx, p),
    "phone.getGroupParticipants": (ctx, p) => this.group.getGroupParticipants(ctx, p),
    "phone.checkGroupCall": (ctx, p) => this.group.checkGroupCall(ctx, p),
    "phone.toggleGroupCallRecord": (ctx, p) => this.group.toggleGroupCallRecord(ctx, p),
    "phone.editGroupCallParticipant": (ctx, p) => this.group.editGroupCallParticipant(ctx, p),
    "phone.editGroupCallTitle": (ctx, p) => this.group.editGroupCallTitle(ctx, p),
    "phone.getGroupCallJoinAs": (ctx, p) => this.group.getGroupCallJoinAs(ctx, p),
    "phone.exportGroupCallInvite": (ctx, p) => this.group.exportGroupCallInvite(ctx, p),
    "phone.toggleGroupCallStartSubscription": (ctx, p) => this.group.toggleGroupCallStartSubscription(ctx, p),
    "phone.startScheduledGroupCall": (ctx, p) => this.group.startScheduledGroupCall(ctx, p),
    "phone.saveDefaultGroupCallJoinAs": (ctx, p) => this.group.saveDefaultGroupCallJoinAs(ctx, p),
    "phone.joinGroupCallPresentation": (ctx, p) => this.group.joinGroupCallPresentation(ctx, p),
    "phone.leaveGroupCallPresentation": (ctx, p) => this.group.leaveGroupCallPresentation(ctx, p),
    "phone.getGroupCallStreamChannels": (ctx, p) => this.group.getGroupCallStreamChannels(ctx, p),
    "phone.getGroupCallStreamRtmpUrl": (ctx, p) => this.group.getGroupCallStreamRtmpUrl(ctx, p)
  }

  // ---------------------------------------------------------------------------------------------
  // inspection
  // ---------------------------------------------------------------------------------------------

  callInfo(call: CallRec): CallInfo {
    const state = (
      { waiting: "Waiting", accepted: "Accepted", active: "Active", discarded: "Discarded" } as const
    )[call.state]
    return {
      id: call.id,
      accessHash: call.accessHash,
      video: call.video,
      callerId: call.caller.id,
      calleeId: call.callee.id,
      state,
      date: call.date,
      ...(call.receiveDate !== undefined ? { receiveDate: call.receiveDate } : {}),
      ...(call.startDate !== undefined ? { startDate: call.startDate } : {}),
      ...(call.negotiated !== undefined ? { protocol: call.negotiated } : {}),
      ...(call.keyFingerprint !== undefined ? { keyFingerprint: call.keyFingerprint } : {}),
      ...(call.discard !== undefined ? { discard: call.discard } : {})
    }
  }

  private matches(r: RecordedRequest, filter: RequestFilter): boolean {
    return (
      (filter.method === undefined || r.method === filter.method) &&
      (filter.user === undefined || r.userId === filter.user.id) &&
      (filter.outcome === undefined || r.outcome._tag === filter.outcome)
    )
  }

  private positive(op: string, name: string, n: number): Effect.Effect<void, TestTelegramError> {
    return Number.isInteger(n) && n >= 0
      ? Effect.void
      : Effect.fail(handleError(op, `${name} must be a non-negative integer, got ${n}`))
  }

  // ---------------------------------------------------------------------------------------------
  // the service
  // ---------------------------------------------------------------------------------------------

  service(): Service {
    const modify = (op: string, user: TestUser, f: (rec: UserRec) => void) =>
      Effect.flatMap(this.userOf(op, user), (rec) => Effect.sync(() => f(rec)))
    const pair = (op: string, a: TestUser, b: TestUser, f: (a: UserRec, b: UserRec) => void) =>
      Effect.flatMap(Effect.all([this.userOf(op, a), this.userOf(op, b)]), ([x, y]) =>
        Effect.sync(() => f(x, y))
      )
    const failNext: Service["failNext"] = (method, error, scope) =>
      Effect.gen({ self: this }, function* () {
        const times = scope?.times ?? 1
        yield* this.positive("failNext", "times", times)
        const userId = scope?.user === undefined ? undefined : (yield* this.userOf("failNext", scope.user)).id
        if (error !== "transport" && (!Number.isInteger(error.code) || error.type === ""))
          return yield* handleError("failNext", "error needs an integer code and a non-empty type")
        if (times > 0) this.faults.push({ method, userId, error, remaining: times })
      })
    return {
      callConfig: {
        callReceiveTimeoutMs: this.receiveTimeoutMs,
        callRingTimeoutMs: this.ringTimeoutMs,
        callConnectTimeoutMs: this.connectTimeoutMs,
        callPacketTimeoutMs: this.packetTimeoutMs
      },
      addUser: (options) => this.addUser(options),
      users: Effect.sync(() => Array.from(this.usersById.values(), (u) => this.info(u))),
      user: (id) =>
        Effect.sync(() => Option.map(Option.fromNullishOr(this.usersById.get(id)), (u) => this.info(u))),
      findUser: (ref) =>
        Effect.sync(() => Option.map(Option.fromNullishOr(this.findUser(ref)), (u) => this.info(u))),
      setPrivacy: (user, privacy) =>
        Effect.flatMap(
          Effect.all([this.userOf("setPrivacy", user), this.privacyOf("setPrivacy", privacy)]),
          ([rec, p]) =>
            Effect.sync(() => {
              rec.privacy = p
            })
        ),
      addContact: (owner, contact) => pair("addContact", owner, contact, (o, c) => o.contacts.add(c.id)),
      block: (blocker, blocked) => pair("block", blocker, blocked, (a, b) => a.blocked.add(b.id)),
      unblock: (blocker, blocked) => pair("unblock", blocker, blocked, (a, b) => a.blocked.delete(b.id)),
      deactivate: (user) =>
        modify("deactivate", user, (rec) => {
          rec.deactivated = true
        }),
      setClientProtocol: (user, protocol) =>
        modify("setClientProtocol", user, (rec) => {
          rec.protocol = protocol
        }),
      addChat: (options) => this.addChat(options),
      addMember: (chat, user, options) =>
        Effect.flatMap(
          Effect.all([this.chatOf("addMember", chat), this.userOf("addMember", user)]),
          ([c, u]) =>
            Effect.sync(() => {
              c.members.add(u.id)
              if (options?.admin === true) c.admins.add(u.id)
            })
        ),
      rpcFor: (user) => Effect.map(this.userOf("rpcFor", user), (rec) => this.rpcFor(rec)),
      layerFor: (user) =>
        Layer.effect(
          TelegramRpc.TelegramRpc,
          Effect.map(this.userOf("layerFor", user), (rec) => this.rpcFor(rec))
        ),
      subscribe: (user) =>
        Effect.flatMap(this.userOf("subscribe", user), (rec) =>
          Effect.map(PubSub.subscribe(rec.pubsub), (sub) => Stream.fromSubscription(sub))
        ),
      updatesOf: (user) => Effect.sync(() => [...(this.usersById.get(user.id)?.log ?? [])]),
      requests: Effect.sync(() => [...this.requestLog]),
      requestsWhere: (filter) => Effect.sync(() => this.requestLog.filter((r) => this.matches(r, filter))),
      requestsOf: <M extends MethodName>(method: M, user?: TestUser) =>
        Effect.sync(() =>
          // the world records exactly the params `invoke` received, typed by the registry
          this.requestLog.filter((r): r is TypedRequest<M> => this.matches(r, { method, user }))
        ),
      clearRequests: Effect.sync(() => {
        this.requestLog.length = 0
      }),
      calls: Effect.sync(() => Array.from(this.callsById.values(), (c) => this.callInfo(c))),
      call: (id) =>
        Effect.sync(() => Option.map(Option.fromNullishOr(this.callsById.get(id)), (c) => this.callInfo(c))),
      feedback: Effect.sync(() => [...this.feedbackLog]),
      groupCalls: Effect.sync((): ReadonlyArray<GroupCallInfo> => this.group.infos()),
      failNext,
      tamper: (target) =>
        Effect.gen({ self: this }, function* () {
          const times = target.times ?? 1
          yield* this.positive("tamper", "times", times)
          const userId =
            target.user === undefined ? undefined : (yield* this.userOf("tamper", target.user)).id
          if (times > 0)
            this.tampers.push({ method: target.method, field: target.field, userId, remaining: times })
        }),
      floodWait: (method, seconds, scope) =>
        Effect.andThen(
          this.positive("floodWait", "seconds", seconds),
          failNext(method, { code: 420, type: `FLOOD_WAIT_${seconds}` }, scope)
        ),
      setLatency: (millis, scope) =>
        Effect.gen({ self: this }, function* () {
          yield* this.positive("setLatency", "millis", millis)
          const userId = scope?.user === undefined ? "*" : (yield* this.userOf("setLatency", scope.user)).id
          const key = `${scope?.method ?? "*"}|${userId}`
          if (millis === 0) this.latency.delete(key)
          else this.latency.set(key, millis)
        }),
      dropNextUpdates: (user, count = 1) =>
        Effect.andThen(
          this.positive("dropNextUpdates", "count", count),
          modify("dropNextUpdates", user, (rec) => {
            rec.dropNext += count
          })
        ),
      delayNextUpdates: (user, millis, count = 1) =>
        Effect.gen({ self: this }, function* () {
          yield* this.positive("delayNextUpdates", "millis", millis)
          yield* this.positive("delayNextUpdates", "count", count)
          const rec = yield* this.userOf("delayNextUpdates", user)
          for (let i = 0; i < count; i++) rec.delays.push(millis)
        }),
      disconnect: (user) =>
        modify("disconnect", user, (rec) => {
          rec.connected = false
          PubSub.publishUnsafe(rec.link, "Disconnected")
        }),
      reconnect: (user) =>
        modify("reconnect", user, (rec) => {
          rec.connected = true
          PubSub.publishUnsafe(rec.link, "Connected")
          const held = rec.pending.splice(0)
          for (const update of held) this.publishNow(rec, update)
        })
    }
  }
}
