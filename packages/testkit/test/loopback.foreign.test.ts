/**
 * Unmodified clients of three libraries, each in its own layer, log in with a code and place
 * whole 1:1 calls with each other over the world-backed loopback server: GramJS
 * (`telegram` 2.26, layer 198), teleproto 1.229 (layer 229) and mtcute (`@mtcute/node` 0.30,
 * layer 227). Each call runs requestCall → receivedCall → acceptCall → confirmCall, both sides
 * reach `phoneCall` with the same key (the DH values computed with `@tgphone/crypto`),
 * signalling data goes both ways, and the caller hangs up.
 * A GramJS or teleproto callee that is offline while it is called gets the missed
 * `phoneCallRequested` from `updates.getDifference` exactly once after reconnecting.
 *
 * mtcute declares layer 227, which tgphone ships no schema for, and cannot read layer 229's
 * `user#b1b8cc83`; the server is given mtcute's own layer-227 schema (`schemas`), read from the
 * `api-schema.json` that mtcute ships.
 */
import * as NodeCrypto from "node:crypto"
import { createRequire } from "node:module"
import { assert, describe, it } from "@effect/vitest"
import { MemoryStorage, TelegramClient as MtcuteClient, Long as MtcuteLong, TcpTransport } from "@mtcute/node"
import { addPublicKey, NodeCryptoProvider } from "@mtcute/node/utils.js"
import * as Tl from "@tgphone/core/Tl"
import { DhGroup, Fingerprint, KeyExchange, SecureRandom } from "@tgphone/crypto"
import { Deferred, Effect, Exit, Queue, Redacted, Schedule, type Scope } from "effect"
import * as GramJsLib from "telegram"
import { _serverKeys as gramjsKeys } from "telegram/crypto/RSA.js"
import { Raw as GramJsRaw } from "telegram/events/index.js"
import { Logger as GramJsLogger, LogLevel as GramJsLogLevel } from "telegram/extensions/Logger.js"
import { ConnectionTCPFull as GramJsTcpFull } from "telegram/network/index.js"
import { StringSession as GramJsSession } from "telegram/sessions/index.js"
import { LAYER as GRAMJS_LAYER } from "telegram/tl/AllTLObjects.js"
import * as TeleprotoLib from "teleproto"
import { _serverKeys as teleprotoKeys } from "teleproto/crypto/RSA.js"
import { Raw as TeleprotoRaw } from "teleproto/events/index.js"
import { Logger as TeleprotoLogger, LogLevel as TeleprotoLogLevel } from "teleproto/extensions/Logger.js"
import { ConnectionTCPFull as TeleprotoTcpFull } from "teleproto/network/index.js"
import { StringSession as TeleprotoSession } from "teleproto/sessions/index.js"
import { LAYER as TELEPROTO_LAYER } from "teleproto/tl/index.js"
import { testRsaKey } from "../src/internal/mtproto/handshake.js"
import * as LoopbackServer from "../src/LoopbackServer.js"
import * as TestTelegram from "../src/TestTelegram.js"

/** A call as a client library reports it, in TL terms. */
interface CallView {
  /** The TL constructor (`phoneCallRequested`, …). */
  readonly _: string
  readonly id: bigint
  readonly accessHash: bigint
  readonly gAHash?: Uint8Array | undefined
  readonly gB?: Uint8Array | undefined
  readonly gAOrB?: Uint8Array | undefined
  readonly keyFingerprint?: bigint | undefined
  /** `phoneCall.conference_supported` as the library read it, if its layer has it. */
  readonly conferenceSupported?: boolean | undefined
}

interface Signal {
  readonly callId: bigint
  readonly data: Uint8Array
}

