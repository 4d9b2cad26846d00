/**
 * Runs every example in its default mode (a loopback world on 127.0.0.1, real GramJS clients)
 * and checks what it returned and printed. The live mode is chosen only when the `TG_*`
 * variables are set, so the tests call each example's `loopback` entry point directly; the
 * live code of the examples that need no more than a peer is run too, with `TG_SERVER_IP` /
 * `TG_SERVER_PORT` pointing `GramJs.layerConfig()` at a loopback server. Last, the programs of
 * `docs/getting-started.md` are run as written.
 */
import { mkdir, readFile, rm, rmdir, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { PhoneCalls } from "@tgphone/core"
import { LoopbackServer } from "@tgphone/testkit"
import { ConfigProvider, Console, Effect, Logger, Redacted, Stream } from "effect"
import * as Env from "./_shared/env.js"
import * as AnswerCalls from "./answer-calls.js"
import * as CallAndPrintEmoji from "./call-and-print-emoji.js"
import * as ExistingClient from "./existing-client.js"
import * as FloodWaitRetry from "./flood-wait-retry.js"
import * as GroupCalls from "./group-calls.js"
import * as RateLastCall from "./rate-last-call.js"
import * as RequestCallErrors from "./request-call-errors.js"

/** Runs `self` with a console that records what it prints (instead of printing it). */
const capture = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const console: Console.Console = {
      ...globalThis.console,
      log: (...args: ReadonlyArray<unknown>) => {
        lines.push(args.map(String).join(" "))
      }
    }
    const result = yield* Effect.provideService(self, Console.Console, console)
    return { result, lines }
  })

const TIMEOUT = 30_000

