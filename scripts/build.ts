/**
 * Builds the publishable packages (`pnpm build`): removes each package's `dist/`, compiles
 * `src/` (generated modules included) to ESM `.js` with `.d.ts`, declaration maps and source
 * maps through TypeScript's build mode (`tsc -b`, project references crypto → core → testkit,
 * so a package is compiled against the declarations of the ones it depends on), then checks
 * that every target of each package's `publishConfig.exports` exists.
 *
 * Usage: `pnpm build` (all packages). Exits non-zero with the compiler's diagnostics or the
 * list of missing export targets.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { readFile, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..")

/** The publishable packages, in build order (each depends only on earlier ones). */
export const packages = ["crypto", "core", "testkit"] as const

/** A conditional export target: `{ types, default }`, a path, or `null` (blocked). */
type Target = string | null | { readonly [condition: string]: Target }

/** Every file path named by an export target (blocked `null` entries name none). */
const targetPaths = (target: Target): Array<string> =>
  target === null ? [] : typeof target === "string" ? [target] : Object.values(target).flatMap(targetPaths)

/**
 * The paths named by the package's `publishConfig.exports` (or, for an installed package,
 * its `exports`) that do not exist in `dir`: an empty list when all do.
 */
export const missingTargets = async (
  dir: string,
  field: "publishConfig.exports" | "exports" = "publishConfig.exports"
): Promise<Array<string>> => {
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
    readonly exports?: Record<string, Target>
    readonly publishConfig?: { readonly exports?: Record<string, Target> }
  }
  const exportsMap = (field === "exports" ? manifest.exports : manifest.publishConfig?.exports) ?? {}
  return Object.entries(exportsMap)
    .filter(([subpath]) => !subpath.includes("*"))
    .flatMap(([, target]) => targetPaths(target))
    .filter((path) => !existsSync(join(dir, path)))
}

/** Runs the repository's own TypeScript compiler (`typescript` dev dependency) with `args`. */
const tsc = (args: ReadonlyArray<string>): number => {
  const require = createRequire(join(root, "package.json"))
  const bin = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc")
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: "inherit" })
  return result.status ?? 1
}

/** Cleans and builds every package; returns the list of problems (empty on success). */
export const build = async (): Promise<Array<string>> => {
  for (const name of packages)
    await rm(join(root, "packages", name, "dist"), { recursive: true, force: true })
  const configs = packages.map((name) => join("packages", name, "tsconfig.build.json"))
  if (tsc(["-b", ...configs]) !== 0) return ["tsc -b failed (see the diagnostics above)"]
  const problems: Array<string> = []
  for (const name of packages)
    for (const path of await missingTargets(join(root, "packages", name)))
      problems.push(`@tgphone/${name}: publishConfig.exports names ${path}, which the build did not emit`)
  return problems
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = await build()
  if (problems.length > 0) {
    console.error(problems.join("\n"))
    process.exit(1)
  }
  console.log(`built ${packages.map((name) => `@tgphone/${name}`).join(", ")} into packages/*/dist`)
}
