/**
 * The API reference from JSDoc: reads every export of each package entry point (namespaces
 * and their members), with its summary, signature, `@since`, `@category` and `@example`.
 *
 * Signatures are the declarations TypeScript emits for the published `.d.ts` (computed in
 * memory with the compiler API of `typescript5`, an alias of TypeScript 5.9, because
 * TypeScript 7 has no stable JS API); the JSDoc comments are carried into those
 * declarations, so one parse of them gives both. Nothing is written by this module itself:
 * `scripts/generators/api.ts` renders `docs/api/<package>.md` for `pnpm generate`, and
 *
 *     tsx scripts/docgen.ts --check      (`pnpm test:docs`, part of `pnpm test`)
 *
 * fails when an export lacks a summary, `@since` or `@category` (namespaces: a summary and
 * `@since`), or when an `@example` does not type-check: every example is written to a temp
 * file under `.tgphone-tmp/` and checked with the repository's `tsc` and compiler settings,
 * with the package names (`@tgphone/core`, …) mapped to the workspace sources. A mistyped
 * canary example is checked alongside and must be reported, so the check cannot pass vacuously.
 * It also fails when README.md, docs/*.md, the package READMEs or examples/*.ts name
 * `Namespace.member` (`PhoneCalls.listen`, `Phone.requestCall`, `GramJs.layerConfig`, …) that
 * the namespace does not export; inline code in prose may also name a member of the
 * namespace's service (`TelegramRpc.invoke`), code blocks and examples may not (a canary
 * checks both ways). It fails on a bad link (see `badLinks`: absolute links into
 * https://github.com/tgphone/tgphone must name files that exist, relative ones must resolve,
 * and the published package READMEs may have no relative links), and on a code block marked
 * `<!-- verbatim: <file> -->` that is not that file's text (see `notVerbatim`); canaries
 * check both checks can fail.
 */
import { spawnSync } from "node:child_process"
import { mkdir, readFile, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript5"

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..")

/** A package and the source file of each of its entry points. */
export interface PackageSpec {
  readonly dir: string
  readonly name: string
  readonly description: string
  /** Entry point specifier (`@tgphone/core/GramJs`) → source file, relative to the root. */
  readonly entryPoints: ReadonlyArray<{ readonly specifier: string; readonly source: string }>
}

/** A JSDoc comment, split into its parts. */
export interface Doc {
  /** The text before the first tag (Markdown). */
  readonly description: string
  /** The first paragraph of the description. */
  readonly summary: string
  readonly since: string | undefined
  readonly category: string | undefined
  readonly deprecated: string | undefined
  /** The raw text of each `@example` tag (Markdown, usually one fenced code block). */
  readonly examples: ReadonlyArray<string>
}

/** One exported name of a module. */
export interface Member {
  readonly name: string
  /** `const`, `function`, `class`, `interface`, `type`, `enum` or `namespace` (merged: all). */
  readonly kinds: ReadonlyArray<string>
  readonly doc: Doc | undefined
  /** The published declaration(s), without their JSDoc. */
  readonly signature: string
}

/** A namespace export of an entry point (`export * as Phone from "./Phone.js"`). */
export interface Namespace {
  readonly name: string
  /** Source module, relative to the root. */
  readonly source: string
  readonly doc: Doc | undefined
  readonly members: ReadonlyArray<Member>
}

/** One entry point: its namespaces and its direct (non-namespace) exports. */
export interface EntryPoint {
  readonly specifier: string
  readonly source: string
  readonly doc: Doc | undefined
  readonly namespaces: ReadonlyArray<Namespace>
  readonly members: ReadonlyArray<Member>
}

/** The documentation of one package. */
export interface PackageDoc {
  readonly spec: PackageSpec
  readonly entryPoints: ReadonlyArray<EntryPoint>
}

/** The publishable packages, read from their manifests (entry points from `exports`). */
export const packageSpecs = async (): Promise<ReadonlyArray<PackageSpec>> => {
  const specs: Array<PackageSpec> = []
  for (const dir of ["crypto", "core", "testkit"]) {
    const manifest = JSON.parse(await readFile(join(root, "packages", dir, "package.json"), "utf8")) as {
      readonly name: string
      readonly description?: string
      readonly exports: Record<string, string | null>
    }
    const entryPoints = Object.entries(manifest.exports)
      // the named entry points; the `"./*"` pattern (every module as a subpath) adds none
      .filter(
        (entry): entry is [string, string] =>
          !entry[0].includes("*") && typeof entry[1] === "string" && entry[1].endsWith(".ts")
      )
      .map(([subpath, target]) => ({
        specifier: subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
        source: join("packages", dir, target)
      }))
    specs.push({ dir, name: manifest.name, description: manifest.description ?? "", entryPoints })
  }
  return specs
}

/** Parses a `/** … *\/` comment. */
export const parseDoc = (comment: string): Doc => {
  const lines = comment
    .replace(/^\/\*\*/, "")
    .replace(/\*\/$/, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, "").replace(/^\s+$/, ""))
  const description: Array<string> = []
  const tags: Array<{ name: string; lines: Array<string> }> = []
  let fenced = false
  for (const line of lines) {
    const tag = fenced ? null : /^@(\w+)(?:\s+(.*))?$/.exec(line.trim())
    if (tag !== null) tags.push({ name: tag[1] ?? "", lines: [tag[2] ?? ""] })
    else (tags.at(-1)?.lines ?? description).push(line)
    if (line.trim().startsWith("```")) fenced = !fenced
  }
  const text = (ls: ReadonlyArray<string>) => ls.join("\n").trim()
  const tagText = (name: string) => {
    const found = tags.find((t) => t.name === name)
    return found === undefined ? undefined : text(found.lines)
  }
  const desc = text(description)
  return {
    description: desc,
    summary: desc.split(/\n\s*\n/)[0]?.trim() ?? "",
    since: tagText("since"),
    category: tagText("category"),
    deprecated: tagText("deprecated"),
    examples: tags.filter((t) => t.name === "example").map((t) => text(t.lines))
  }
}

