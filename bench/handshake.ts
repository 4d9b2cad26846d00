/**
 * Complete two-party handshakes per second over the loopback MTProto server, and as a ratio to
 * the pure crypto cost of the same handshake measured in the same run.
 *
 * Subject: Alice calls Bob through `PhoneCalls` over one of tgphone's live layers (two real
 * clients on TCP: GramJS, then teleproto; `bench/backends.ts`), Bob accepts, both verify,
 * Alice hangs up — one handshake each round, sequentially, on connections set up once.
 * Baseline: the crypto both sides do for one handshake, in process (two key pairs with the
 * DH config check of a cached group, two shared keys, g_a_hash and its check, the fingerprint
 * and its check, the emoji on both sides).
 *
 * Run: `npx tsx bench/handshake.ts` (or `npx pnpm@10.34.9 bench handshake`).
 */
import { createDiffieHellman, createHash } from "node:crypto"
import { fileURLToPath } from "node:url"
import { PhoneCalls } from "@tgphone/core"
import { DhGroup, Fingerprint, KeyExchange, SecureRandom } from "@tgphone/crypto"
import { LoopbackServer, TestTelegram } from "@tgphone/testkit"
import { Context, Effect, Layer, Redacted, type Scope, Stream } from "effect"
import { type Backend, backends, type RawClient } from "./backends.js"

const HANDSHAKES = 60
const CRYPTO_ROUNDS = 60

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** The crypto of one whole handshake, both sides. */
const cryptoHandshake = (group: DhGroup.DhGroup, serverRandom: Uint8Array) =>
  Effect.gen(function* () {
    const a = yield* KeyExchange.generateKeyPair(group, serverRandom)
    const hash = Fingerprint.gAHash(a.publicValue)
    const b = yield* KeyExchange.generateKeyPair(group, serverRandom)
    const keyA = yield* KeyExchange.computeSharedKey(group, a.secret, b.publicValue)
    const fingerprint = Fingerprint.keyFingerprint(Redacted.value(keyA))
    yield* Effect.fromResult(Fingerprint.verifyGAHash(a.publicValue, hash))
    const keyB = yield* KeyExchange.computeSharedKey(group, b.secret, a.publicValue)
    yield* Effect.fromResult(Fingerprint.verifyKeyFingerprint(Redacted.value(keyB), fingerprint))
    Fingerprint.emojiFingerprint(Redacted.value(keyA), a.publicValue)
    Fingerprint.emojiFingerprint(Redacted.value(keyB), a.publicValue)
  })

/** What the reference arm reads of the library's objects (both libraries' field names). */
interface WireCall {
  readonly className: string
  readonly id: unknown
  readonly accessHash: unknown
  readonly gAHash?: Uint8Array
  readonly gB?: Uint8Array
  readonly gAOrB?: Uint8Array
  readonly keyFingerprint?: { toString(): string }
}
interface WireUpdate {
  readonly className?: string
  readonly phoneCall?: WireCall
}

/**
 * The reference arm: the same handshake written straight against the client library, no
 * tgphone (between two other users, so neither arm sees the other's calls). The same RPCs in
 * the same order (`getDhConfig` on both sides, `requestCall`, `receivedCall`, `acceptCall`,
 * `confirmCall`, one 11.0.0-sized SCTP INIT per side with `sendSignalingData`, `discardCall`),
 * the same checks, and the same crypto (`@tgphone/crypto`, so its cost is the baseline's);
 * updates are matched by a plain callback. It is what any SDK over this library, server and
 * process pays at least: the part of a handshake that is not tgphone's.
 */
