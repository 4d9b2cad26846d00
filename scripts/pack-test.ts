/**
 * The pack test (`pnpm test:pack`, part of `pnpm test`): what users install is what works.
 *
 * 1. Builds the packages (`scripts/build.ts`) and `pnpm pack`s each one (pnpm applies
 *    `publishConfig` and rewrites `workspace:*` to the version, as `pnpm publish` does).
 * 2. Creates a fresh project under `os.tmpdir()`, outside the workspace, that depends on the
 *    three tarballs (plus `effect`, `typescript` and `@types/node` at the versions this
 *    repository uses) and installs it with pnpm: first `--offline` from pnpm's store and
 *    metadata cache, and only if that cannot be satisfied `--prefer-offline`, which fetches
 *    what is missing from the registry.
 * 3. Type-checks and compiles a small TypeScript consumer there with that project's own
 *    `typescript` (strict, `nodenext`, `skipLibCheck: false`, so the published `.d.ts` files
 *    of all three packages must resolve and check; then again with `bundler` resolution, as
 *    users of bundlers compile), then runs it with Node: it imports every
 *    entry point (`@tgphone/crypto`, `@tgphone/core`, `@tgphone/core/GramJs`,
 *    `@tgphone/testkit`), does a key exchange with `@tgphone/crypto`, and has Alice call Bob
 *    in `@tgphone/testkit`'s in-memory world through `@tgphone/core`'s `PhoneCalls`. Its
 *    JSON report is checked here, including that `@tgphone/core/internal/*` is not importable.
 *    Then it compiles and runs the repository's main demo (`examples/demo.ts`, copied as is)
 *    there: two GramJS clients call each other over the loopback MTProto server.
 * 4. Installs the same three tarballs with **npm** into a second fresh project (as most users
 *    install), compiles there a consumer with `declaration: true` (the `tsc --init` default of
 *    TypeScript 7) that exports Effects built from `PhoneCalls.call` and `Phone.*`, and runs
 *    the README's "In ten lines" sample (read from README.md) without credentials: it must
 *    fail naming `TG_API_ID`, `TG_API_HASH` and `TG_SESSION`, never `[object Object]`; and,
 *    with the README's loopback `Layer` in place of `Live`, it must complete its call.
 * 5. Checks that `npm pack` in a package directory refuses (its tarball would be broken).
 * 6. Removes the temporary projects (also on failure; `--keep` keeps them for inspection).
 */
import { type SpawnSyncOptions, spawnSync } from "node:child_process"
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { build, missingTargets, packages, root } from "./build.js"

const keep = process.argv.includes("--keep")
const skipBuild = process.argv.includes("--no-build")

/** Fails the test with `message`. */
class PackTestFailure extends Error {}

const rootManifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
  readonly packageManager: string
}
const pnpmVersion = rootManifest.packageManager.split("@")[1] ?? "10"

/** The version of a dependency as installed in this workspace (so the store already has it). */
const installedVersion = (name: string): string => {
  const require = createRequire(join(root, "package.json"))
  const manifest = require(`${name}/package.json`) as { readonly version: string }
  return manifest.version
}

/** Runs a command; returns its output, or fails with the output when it exits non-zero. */
const run = (command: string, args: ReadonlyArray<string>, options: SpawnSyncOptions): string => {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options })
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`
  if (result.status !== 0)
    throw new PackTestFailure(
      `\`${command} ${args.join(" ")}\` exited with ${result.status ?? result.signal}:\n${output}`
    )
  return output
}

/**
 * pnpm at the version pinned by `packageManager` (through npx, as CI runs it). An outer
 * `npx -p node@22 …` leaves `npm_config_package` in the environment, which would make this
 * npx look for a `pnpm@…` binary inside that package: it is removed.
 */
const pnpm = (args: ReadonlyArray<string>, cwd: string): string => {
  const { npm_config_package: _, ...env } = process.env
  return run("npx", ["--yes", `pnpm@${pnpmVersion}`, ...args], { cwd, env })
}

