/**
 * The loopback server backed by the in-memory world: requests, read in the caller's layer, are
 * mapped generically (`modelTl.ts`) to `{ method, params }` of tgphone's method registry, run
 * through the caller's `TelegramRpc` from the world, and the result mapped back and written in
 * the caller's layer; each user's update stream is pushed to their live connections as
 * `Updates`, written in each connection's layer. The world never sees a layer.
 *
 * Updates carried in an RPC result (the world delivers them to the caller's stream too, as
 * tgphone's GramJS layer does) are pushed to the caller as well when `echoResultUpdates` is on,
 * so a stock GramJS `Raw` handler sees them (GramJS never dispatches result updates). With it
 * off, they are recognised and not pushed, so a client that forwards result updates itself
 * (tgphone's GramJS layer) sees each update once.
 *
 * @internal
 */
import { Model, RpcMethods, type TelegramRpc } from "@tgphone/core"
import * as Tl from "@tgphone/core/Tl"
import { Effect, Exit, Option, Scope, Stream } from "effect"
import type * as TestTelegram from "../../TestTelegram.js"
import { user as userObject } from "./builtins.js"
import { fromModelValue, toModel } from "./modelTl.js"
import type { Account, RequestContext, TlResult } from "./server.js"
import { TlError, type TlObject, writeBoxed } from "./tlCodec.js"

/** Per-user bookkeeping for echo suppression. */
interface Track {
  inflight: number
  waiters: Array<() => void>
  /** Signatures of updates carried in results, not yet seen on the stream. */
  readonly carried: Map<string, number>
}

/** The failure a world handler reports (mapped to `rpc_error` by the caller). */
export interface WorldRpcFailure {
  readonly code: number
  readonly text: string
}

/** A world user as a server account. */
export const accountOf = (u: TestTelegram.UserInfo): Account => ({
  userId: u.id,
  accessHash: u.accessHash,
  firstName: u.firstName,
  lastName: u.lastName,
  username: u.username,
  phone: u.phone,
  bot: u.bot
})

const newest = Tl.schema(Tl.newest)

/** An update's identity: its bytes in the newest layer. */
const signature = (update: Model.Update): string | undefined => {
  try {
    return writeBoxed(newest, fromModelValue(newest, "Update", update) as TlObject).toString("hex")
  } catch (e) {
    if (e instanceof TlError) return undefined
    throw e
  }
}

/**
 * The users an update mentions, by id, in order of appearance: a call's `adminId` and
 * `participantId`, and every `PeerUser` in it (group-call participants, message senders).
 */
export const mentionedUserIds = (update: Model.Update): ReadonlyArray<bigint> => {
  const ids = new Set<bigint>()
  const visit = (v: unknown): void => {
    if (typeof v !== "object" || v === null || v instanceof Uint8Array) return
    if (Array.isArray(v)) {
      for (const x of v) visit(x)
      return
    }
    const o = v as Readonly<Record<string, unknown>>
    if (o._tag === "PeerUser" && typeof o.userId === "bigint") ids.add(o.userId)
    if (typeof o.adminId === "bigint") ids.add(o.adminId)
    if (typeof o.participantId === "bigint") ids.add(o.participantId)
    // `raw` holds a backend's own object, outside the model
    for (const [k, x] of Object.entries(o)) if (k !== "raw") visit(x)
  }
  visit(update)
  return [...ids]
}

/**
 * One update as an `updates` of a layer, with the users it mentions as its viewer sees them
 * (the server gives it its `seq` and `date` when it pushes it).
 */
const updatesIn =
  (update: Model.Update, users: ReadonlyArray<TlObject>) =>
  (schema: Tl.Schema): TlObject => ({
    ...(fromModelValue(schema, "Updates", new Model.Updates({ updates: [update], users: [] })) as TlObject),
    users
  })

/** Glue between one world and one server. */
export class WorldBackend {
  private readonly tracks = new Map<bigint, Track>()
  private readonly subscribed = new Set<bigint>()

  constructor(
    readonly world: TestTelegram.Service,
    readonly echoResultUpdates: boolean,
    readonly push: (userId: bigint, updates: (schema: Tl.Schema) => TlObject) => void
  ) {}

  private track(userId: bigint): Track {
    let t = this.tracks.get(userId)
    if (t === undefined) {
      t = { inflight: 0, waiters: [], carried: new Map() }
      this.tracks.set(userId, t)
    }
    return t
  }

  /** Resolves once no request of the user is running. */
  private idle(userId: bigint): Promise<void> {
    const t = this.track(userId)
    if (t.inflight === 0) return Promise.resolve()
    return new Promise((resolve) => t.waiters.push(resolve))
  }

