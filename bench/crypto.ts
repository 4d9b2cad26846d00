/**
 * Benchmark of @tgphone/crypto: the per-side cost of a 1:1 call handshake (key pair + shared
 * key + key_fingerprint + emoji) against the raw modular exponentiations it cannot avoid,
 * measured in the same process and printed as ratios.
 *
 * - native path (OpenSSL via node:crypto) vs two raw `node:crypto` modexps on a prepared
 *   DiffieHellman object (`setPrivateKey` + `generateKeys`, `computeSecret`);
 * - portable path (BigInt) vs `@noble/curves` `pow` doing the same two modexps (g^a, peer^a).
 *
 * Both subjects use the same group (Telegram's prime, g = 3) and pools of valid exponents and
 * peer values; the one-off per-group setup (OpenSSL's DH_check on createDiffieHellman, the
 * fixed-base table of the portable path) is done before timing, for both sides.
 *
 * Figures are medians over interleaved rounds (alternating which side runs first); the ratio
 * of the per-round minima is printed too, as it is less sensitive to a busy machine.
 *
 * Run: `npx tsx bench/crypto.ts` (or `pnpm bench crypto`).
 */
import { createDiffieHellman, randomBytes } from "node:crypto"
import { pathToFileURL } from "node:url"
import { pow } from "@noble/curves/abstract/modular.js"
import { DhGroup, emojiFingerprint, KeyExchange, keyFingerprint, ModExp, SecureRandom } from "@tgphone/crypto"
import { Effect, Option, Redacted, Result } from "effect"

const POOL = 16
const ROUNDS = 11

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Interleaves rounds of `subject` and `baseline`; returns median ms per iteration of each. */
const compare = (
  iterations: number,
  rounds: number,
  subject: (i: number) => void,
  baseline: (i: number) => void
) => {
  for (let i = 0; i < Math.max(2, iterations >> 2); i++) {
    subject(i)
    baseline(i)
  }
  const s: Array<number> = []
  const b: Array<number> = []
  const time = (f: (i: number) => void, into: Array<number>) => {
    const t = performance.now()
    for (let i = 0; i < iterations; i++) f(i)
    into.push((performance.now() - t) / iterations)
  }
  // alternate which one goes first, so neither always runs on a warmer (or busier) machine
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      time(subject, s)
      time(baseline, b)
    } else {
      time(baseline, b)
      time(subject, s)
    }
  }
  return { subject: median(s), baseline: median(b), subjectMin: Math.min(...s), baselineMin: Math.min(...b) }
}

/** Measures and prints the ratios. */
export const run = async (): Promise<void> => {
  const native = Option.getOrUndefined(ModExp.native())
  const group = Result.getOrThrow(DhGroup.telegram(3))
  const random = Effect.runSync(
    Effect.provide(
      Effect.gen(function* () {
        return yield* SecureRandom.SecureRandom
      }),
      SecureRandom.layer
    )
  )
  const serverRandom = randomBytes(256)

  // pools of valid peer values and exponents (both subjects use the same ones)
  const peers: Array<Uint8Array> = []
  const exponents: Array<Uint8Array> = []
  for (let i = 0; i < POOL; i++) {
    const kp = Effect.runSync(
      KeyExchange.generateKeyPair(group, serverRandom).pipe(
        Effect.provideService(SecureRandom.SecureRandom, random),
        Effect.provideService(ModExp.ModExp, ModExp.portable)
      )
    )
    peers.push(kp.publicValue)
    exponents.push(Uint8Array.from(Redacted.value(kp.secret)))
  }
  const toBig = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString("hex")}`)
  const peerBig = peers.map(toBig)
  const expBig = exponents.map(toBig)

  /** One side of the handshake with the package, on the given backend. */
  const handshake = (backend: ModExp.Backend) => (i: number) => {
    const program = Effect.gen(function* () {
      const kp = yield* KeyExchange.generateKeyPair(group, serverRandom)
      const key = Redacted.value(yield* KeyExchange.computeSharedKey(group, kp.secret, peers[i % POOL]!))
      return [keyFingerprint(key), emojiFingerprint(key, kp.publicValue)] as const
    }).pipe(
      Effect.provideService(SecureRandom.SecureRandom, random),
      Effect.provideService(ModExp.ModExp, backend)
    )
    Effect.runSync(program)
  }

  const lines: Array<string> = []
  if (native !== undefined) {
    const dh = createDiffieHellman(group.prime, group.g)
    const rawNode = (i: number) => {
      dh.setPrivateKey(exponents[i % POOL]!)
      dh.generateKeys()
      dh.computeSecret(peers[(i + 1) % POOL]!)
    }
    const r = compare(40, ROUNDS, handshake(native), rawNode)
    lines.push(
      `native   per-side handshake ${r.subject.toFixed(3)} ms | 2 raw node:crypto modexps ${r.baseline.toFixed(3)} ms | ratio ${(r.subject / r.baseline).toFixed(3)}x (of minima ${(r.subjectMin / r.baselineMin).toFixed(3)}x; target <= 1.15x)`
    )
  } else {
    lines.push("native   node:crypto unavailable on this runtime: skipped")
  }
  // the portable path's fixed-base table is built on first use (once per group): warm it
  handshake(ModExp.portable)(0)
  const g = BigInt(group.g)
  const rawNoble = (i: number) => {
    pow(g, expBig[i % POOL]!, group.p)
    pow(peerBig[(i + 1) % POOL]!, expBig[i % POOL]!, group.p)
  }
  const r = compare(6, ROUNDS, handshake(ModExp.portable), rawNoble)
  lines.push(
    `portable per-side handshake ${r.subject.toFixed(3)} ms | 2 @noble/curves pow modexps ${r.baseline.toFixed(3)} ms | ratio ${(r.subject / r.baseline).toFixed(3)}x (of minima ${(r.subjectMin / r.baselineMin).toFixed(3)}x; target <= 1.0x)`
  )
  console.log(
    `node ${process.version}; median of ${ROUNDS} interleaved rounds; Telegram prime, g = 3, 2048-bit exponents`
  )
  for (const line of lines) console.log(line)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run()
}