/** The consumer: imports every entry point, runs a key exchange and a call, prints a report. */
const consumer = `import * as Core from "@tgphone/core"
import { PhoneCalls } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import { DhGroup, Fingerprint, KeyExchange, SecureRandom } from "@tgphone/crypto"
import { TestTelegram } from "@tgphone/testkit"
import { Context, Effect, Fiber, Layer, Redacted, Stream } from "effect"

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")

const keyExchange = Effect.gen(function* () {
  const group = yield* Effect.fromResult(DhGroup.telegram(3))
  const serverRandom = new Uint8Array(256).fill(0x5a)
  const alice = yield* KeyExchange.generateKeyPair(group, serverRandom)
  const bob = yield* KeyExchange.generateKeyPair(group, serverRandom)
  const aliceKey = Redacted.value(yield* KeyExchange.computeSharedKey(group, alice.secret, bob.publicValue))
  const bobKey = Redacted.value(yield* KeyExchange.computeSharedKey(group, bob.secret, alice.publicValue))
  return {
    sameKey: hex(aliceKey) === hex(bobKey),
    keyLength: aliceKey.length,
    fingerprint: Fingerprint.keyFingerprint(aliceKey).toString(),
    emojis: Fingerprint.emojiFingerprint(aliceKey, alice.publicValue)
  }
}).pipe(Effect.provide(SecureRandom.layer))

const call = Effect.gen(function* () {
  const world = yield* TestTelegram.make({ seed: "pack-test" })
  const alice = yield* world.addUser({ firstName: "Alice", username: "alice", phone: "+15550001" })
  const bob = yield* world.addUser({ firstName: "Bob", username: "bob_b", phone: "+15550002" })
  const phoneCallsFor = (user: TestTelegram.TestUser, seed: string) =>
    Layer.build(
      PhoneCalls.layer().pipe(Layer.provide(Layer.mergeAll(world.layerFor(user), SecureRandom.layerTest(seed))))
    ).pipe(Effect.map((context) => Context.get(context, PhoneCalls.PhoneCalls)))
  const aliceCalls = yield* phoneCallsFor(alice, "alice")
  const bobCalls = yield* phoneCallsFor(bob, "bob")
  const incoming = yield* bobCalls.listen
  const bobSide = yield* Effect.forkChild(
    Effect.gen(function* () {
      const ringing = yield* Effect.fromOption(yield* Stream.runHead(incoming))
      return yield* ringing.accept()
    })
  )
  const aliceCall = yield* aliceCalls.call("@bob_b")
  const bobCall = yield* Fiber.join(bobSide)
  yield* aliceCall.hangUp
  const bobEnd = yield* bobCall.ended
  return {
    sameKey: hex(Redacted.value(aliceCall.key)) === hex(Redacted.value(bobCall.key)),
    sameFingerprint: aliceCall.keyFingerprint === bobCall.keyFingerprint,
    emojis: aliceCall.emojis,
    bobEmojis: bobCall.emojis,
    callerSeenByBob: aliceCall.peerUserId === bob.id && bobCall.peerUserId === alice.id,
    bobEnd: bobEnd._tag === "Ended" ? bobEnd.reason : bobEnd._tag
  }
}).pipe(Effect.scoped)

const internalBlocked = async (): Promise<string> => {
  const specifier: string = "@tgphone/core/internal/gramjs/codec.js"
  try {
    await import(specifier)
    return "importable"
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
}

const report = {
  keyExchange: await Effect.runPromise(keyExchange),
  call: await Effect.runPromise(call),
  entryPoints: {
    core: Object.keys(Core).sort(),
    gramJs: [typeof GramJs.layer, typeof GramJs.layerFromClient]
  },
  internal: await internalBlocked()
}
console.log(JSON.stringify(report))
`

/** The consumer's compiler settings: the strictest a user is likely to have. */
const consumerTsconfig = {
  compilerOptions: {
    target: "es2022",
    // effect's own declarations name Web Crypto types (CryptoKey) that only "dom" declares.
    lib: ["es2022", "dom"],
    types: ["node"],
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    skipLibCheck: false,
    outDir: "out"
  },
  // main.ts, and the repository's main demo (`examples/demo.ts`) exactly as users see it
  files: ["main.ts", "demo.ts"]
}

/** The same consumer as a bundler user compiles it (`moduleResolution: "bundler"`), no emit. */
const bundlerTsconfig = {
  extends: "./tsconfig.json",
  compilerOptions: { module: "preserve", moduleResolution: "bundler", noEmit: true }
}