describe("examples (loopback mode)", () => {
  it.live(
    "call-and-print-emoji: both sides see the same 4 emoji and fingerprint",
    () =>
      Effect.gen(function* () {
        const { lines, result } = yield* capture(CallAndPrintEmoji.loopback)
        assert.lengthOf(result.caller.emojis, 4)
        assert.deepStrictEqual(result.caller.emojis, result.callee.emojis)
        assert.match(result.caller.fingerprint, /^[0-9a-f]{16}$/)
        assert.strictEqual(result.caller.fingerprint, result.callee.fingerprint)
        assert.strictEqual(result.caller.callId, result.callee.callId)
        assert.include(
          lines,
          `caller sees emoji ${result.caller.emojis.join(" ")}  fingerprint ${result.caller.fingerprint}`
        )
        assert.strictEqual(lines.at(-1), "emoji match ✔")
      }),
    TIMEOUT
  )

  it.live(
    "answer-calls: the contact is accepted, the stranger declined",
    () =>
      Effect.gen(function* () {
        const { lines, result } = yield* capture(AnswerCalls.loopback)
        const accepted = result.decisions.find((d) => d._tag === "Accepted")
        assert.strictEqual(accepted?.callerId, result.bobId)
        assert.deepStrictEqual(accepted?._tag === "Accepted" ? accepted.emojis : [], result.bobCall.emojis)
        assert.deepStrictEqual(
          result.decisions.filter((d) => d._tag === "Declined").map((d) => d.callerId),
          [result.carolId]
        )
        assert.deepStrictEqual(result.carolCall, { _tag: "Discarded", reason: "Busy" })
        assert.include(lines, `declined a call from ${result.carolId} (not a contact)`)
      }),
    TIMEOUT
  )

  it.live(
    "rate-last-call: the world records the rating and the debug log of the call",
    () =>
      Effect.gen(function* () {
        const { result } = yield* capture(RateLastCall.loopback)
        assert.isTrue(result.last.needRating)
        // Signalling feedback (the 11.0.0 call's SCTP handshake) is not what this example is about.
        const mine = result.feedback.filter((f) => f.callId === result.last.id && f._tag !== "Signaling")
        assert.deepStrictEqual(
          mine.map((f) => f._tag),
          ["Rating", "Debug"]
        )
        const rating = mine[0]
        assert.deepStrictEqual(
          rating?._tag === "Rating" ? [rating.rating, rating.comment, rating.userInitiative] : [],
          [4, "a bit of echo", false]
        )
        const debug = mine[1]
        assert.strictEqual(debug?._tag, "Debug")
        assert.deepInclude(debug?._tag === "Debug" ? debug.json : undefined, { transport: "loopback" })
      }),
    TIMEOUT
  )

  it.live(
    "request-call-errors: every documented requestCall error, and the call's own outcomes",
    () =>
      Effect.gen(function* () {
        const { lines, result } = yield* capture(RequestCallErrors.loopback)
        // one outcome per attempt, each with its own advice
        assert.deepStrictEqual(
          result.map((o) => [o.tag, o.advice]),
          [
            ["UserPrivacyRestricted", "they only take calls from some people: send them a message instead"],
            ["UserIsBlocked", "they blocked you: you cannot call them"],
            ["InputUserDeactivated", "this account was deleted"],
            ["ParticipantVersionOutdated", "their app cannot take calls: ask them to update Telegram"],
            ["UserIdInvalid", "that is not someone you can call (yourself, or an unknown id)"],
            ["CallTimeout", "their phone seems offline"],
            ["CallDiscarded", "they declined or are busy"],
            ["RandomIdDuplicate", "a retry reused a random id: just call again"],
            ["ParticipantCallFailed", "Telegram could not reach them: try later"],
            ["CallProtocolFlagsInvalid", "this app's call protocol is misconfigured (P2P/reflector flags)"],
            ["CallProtocolLayerInvalid", "this app's call protocol is misconfigured (layer range)"],
            ["FloodWait", "too many calls: wait 42s (see flood-wait-retry.ts)"],
            [
              "InvalidInput",
              "a bug in this app: protocol.udpP2p both udp_p2p and udp_reflector must be set (got udp_p2p=false, udp_reflector=false)"
            ]
          ]
        )
        assert.lengthOf(lines, result.length) // one line of advice per attempt
      }),
    TIMEOUT
  )

  it.live(
    "flood-wait-retry: two flood waits are waited out, the third attempt connects",
    () =>
      Effect.gen(function* () {
        const { lines, result } = yield* capture(FloodWaitRetry.loopback)
        assert.strictEqual(result.requestCallAttempts, 3)
        assert.strictEqual(result.getCallConfigAttempts, 2)
        assert.lengthOf(result.emojis, 4)
        assert.lengthOf(
          lines.filter((l) => l.includes("flood wait on phone.requestCall")),
          2
        )
      }),
    TIMEOUT
  )

  it.live(
    "existing-client: tgphone works over a client the app owns, which stays connected",
    () =>
      Effect.gen(function* () {
        const { result } = yield* capture(ExistingClient.loopback)
        assert.strictEqual(result.ringTimeoutMs, 90_000)
        assert.strictEqual(result.dhVersion, 3)
        assert.lengthOf(result.emojis, 4)
        assert.strictEqual(result.stillConnectedAs, "Alice")
      }),
    TIMEOUT
  )

  it.live(
    "group-calls: create, join, participants, leave, end",
    () =>
      Effect.gen(function* () {
        const { result } = yield* capture(GroupCalls.loopback)
        assert.deepStrictEqual(
          result.whileBoth.map((p) => [p.name, p.source]),
          [
            ["Alice", 1111],
            ["Bob", 2222]
          ]
        )
        assert.deepStrictEqual(
          result.afterBobLeft.map((p) => p.name),
          ["Alice"]
        )
        assert.isTrue(result.ended)
      }),
    TIMEOUT
  )
})

/** The `ts` code blocks of a guide, in order. */
const codeBlocks = (markdown: string): Array<string> =>
  [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "")

/** `source` with its line `Effect.runPromise(<effect>)` (and its comment) turned into an export. */
const exportRun = (source: string, effect: string) => {
  const line = new RegExp(`^Effect\\.runPromise\\(${effect.replace(/[.()]/g, "\\$&")}\\)( //.*)?$`, "m")
  assert.match(source, line)
  return source.replace(line, `export default ${effect}`)
}