/** The TypeScript code blocks of an example (the whole text when it has no fence). */
export const exampleCode = (example: string): Array<string> => {
  const blocks: Array<string> = []
  const fence = /```(\w*)[^\n]*\n([\s\S]*?)```/g
  let found = false
  for (const m of example.matchAll(fence)) {
    found = true
    const lang = m[1] ?? ""
    if (lang === "" || lang === "ts" || lang === "typescript") blocks.push(m[2] ?? "")
  }
  return found ? blocks : [example]
}

/** The last JSDoc comment directly before `node`. */
const jsDocOf = (node: ts.Node, text: string): Doc | undefined => {
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? []
  const last = ranges.filter((r) => text.startsWith("/**", r.pos)).at(-1)
  return last === undefined ? undefined : parseDoc(text.slice(last.pos, last.end))
}

/**
 * The module's header comment: a JSDoc at the very top of the file that is followed by a
 * blank line or by an `import` (so it documents the module, not a declaration).
 */
const headerDoc = (text: string): Doc | undefined => {
  const m = /^\s*(\/\*\*[\s\S]*?\*\/)[ \t]*\n([ \t]*\n|import[\s{*])/.exec(text)
  return m?.[1] === undefined ? undefined : parseDoc(m[1])
}

/**
 * A namespace's documentation: the module's header comment (the fuller text) completed by the
 * JSDoc on its `export * as` in the entry point; examples of both.
 */
const namespaceDoc = (onExport: Doc | undefined, header: Doc | undefined): Doc | undefined => {
  if (onExport === undefined || header === undefined) return header ?? onExport
  const main = header.summary !== "" ? header : onExport
  return {
    ...main,
    since: header.since ?? onExport.since,
    category: header.category ?? onExport.category,
    examples: [...header.examples, ...onExport.examples]
  }
}

/** Removes the common indentation of a block. */
const dedent = (s: string): string => {
  const lines = s.split("\n")
  const indents = lines
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => /^ */.exec(l)?.[0].length ?? 0)
  const cut = Math.min(...indents, Number.POSITIVE_INFINITY)
  return lines.map((l, i) => (i === 0 || !Number.isFinite(cut) ? l : l.slice(cut))).join("\n")
}

const isExported = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)

