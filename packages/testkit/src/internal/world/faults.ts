/**
 * Injected faults: method failures (flood waits, Telegram errors, dropped connections), a man in
 * the middle altering what a request relays to the peer, and users cut off and reconnected.
 */
import { Effect, PubSub } from "effect"
import type { FaultError, Service } from "../../TestTelegram.js"
import type { Delivery } from "./delivery.js"
import type { Directory } from "./directory.js"
import { handleError, nonNegative } from "./step.js"

/** Faults' part of the service. */
export type FaultOperations = Pick<Service, "failNext" | "tamper" | "floodWait" | "disconnect" | "reconnect">

interface Fault {
  readonly method: string
  readonly userId: bigint | undefined
  readonly error: FaultError
  remaining: number
}

interface Tamper {
  readonly method: string
  readonly field: string
  readonly userId: bigint | undefined
  remaining: number
}

/** A copy of `bytes` with the last byte inverted (all of it when empty: one 0xff byte). */
export const tamperBytes = (bytes: Uint8Array): Uint8Array => {
  if (bytes.length === 0) return new Uint8Array([0xff])
  const out = bytes.slice()
  out[out.length - 1] = out[out.length - 1]! ^ 0xff
  return out
}

export class Faults {
  private readonly faults: Array<Fault> = []
  private readonly tampers: Array<Tamper> = []

  constructor(
    private readonly directory: Directory,
    private readonly delivery: Delivery
  ) {}

  /** Takes the next injected failure of `method` for `userId`, if any. */
  takeFault(method: string, userId: bigint): FaultError | undefined {
    const i = this.faults.findIndex(
      (f) => f.method === method && (f.userId === undefined || f.userId === userId) && f.remaining > 0
    )
    if (i < 0) return undefined
    const fault = this.faults[i]!
    fault.remaining--
    if (fault.remaining === 0) this.faults.splice(i, 1)
    return fault.error
  }

  /** Whether the man in the middle alters `field` of this request of `method` from `userId`. */
  takeTamper(method: string, field: string, userId: bigint): boolean {
    const i = this.tampers.findIndex(
      (t) => t.method === method && t.field === field && (t.userId === undefined || t.userId === userId)
    )
    if (i < 0) return false
    const t = this.tampers[i]!
    t.remaining--
    if (t.remaining === 0) this.tampers.splice(i, 1)
    return true
  }

  operations(): FaultOperations {
    const directory = this.directory
    const failNext: Service["failNext"] = (method, error, scope) =>
      Effect.gen({ self: this }, function* () {
        const times = scope?.times ?? 1
        yield* nonNegative("failNext", "times", times)
        const userId =
          scope?.user === undefined ? undefined : (yield* directory.userOf("failNext", scope.user)).id
        if (error !== "transport" && (!Number.isInteger(error.code) || error.type === ""))
          return yield* handleError("failNext", "error needs an integer code and a non-empty type")
        if (times > 0) this.faults.push({ method, userId, error, remaining: times })
      })
    return {
      failNext,
      tamper: (target) =>
        Effect.gen({ self: this }, function* () {
          const times = target.times ?? 1
          yield* nonNegative("tamper", "times", times)
          const userId =
            target.user === undefined ? undefined : (yield* directory.userOf("tamper", target.user)).id
          if (times > 0)
            this.tampers.push({ method: target.method, field: target.field, userId, remaining: times })
        }),
      floodWait: (method, seconds, scope) =>
        Effect.andThen(
          nonNegative("floodWait", "seconds", seconds),
          failNext(method, { code: 420, type: `FLOOD_WAIT_${seconds}` }, scope)
        ),
      disconnect: (user) =>
        Effect.flatMap(directory.userOf("disconnect", user), (rec) =>
          Effect.sync(() => {
            rec.connected = false
            PubSub.publishUnsafe(rec.link, "Disconnected")
          })
        ),
      reconnect: (user) =>
        Effect.flatMap(directory.userOf("reconnect", user), (rec) =>
          Effect.sync(() => {
            rec.connected = true
            PubSub.publishUnsafe(rec.link, "Connected")
            this.delivery.flushPending(rec)
          })
        )
    }
  }
}