const referenceArm = (
  backend: Backend,
  server: LoopbackServer.Server,
  caller: Redacted.Redacted<string>,
  callee: Redacted.Redacted<string>,
  calleeUsername: string
): Effect.Effect<Effect.Effect<void>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { Api, returnBigInt, rawEvents } = backend.library
    const random = yield* Effect.provide(Effect.service(SecureRandom.SecureRandom), SecureRandom.layer)
    const run = <A, E>(effect: Effect.Effect<A, E, SecureRandom.SecureRandom>): Promise<A> =>
      Effect.runPromise(Effect.provideService(Effect.orDie(effect), SecureRandom.SecureRandom, random))
    const connect = (session: Redacted.Redacted<string>) =>
      Effect.acquireRelease(
        Effect.promise(async () => {
          const client = backend.client(server, session)
          await client.connect()
          return client
        }),
        (client) => Effect.promise(() => client.destroy())
      )
    const a = yield* connect(caller)
    const b = yield* connect(callee)
    const protocol = new Api.PhoneCallProtocol({
      udpP2p: true,
      udpReflector: true,
      minLayer: 65,
      maxLayer: 92,
      libraryVersions: ["11.0.0"]
    })
    // an SCTP INIT of the 11.0.0 layout is about this long once encrypted
    const sctpInit = Buffer.alloc(100, 1)
    let group: DhGroup.DhGroup | undefined
    const dhConfig = async (client: RawClient) => {
      const r = (await client.invoke(
        new Api.messages.GetDhConfig({ version: group?.version ?? 0, randomLength: 256 })
      )) as { className: string; g: number; p: Uint8Array; version: number; random: Uint8Array }
      if (r.className === "messages.DhConfig")
        group = await run(DhGroup.make({ g: r.g, p: new Uint8Array(r.p), version: r.version }))
      if (group === undefined) throw new Error("no DH config")
      return { group, random: new Uint8Array(r.random) }
    }
    // each client's waiters for a call state, matched against its own updates
    const waiters = () => {
      const waiting: Array<(u: WireUpdate) => boolean> = []
      return {
        deliver: (u: WireUpdate) => {
          const i = waiting.findIndex((w) => w(u))
          if (i >= 0) waiting.splice(i, 1)
        },
        next: (state: string) =>
          new Promise<WireCall>((resolve) =>
            waiting.push((u) => {
              if (u.className !== "UpdatePhoneCall" || u.phoneCall?.className !== state) return false
              resolve(u.phoneCall)
              return true
            })
          )
      }
    }
    const atA = waiters()
    const atB = waiters()
    let answered: Promise<void> = Promise.resolve()
    b.addEventHandler((u: unknown) => {
      const update = u as WireUpdate
      const call = update.phoneCall
      if (update.className !== "UpdatePhoneCall" || call?.className !== "PhoneCallRequested")
        return atB.deliver(update)
      answered = (async () => {
        const peer = new Api.InputPhoneCall({ id: call.id, accessHash: call.accessHash })
        const active = atB.next("PhoneCall")
        const ended = atB.next("PhoneCallDiscarded")
        await b.invoke(new Api.phone.ReceivedCall({ peer }))
        const dh = await dhConfig(b)
        const pair = await run(KeyExchange.generateKeyPair(dh.group, dh.random))
        await b.invoke(new Api.phone.AcceptCall({ peer, gB: Buffer.from(pair.publicValue), protocol }))
        const gA = new Uint8Array((await active).gAOrB ?? [])
        await run(Effect.fromResult(Fingerprint.verifyGAHash(gA, new Uint8Array(call.gAHash ?? []))))
        const key = await run(KeyExchange.computeSharedKey(dh.group, pair.secret, gA))
        Fingerprint.emojiFingerprint(Redacted.value(key), gA)
        b.invoke(new Api.phone.SendSignalingData({ peer, data: sctpInit })).catch(() => undefined)
        await ended
      })()
    }, rawEvents())
    a.addEventHandler((u: unknown) => atA.deliver(u as WireUpdate), rawEvents())
    const calleeInput = yield* Effect.promise(() => a.getInputEntity(calleeUsername))
    let randomId = 1
    const oneCall = async () => {
      const dh = await dhConfig(a)
      const pair = await run(KeyExchange.generateKeyPair(dh.group, dh.random))
      const accepted = atA.next("PhoneCallAccepted")
      const requested = (await a.invoke(
        new Api.phone.RequestCall({
          userId: calleeInput,
          randomId: randomId++,
          gAHash: createHash("sha256").update(pair.publicValue).digest(),
          protocol
        })
      )) as { phoneCall: WireCall }
      const gB = new Uint8Array((await accepted).gB ?? [])
      const key = await run(KeyExchange.computeSharedKey(dh.group, pair.secret, gB))
      const fingerprint = Fingerprint.keyFingerprint(Redacted.value(key))
      const peer = new Api.InputPhoneCall({
        id: requested.phoneCall.id,
        accessHash: requested.phoneCall.accessHash
      })
      const confirmed = (await a.invoke(
        new Api.phone.ConfirmCall({
          peer,
          gA: Buffer.from(pair.publicValue),
          keyFingerprint: returnBigInt(fingerprint),
          protocol
        })
      )) as { phoneCall: WireCall }
      const echoed = BigInt.asIntN(64, BigInt(confirmed.phoneCall.keyFingerprint?.toString() ?? "0"))
      await run(Effect.fromResult(Fingerprint.verifyKeyFingerprint(Redacted.value(key), echoed)))
      Fingerprint.emojiFingerprint(Redacted.value(key), pair.publicValue)
      a.invoke(new Api.phone.SendSignalingData({ peer, data: sctpInit })).catch(() => undefined)
      await a.invoke(
        new Api.phone.DiscardCall({
          peer,
          duration: 0,
          reason: new Api.PhoneCallDiscardReasonHangup({}),
          connectionId: returnBigInt(0n)
        })
      )
      await answered
    }
    return Effect.promise(oneCall)
  })