/** One logged-in client of some library. */
interface Phone {
  readonly name: string
  /** The layer the library declares in `invokeWithLayer`. */
  readonly layer: number
  readonly dhConfig: Effect.Effect<{
    readonly g: number
    readonly p: Uint8Array
    readonly random: Uint8Array
  }>
  readonly requestCall: (to: TestTelegram.TestUser, gAHash: Uint8Array) => Effect.Effect<CallView>
  readonly receivedCall: (call: CallView) => Effect.Effect<boolean>
  readonly acceptCall: (call: CallView, gB: Uint8Array) => Effect.Effect<CallView>
  readonly confirmCall: (call: CallView, gA: Uint8Array, fingerprint: bigint) => Effect.Effect<CallView>
  readonly sendSignalingData: (call: CallView, data: Uint8Array) => Effect.Effect<boolean>
  /** Hangs up; the calls the result's updates carry. */
  readonly discardCall: (call: CallView) => Effect.Effect<ReadonlyArray<CallView>>
  /** Calls pushed as `updatePhoneCall`. */
  readonly calls: Queue.Queue<CallView>
  /** `updatePhoneCallSignalingData` pushed. */
  readonly signals: Queue.Queue<Signal>
  /** Resolves once the client has its update state (mtcute fetches it after `start`). */
  readonly ready: Effect.Effect<void>
  /** Takes the client offline (it stays offline until `online`). */
  readonly offline: Effect.Effect<void>
  /** Lets it connect again, with the same auth key. */
  readonly online: Effect.Effect<void>
  /**
   * What the application does to catch up after `online`: GramJS and teleproto never ask, so
   * `updates.getDifference` by hand from the state kept at `offline`, the difference's calls
   * returned; mtcute catches up by itself (its calls arrive in `calls`), so nothing here.
   */
  readonly catchUp: Effect.Effect<ReadonlyArray<CallView>>
}

const LIBRARY_VERSIONS = ["9.0.0"]
const protocolFields = { udpP2p: true, udpReflector: true, minLayer: 65, maxLayer: 92 }
const bytes = (v: unknown): Uint8Array | undefined =>
  v instanceof Uint8Array ? new Uint8Array(v) : undefined
const big = (v: unknown): bigint => BigInt(String(v))

/** The server's test RSA key as PKCS#1 PEM (mtcute's `addPublicKey`). */
const testKeyPem = (): string => {
  const key = testRsaKey()
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url")
  const e = Buffer.from(key.e.toString(16).padStart(6, "0"), "hex")
  return NodeCrypto.createPublicKey({ key: { kty: "RSA", n: b64(key.n), e: b64(e) }, format: "jwk" })
    .export({ type: "pkcs1", format: "pem" })
    .toString()
}

/**
 * The login-code lookup the client libraries' Promise callbacks call, run with the test's own
 * services (its clock, scope and logger), as loopback.gramjs.test.ts does.
 */
const loginCodes = (server: LoopbackServer.Server) =>
  Effect.map(Effect.context<never>(), (context) => {
    const run = Effect.runPromiseWith(context)
    return (phone: string): Promise<string> => run(server.loginCode(phone)).then((c) => c ?? "")
  })

// ---------------------------------------------------------------------------------------------
// GramJS and teleproto: the same API (teleproto is GramJS's maintained fork), different layers

/** What the test uses of a GramJS-shaped library. */
interface GramJsShaped {
  readonly name: string
  readonly layer: number
  readonly TelegramClient: new (
    session: unknown,
    apiId: number,
    apiHash: string,
    params: object
  ) => GramJsClient
  readonly Api: object
  readonly helpers: { readonly returnBigInt: (v: bigint) => unknown }
  readonly StringSession: new (s: string) => unknown
  readonly Raw: new (p: { readonly types: ReadonlyArray<unknown> }) => unknown
  readonly TcpFull: new (o: never) => object
  readonly silentLogger: () => unknown
  readonly trustKey: () => void
}

interface GramJsClient {
  start(p: object): Promise<void>
  connect(): Promise<boolean>
  disconnect(): Promise<void>
  invoke(r: object): Promise<unknown>
  addEventHandler(f: (u: unknown) => void, e: unknown): void
  destroy(): Promise<void>
}

const gramjs: GramJsShaped = {
  name: "GramJS",
  layer: GRAMJS_LAYER,
  TelegramClient: GramJsLib.TelegramClient as unknown as GramJsShaped["TelegramClient"],
  Api: GramJsLib.Api,
  helpers: GramJsLib.helpers,
  StringSession: GramJsSession,
  Raw: GramJsRaw as unknown as GramJsShaped["Raw"],
  TcpFull: GramJsTcpFull as unknown as GramJsShaped["TcpFull"],
  silentLogger: () => new GramJsLogger(GramJsLogLevel.NONE),
  trustKey: () => {
    const key = testRsaKey()
    gramjsKeys.set(key.fingerprint.toString(), {
      n: GramJsLib.helpers.readBigIntFromBuffer(Buffer.from(key.n), false, false),
      e: key.e
    })
  }
}