interface Report {
  readonly keyExchange: {
    readonly sameKey: boolean
    readonly keyLength: number
    readonly fingerprint: string
    readonly emojis: ReadonlyArray<string>
  }
  readonly call: {
    readonly sameKey: boolean
    readonly sameFingerprint: boolean
    readonly emojis: ReadonlyArray<string>
    readonly bobEmojis: ReadonlyArray<string>
    readonly callerSeenByBob: boolean
    readonly bobEnd: string
  }
  readonly entryPoints: { readonly core: ReadonlyArray<string>; readonly gramJs: ReadonlyArray<string> }
  readonly internal: string
}

/** The checks on the consumer's report; returns the failed ones. */
const verify = (report: Report): Array<string> => {
  const failures: Array<string> = []
  const expect = (ok: boolean, what: string) => {
    if (!ok) failures.push(what)
  }
  expect(report.keyExchange.sameKey, "key exchange: both sides derive the same key")
  expect(report.keyExchange.keyLength === 256, "key exchange: the key is 256 bytes")
  expect(/^-?\d+$/.test(report.keyExchange.fingerprint), "key exchange: a 64-bit fingerprint")
  expect(report.keyExchange.emojis.length === 4, "key exchange: four emoji")
  expect(report.call.sameKey, "call: Alice and Bob hold the same key")
  expect(report.call.sameFingerprint, "call: same key fingerprint")
  expect(report.call.emojis.length === 4, "call: four emoji")
  expect(report.call.emojis.join("") === report.call.bobEmojis.join(""), "call: same emoji on both sides")
  expect(report.call.callerSeenByBob, "call: each side sees the other as its peer")
  expect(report.call.bobEnd === "Hangup", `call: Bob sees Alice hang up (got ${report.call.bobEnd})`)
  for (const ns of ["Errors", "Model", "Phone", "PhoneCalls", "RpcMethods", "TelegramRpc"])
    expect(report.entryPoints.core.includes(ns), `@tgphone/core exports the ${ns} namespace`)
  expect(
    report.entryPoints.gramJs.every((t) => t === "function"),
    "@tgphone/core/GramJs exports layer and layerFromClient"
  )
  expect(
    report.internal === "ERR_PACKAGE_PATH_NOT_EXPORTED",
    `@tgphone/core/internal/* is not importable (got ${report.internal})`
  )
  return failures
}

/**
 * What is wrong with an installed package (empty when nothing is): `workspace:` ranges left in
 * its manifest, workspace `exports` (pointing at `src/*.ts`) instead of `publishConfig.exports`,
 * files that should not ship (tests, build info), an export target that is missing, or
 * `repository` / `homepage` / `bugs` not pointing at the repository.
 */
const installedProblems = async (dir: string): Promise<Array<string>> => {
  const text = await readFile(join(dir, "package.json"), "utf8")
  const manifest = JSON.parse(text) as {
    readonly name: string
    readonly exports: Record<string, unknown>
    readonly publishConfig?: unknown
    readonly devDependencies?: unknown
    readonly scripts?: unknown
    readonly repository?: { readonly url?: string; readonly directory?: string }
    readonly homepage?: string
    readonly bugs?: { readonly url?: string }
  }
  const problems: Array<string> = []
  const name = manifest.name
  if (text.includes("workspace:")) problems.push(`${name}: a workspace: range was not rewritten`)
  if (manifest.devDependencies !== undefined) problems.push(`${name}: ships devDependencies`)
  if (manifest.scripts !== undefined) problems.push(`${name}: ships scripts`)
  const home = "https://github.com/tgphone/tgphone"
  const directory = `packages/${name.replace("@tgphone/", "")}`
  if (manifest.repository?.url !== `git+${home}.git` || manifest.repository.directory !== directory)
    problems.push(`${name}: repository is not ${home} (directory ${directory})`)
  if (manifest.homepage !== `${home}/tree/main/${directory}#readme`) problems.push(`${name}: wrong homepage`)
  if (manifest.bugs?.url !== `${home}/issues`) problems.push(`${name}: bugs is not ${home}/issues`)
  if (manifest.exports["./*"] === undefined) problems.push(`${name}: exports has no "./*" subpath`)
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (subpath.includes("*") || subpath === "./package.json") continue
    const t = target as { readonly types?: string; readonly default?: string } | null
    if (
      t === null ||
      typeof t !== "object" ||
      !t.types?.startsWith("./dist/") ||
      !t.default?.startsWith("./dist/")
    )
      problems.push(
        `${name}: exports["${subpath}"] is not { types, default } under dist/: ${JSON.stringify(t)}`
      )
  }
  if (manifest.exports["./internal/*"] !== null) problems.push(`${name}: ./internal/* is not blocked`)
  const shipped = await readdir(dir, { recursive: true })
  for (const file of shipped)
    if (/(^|\/)test\/|\.tsbuildinfo$/.test(file.replaceAll("\\", "/")))
      problems.push(`${name}: ships ${file}`)
  problems.push(
    ...(await missingTargets(dir, "exports")).map((path) => `${name}: export target ${path} is missing`)
  )
  return problems
}