/**
 * Runs a guide's program: written to a git-ignored folder inside `examples/` (so its imports
 * resolve like an example's), with `Effect.runPromise(<effect>)` turned into an export.
 */
const runGuideProgram = (source: string, effect = "program") =>
  Effect.acquireUseRelease(
    Effect.promise(async () => {
      const dir = join(here, ".tgphone-tmp", `guide-${process.pid}-${Date.now()}`)
      await mkdir(dir, { recursive: true })
      return dir
    }),
    (dir) =>
      Effect.gen(function* () {
        const file = join(dir, "program.ts")
        yield* Effect.promise(() => writeFile(file, exportRun(source, effect)))
        const module = yield* Effect.promise(
          () => import(pathToFileURL(file).href) as Promise<{ default: Effect.Effect<unknown> }>
        )
        return yield* capture(module.default)
      }),
    (dir) =>
      Effect.promise(async () => {
        await rm(dir, { recursive: true, force: true })
        await rmdir(dirname(dir)).catch(() => undefined) // the parent, once no other run uses it
      })
  )

const here = dirname(fileURLToPath(import.meta.url))

/** Alice's and Bob's emoji lines, as the guide's programs print them. */
const emojiOf = (lines: ReadonlyArray<string>, who: "Alice" | "Bob") =>
  lines.find((l) => l.startsWith(`${who} sees`))?.replace(/^\w+ sees\s+/, "")

describe("docs/getting-started.md", () => {
  it.live(
    "the in-memory program and its loopback variant run, and both sides print the same emoji",
    () =>
      Effect.gen(function* () {
        const guide = yield* Effect.promise(() => readFile(join(here, "../docs/getting-started.md"), "utf8"))
        const [inMemory, loopback] = codeBlocks(guide)
        if (inMemory === undefined || loopback === undefined) return yield* Effect.die("guide blocks missing")

        const first = yield* runGuideProgram(inMemory)
        assert.lengthOf(emojiOf(first.lines, "Alice")?.split(" ") ?? [], 4)
        assert.strictEqual(emojiOf(first.lines, "Alice"), emojiOf(first.lines, "Bob"))

        // Step 3: its imports added to step 2's file, its `program` replacing step 2's.
        const imports = loopback.split("\n").filter((l) => l.startsWith("import "))
        const program = loopback
          .split("\n")
          .filter((l) => !l.startsWith("import "))
          .join("\n")
        const start = inMemory.indexOf("// 3. An in-memory Telegram")
        const end = inMemory.indexOf("Effect.runPromise(program)")
        const combined = `${imports.join("\n")}\n${inMemory.slice(0, start)}${program}\n${inMemory.slice(end)}`
        const second = yield* runGuideProgram(combined)
        assert.lengthOf(emojiOf(second.lines, "Alice")?.split(" ") ?? [], 4)
        assert.strictEqual(emojiOf(second.lines, "Alice"), emojiOf(second.lines, "Bob"))
      }),
    TIMEOUT
  )
})

describe("README.md", () => {
  it.live(
    "the ten-line program runs as written with the loopback layer in place of Live",
    () =>
      Effect.gen(function* () {
        const readme = yield* Effect.promise(() => readFile(join(here, "../README.md"), "utf8"))
        const [tenLines, loopback] = codeBlocks(readme)
        if (tenLines === undefined || loopback === undefined)
          return yield* Effect.die("README blocks missing")
        // the ten lines without their last one (which runs the program with Live), then the
        // loopback block, whose last line runs it with Loopback
        const runLive = /^Effect\.runPromise\(program\.pipe\(Effect\.provide\(Live\)\)\)( \/\/.*)?$/m
        assert.match(tenLines, runLive)
        const messages: Array<unknown> = []
        const logger = Logger.make((options) => {
          messages.push(options.message)
        })
        yield* runGuideProgram(
          `${tenLines.replace(runLive, "")}\n${loopback}`,
          "program.pipe(Effect.provide(Loopback))"
        ).pipe(Effect.provide(Logger.layer([logger])))
        // the call was verified (its 4 emoji were logged) and rated (else the program failed)
        assert.lengthOf(messages, 1)
        assert.match(String((messages[0] as ReadonlyArray<unknown>)[0]), /^say these aloud: \S+ \S+ \S+ \S+$/)
      }),
    TIMEOUT
  )
})