const teleproto: GramJsShaped = {
  name: "teleproto",
  layer: TELEPROTO_LAYER,
  TelegramClient: TeleprotoLib.TelegramClient as unknown as GramJsShaped["TelegramClient"],
  Api: TeleprotoLib.Api,
  helpers: TeleprotoLib.helpers,
  StringSession: TeleprotoSession,
  Raw: TeleprotoRaw as unknown as GramJsShaped["Raw"],
  TcpFull: TeleprotoTcpFull as unknown as GramJsShaped["TcpFull"],
  silentLogger: () => new TeleprotoLogger(TeleprotoLogLevel.NONE),
  trustKey: () => {
    const key = testRsaKey()
    teleprotoKeys.set(key.fingerprint.toString(), {
      n: TeleprotoLib.helpers.readBigIntFromBuffer(Buffer.from(key.n), false, false),
      e: key.e
    })
  }
}

/** `Api.phone.RequestCall` etc. of a library, by TL-ish path. */
const apiClass = (lib: GramJsShaped, path: string): (new (args: object) => object) => {
  let o: unknown = lib.Api
  for (const part of path.split(".")) o = (o as Record<string, unknown>)[part]
  if (typeof o !== "function") throw new Error(`${lib.name} has no Api.${path}`)
  return o as new (
    args: object
  ) => object
}

/** A GramJS call object as a {@link CallView} (`PhoneCallRequested` → `phoneCallRequested`). */
const gramjsCall = (o: unknown): CallView => {
  const r = o as Record<string, unknown>
  const name = String(r.className)
  return {
    _: name.charAt(0).toLowerCase() + name.slice(1),
    id: big(r.id),
    accessHash: r.accessHash === undefined ? 0n : big(r.accessHash),
    gAHash: bytes(r.gAHash),
    gB: bytes(r.gB),
    gAOrB: bytes(r.gAOrB),
    keyFingerprint: r.keyFingerprint === undefined ? undefined : big(r.keyFingerprint),
    conferenceSupported: typeof r.conferenceSupported === "boolean" ? r.conferenceSupported : undefined
  }
}

const gramjsPhone = (lib: GramJsShaped, server: LoopbackServer.Server, user: TestTelegram.TestUser) =>
  Effect.gen(function* () {
    const calls = yield* Queue.unbounded<CallView>()
    const signals = yield* Queue.unbounded<Signal>()
    const port = server.port
    const Full = lib.TcpFull as unknown as new (o: object) => object
    class Pinned extends Full {
      constructor(o: object) {
        super({ ...o, ip: "127.0.0.1", port })
      }
    }
    lib.trustKey()
    const phone = user.phone ?? ""
    const loginCode = yield* loginCodes(server)
    const client = yield* Effect.acquireRelease(
      Effect.promise(async () => {
        const c = new lib.TelegramClient(new lib.StringSession(""), 1, "loopback", {
          connection: Pinned,
          floodSleepThreshold: 0,
          connectionRetries: 1,
          retryDelay: 100,
          baseLogger: lib.silentLogger()
        })
        await c.start({
          phoneNumber: phone,
          phoneCode: () => loginCode(phone),
          onError: (e: unknown) => {
            throw e
          }
        })
        return c
      }),
      (c) => Effect.promise(() => c.destroy())
    )
    const UpdatePhoneCall = apiClass(lib, "UpdatePhoneCall")
    const UpdateSignaling = apiClass(lib, "UpdatePhoneCallSignalingData")
    client.addEventHandler(
      (u: unknown) => {
        const r = u as Record<string, unknown>
        if (u instanceof UpdatePhoneCall) Queue.offerUnsafe(calls, gramjsCall(r.phoneCall))
        if (u instanceof UpdateSignaling)
          Queue.offerUnsafe(signals, { callId: big(r.phoneCallId), data: bytes(r.data) ?? new Uint8Array() })
      },
      new lib.Raw({ types: [UpdatePhoneCall, UpdateSignaling] })
    )
    const invoke = (path: string, args: object) =>
      Effect.promise(() => client.invoke(new (apiClass(lib, path))(args)))
    const long = (v: bigint) => lib.helpers.returnBigInt(v)
    const peer = (c: CallView) =>
      new (apiClass(lib, "InputPhoneCall"))({ id: long(c.id), accessHash: long(c.accessHash) })
    const protocol = () =>
      new (apiClass(lib, "PhoneCallProtocol"))({ ...protocolFields, libraryVersions: LIBRARY_VERSIONS })
    const phoneCallOf = (r: unknown) => gramjsCall((r as Record<string, unknown>).phoneCall)
    /** The update state the application keeps (GramJS keeps none). */
    let kept: Record<string, unknown> = {}
    return {
      name: `${lib.name} (layer ${lib.layer})`,
      layer: lib.layer,
      dhConfig: Effect.map(invoke("messages.GetDhConfig", { version: 0, randomLength: 256 }), (r) => {
        const d = r as Record<string, unknown>
        return {
          g: Number(d.g),
          p: bytes(d.p) ?? new Uint8Array(),
          random: bytes(d.random) ?? new Uint8Array()
        }
      }),
      requestCall: (to, gAHash) =>
        Effect.map(
          invoke("phone.RequestCall", {
            userId: new (apiClass(lib, "InputUser"))({
              userId: long(to.id),
              accessHash: long(to.accessHash)
            }),
            randomId: NodeCrypto.randomInt(1, 2 ** 31 - 1),
            gAHash: Buffer.from(gAHash),
            protocol: protocol()
          }),
          phoneCallOf
        ),
      receivedCall: (c) => Effect.map(invoke("phone.ReceivedCall", { peer: peer(c) }), (r) => r === true),
      acceptCall: (c, gB) =>
        Effect.map(
          invoke("phone.AcceptCall", { peer: peer(c), gB: Buffer.from(gB), protocol: protocol() }),
          phoneCallOf
        ),
      confirmCall: (c, gA, fingerprint) =>
        Effect.map(
          invoke("phone.ConfirmCall", {
            peer: peer(c),
            gA: Buffer.from(gA),
            keyFingerprint: long(fingerprint),
            protocol: protocol()
          }),
          phoneCallOf
        ),
      sendSignalingData: (c, data) =>
        Effect.map(
          invoke("phone.SendSignalingData", { peer: peer(c), data: Buffer.from(data) }),
          (r) => r === true
        ),
      discardCall: (c) =>
        Effect.map(
          invoke("phone.DiscardCall", {
            peer: peer(c),
            duration: 1,
            reason: new (apiClass(lib, "PhoneCallDiscardReasonHangup"))({}),
            connectionId: long(0n)
          }),
          (r) =>
            (((r as Record<string, unknown>).updates ?? []) as ReadonlyArray<Record<string, unknown>>)
              .filter((u) => u instanceof UpdatePhoneCall)
              .map((u) => gramjsCall(u.phoneCall))
        ),
      calls,
      signals,
      ready: Effect.void,
      offline: Effect.gen(function* () {
        kept = (yield* invoke("updates.GetState", {})) as Record<string, unknown>
        yield* Effect.promise(() => client.disconnect())
      }),
      online: Effect.asVoid(Effect.promise(() => client.connect())),
      catchUp: Effect.gen(function* () {
        const diff = (yield* invoke("updates.GetDifference", {
          pts: kept.pts,
          date: kept.date,
          qts: kept.qts
        })) as Record<string, unknown>
        const state = diff.state ?? diff.intermediateState
        if (state !== undefined) kept = state as Record<string, unknown>
        return ((diff.otherUpdates ?? []) as ReadonlyArray<Record<string, unknown>>)
          .filter((u) => u instanceof UpdatePhoneCall)
          .map((u) => gramjsCall(u.phoneCall))
      })
    } satisfies Phone
  })