/** The names and kind a declaration statement declares. */
const declared = (node: ts.Statement): { names: Array<string>; kind: string } | undefined => {
  if (ts.isVariableStatement(node))
    return {
      names: node.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : [])),
      kind: "const"
    }
  const kind = ts.isFunctionDeclaration(node)
    ? "function"
    : ts.isClassDeclaration(node)
      ? "class"
      : ts.isInterfaceDeclaration(node)
        ? "interface"
        : ts.isTypeAliasDeclaration(node)
          ? "type"
          : ts.isEnumDeclaration(node)
            ? "enum"
            : ts.isModuleDeclaration(node)
              ? "namespace"
              : undefined
  const name = (node as ts.DeclarationStatement).name
  return kind === undefined || name === undefined || !ts.isIdentifier(name)
    ? undefined
    : { names: [name.text], kind }
}

/** Emits the declarations of the packages in memory: source path → `.d.ts` text. */
const emitDeclarations = async (sources: ReadonlyArray<string>): Promise<Map<string, string>> => {
  const base = ts.readConfigFile(join(root, "tsconfig.base.json"), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, root)
  const options: ts.CompilerOptions = {
    ...parsed.options,
    declaration: true,
    emitDeclarationOnly: true,
    noEmit: false,
    removeComments: false,
    skipLibCheck: true
  }
  const program = ts.createProgram({ rootNames: sources.map((s) => join(root, s)), options })
  const out = new Map<string, string>()
  program.emit(
    undefined,
    (fileName, text) => {
      out.set(relative(root, fileName).replace(/\.d\.ts$/, ".ts"), text)
    },
    undefined,
    true
  )
  return out
}