/** A consumer compiled with `declaration: true`: its exported Effects must be nameable. */
const declarationConsumer = `import { Phone, PhoneCalls } from "@tgphone/core"
import * as GramJs from "@tgphone/core/GramJs"
import { SecureRandom } from "@tgphone/crypto"
import { TestTelegram } from "@tgphone/testkit"
import { Effect, Layer } from "effect"

export const callBob = PhoneCalls.call("@bob_b")
export const callAndHangUp = Effect.gen(function* () {
  const call = yield* PhoneCalls.call("@bob_b")
  yield* call.hangUp
  return call.emojis
})
export const incoming = PhoneCalls.PhoneCalls.use((calls) => calls.listen)
export const request = Phone.requestCall({
  userId: "@bob_b",
  randomId: 1,
  gAHash: new Uint8Array(32),
  protocol: { udpP2p: true, udpReflector: true, minLayer: 65, maxLayer: 92, libraryVersions: ["11.0.0"] }
})
export const discard = Phone.discardCall
export const Live = PhoneCalls.layer().pipe(Layer.provide([GramJs.layerConfig(), SecureRandom.layer]))
export const world = TestTelegram.make({ seed: "declarations" })
`

/** The first TypeScript block after the README's "In ten lines" heading. */
const readmeSample = async (): Promise<string> => {
  const readme = await readFile(join(root, "README.md"), "utf8")
  const section = readme.slice(readme.indexOf("## In ten lines"))
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  if (code === undefined) throw new PackTestFailure('README.md has no ts block under "## In ten lines"')
  return code
}

/**
 * The README's "In ten lines" sample with the loopback `Layer` of the block after it in place
 * of `Live`: the sample without its last line (which runs it with `Live`), then that block.
 */
const readmeLoopbackSample = async (): Promise<string> => {
  const readme = await readFile(join(root, "README.md"), "utf8")
  const section = readme.slice(readme.indexOf("## In ten lines"))
  const [tenLines, loopback] = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "")
  const runLive = /^Effect\.runPromise\(program\.pipe\(Effect\.provide\(Live\)\)\)( \/\/.*)?$/m
  if (tenLines === undefined || !runLive.test(tenLines))
    throw new PackTestFailure("README.md's ten-line sample does not end by running the program with Live")
  if (
    loopback === undefined ||
    !loopback.includes("Effect.runPromise(program.pipe(Effect.provide(Loopback)))")
  )
    throw new PackTestFailure(
      "README.md has no block after the ten lines that runs the program with Loopback"
    )
  return `${tenLines.replace(runLive, "")}\n${loopback}`
}

/** Runs a command that must fail; returns its output. */
const runFailing = (command: string, args: ReadonlyArray<string>, options: SpawnSyncOptions): string => {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options })
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`
  if (result.status === 0)
    throw new PackTestFailure(`\`${command} ${args.join(" ")}\` succeeded but must fail:\n${output}`)
  return output
}

/** npm without the variables an outer npx/pnpm leaves behind. */
const npmEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("npm_") && !k.startsWith("PNPM_") && !k.startsWith("pnpm_")) env[k] = v
  return env
}

/**
 * Step 4: the tarballs installed with npm; a `declaration: true` consumer; the README sample
 * without credentials.
 */