// ---------------------------------------------------------------------------------------------
// mtcute

interface MtcuteArg {
  readonly name: string
  readonly type: string
  readonly typeModifiers?: { readonly predicate?: string; readonly isVector?: boolean }
}
interface MtcuteEntry {
  readonly kind: "class" | "method"
  readonly name: string
  readonly id: number
  readonly type: string
  readonly typeModifiers?: { readonly isVector?: boolean }
  readonly arguments?: ReadonlyArray<MtcuteArg>
  readonly generics?: ReadonlyArray<unknown>
}

/**
 * mtcute's layer as a `Tl.Schema`: its shipped `api-schema.json` (TL facts: names, ids,
 * parameters; `int53` is mtcute's name for a `long` it reads as a number) plus MTProto's
 * combinators.
 */
const mtcuteSchema = (): Tl.Schema => {
  const json = createRequire(import.meta.url)("@mtcute/core/tl/api-schema.json") as {
    readonly l: number
    readonly e: ReadonlyArray<MtcuteEntry>
  }
  const typeOf = (t: string, vector: boolean | undefined): Tl.Type => {
    const base = t === "!X" ? "X" : t === "int53" ? "long" : t
    return vector === true ? ["Vector", base] : base
  }
  const definitions: Array<Tl.Definition> = [...Tl.mtproto]
  for (const e of json.e) {
    definitions.push({
      kind: e.kind === "class" ? "constructor" : "function",
      name: e.name,
      id: e.id >>> 0,
      type: typeOf(e.type, e.typeModifiers?.isVector),
      generic: e.generics !== undefined,
      params: (e.arguments ?? []).map((a) => {
        const flag = /^(\w+)\.(\d+)$/.exec(a.typeModifiers?.predicate ?? "")
        return {
          name: a.name,
          type: typeOf(a.type, a.typeModifiers?.isVector),
          flag: flag === null ? undefined : { field: flag[1] ?? "flags", bit: Number(flag[2]) }
        }
      })
    })
  }
  const constructorsOf = new Map<string, Array<Tl.Definition>>()
  for (const d of definitions) {
    if (d.kind !== "constructor" || typeof d.type !== "string") continue
    constructorsOf.set(d.type, [...(constructorsOf.get(d.type) ?? []), d])
  }
  return {
    layer: json.l,
    definitions,
    byId: new Map(definitions.map((d) => [d.id, d] as const)),
    byName: new Map(definitions.map((d) => [d.name, d] as const)),
    constructorsOf
  }
}

