/**
 * The in-memory world behind `TestTelegram`, assembled from its parts: the directory (users,
 * chats), delivery (updates), faults, 1:1 calls, group calls, conference calls and in-call
 * messages. Here every request passes one
 * path: latency, then one atomic step (see `world/step.ts`) that checks the connection, injected
 * faults and the account, runs the method's handler and records the request.
 */
import type { RpcMethods } from "@tgphone/core"
import { type Model, TelegramRpc } from "@tgphone/core"
import * as Tl from "@tgphone/core/Tl"
import { Effect, Layer, PubSub, type Scope, Stream } from "effect"
import type {
  GroupCallInfo,
  Options,
  RecordedRequest,
  RequestFilter,
  Service,
  TestUser,
  TypedRequest
} from "../TestTelegram.js"
import { GroupCalls } from "./groupCalls.js"
import { SeededRandom } from "./random.js"
import { Calls } from "./world/calls.js"
import { Conferences } from "./world/conferences.js"
import { Delivery } from "./world/delivery.js"
import { Directory, type UserRec } from "./world/directory.js"
import { Faults } from "./world/faults.js"
import { GroupCallMessages } from "./world/groupCallMessages.js"
import { atomically, type Ctx, type Handlers, handleError, Reject, reject } from "./world/step.js"

type MethodName = RpcMethods.MethodName
type MethodParams<M extends MethodName> = RpcMethods.MethodParams<M>
type MethodResult<M extends MethodName> = RpcMethods.MethodResult<M>

export class World {
  private readonly recordRequests: boolean
  private readonly callConfig: TelegramRpc.CallConfig
  private readonly directory: Directory
  private readonly delivery: Delivery
  private readonly faults: Faults
  private readonly calls: Calls
  private readonly group: GroupCalls
  private readonly conferences: Conferences
  private readonly messages: GroupCallMessages
  private readonly requestLog: Array<RecordedRequest> = []
  private seq = 0
  /** Every registry method's handler. */
  private readonly handlers: Handlers<MethodName>

  constructor(options: Options, scope: Scope.Scope) {
    const rng = new SeededRandom(options.seed ?? "tgphone")
    const settings = {
      ringTimeoutMs: options.callRingTimeoutMs ?? 90_000,
      receiveTimeoutMs: options.callReceiveTimeoutMs ?? 20_000,
      connectTimeoutMs: options.callConnectTimeoutMs ?? 30_000,
      packetTimeoutMs: options.callPacketTimeoutMs ?? 10_000,
      dhVersion: options.dhVersion ?? 3,
      verifyGAHash: options.verifyGAHash ?? true
    }
    this.callConfig = {
      callReceiveTimeoutMs: settings.receiveTimeoutMs,
      callRingTimeoutMs: settings.ringTimeoutMs,
      callConnectTimeoutMs: settings.connectTimeoutMs,
      callPacketTimeoutMs: settings.packetTimeoutMs
    }
    this.recordRequests = options.recordRequests ?? true
    this.directory = new Directory(rng)
    this.delivery = new Delivery(this.directory, scope, options.recordUpdates ?? true)
    this.faults = new Faults(this.directory, this.delivery)
    this.group = new GroupCalls(rng, this.directory, this.delivery)
    this.conferences = new Conferences(rng, this.directory, this.delivery, this.group)
    this.messages = new GroupCallMessages(this.directory, this.delivery, this.group)
    this.calls = new Calls(rng, scope, settings, this.directory, this.delivery, this.faults)
    this.handlers = {
      ...this.calls.handlers,
      ...this.group.handlers,
      ...this.conferences.handlers,
      ...this.messages.handlers
    }
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
      const latency = this.delivery.latencyFor(method, actor.id)
      if (latency > 0) yield* Effect.sleep(latency)
      const outcome = yield* atomically(actor, (ctx) => {
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
    const fault = this.faults.takeFault(method, actor.id)
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
        (): Model.InputUser => this.directory.resolve(actor, ref, (a, b) => this.calls.met(a, b)),
        { userOnly: false }
      ).pipe(Effect.mapError((failure) => TelegramRpc.resolveFailure(ref, failure)))
    }
    return {
      account: { userId: actor.id, isBot: actor.bot },
      layer: Tl.newest, // the world speaks the newest shipped layer
      invoke,
      resolveUser,
      subscribe: this.delivery.subscribe(actor),
      connection: Effect.map(PubSub.subscribe(actor.link), (sub) => Stream.fromSubscription(sub)),
      callConfig: this.request(actor, "help.getConfig", {}, (): TelegramRpc.CallConfig => this.callConfig, {
        userOnly: false
      })
    }
  }

  private matches(r: RecordedRequest, filter: RequestFilter): boolean {
    return (
      (filter.method === undefined || r.method === filter.method) &&
      (filter.user === undefined || r.userId === filter.user.id) &&
      (filter.outcome === undefined || r.outcome._tag === filter.outcome)
    )
  }

  service(): Service {
    const directory = this.directory
    return {
      callConfig: this.callConfig,
      ...directory.operations(),
      ...this.delivery.operations(),
      ...this.faults.operations(),
      ...this.calls.operations(),
      groupCalls: Effect.sync((): ReadonlyArray<GroupCallInfo> => this.group.infos()),
      migrateToConference: (by, callId) =>
        Effect.gen({ self: this }, function* () {
          const mover = yield* directory.userOf("migrateToConference", by)
          const outcome = yield* atomically(mover, (ctx) => {
            let opened: Model.InputGroupCall | undefined
            const moved = this.calls.migrate(ctx, callId, (peer, video) => {
              const call = this.conferences.migrate(ctx, peer, video)
              opened = this.group.input(call)
              return call.conference.slug
            })
            return "error" in moved ? moved : { slug: moved.slug, inputGroupCall: opened! }
          })
          if ("error" in outcome) return yield* handleError("migrateToConference", outcome.error)
          return { ...outcome, inviteLink: `https://t.me/call/${outcome.slug}` }
        }),
      rpcFor: (user) => Effect.map(directory.userOf("rpcFor", user), (rec) => this.rpcFor(rec)),
      layerFor: (user) =>
        Layer.effect(
          TelegramRpc.TelegramRpc,
          Effect.map(directory.userOf("layerFor", user), (rec) => this.rpcFor(rec))
        ),
      requests: Effect.sync(() => [...this.requestLog]),
      requestsWhere: (filter) => Effect.sync(() => this.requestLog.filter((r) => this.matches(r, filter))),
      requestsOf: <M extends MethodName>(method: M, user?: TestUser) =>
        Effect.sync(() =>
          // the world records exactly the params `invoke` received, typed by the registry
          this.requestLog.filter((r): r is TypedRequest<M> => this.matches(r, { method, user }))
        ),
      clearRequests: Effect.sync(() => {
        this.requestLog.length = 0
      })
    }
  }
}