const npmConsumer = async (dir: string, tarballs: string, files: ReadonlyArray<string>): Promise<void> => {
  const project = join(dir, "npm-consumer")
  await mkdir(project, { recursive: true })
  const deps = Object.fromEntries(
    packages.map((name) => {
      const file = files.find((f) => f.startsWith(`tgphone-${name}-`) && f.endsWith(".tgz"))
      if (file === undefined) throw new PackTestFailure(`no tarball for @tgphone/${name}`)
      return [`@tgphone/${name}`, `file:${join(tarballs, file)}`]
    })
  )
  await writeFile(
    join(project, "package.json"),
    `${JSON.stringify(
      {
        name: "tgphone-npm-consumer",
        private: true,
        type: "module",
        dependencies: {
          ...deps,
          effect: installedVersion("effect"),
          typescript: installedVersion("typescript"),
          "@types/node": installedVersion("@types/node")
        }
      },
      null,
      2
    )}\n`
  )
  await writeFile(join(project, "exports.ts"), declarationConsumer)
  await writeFile(join(project, "readme.ts"), await readmeSample())
  await writeFile(join(project, "readme-loopback.ts"), await readmeLoopbackSample())
  await writeFile(
    join(project, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: { ...consumerTsconfig.compilerOptions, declaration: true },
        files: ["exports.ts", "readme.ts", "readme-loopback.ts"]
      },
      null,
      2
    )}\n`
  )
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: project, env: npmEnv() })
  console.log(`pack test: installed the three tarballs with npm into ${project}`)
  const tsc = join(project, "node_modules", "typescript", "bin", "tsc")
  run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project })
  console.log(
    "pack test: a declaration: true consumer exporting Effects of PhoneCalls.call / Phone.* compiles (npm install)"
  )
  const { TG_API_ID: _a, TG_API_HASH: _h, TG_SESSION: _s, ...rest } = npmEnv()
  const output = runFailing(process.execPath, [join(project, "out", "readme.js")], {
    cwd: project,
    env: rest,
    timeout: 60_000
  })
  const missing = ["TG_API_ID", "TG_API_HASH", "TG_SESSION"].filter(
    (v) => !output.includes(`${v} is not set`)
  )
  if (missing.length > 0 || output.includes("[object Object]"))
    throw new PackTestFailure(
      `the README sample without credentials does not name ${missing.join(", ") || "them cleanly"}:\n${output}`
    )
  console.log(
    "pack test: the README sample without credentials fails naming TG_API_ID, TG_API_HASH, TG_SESSION"
  )
  const loopback = run(process.execPath, [join(project, "out", "readme-loopback.js")], {
    cwd: project,
    env: rest,
    timeout: 60_000
  })
  if (!/say these aloud: \S+ \S+ \S+ \S+/.test(loopback))
    throw new PackTestFailure(
      `the README sample with the loopback Layer did not log the call's emoji:\n${loopback}`
    )
  console.log("pack test: the README sample with the loopback Layer in place of Live calls @bob_smith")
}

/** Step 5: `npm pack` in a package directory refuses (prepack guard). */
const npmPackRefuses = (dir: string): void => {
  const output = runFailing("npm", ["pack", "--pack-destination", dir], {
    cwd: join(root, "packages", "crypto"),
    env: npmEnv()
  })
  if (!output.includes("refusing to pack with npm"))
    throw new PackTestFailure(`npm pack failed, but not by the guard:\n${output}`)
  console.log("pack test: npm pack refuses (use pnpm pack)")
}