/** mtcute's own schema (its layer, 227 in 0.30), which the server is given. */
const mtcuteLayer = mtcuteSchema()

/** The schema the server serves a client declaring `layer` in: mtcute's own for its layer, else the shipped one. */
const servedSchema = (layer: number): Tl.Schema =>
  layer === mtcuteLayer.layer ? mtcuteLayer : Tl.schema(layer)

const mtcuteLong = (v: bigint) => MtcuteLong.fromString(v.toString())

const mtcuteCall = (o: unknown): CallView => {
  const r = o as Record<string, unknown>
  return {
    _: String(r._),
    id: big(r.id),
    accessHash: r.accessHash === undefined ? 0n : big(r.accessHash),
    gAHash: bytes(r.gAHash),
    gB: bytes(r.gB),
    gAOrB: bytes(r.gAOrB),
    keyFingerprint: r.keyFingerprint === undefined ? undefined : big(r.keyFingerprint),
    conferenceSupported: typeof r.conferenceSupported === "boolean" ? r.conferenceSupported : undefined
  }
}

const mtcutePhone = (server: LoopbackServer.Server, user: TestTelegram.TestUser) =>
  Effect.gen(function* () {
    const calls = yield* Queue.unbounded<CallView>()
    const signals = yield* Queue.unbounded<Signal>()
    const dc = { id: 2, ipAddress: "127.0.0.1", port: server.port }
    addPublicKey(new NodeCryptoProvider(), testKeyPem())
    const phone = user.phone ?? ""
    const loginCode = yield* loginCodes(server)
    // mtcute's own TCP transport behind a gate: while `offline`, its reconnects wait
    const tcp = new TcpTransport()
    let gate: Promise<void> = Promise.resolve()
    let open: () => void = () => {}
    const transport = {
      connect: async (d: typeof dc) => {
        await gate
        return tcp.connect(d)
      },
      packetCodec: () => tcp.packetCodec()
    }
    // mtcute reports "updating" while it fetches the update state after start(), then "connected"
    const ready = yield* Deferred.make<void>()
    let updating = false
    const tg = yield* Effect.acquireRelease(
      Effect.promise(async () => {
        const c = new MtcuteClient({
          transport,
          apiId: 1,
          apiHash: "loopback",
          storage: new MemoryStorage(),
          defaultDcs: { main: dc, media: dc },
          // mtcute's updates loop starts after start() returns and drops what arrives before;
          // catchUp subscribes at once and queues updates until the loop has the state
          updates: { catchUp: true },
          logLevel: 0
        })
        c.onConnectionState.add((state) => {
          if (state === "updating") updating = true
          if (state === "connected" && updating) Deferred.doneUnsafe(ready, Exit.void)
        })
        c.onRawUpdate.add((info) => {
          const u = info.update
          if (u._ === "updatePhoneCall") Queue.offerUnsafe(calls, mtcuteCall(u.phoneCall))
          if (u._ === "updatePhoneCallSignalingData")
            Queue.offerUnsafe(signals, { callId: big(u.phoneCallId), data: new Uint8Array(u.data) })
        })
        await c.start({ phone, code: () => loginCode(phone), codeSentCallback: () => {} })
        return c
      }),
      (c) => Effect.promise(() => c.destroy())
    )
    const peer = (c: CallView) => ({
      _: "inputPhoneCall" as const,
      id: mtcuteLong(c.id),
      accessHash: mtcuteLong(c.accessHash)
    })
    const protocol = () => ({
      _: "phoneCallProtocol" as const,
      ...protocolFields,
      libraryVersions: LIBRARY_VERSIONS
    })
    return {
      name: `mtcute (layer ${mtcuteLayer.layer})`,
      layer: mtcuteLayer.layer,
      dhConfig: Effect.promise(async () => {
        const d = await tg.call({ _: "messages.getDhConfig", version: 0, randomLength: 256 })
        if (d._ !== "messages.dhConfig") throw new Error("expected a dhConfig")
        return { g: d.g, p: new Uint8Array(d.p), random: new Uint8Array(d.random) }
      }),
      requestCall: (to, gAHash) =>
        Effect.promise(() =>
          tg.call({
            _: "phone.requestCall",
            userId: { _: "inputUser", userId: Number(to.id), accessHash: mtcuteLong(to.accessHash) },
            randomId: NodeCrypto.randomInt(1, 2 ** 31 - 1),
            gAHash,
            protocol: protocol()
          })
        ).pipe(Effect.map((r) => mtcuteCall(r.phoneCall))),
      receivedCall: (c) => Effect.promise(() => tg.call({ _: "phone.receivedCall", peer: peer(c) })),
      acceptCall: (c, gB) =>
        Effect.promise(() =>
          tg.call({ _: "phone.acceptCall", peer: peer(c), gB, protocol: protocol() })
        ).pipe(Effect.map((r) => mtcuteCall(r.phoneCall))),
      confirmCall: (c, gA, fingerprint) =>
        Effect.promise(() =>
          tg.call({
            _: "phone.confirmCall",
            peer: peer(c),
            gA,
            keyFingerprint: mtcuteLong(fingerprint),
            protocol: protocol()
          })
        ).pipe(Effect.map((r) => mtcuteCall(r.phoneCall))),
      sendSignalingData: (c, data) =>
        Effect.promise(() => tg.call({ _: "phone.sendSignalingData", peer: peer(c), data })),
      discardCall: (c) =>
        Effect.promise(() =>
          tg.call({
            _: "phone.discardCall",
            peer: peer(c),
            duration: 1,
            reason: { _: "phoneCallDiscardReasonHangup" },
            connectionId: MtcuteLong.ZERO
          })
        ).pipe(
          Effect.map((r) =>
            r._ === "updates"
              ? r.updates.flatMap((u) => (u._ === "updatePhoneCall" ? [mtcuteCall(u.phoneCall)] : []))
              : []
          )
        ),
      calls,
      signals,
      ready: Deferred.await(ready),
      // a network drop: the server closes the socket and mtcute's reconnects wait at the gate
      offline: Effect.asVoid(
        Effect.suspend(() => {
          gate = new Promise((resolve) => {
            open = resolve
          })
          return server.disconnect(user.id)
        })
      ),
      online: Effect.sync(() => open()),
      catchUp: Effect.succeed([])
    } satisfies Phone
  })