/** Reads every package's entry points into documentation. */
export const collect = async (): Promise<ReadonlyArray<PackageDoc>> => {
  const specs = await packageSpecs()
  const dts = await emitDeclarations(specs.flatMap((s) => s.entryPoints.map((e) => e.source)))
  const parsedFiles = new Map<string, ts.SourceFile>()
  const parse = (source: string): ts.SourceFile => {
    const cached = parsedFiles.get(source)
    if (cached !== undefined) return cached
    const text = dts.get(source)
    if (text === undefined) throw new Error(`no declarations were emitted for ${source}`)
    const file = ts.createSourceFile(source.replace(/\.ts$/, ".d.ts"), text, ts.ScriptTarget.ES2022, true)
    parsedFiles.set(source, file)
    return file
  }
  const target = (from: string, specifier: ts.Expression | undefined): string =>
    join(dirname(from), (specifier as ts.StringLiteral).text.replace(/\.js$/, ".ts"))

  /** Every export of a module (not following namespace re-exports into members). */
  const membersOf = (source: string, seen: ReadonlySet<string> = new Set()): Array<Member> => {
    if (seen.has(source)) return []
    const file = parse(source)
    const text = file.getFullText()
    const byName = new Map<
      string,
      { kinds: Array<string>; doc: Doc | undefined; signatures: Array<string> }
    >()
    const add = (name: string, kind: string, doc: Doc | undefined, signature: string) => {
      const entry = byName.get(name) ?? { kinds: [], doc: undefined, signatures: [] }
      if (!entry.kinds.includes(kind)) entry.kinds.push(kind)
      entry.doc ??= doc
      entry.signatures.push(signature)
      byName.set(name, entry)
    }
    const locals = new Map<string, ts.Statement>()
    for (const statement of file.statements) {
      const d = declared(statement)
      if (d !== undefined) for (const n of d.names) locals.set(n, statement)
    }
    const textOf = (statement: ts.Statement) =>
      dedent(text.slice(statement.getStart(file), statement.end).trim())
    /** A declaration; a class extending a private `X_base` (Schema/Context classes) shows it too. */
    const signatureOf = (statement: ts.Statement): string => {
      const bases = ts.isClassDeclaration(statement)
        ? (statement.heritageClauses ?? [])
            .flatMap((h) => h.types)
            .flatMap((t) => (ts.isIdentifier(t.expression) ? [locals.get(t.expression.text)] : []))
            .filter((b): b is ts.Statement => b !== undefined && !isExported(b))
        : []
      return [...bases, statement].map(textOf).join("\n")
    }
    const order: Array<string> = []
    const withOrder = (name: string) => {
      if (!order.includes(name)) order.push(name)
    }
    const merge = (member: Member) => {
      withOrder(member.name)
      for (const kind of member.kinds) add(member.name, kind, member.doc, member.signature)
    }
    for (const statement of file.statements) {
      if (ts.isExportDeclaration(statement)) {
        const clause = statement.exportClause
        if (statement.moduleSpecifier !== undefined && clause === undefined) {
          // export * from "./generated/Errors.js"
          const next = new Set(seen).add(source)
          for (const m of membersOf(target(source, statement.moduleSpecifier), next)) merge(m)
        } else if (clause !== undefined && ts.isNamedExports(clause)) {
          const from =
            statement.moduleSpecifier === undefined
              ? undefined
              : membersOf(target(source, statement.moduleSpecifier), new Set(seen).add(source))
          for (const element of clause.elements) {
            const original = (element.propertyName ?? element.name).text
            const name = element.name.text
            if (from !== undefined) {
              const m = from.find((x) => x.name === original)
              if (m !== undefined) merge({ ...m, name })
            } else {
              const local = locals.get(original)
              const d = local === undefined ? undefined : declared(local)
              if (local !== undefined && d !== undefined)
                merge({ name, kinds: [d.kind], doc: jsDocOf(local, text), signature: signatureOf(local) })
            }
          }
        }
        continue
      }
      if (!isExported(statement)) continue
      const d = declared(statement)
      if (d === undefined) continue
      for (const name of d.names) {
        withOrder(name)
        add(name, d.kind, jsDocOf(statement, text), signatureOf(statement))
      }
    }
    return order.flatMap((name) => {
      const entry = byName.get(name)
      return entry === undefined
        ? []
        : [{ name, kinds: entry.kinds, doc: entry.doc, signature: entry.signatures.join("\n\n") }]
    })
  }

  return Promise.all(
    specs.map(async (spec) => {
      const entryPoints: Array<EntryPoint> = []
      for (const entry of spec.entryPoints) {
        const file = parse(entry.source)
        const text = file.getFullText()
        const namespaces: Array<Namespace> = []
        for (const statement of file.statements) {
          if (
            ts.isExportDeclaration(statement) &&
            statement.exportClause !== undefined &&
            ts.isNamespaceExport(statement.exportClause)
          ) {
            const source = target(entry.source, statement.moduleSpecifier)
            const sourceText = await readFile(join(root, source), "utf8")
            namespaces.push({
              name: statement.exportClause.name.text,
              source,
              doc: namespaceDoc(jsDocOf(statement, text), headerDoc(sourceText)),
              members: membersOf(source)
            })
          }
        }
        const sourceText = await readFile(join(root, entry.source), "utf8")
        entryPoints.push({
          specifier: entry.specifier,
          source: entry.source,
          doc: headerDoc(sourceText),
          namespaces,
          members: membersOf(entry.source)
        })
      }
      return { spec, entryPoints }
    })
  )
}

/** An export that lacks required documentation. */
export interface Missing {
  readonly where: string
  readonly lacks: ReadonlyArray<string>
}

/** The exports lacking a summary, `@since` or (members) `@category`. */
export const missingDocs = (docs: ReadonlyArray<PackageDoc>): Array<Missing> => {
  const missing: Array<Missing> = []
  const check = (where: string, doc: Doc | undefined, needsCategory: boolean) => {
    const lacks: Array<string> = []
    if (doc === undefined || doc.summary === "") lacks.push("summary")
    if (doc?.since === undefined || doc.since === "") lacks.push("@since")
    else if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(doc.since))
      lacks.push(`a version in @since (got "${doc.since}")`)
    if (needsCategory && (doc?.category === undefined || doc.category === "")) lacks.push("@category")
    if (lacks.length > 0) missing.push({ where, lacks })
  }
  for (const pkg of docs)
    for (const entry of pkg.entryPoints) {
      for (const ns of entry.namespaces) {
        check(`${entry.specifier} ${ns.name} (namespace, ${ns.source})`, ns.doc, false)
        for (const m of ns.members)
          check(`${entry.specifier} ${ns.name}.${m.name} (${ns.source})`, m.doc, true)
      }
      const namespaceNames = new Set(entry.namespaces.map((n) => n.name))
      for (const m of entry.members)
        if (!namespaceNames.has(m.name)) check(`${entry.specifier} ${m.name} (${entry.source})`, m.doc, true)
    }
  return missing
}

