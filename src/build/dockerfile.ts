/**
 * A Dockerfile's text into its instructions, with `dockerfile-ast` (the
 * parser of the Docker language server): it finds the directives (`escape`,
 * `syntax`), the instructions and the lines they span, joins line
 * continuations (comment and empty lines inside them dropped), reads flags
 * (`--from=...`) and finds heredocs. What it gets wrong is done here
 * instead (measured on 0.7.1):
 *
 * - JSON (exec) forms: its JSON values lose the spaces inside a string
 *   ("echo x" comes back as "echox") and do not decode `\u0041`: the
 *   arguments are read with JSON.parse, as Docker reads them;
 * - variable expansion and quoting are not its business: words.ts.
 *
 * Its cost: about 230 KB bundled and 6.5 ms to evaluate, so it is required
 * only when a Dockerfile is parsed, never bundled into the CLI: no other
 * command pays for it, and the CLI's startup snapshot (which holds
 * `commit`, whose --change is Dockerfile text) does not carry it (it made
 * every snapshot start about 0.3 MB heavier, and every command about 3 ms
 * slower). It is required from its own one-file bundle beside the CLI's
 * (build/moby-dick-dockerfile.cjs, scripts/bundle.mjs): from node_modules,
 * resolving and reading its 30 files cost every `build` about 25 ms more;
 * without that bundle (the compiled tests), from node_modules.
 * createRequire, not import(): the snapshot's own require() loads only
 * Node's built-in modules.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type * as DockerfileAst from 'dockerfile-ast';
import type { Heredoc as AstHeredoc } from 'dockerfile-ast';
import { MobyDickError } from '../errors.js';

export interface Heredoc {
  /** the delimiter's name (the file name of a COPY heredoc) */
  name: string;
  /** the body, with its final newline */
  body: string;
  /** false when the delimiter was quoted: no variable is expanded in the body */
  expand: boolean;
}

export interface Flag {
  name: string;
  /** undefined for a flag without `=` */
  value: string | undefined;
}

export interface RawInstruction {
  /** upper case: RUN, COPY, ... */
  keyword: string;
  /** 1-based, where it starts */
  line: number;
  /** the arguments after the flags, continuations joined; for a heredoc instruction only its first line */
  args: string;
  flags: Flag[];
  heredocs: Heredoc[];
}

export interface ParsedDockerfile {
  escape: string;
  /** the `# syntax=` directive, if any (moby-dick has one frontend: it is ignored) */
  syntax?: string;
  instructions: RawInstruction[];
}

type Position = { line: number; character: number };

/** offsets of each line's start in TEXT */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function heredocOf(h: AstHeredoc, text: string, starts: number[], firstLine: string): Heredoc {
  const r = h.getContentRange();
  const at = (p: Position) => (starts[p.line] ?? text.length) + p.character;
  let body = r ? `${text.slice(at(r.start), at(r.end))}\n` : '';
  const name = h.getName();
  // the operator as written on the first line: <<-NAME strips leading tabs, a quoted NAME expands nothing
  const op = new RegExp(`<<(-?)\\s*(["']?)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\2`).exec(firstLine);
  if (op?.[1] === '-') body = body.replace(/^\t+/gm, '');
  return { name, body, expand: !op?.[2] };
}

/** dockerfile-ast's bundle, beside the CLI's and the library's (a build output, not a source) */
const PARSER_BUNDLE = './moby-dick-dockerfile.cjs';

/** dockerfile-ast: its bundle beside this one, else the package */
function loadParser(): typeof DockerfileAst {
  const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);
  try {
    return require(PARSER_BUNDLE) as typeof DockerfileAst;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
  }
  return require('dockerfile-ast') as typeof DockerfileAst;
}

let parser: typeof DockerfileAst | undefined;

/**
 * What makes a parse (for parse-memo.ts): the code of parseDockerfile and
 * its helpers as this moby-dick has it, and the parser's file (its bundle,
 * else the package's entry) by size and mtime. Neither is loaded to say so.
 */
export function parserIdentity(): string {
  const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve(PARSER_BUNDLE);
  } catch {
    file = require.resolve('dockerfile-ast');
  }
  const st = statSync(file);
  const code = [parseDockerfile, heredocOf, lineStarts].map((f) => f.toString()).join('\0');
  return createHash('sha256').update(`${file}\0${st.size}\0${st.mtimeMs}\0${code}`).digest('hex');
}

/** TEXT's directives and instructions; an error names the line it is about. */
export async function parseDockerfile(text: string): Promise<ParsedDockerfile> {
  const { DockerfileParser } = (parser ??= loadParser());
  const df = DockerfileParser.parse(text);
  const escape = df.getEscapeCharacter();
  const syntax = df.getDirectives().find((d) => d.getName().toLowerCase() === 'syntax')?.getValue();
  const starts = lineStarts(text);
  const instructions: RawInstruction[] = [];
  for (const i of df.getInstructions()) {
    const line = i.getRange().start.line + 1;
    const keyword = i.getKeyword().toUpperCase();
    const content = i.getArgumentsContent() ?? '';
    const withFlags = i as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[]; getHeredocs?: () => AstHeredoc[] };
    const flags = (withFlags.getFlags?.() ?? []).map((f) => ({ name: f.getName(), value: f.getValue() ?? undefined }));
    const docs = withFlags.getHeredocs?.() ?? [];
    const firstLine = docs.length ? content.split('\n')[0]! : content;
    instructions.push({ keyword, line, args: firstLine.trim(), flags, heredocs: docs.map((h) => heredocOf(h, text, starts, firstLine)) });
  }
  return { escape, ...(syntax ? { syntax } : {}), instructions };
}

/** An exec form's arguments (a JSON array of strings), or undefined when ARGS is not one (the shell form). */
export function jsonArgs(args: string): string[] | undefined {
  const t = args.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: the shell form, as Docker takes it */
  }
  return undefined;
}

/** the one-line error of a Dockerfile's instruction, as docker build words it */
export function lineError(file: string, line: number, message: string, hint?: string, status?: number): MobyDickError {
  return new MobyDickError('BUILD', `${file}:${line}: ${message}`, { subject: `${file}:${line}`, ...(hint ? { hint } : {}), ...(status !== undefined ? { status } : {}) });
}