  /** Starts pushing `user`'s updates (once per user, for the life of `scope`). */
  ensurePusher(user: TestTelegram.TestUser, scope: Scope.Scope): Effect.Effect<void> {
    if (this.subscribed.has(user.id)) return Effect.void
    this.subscribed.add(user.id)
    const self = this
    return Effect.gen(function* () {
      const stream = yield* self.world.subscribe(user)
      yield* Effect.forkIn(
        Stream.runForEach(stream, (update) => self.deliver(user.id, update)),
        scope
      )
    }).pipe(
      Scope.provide(scope),
      Effect.catch(() => Effect.void)
    )
  }

  private deliver(userId: bigint, update: Model.Update): Effect.Effect<void> {
    const self = this
    return Effect.gen(function* () {
      if (!self.echoResultUpdates) {
        yield* Effect.promise(() => self.idle(userId))
        const sig = signature(update)
        const t = self.track(userId)
        const n = sig === undefined ? undefined : t.carried.get(sig)
        if (sig !== undefined && n !== undefined) {
          if (n <= 1) t.carried.delete(sig)
          else t.carried.set(sig, n - 1)
          return
        }
      }
      const users: Array<TlObject> = []
      for (const id of mentionedUserIds(update)) {
        const u = yield* self.world.user(id)
        if (Option.isSome(u)) users.push(self.tlUser(u.value, userId))
      }
      self.push(userId, updatesIn(update, users))
    })
  }

  /** A world user as `viewerId` sees it in TL. */
  private tlUser(u: TestTelegram.UserInfo, viewerId: bigint): TlObject {
    return { ...userObject(accountOf(u), u.id === viewerId), deleted: u.deactivated }
  }

  /**
   * `contacts.getContacts`: the account's contacts in the world. GramJS resolves a `+phone`
   * only among the account's contacts (`getInputEntity`), as against Telegram.
   */
  private contacts(userId: bigint): Effect.Effect<TlObject | undefined> {
    const self = this
    return Effect.gen(function* () {
      const me = yield* self.world.user(userId)
      if (Option.isNone(me)) return undefined
      const users: Array<TlObject> = []
      for (const id of me.value.contacts) {
        const c = yield* self.world.user(id)
        if (Option.isNone(c)) continue
        users.push(self.tlUser(c.value, userId))
      }
      const contacts = users.map((u) => ({ _: "contact", user_id: u.id, mutual: false }))
      return { _: "contacts.contacts", contacts, saved_count: 0, users }
    })
  }

  /** The request handler. */
  handler(
    scope: Scope.Scope
  ): (request: RequestContext) => Effect.Effect<TlResult | undefined, WorldRpcFailure> {
    const self = this
    return (req) =>
      Effect.gen(function* () {
        if (req.account === undefined) return undefined
        const method = req.tl._
        if (method === "contacts.getContacts") return yield* self.contacts(req.account.userId)
        if (!RpcMethods.isMethodName(method)) return undefined
        const schema = req.schema
        const spec = RpcMethods.RpcMethods[method]
        const params = toModel(schema, req.tl, spec.params)
        if (params._tag === "Fail") return yield* Effect.fail({ code: 400, text: "INPUT_REQUEST_INVALID" })
        const found = yield* self.world.user(req.account.userId)
        if (Option.isNone(found)) return yield* Effect.fail({ code: 401, text: "AUTH_KEY_UNREGISTERED" })
        yield* self.ensurePusher(found.value, scope)
        const rpc = yield* self.world
          .rpcFor(found.value)
          .pipe(Effect.mapError(() => ({ code: 401, text: "AUTH_KEY_UNREGISTERED" })))
        const t = self.track(req.account.userId)
        t.inflight++
        const exit = yield* Effect.exit(
          (rpc.invoke as (m: string, p: unknown) => Effect.Effect<unknown, TelegramRpc.RpcFailure>)(
            method,
            params.value
          )
        )
        if (!self.echoResultUpdates && Exit.isSuccess(exit) && exit.value instanceof Model.Updates) {
          for (const u of exit.value.updates) {
            const sig = signature(u)
            if (sig !== undefined) t.carried.set(sig, (t.carried.get(sig) ?? 0) + 1)
          }
        }
        t.inflight--
        if (t.inflight === 0) {
          const waiters = t.waiters
          t.waiters = []
          for (const w of waiters) w()
        }
        if (Exit.isFailure(exit)) {
          const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
          if (failure === undefined || failure._tag !== "Fail") return yield* Effect.die(exit.cause)
          const e = failure.error
          // the world's "disconnected" user: the request got no answer in time
          if (e._tag === "TransportError") return yield* Effect.fail({ code: -503, text: "Timeout" })
          return yield* Effect.fail({ code: e.code, text: e.type })
        }
        const resultType = schema.byName.get(method)?.type
        if (resultType === undefined)
          return yield* Effect.die(new TlError(`${method} is not in layer ${schema.layer}`))
        return yield* Effect.try({
          try: () => fromModelValue(schema, resultType, exit.value),
          catch: (e) => e
        }).pipe(Effect.orDie)
      })
  }
}