/** A name the docs use (`PhoneCalls.listen`) that no export provides. */
export interface UnknownName {
  readonly file: string
  readonly line: number
  readonly name: string
}

/** The Markdown files whose code must name real exports (the generated reference excluded). */
export const docFiles = async (): Promise<Array<string>> => {
  const { readdir } = await import("node:fs/promises")
  const docs = (await readdir(join(root, "docs")))
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f))
  return [
    "README.md",
    "examples/README.md",
    ...docs,
    ...["core", "crypto", "testkit"].map((p) => `packages/${p}/README.md`)
  ]
}

/** The text of each of `files` (read from the repository), then `texts` as given. */
const sourcesOf = async (
  files: ReadonlyArray<string>,
  texts: ReadonlyArray<{ readonly file: string; readonly text: string }>
): Promise<ReadonlyArray<{ readonly file: string; readonly text: string }>> => [
  ...(await Promise.all(
    files.map(async (file) => ({ file, text: await readFile(join(root, file), "utf8") }))
  )),
  ...texts
]

/**
 * Every `Namespace.member` written in code (fenced blocks and inline code spans) of the
 * Markdown files and in the examples' comments, where `Namespace` is an exported namespace
 * (`PhoneCalls`, `Phone`, `TestTelegram`, …, and `GramJs` for `@tgphone/core/GramJs`), that
 * the namespace does not export.
 */
