/**
 * Regenerates every generated file of the repository (`pnpm generate`), or with `--check`
 * fails when a generated file on disk differs from what its generator makes (`pnpm test`
 * runs this first, so stale generated code fails CI).
 *
 * Each generator in `scripts/generators/` exports `outputs(): Promise<ReadonlyArray<Output>>`
 * (or a plain array): the files it owns and their full contents. Generators read only data
 * that lives in this repository.
 */
import { readdir, readFile, writeFile } from "node:fs/promises"
import { dirname, join, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

export interface Output {
  /** Path relative to the repository root. */
  readonly path: string
  readonly contents: string
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const check = process.argv.includes("--check")

const dir = join(root, "scripts", "generators")
const files = (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort()
const stale: Array<string> = []
let count = 0
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as {
    outputs: () => Promise<ReadonlyArray<Output>> | ReadonlyArray<Output>
  }
  for (const out of await mod.outputs()) {
    count++
    const target = join(root, out.path)
    const current = await readFile(target, "utf8").catch(() => undefined)
    if (current === out.contents) continue
    if (check) stale.push(relative(root, target))
    else await writeFile(target, out.contents)
  }
}
if (stale.length > 0) {
  console.error(`Generated files are stale (run \`pnpm generate\`):\n  ${stale.join("\n  ")}`)
  process.exit(1)
}
console.log(check ? `generated files up to date (${count})` : `generated ${count} files`)
