// The `prepack` script of each published package: refuses `npm pack` / `npm publish`.
// npm ignores `publishConfig.exports` and the `workspace:*` ranges, so its tarball points at
// `src/*.ts` and depends on versions that do not exist. pnpm rewrites both (see
// docs/releasing.md), so only pnpm may pack.
const agent = process.env.npm_config_user_agent ?? ""
if (!agent.startsWith("pnpm/")) {
  console.error(
    "refusing to pack with npm: it would ship src/ exports and workspace:* ranges. Use `npx pnpm@10.34.9 pack` (see docs/releasing.md)."
  )
  process.exit(1)
}