// ---------------------------------------------------------------------------------------------

/** The next pushed call of constructor `ctor` for call `id` (earlier states are skipped). */
const next = (p: Phone, ctor: string, id?: bigint) =>
  Effect.gen(function* () {
    for (;;) {
      const c = yield* Queue.take(p.calls).pipe(
        Effect.timeoutOrElse({
          duration: "10 seconds",
          orElse: () => Effect.die(new Error(`${p.name}: no ${ctor} pushed within 10 s`))
        })
      )
      if (c._ === ctor && (id === undefined || c.id === id)) return c
    }
  })

const nextSignal = (p: Phone) =>
  Queue.take(p.signals).pipe(
    Effect.timeoutOrElse({
      duration: "10 seconds",
      orElse: () => Effect.die(new Error(`${p.name}: no signalling data pushed within 10 s`))
    })
  )

const keyPair = (dh: { readonly g: number; readonly p: Uint8Array; readonly random: Uint8Array }) =>
  Effect.gen(function* () {
    const group = yield* DhGroup.make({ g: dh.g, p: dh.p, version: 0 })
    const pair = yield* KeyExchange.generateKeyPair(group, dh.random)
    return { group, pair }
  }).pipe(Effect.provide(SecureRandom.layer), Effect.orDie)

/** A whole call from `a` to `b` (world user `bob`); returns what both saw. */
const wholeCall = (a: Phone, b: Phone, bob: TestTelegram.TestUser) =>
  Effect.gen(function* () {
    const alice = yield* keyPair(yield* a.dhConfig)
    const gA = alice.pair.publicValue
    const waiting = yield* a.requestCall(bob, Fingerprint.gAHash(gA))
    assert.strictEqual(waiting._, "phoneCallWaiting")

    const requested = yield* next(b, "phoneCallRequested", waiting.id)
    assert.deepStrictEqual(requested.gAHash, Fingerprint.gAHash(gA))
    assert.isTrue(yield* b.receivedCall(requested))

    const bobKeys = yield* keyPair(yield* b.dhConfig)
    const accepted = yield* b.acceptCall(requested, bobKeys.pair.publicValue)
    assert.strictEqual(accepted._, "phoneCallWaiting")

    const acceptedForA = yield* next(a, "phoneCallAccepted", waiting.id)
    const gB = acceptedForA.gB ?? new Uint8Array()
    assert.deepStrictEqual(gB, bobKeys.pair.publicValue)
    const key = yield* Effect.orDie(KeyExchange.computeSharedKey(alice.group, alice.pair.secret, gB))
    const fingerprint = Fingerprint.keyFingerprint(Redacted.value(key))
    const confirmed = yield* a.confirmCall(acceptedForA, gA, fingerprint)
    assert.strictEqual(confirmed._, "phoneCall")

    const active = yield* next(b, "phoneCall", waiting.id)
    const gAOrB = active.gAOrB ?? new Uint8Array()
    assert.deepStrictEqual(Fingerprint.gAHash(gAOrB), requested.gAHash)
    const bobKey = yield* Effect.orDie(
      KeyExchange.computeSharedKey(bobKeys.group, bobKeys.pair.secret, gAOrB)
    )
    assert.deepStrictEqual(Redacted.value(bobKey), Redacted.value(key))
    assert.strictEqual(active.keyFingerprint, fingerprint)
    // each side's phoneCall is its own layer's constructor: layer 198's phoneCall#3ba5940c has
    // no conference_supported, layer 227's and 229's phoneCall#30535af5 has
    const conference = (p: Phone) =>
      servedSchema(p.layer)
        .byName.get("phoneCall")
        ?.params.some((q) => q.name === "conference_supported") === true
        ? "boolean"
        : "undefined"
    assert.deepStrictEqual(
      [typeof confirmed.conferenceSupported, typeof active.conferenceSupported],
      [conference(a), conference(b)]
    )

    assert.isTrue(yield* a.sendSignalingData(confirmed, new Uint8Array([1, 2, 3])))
    assert.deepStrictEqual(yield* nextSignal(b), { callId: waiting.id, data: new Uint8Array([1, 2, 3]) })
    assert.isTrue(yield* b.sendSignalingData(active, new Uint8Array([4, 5, 6])))
    assert.deepStrictEqual(yield* nextSignal(a), { callId: waiting.id, data: new Uint8Array([4, 5, 6]) })

    const hungUp = yield* a.discardCall(confirmed)
    assert.deepStrictEqual(
      hungUp.map((c) => [c._, c.id]),
      [["phoneCallDiscarded", waiting.id]]
    )
    const discarded = yield* next(b, "phoneCallDiscarded", waiting.id)
    assert.strictEqual(discarded.id, waiting.id)
  })

