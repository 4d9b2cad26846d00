/**
 * Delivery of updates: the fan-out to each user's stream and log, subscriptions, held-back
 * updates of a disconnected user, and the delivery faults (request latency, dropped and delayed
 * updates).
 */
import type { Model } from "@tgphone/core"
import { Effect, PubSub, type Scope, Stream } from "effect"
import type { Service } from "../../TestTelegram.js"
import type { Directory, UserRec } from "./directory.js"
import { type Ctx, nonNegative } from "./step.js"

/** Delivery's part of the service. */
export type DeliveryOperations = Pick<
  Service,
  "subscribe" | "updatesOf" | "setLatency" | "dropNextUpdates" | "delayNextUpdates"
>

export class Delivery {
  /** Request latency rules, keyed `method|userId` (`*` for any). */
  private readonly latency = new Map<string, number>()

  constructor(
    private readonly directory: Directory,
    private readonly scope: Scope.Scope,
    private readonly recordUpdates: boolean
  ) {}

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

  /** Delivers, in order, the updates held back while `user` was disconnected. */
  flushPending(user: UserRec): void {
    const held = user.pending.splice(0)
    for (const update of held) this.publishNow(user, update)
  }

  /** `user`'s live updates from now on. */
  subscribe(user: UserRec): Effect.Effect<Stream.Stream<Model.Update>, never, Scope.Scope> {
    return Effect.map(PubSub.subscribe(user.pubsub), (sub) => Stream.fromSubscription(sub))
  }

  /** How long a request of `method` from `userId` waits before the world handles it. */
  latencyFor(method: string, userId: bigint): number {
    return (
      this.latency.get(`${method}|${userId}`) ??
      this.latency.get(`${method}|*`) ??
      this.latency.get(`*|${userId}`) ??
      this.latency.get("*|*") ??
      0
    )
  }

  operations(): DeliveryOperations {
    const directory = this.directory
    return {
      subscribe: (user) => Effect.flatMap(directory.userOf("subscribe", user), (rec) => this.subscribe(rec)),
      updatesOf: (user) => Effect.sync(() => [...(directory.usersById.get(user.id)?.log ?? [])]),
      setLatency: (millis, scope) =>
        Effect.gen({ self: this }, function* () {
          yield* nonNegative("setLatency", "millis", millis)
          const userId =
            scope?.user === undefined ? "*" : (yield* directory.userOf("setLatency", scope.user)).id
          const key = `${scope?.method ?? "*"}|${userId}`
          if (millis === 0) this.latency.delete(key)
          else this.latency.set(key, millis)
        }),
      dropNextUpdates: (user, count = 1) =>
        Effect.andThen(
          nonNegative("dropNextUpdates", "count", count),
          Effect.flatMap(directory.userOf("dropNextUpdates", user), (rec) =>
            Effect.sync(() => {
              rec.dropNext += count
            })
          )
        ),
      delayNextUpdates: (user, millis, count = 1) =>
        Effect.gen(function* () {
          yield* nonNegative("delayNextUpdates", "millis", millis)
          yield* nonNegative("delayNextUpdates", "count", count)
          const rec = yield* directory.userOf("delayNextUpdates", user)
          for (let i = 0; i < count; i++) rec.delays.push(millis)
        })
    }
  }
}