const main = async (): Promise<void> => {
  const started = Date.now()
  if (!skipBuild) {
    const problems = await build()
    if (problems.length > 0) throw new PackTestFailure(problems.join("\n"))
  }
  const dir = await mkdtemp(join(tmpdir(), "tgphone-pack-"))
  try {
    const project = join(dir, "consumer")
    const tarballs = join(project, "tarballs")
    await mkdir(tarballs, { recursive: true })
    for (const name of packages) pnpm(["pack", "--pack-destination", tarballs], join(root, "packages", name))
    const files = await readdir(tarballs)
    const sizes = await Promise.all(
      files.map(async (f) => `${f} ${((await stat(join(tarballs, f))).size / 1024).toFixed(0)} KiB`)
    )
    console.log(`pack test: packed ${sizes.join(", ")}`)
    const tarball = (name: string): string => {
      const file = files.find((f) => f.startsWith(`tgphone-${name}-`) && f.endsWith(".tgz"))
      if (file === undefined) throw new PackTestFailure(`pnpm pack made no tarball for @tgphone/${name}`)
      return `file:./tarballs/${file}`
    }
    const local = Object.fromEntries(packages.map((name) => [`@tgphone/${name}`, tarball(name)]))
    await writeFile(
      join(project, "package.json"),
      `${JSON.stringify(
        {
          name: "tgphone-pack-test",
          private: true,
          type: "module",
          dependencies: {
            ...local,
            effect: installedVersion("effect"),
            // @tgphone/core's client libraries are optional peers: a GramJS user installs telegram
            telegram: installedVersion("telegram"),
            typescript: installedVersion("typescript"),
            "@types/node": installedVersion("@types/node")
          },
          // The packed core and testkit depend on @tgphone/* by version: use the tarballs.
          pnpm: { overrides: local }
        },
        null,
        2
      )}\n`
    )
    await writeFile(join(project, "main.ts"), consumer)
    await writeFile(join(project, "demo.ts"), await readFile(join(root, "examples", "demo.ts"), "utf8"))
    await writeFile(join(project, "tsconfig.json"), `${JSON.stringify(consumerTsconfig, null, 2)}\n`)
    await writeFile(join(project, "tsconfig.bundler.json"), `${JSON.stringify(bundlerTsconfig, null, 2)}\n`)

    const install = ["install", "--config.strict-peer-dependencies=false", "--config.auto-install-peers=true"]
    let how = "offline"
    try {
      pnpm([...install, "--offline"], project)
    } catch {
      how = "prefer-offline (fetched what the store lacked)"
      pnpm([...install, "--prefer-offline"], project)
    }
    console.log(`pack test: installed the three tarballs into ${project} (${how})`)

    const manifestProblems = (
      await Promise.all(
        packages.map((name) => installedProblems(join(project, "node_modules", "@tgphone", name)))
      )
    ).flat()
    if (manifestProblems.length > 0)
      throw new PackTestFailure(`the installed packages are wrong:\n  ${manifestProblems.join("\n  ")}`)

    const projectTsc = join(project, "node_modules", "typescript", "bin", "tsc")
    run(process.execPath, [projectTsc, "-p", "tsconfig.json"], { cwd: project })
    run(process.execPath, [projectTsc, "-p", "tsconfig.bundler.json"], { cwd: project })
    console.log(
      "pack test: the consumer type-checks against the published .d.ts (nodenext and bundler resolution, skipLibCheck: false)"
    )

    const output = run(process.execPath, [join(project, "out", "main.js")], { cwd: project })
    const line = output
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .pop()
    if (line === undefined) throw new PackTestFailure(`the consumer printed no report:\n${output}`)
    const failures = verify(JSON.parse(line) as Report)
    if (failures.length > 0)
      throw new PackTestFailure(`the consumer's report fails:\n  ${failures.join("\n  ")}\n${line}`)
    console.log(
      `pack test: the consumer ran (key exchange and a call through the in-memory world) in ${
        Date.now() - started
      } ms`
    )

    // The main demo from the tarballs: two GramJS clients over the loopback server.
    const demo = run(process.execPath, [join(project, "out", "demo.js")], { cwd: project, timeout: 60_000 })
    const demoChecks = [
      "MTProto 2.0 loopback server listening on 127.0.0.1",
      "the emoji and fingerprints match: no one is in the middle",
      "call ended by the peer (reason Hangup)"
    ].filter((expected) => !demo.includes(expected))
    if (demoChecks.length > 0)
      throw new PackTestFailure(
        `examples/demo.ts from the tarballs did not print:\n  ${demoChecks.join("\n  ")}\n${demo}`
      )
    console.log(
      "pack test: examples/demo.ts ran from the tarballs (a call between two GramJS clients over loopback)"
    )

    await npmConsumer(dir, tarballs, files)
    npmPackRefuses(dir)
  } finally {
    if (keep) console.log(`pack test: kept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}

try {
  await main()
  console.log("pack test: 1 passed, 0 failed")
} catch (error) {
  console.error(error instanceof PackTestFailure ? error.message : error)
  console.error("pack test: 0 passed, 1 failed")
  process.exit(1)
}