type Library = "gramjs" | "teleproto" | "mtcute"

const phoneOf = (
  library: Library,
  server: LoopbackServer.Server,
  user: TestTelegram.TestUser
): Effect.Effect<Phone, never, Scope.Scope> =>
  library === "mtcute"
    ? mtcutePhone(server, user)
    : gramjsPhone(library === "gramjs" ? gramjs : teleproto, server, user)

/**
 * Caller and callee of the offline tests whose callee catches up by hand (GramJS, teleproto);
 * mtcute, which catches up by itself, has a test of its own.
 */
const offlinePairs: ReadonlyArray<readonly [Library, Library]> = [
  ["teleproto", "gramjs"],
  ["gramjs", "teleproto"],
  ["mtcute", "teleproto"]
]

/** Waits until the server has exactly `n` open connections. */
const untilConnections = (server: LoopbackServer.Server, n: number) =>
  server.connectionCount.pipe(
    Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (c) => c === n }),
    Effect.timeoutOrElse({
      duration: "10 seconds",
      orElse: () => Effect.die(new Error(`never ${n} open connections`))
    })
  )

/**
 * The offline tests' start: `callee` is ready and then goes offline (its connection gone from
 * the server), and `caller` requests a call to it meanwhile; the call is waiting.
 */
const callWhileOffline = (seed: string, caller: Library, callee: Library) =>
  Effect.gen(function* () {
    const world = yield* TestTelegram.make({ seed })
    const alice = yield* Effect.orDie(world.addUser({ firstName: "Alice", phone: "+15550001" }))
    const bob = yield* Effect.orDie(world.addUser({ firstName: "Bob", phone: "+15550002" }))
    const server = yield* LoopbackServer.serve(world, { schemas: [mtcuteSchema()] })
    const a = yield* phoneOf(caller, server, alice)
    const b = yield* phoneOf(callee, server, bob)
    yield* b.ready
    yield* b.offline
    yield* untilConnections(server, 1)
    const alice0 = yield* keyPair(yield* a.dhConfig)
    const waiting = yield* a.requestCall(bob, Fingerprint.gAHash(alice0.pair.publicValue))
    return { a, b, waiting }
  })