const program = (backend: Backend) =>
  Effect.scoped(
    Effect.gen(function* () {
      const world = yield* TestTelegram.make({ seed: "bench" })
      const alice = yield* world.addUser({ firstName: "Alice", username: "alice" })
      const bob = yield* world.addUser({ firstName: "Bob", username: "bobby" })
      const carol = yield* world.addUser({ firstName: "Carol", username: "carol_c" })
      const dave = yield* world.addUser({ firstName: "Dave", username: "davey" })
      const server = yield* LoopbackServer.serve(world, { echoResultUpdates: false })
      const connect = (user: TestTelegram.TestUser) =>
        Effect.gen(function* () {
          const rpc = backend.layer({
            apiId: 1,
            apiHash: Redacted.make("loopback"),
            session: yield* server.mintSession(user.id),
            server: { ip: server.host, port: server.port, dcId: 2 },
            requestTimeout: "10 seconds"
          })
          const context = yield* Layer.build(
            PhoneCalls.layer().pipe(Layer.provide(Layer.merge(rpc, SecureRandom.layer)))
          )
          return Context.get(context, PhoneCalls.PhoneCalls)
        })
      const aliceCalls = yield* connect(alice)
      const bobCalls = yield* connect(bob)
      const incoming = yield* bobCalls.listen
      // Bob accepts every call for the whole run.
      yield* Effect.forkScoped(
        Stream.runForEach(incoming, (call) =>
          Effect.forkScoped(
            Effect.scoped(Effect.flatMap(call.accept(), (active) => active.ended)).pipe(Effect.ignore)
          )
        )
      )
      const oneCall = Effect.scoped(
        Effect.gen(function* () {
          const call = yield* aliceCalls.call("@bobby")
          yield* call.hangUp
        })
      )
      // warm-up: DH config cached, JIT warm. Run alone, this is the first handshake in the
      // process: it also pays OpenSSL's DH_check of the group (see `dhCheck` below)
      let t = performance.now()
      yield* oneCall
      const first = performance.now() - t
      // what `createDiffieHellman` costs for Telegram's prime, measured on a fresh object (the
      // SDK's native backend makes one per group and process, then re-keys it)
      t = performance.now()
      createDiffieHellman(DhGroup.telegramPrime(), 3)
      const dhCheck = performance.now() - t

      const group = yield* Effect.fromResult(DhGroup.telegram(3))
      const serverRandom = new Uint8Array(256).fill(0x5a)
      const crypto = cryptoHandshake(group, serverRandom).pipe(Effect.provide(SecureRandom.layer))
      yield* crypto
      const reference = yield* referenceArm(
        backend,
        server,
        yield* server.mintSession(carol.id),
        yield* server.mintSession(dave.id),
        "@davey"
      )
      yield* reference

      // Alternate the subject, the reference arm and the baseline so all see the same load;
      // each is timed in wall time and in the process's CPU time (client, server and world
      // share it, so a handshake is CPU-bound and CPU time is less disturbed by other processes)
      const timed = <E>(effect: Effect.Effect<void, E>, into: { wall: Array<number>; cpu: Array<number> }) =>
        Effect.gen(function* () {
          const c = process.cpuUsage()
          const t0 = performance.now()
          yield* effect
          into.wall.push(performance.now() - t0)
          const used = process.cpuUsage(c)
          into.cpu.push((used.user + used.system) / 1000)
        })
      const wire = { wall: [] as Array<number>, cpu: [] as Array<number> }
      const ref = { wall: [] as Array<number>, cpu: [] as Array<number> }
      const pure = { wall: [] as Array<number>, cpu: [] as Array<number> }
      const before = yield* server.stats
      for (let round = 0; round < Math.max(HANDSHAKES, CRYPTO_ROUNDS); round++) {
        yield* timed(oneCall, wire)
        yield* timed(reference, ref)
        yield* timed(crypto, pure)
      }
      const after = yield* server.stats
      return {
        wire: median(wire.wall),
        pure: median(pure.wall),
        ref: median(ref.wall),
        wireCpu: median(wire.cpu),
        pureCpu: median(pure.cpu),
        refCpu: median(ref.cpu),
        wireMin: Math.min(...wire.wall),
        pureMin: Math.min(...pure.wall),
        // both arms together: each sends the same requests
        requests: (after.requests - before.requests) / (2 * HANDSHAKES),
        first,
        dhCheck
      }
    })
  )

