// pnpm hooks of this workspace. `beforePacking` shapes the manifest that `pnpm pack` and
// `pnpm publish` put in the tarball (the files on disk stay as they are): the published
// packages carry no devDependencies and no scripts (the build runs from the root, and the
// `prepack` guard against `npm pack` is only for this repository).
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.devDependencies
      delete pkg.scripts
      return pkg
    }
  }
}