describe("examples (live mode, pointed at a loopback server with TG_SERVER_IP / TG_SERVER_PORT)", () => {
  /** A loopback world with Alice and Bob; `TG_*` settings that sign in as Alice; Bob answers every call. */
  const liveWorld = Effect.gen(function* () {
    const { server, signIn, users, world } = yield* Env.loopback((world) =>
      Effect.all({
        alice: world.addUser({ firstName: "Alice", username: "alice_demo" }),
        bob: world.addUser({ firstName: "Bob", username: "bob_demo" })
      })
    )
    const session = yield* server.mintSession(users.alice.id)
    const bobAccount = yield* signIn(users.bob)
    const incoming = yield* PhoneCalls.PhoneCalls.use((calls) => calls.listen).pipe(
      Effect.provide(bobAccount)
    )
    yield* Effect.forkChild(
      Stream.runForEach(incoming, (call) =>
        Effect.scoped(Effect.andThen(call.accept(), (active) => active.ended))
      ).pipe(Effect.ignore, Effect.provide(bobAccount))
    )
    /** Runs `self` with these variables as its whole environment. */
    const withEnv =
      (extra: Record<string, string>) =>
      <A, E>(self: Effect.Effect<A, E>) =>
        Effect.provideService(
          self,
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromEnv({
            env: {
              TG_API_ID: "1",
              TG_API_HASH: "loopback",
              TG_SESSION: Redacted.value(session),
              TG_SERVER_IP: server.host,
              TG_SERVER_PORT: String(server.port),
              ...extra
            }
          })
        )
    return { world, users, withEnv }
  })

  it.live(
    "call-and-print-emoji, rate-last-call, request-call-errors and flood-wait-retry run their live code",
    () =>
      Effect.gen(function* () {
        const { users, withEnv, world } = yield* liveWorld

        const called = yield* capture(
          CallAndPrintEmoji.live.pipe(withEnv({ TG_PEER: "@bob_demo", TG_HOLD_SECONDS: "0" }))
        )
        assert.lengthOf(called.result.emojis, 4)

        const rated = yield* capture(
          RateLastCall.live.pipe(withEnv({ TG_PEER: "@bob_demo", TG_HOLD_SECONDS: "0", TG_RATING: "3" }))
        )
        const ratings = (yield* world.feedback).filter(
          (f) => f._tag === "Rating" && f.callId === rated.result.id
        )
        assert.deepStrictEqual(
          ratings.map((f) => (f._tag === "Rating" ? [f.rating, f.userId] : [])),
          [[3, users.alice.id]]
        )

        yield* world.setPrivacy(users.bob, { allow: "nobody" })
        const advised = yield* capture(RequestCallErrors.live.pipe(withEnv({ TG_PEER: "@bob_demo" })))
        assert.strictEqual(advised.result.tag, "UserPrivacyRestricted")

        yield* world.floodWait("phone.getCallConfig", 1, { user: users.alice })
        const retried = yield* capture(FloodWaitRetry.live.pipe(withEnv({})))
        assert.strictEqual(
          JSON.parse(retried.result.data).call_ring_timeout_ms,
          LoopbackServer.defaultCallConfig.callRingTimeoutMs
        )
        assert.deepStrictEqual(
          (yield* world.requestsOf("phone.getCallConfig", users.alice)).map((r) => r.outcome._tag),
          ["Failure", "Success"]
        )
      }),
    TIMEOUT
  )

  it.live(
    "a live run without TG_PEER fails with a ConfigError naming it",
    () =>
      Effect.gen(function* () {
        const { withEnv } = yield* liveWorld
        const error = yield* Effect.flip(CallAndPrintEmoji.live.pipe(withEnv({})))
        assert.strictEqual(error._tag, "ConfigError")
        assert.include(String(error), "TG_PEER")
      }),
    TIMEOUT
  )
})
