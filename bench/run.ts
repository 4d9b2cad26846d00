/**
 * Runs every benchmark of the repository in one process (`pnpm bench`), or the ones named on
 * the command line (`pnpm bench crypto testkit`). Each benchmark module exports `run()`, which
 * measures its subject *and* its baseline in the same run and prints the ratio: figures from
 * different runs or machines are never compared.
 */
import { existsSync } from "node:fs"

const all = ["crypto", "testkit", "loopback", "handshake"]
const wanted = process.argv.slice(2)
const names =
  wanted.length > 0 ? wanted : all.filter((name) => existsSync(new URL(`./${name}.ts`, import.meta.url)))
for (const name of names) {
  const mod = (await import(`./${name}.ts`)) as { run: () => Promise<void> }
  console.log(`\n## bench/${name}`)
  await mod.run()
}