/**
 * Runs the benchmark and prints its figures.
 */
export const run = async (): Promise<void> => {
  for (const backend of backends) {
    const r = await Effect.runPromise(program(backend))
    console.log(
      `handshakes over loopback (Alice calls Bob, two ${backend.name} clients, TCP): ${HANDSHAKES} rounds`
    )
    console.log(
      `  one handshake over the wire: median ${r.wire.toFixed(2)} ms wall, ${r.wireCpu.toFixed(2)} ms CPU  (${(1000 / r.wire).toFixed(1)}/s)`
    )
    console.log(
      `  the same handshake on the bare library (reference): median ${r.ref.toFixed(2)} ms wall, ${r.refCpu.toFixed(2)} ms CPU`
    )
    console.log(
      `  its pure crypto, in process: median ${r.pure.toFixed(2)} ms wall, ${r.pureCpu.toFixed(2)} ms CPU  (${(1000 / r.pure).toFixed(1)}/s)`
    )
    console.log(
      `  ratio wire / crypto: ${(r.wire / r.pure).toFixed(2)}x wall (min/min ${(r.wireMin / r.pureMin).toFixed(2)}x), ${(r.wireCpu / r.pureCpu).toFixed(2)}x CPU`
    )
    console.log(
      `  reference / crypto: ${(r.ref / r.pure).toFixed(2)}x wall, ${(r.refCpu / r.pureCpu).toFixed(2)}x CPU; ` +
        `tgphone / reference: ${(r.wire / r.ref).toFixed(2)}x wall, ${(r.wireCpu / r.refCpu).toFixed(2)}x CPU; ` +
        `${r.requests.toFixed(1)} requests per handshake`
    )
    console.log(
      `  first handshake of the run: ${r.first.toFixed(1)} ms (${(r.first / r.wire).toFixed(1)}x the median); ` +
        `OpenSSL's DH_check in createDiffieHellman (once per group and process): ${r.dhCheck.toFixed(1)} ms`
    )
  }
  console.log(
    `node ${process.version}; subject, reference and crypto alternate round by round in one process`
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