/** The next `n` calls pushed to `p`, whatever their kind. */
const takeCalls = (p: Phone, n: number) =>
  Effect.forEach(Array.from({ length: n }), () =>
    Queue.take(p.calls).pipe(
      Effect.timeoutOrElse({
        duration: "10 seconds",
        orElse: () => Effect.die(new Error(`${p.name}: fewer than ${n} calls pushed within 10 s`))
      })
    )
  )

const pairs: ReadonlyArray<readonly [Library, Library]> = [
  ["gramjs", "teleproto"],
  ["teleproto", "gramjs"],
  ["teleproto", "mtcute"],
  ["mtcute", "teleproto"],
  ["mtcute", "gramjs"]
]

describe("LoopbackServer with foreign clients (GramJS 198, teleproto 229, mtcute 227)", () => {
  for (const [caller, callee] of pairs) {
    it.live(
      `${caller} calls ${callee}: code login, whole call, signalling both ways, hang-up`,
      () =>
        Effect.gen(function* () {
          const world = yield* TestTelegram.make({ seed: `foreign-${caller}-${callee}` })
          const alice = yield* Effect.orDie(world.addUser({ firstName: "Alice", phone: "+15550001" }))
          const bob = yield* Effect.orDie(world.addUser({ firstName: "Bob", phone: "+15550002" }))
          const server = yield* LoopbackServer.serve(world, { schemas: [mtcuteLayer] })
          const a = yield* phoneOf(caller, server, alice)
          const b = yield* phoneOf(callee, server, bob)
          yield* wholeCall(a, b, bob)
          // one connection and one auth key per client, none dropped: every service message
          // (get_future_salts, pings, …) got an answer the client accepts, nobody reconnected;
          // eight pushes: requested, ringing, accepted, phoneCall, two signals, two discards
          const stats = yield* server.stats
          assert.deepStrictEqual(
            {
              connections: stats.connectionsAccepted,
              keys: stats.authKeysCreated,
              dropped: stats.connectionsClosedForErrors,
              pushed: stats.updatesPushed
            },
            { connections: 2, keys: 2, dropped: 0, pushed: 8 }
          )
          const calls = yield* world.calls
          assert.deepStrictEqual(
            calls.map((c) => c.state),
            ["Discarded"]
          )
        }),
      60_000
    )
  }

  for (const [caller, callee] of offlinePairs) {
    it.live(
      `${callee}, offline while ${caller} calls, gets the missed phoneCallRequested once after reconnecting`,
      () =>
        Effect.gen(function* () {
          const { a, b, waiting } = yield* callWhileOffline(`offline-${caller}-${callee}`, caller, callee)
          yield* b.online
          const caughtUp = yield* b.catchUp
          // the missed call reaches the client once: from the difference (GramJS, teleproto)
          // or through the library's own catch-up (mtcute)
          const requested = caughtUp.filter((c) => c._ === "phoneCallRequested")
          assert.deepStrictEqual(
            requested.map((c) => c.id),
            [waiting.id]
          )
          assert.deepStrictEqual(yield* b.catchUp, [])
          // and it answers it: the call goes on
          assert.isTrue(yield* b.receivedCall(requested[0]!))
          yield* next(a, "phoneCallWaiting", waiting.id)
          assert.strictEqual(yield* Queue.size(b.calls), 0)
        }),
      60_000
    )
  }

  it.live(
    "mtcute, offline while teleproto calls, catches up by itself when the next push shows a gap in seq",
    () =>
      Effect.gen(function* () {
        // a network drop: mtcute reconnects in the same session, which tells it nothing
        const { a, b, waiting } = yield* callWhileOffline("offline-mtcute", "teleproto", "mtcute")
        yield* b.online
        // a round trip: Bob's new connection is bound to his key before anything is pushed
        yield* b.dhConfig
        // Alice hangs up: Bob's push has seq 2 where mtcute expects 1, so mtcute calls
        // updates.getDifference and gets the missed request from it, once
        yield* a.discardCall(waiting)
        const seen = yield* takeCalls(b, 2)
        assert.deepStrictEqual(seen.map((c) => `${c._} ${c.id}`).sort(), [
          `phoneCallDiscarded ${waiting.id}`,
          `phoneCallRequested ${waiting.id}`
        ])
        assert.strictEqual(yield* Queue.size(b.calls), 0)
      }),
    60_000
  )
})