export const unknownNames = async (
  docs: ReadonlyArray<PackageDoc>,
  files: ReadonlyArray<string>,
  texts: ReadonlyArray<{ readonly file: string; readonly text: string }> = []
): Promise<Array<UnknownName>> => {
  const members = new Map<string, Set<string>>()
  /** Members of a namespace's service: accepted in prose (inline code), not in code blocks. */
  const serviceMembers = new Map<string, Set<string>>()
  const addAll = (ns: string, names: ReadonlyArray<string>, into = members) => {
    if (!members.has(ns)) members.set(ns, new Set())
    const set = into.get(ns) ?? new Set<string>()
    for (const n of names) set.add(n)
    into.set(ns, set)
  }
  for (const pkg of docs)
    for (const entry of pkg.entryPoints) {
      for (const ns of entry.namespaces) {
        addAll(
          ns.name,
          ns.members.map((m) => m.name)
        )
        // the service of the namespace (`TelegramRpc.invoke` for the `TelegramRpc` service's
        // `invoke`, `TestTelegram.layerFor` for the world's): the members its signature names
        const service = ns.members.filter((m) => m.name === ns.name || m.name === "Service")
        addAll(
          ns.name,
          service.flatMap((m) =>
            [...m.signature.matchAll(/^\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*[:(<]/gm)].map(
              (x) => x[1] ?? ""
            )
          ),
          serviceMembers
        )
      }
      if (entry.specifier === "@tgphone/core/GramJs")
        addAll(
          "GramJs",
          entry.members.map((m) => m.name)
        )
    }
  const found: Array<UnknownName> = []
  const reference = new RegExp(`\\b(${[...members.keys()].join("|")})\\.([A-Za-z_$][\\w$]*)`, "g")
  const sources = await sourcesOf(files, texts)
  for (const { file, text } of sources) {
    const code: Array<{ readonly line: number; readonly text: string; readonly prose?: true }> = []
    let fenced = false
    text.split("\n").forEach((line, i) => {
      if (file.endsWith(".ts")) code.push({ line: i + 1, text: line })
      else if (line.trim().startsWith("```")) fenced = !fenced
      else if (fenced) code.push({ line: i + 1, text: line })
      else
        for (const span of line.matchAll(/`([^`]+)`/g))
          code.push({ line: i + 1, text: span[1] ?? "", prose: true })
    })
    for (const { line, text: snippet, prose } of code)
      for (const m of snippet.matchAll(reference)) {
        const [ns, member] = [m[1] ?? "", m[2] ?? ""]
        // a property of a value whose name is also a namespace's (`PhoneCalls.PhoneCalls.use`)
        const before = snippet.slice(0, m.index)
        if (/[\w$.]$/.test(before)) continue
        // a file name (`Errors.ts`, `Signaling.test.ts`), not an export
        if (/^(ts|js|md|test)$/.test(member)) continue
        const known =
          (members.get(ns)?.has(member) ?? false) ||
          (prose === true && (serviceMembers.get(ns)?.has(member) ?? false))
        if (!known) found.push({ file, line, name: `${ns}.${member}` })
      }
  }
  return found
}

/** The repository's canonical home; absolute links into it must name files that exist. */
export const repositoryUrl = "https://github.com/tgphone/tgphone"

/** A link in a doc that is broken, or would be once the doc is installed from npm. */
export interface BadLink {
  readonly file: string
  readonly line: number
  readonly link: string
  readonly reason: string
}

/** Whether `path` (relative to the repository root) exists. */
const exists = async (path: string): Promise<boolean> => {
  const { stat } = await import("node:fs/promises")
  return stat(join(root, path)).then(
    () => true,
    () => false
  )
}

/**
 * The bad links of the Markdown files (and of the package manifests' `homepage`): an absolute
 * link into the repository (`https://github.com/tgphone/tgphone/blob/main/<path>`, or
 * `tree/main/<path>`) whose path does not exist at this commit; a relative link whose target
 * does not exist; and any relative link in a package README, which is published to npm, where
 * it no longer resolves (those must be absolute links into the repository).
 */
export const badLinks = async (
  files: ReadonlyArray<string>,
  texts: ReadonlyArray<{ readonly file: string; readonly text: string }> = []
): Promise<Array<BadLink>> => {
  const sources = await sourcesOf(files, texts)
  const found: Array<BadLink> = []
  const absolute = `${repositoryUrl}/`
  for (const { file, text } of sources) {
    const published = /^packages\/[^/]+\/(README\.md|package\.json)$/.test(file)
    const lines = text.split("\n")
    for (const [i, line] of lines.entries()) {
      const links = file.endsWith(".json")
        ? [...line.matchAll(/"homepage":\s*"([^"]+)"/g)].map((m) => m[1] ?? "")
        : [
            ...[...line.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? ""),
            ...[...line.matchAll(/<(https?:\/\/[^>\s]+)>/g)].map((m) => m[1] ?? "")
          ]
      for (const link of links) {
        const bad = (reason: string) => found.push({ file, line: i + 1, link, reason })
        const target = link.replace(/#.*$/, "")
        if (link.startsWith(absolute)) {
          const m = /^(?:blob|tree)\/main\/(.+)$/.exec(target.slice(absolute.length))
          if (m === null) {
            if (target !== repositoryUrl && !/^issues\/?$/.test(target.slice(absolute.length)))
              bad("not a blob/main or tree/main link into the repository")
          } else if (!(await exists(m[1] ?? ""))) bad(`${m[1]} does not exist in the repository`)
        } else if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith("#") || target === "") continue
        else if (published)
          bad(`relative links break once the package is installed: use ${absolute}blob/main/…`)
        else if (!(await exists(join(dirname(file), target))))
          bad(`${join(dirname(file), target)} does not exist`)
      }
    }
  }
  return found
}

/** The published package manifests (their `homepage` is checked like a doc's links). */
const packageManifests = ["core", "crypto", "testkit"].map((p) => `packages/${p}/package.json`)

/** A fenced block marked `<!-- verbatim: <file> -->` that differs from that file. */
export interface NotVerbatim {
  readonly file: string
  readonly line: number
  readonly source: string
}

/**
 * The code blocks marked with a `<!-- verbatim: <path> -->` line directly above their fence
 * that are not the text of that file (from its first `import` line on, so the file may keep a
 * header comment): such a block is a test the suite runs, shown in a guide.
 */
export const notVerbatim = async (
  files: ReadonlyArray<string>,
  texts: ReadonlyArray<{ readonly file: string; readonly text: string }> = []
): Promise<Array<NotVerbatim>> => {
  const sources = await sourcesOf(files, texts)
  const found: Array<NotVerbatim> = []
  for (const { file, text } of sources)
    for (const m of text.matchAll(/^<!-- verbatim: (\S+) -->\n```\w*\n([\s\S]*?)^```$/gm)) {
      const source = m[1] ?? ""
      const line = text.slice(0, m.index).split("\n").length
      const whole = await readFile(join(root, source), "utf8").catch(() => undefined)
      const from = whole === undefined ? -1 : whole.search(/^import /m)
      if (whole === undefined || from < 0 || whole.slice(from).trimEnd() !== (m[2] ?? "").trimEnd())
        found.push({ file, line, source })
    }
  return found
}

/** One example to type-check, with where it comes from. */
export interface Example {
  readonly where: string
  readonly code: string
}

/** Every `@example` code block of every export. */
export const examples = (docs: ReadonlyArray<PackageDoc>): Array<Example> => {
  const out: Array<Example> = []
  const fromDoc = (where: string, doc: Doc | undefined) =>
    doc?.examples.forEach((example, i) => {
      exampleCode(example).forEach((code, j) => {
        out.push({ where: `${where} @example ${i + 1}${j > 0 ? `.${j + 1}` : ""}`, code })
      })
    })
  for (const pkg of docs)
    for (const entry of pkg.entryPoints) {
      fromDoc(`${entry.specifier} (module)`, entry.doc)
      for (const ns of entry.namespaces) {
        fromDoc(`${entry.specifier} ${ns.name}`, ns.doc)
        for (const m of ns.members) fromDoc(`${entry.specifier} ${ns.name}.${m.name}`, m.doc)
      }
      const namespaceNames = new Set(entry.namespaces.map((n) => n.name))
      for (const m of entry.members)
        if (!namespaceNames.has(m.name)) fromDoc(`${entry.specifier} ${m.name}`, m.doc)
    }
  // The same example may be reached through two entry points (re-exports): check it once.
  const seen = new Set<string>()
  return out.filter((e) => {
    if (seen.has(e.code)) return false
    seen.add(e.code)
    return true
  })
}

/**
 * Type-checks the examples with the repository's `tsc` (TypeScript 7) and settings; returns
 * the failures (`where` and the compiler's messages), empty when all check.
 */
export const checkExamples = async (
  docs: ReadonlyArray<PackageDoc>,
  list: ReadonlyArray<Example> = examples(docs)
): Promise<Array<{ where: string; errors: string }>> => {
  if (list.length === 0) return []
  const dir = join(root, ".tgphone-tmp", `docs-examples-${process.pid}`)
  await mkdir(dir, { recursive: true })
  try {
    const paths: Record<string, Array<string>> = {}
    for (const pkg of docs)
      for (const entry of pkg.entryPoints) paths[entry.specifier] = [relative(dir, join(root, entry.source))]
    const files = list.map((_, i) => `example${i}.ts`)
    await Promise.all(
      list.map((e, i) =>
        // `export {}` makes a file without imports a module (no leaking globals between files).
        writeFile(join(dir, files[i] ?? ""), `${e.code}\nexport {}\n`)
      )
    )
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: relative(dir, join(root, "tsconfig.base.json")),
        compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false, paths },
        files
      })
    )
    const require = createRequire(join(root, "package.json"))
    const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc")
    const result = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json"), "--pretty", "false"], {
      cwd: dir,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024
    })
    if (result.status === 0) return []
    const output = `${result.stdout}${result.stderr}`
    const failures = new Map<number, Array<string>>()
    const unattributed: Array<string> = []
    for (const line of output.split("\n")) {
      if (line.trim() === "") continue
      const m = /^example(\d+)\.ts\((\d+),(\d+)\): (.*)$/.exec(line)
      if (m === null) {
        unattributed.push(line)
        continue
      }
      const index = Number(m[1])
      const list2 = failures.get(index) ?? []
      list2.push(`line ${m[2]}: ${m[4]}`)
      failures.set(index, list2)
    }
    const out = [...failures].map(([i, errors]) => ({
      where: list[i]?.where ?? `example ${i}`,
      errors: errors.join("\n")
    }))
    if (out.length === 0) out.push({ where: "examples", errors: unattributed.join("\n") || output })
    return out
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes("--check")) {
    console.error("usage: tsx scripts/docgen.ts --check   (`pnpm generate` writes docs/api)")
    process.exit(2)
  }
  const docs = await collect()
  const missing = missingDocs(docs)
  const list = examples(docs)
  // A canary that must fail: proves the examples really reach the compiler, with the package
  // names mapped to the sources (it imports one), and that failures are attributed.
  const canary: Example = {
    where: "canary",
    code: 'import { Phone } from "@tgphone/core"\nexport const notAString: string = Phone.requestCall\n'
  }
  const all = await checkExamples(docs, [...list, canary])
  const failures = all.filter((f) => f.where !== canary.where)
  if (!all.some((f) => f.where === canary.where && f.errors.includes("TS2322"))) {
    console.error(
      `the example checker is broken: a mistyped canary example was not reported\n${JSON.stringify(all)}`
    )
    process.exit(1)
  }
  const exportsCount = docs
    .flatMap((p) => p.entryPoints)
    .reduce((n, e) => n + e.namespaces.reduce((k, ns) => k + 1 + ns.members.length, 0), 0)
  const { readdir } = await import("node:fs/promises")
  const exampleFiles = (await readdir(join(root, "examples")))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join("examples", f))
  const unknown = await unknownNames(docs, [...(await docFiles()), ...exampleFiles])
  // Canaries: an unknown member must be reported and a real one must not, so the scan can fail.
  const canaryNames = await unknownNames(
    docs,
    [],
    [{ file: "canary.md", text: "`PhoneCalls.noSuchExport` and `PhoneCalls.call` and `GramJs.layerConfig`" }]
  )
  if (canaryNames.map((u) => u.name).join() !== "PhoneCalls.noSuchExport") {
    console.error(`the docs-vs-exports check is broken: the canary gave ${JSON.stringify(canaryNames)}`)
    process.exit(1)
  }
  const links = await badLinks([...(await docFiles()), ...packageManifests])
  // Canaries: a missing target, a relative link in a package README and one in a published
  // manifest must be reported, a link to a file that exists must not.
  const canaryLinks = await badLinks(
    [],
    [
      {
        file: "packages/canary/README.md",
        text: `[a](${repositoryUrl}/blob/main/docs/no-such-page.md) [b](../../docs/testing.md) [c](${repositoryUrl}/blob/main/docs/testing.md#a-worked-example)`
      },
      { file: "docs/canary.md", text: "[d](testing.md) [e](no-such-page.md)" }
    ]
  )
  if (
    canaryLinks.map((l) => l.link).join() !==
    `${repositoryUrl}/blob/main/docs/no-such-page.md,../../docs/testing.md,no-such-page.md`
  ) {
    console.error(`the link check is broken: the canary gave ${JSON.stringify(canaryLinks)}`)
    process.exit(1)
  }
  const verbatim = await notVerbatim(await docFiles())
  const canaryVerbatim = await notVerbatim(
    [],
    [
      {
        file: "docs/canary.md",
        text: '<!-- verbatim: scripts/docgen.ts -->\n```ts\nimport ts from "typescript5"\n```\n'
      }
    ]
  )
  if (canaryVerbatim.length !== 1) {
    console.error(`the verbatim check is broken: the canary gave ${JSON.stringify(canaryVerbatim)}`)
    process.exit(1)
  }
  for (const u of unknown)
    console.error(`docs name an export that does not exist: ${u.name} (${u.file}:${u.line})`)
  for (const l of links) console.error(`bad link ${l.link} (${l.file}:${l.line}): ${l.reason}`)
  for (const v of verbatim) console.error(`${v.file}:${v.line}: the block is not ${v.source} verbatim`)
  for (const m of missing) console.error(`missing ${m.lacks.join(", ")}: ${m.where}`)
  for (const f of failures)
    console.error(`example does not type-check: ${f.where}\n  ${f.errors.split("\n").join("\n  ")}`)
  console.log(
    `docs: ${exportsCount} exports, ${missing.length} lacking docs; ${list.length} examples, ${failures.length} failing`
  )
  console.log(`docs: ${unknown.length} names in docs/README/examples that no export provides`)
  console.log(`docs: ${links.length} bad links; ${verbatim.length} blocks that are not their file verbatim`)
  const checks = [missing, failures, unknown, links, verbatim]
  const passed = checks.filter((c) => c.length === 0).length
  console.log(`docs check: ${passed} passed, ${checks.length - passed} failed`)
  if (passed < checks.length) process.exit(1)
}
