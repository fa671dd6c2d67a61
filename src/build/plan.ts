/**
 * A parsed Dockerfile as a typed build plan: its stages, each with its base
 * (an image, another stage, or scratch) and its steps, checked as Docker
 * checks them before anything runs (an unknown instruction, no FROM, a flag
 * an instruction does not take, a missing --target stage), each error
 * naming its line. The stage graph (FROM <stage>, COPY --from) gives the
 * stages a target needs, in an order that builds each after what it uses;
 * the others are skipped, as BuildKit skips them.
 *
 * ARG before the first FROM declares the build's meta arguments: only they
 * (and --build-arg) are expanded in FROM lines and --from values. What the
 * steps' own words expand to depends on ENV and ARG as the stage goes, so
 * it is left to the builder (words.ts).
 */
import { type Flag, type Heredoc, jsonArgs, lineError, type ParsedDockerfile, type RawInstruction } from './dockerfile.js';
import { expandPairs, expandWord } from './words.js';
import { parseGoDuration } from '../util/go-duration.js';

export type Command = { form: 'shell'; text: string } | { form: 'exec'; argv: string[] };

interface Where {
  /** 1-based line of the Dockerfile */
  line: number;
  /** the instruction as written, one line (progress and history show it) */
  source: string;
}

/** where COPY --from takes its files: an earlier stage, or an image (the raw value until the plan resolves it) */
export type CopyFrom = { stage: number } | { image: string } | { raw: string };

export interface HealthcheckOptions {
  /** nanoseconds, as the image config keeps them */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export type Step = Where &
  (
    | { kind: 'RUN'; command: Command; heredocs: Heredoc[] }
    | { kind: 'CMD' | 'ENTRYPOINT'; command: Command }
    | { kind: 'SHELL'; argv: string[] }
    | { kind: 'COPY' | 'ADD'; sources: string[]; dest: string; from?: CopyFrom; chown?: string; chmod?: string; heredocs: Heredoc[] }
    /** the words as written: expanded with the stage's variables when the step runs */
    | { kind: 'ENV' | 'LABEL' | 'ARG' | 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'EXPOSE' | 'MAINTAINER'; text: string }
    | { kind: 'VOLUME'; text: string; json?: string[] }
    | { kind: 'HEALTHCHECK'; test: string[] | 'NONE'; options: HealthcheckOptions }
    | { kind: 'ONBUILD'; text: string }
  );

export interface Stage {
  index: number;
  /** the AS name, lower case */
  name?: string;
  /** FROM's image, expanded ('scratch' for none), or undefined when the base is another stage */
  image?: string;
  /** the stage it starts from (FROM <stage>) */
  baseStage?: number;
  /** the FROM line */
  from: Where;
  steps: Step[];
  /** the stages it needs: its base stage and those it copies from */
  deps: number[];
}

export interface BuildPlan {
  stages: Stage[];
  /** the stages to build, each after those it needs; the target last */
  order: number[];
  /** ARG before the first FROM, with --build-arg applied */
  metaArgs: Map<string, string>;
  /** where the Dockerfile came from, for messages */
  file: string;
  escape: string;
  /** `# syntax=` directive, which moby-dick does not follow */
  syntax?: string;
}

export interface PlanOptions {
  /** the Dockerfile's name in messages */
  file: string;
  buildArgs: ReadonlyMap<string, string>;
  target?: string;
}

const STEPS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'ENV', 'LABEL', 'ARG', 'WORKDIR', 'USER', 'STOPSIGNAL', 'EXPOSE', 'VOLUME', 'HEALTHCHECK', 'ONBUILD', 'MAINTAINER']);

/** the flags each instruction takes; a flag not listed is refused */
const FLAGS: Record<string, readonly string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

/** a Go duration ("30s", "1m30s", "500ms") in nanoseconds */
export function parseDuration(s: string): number | undefined {
  try {
    const ns = parseGoDuration(s);
    return ns >= 0 ? ns : undefined;
  } catch {
    return undefined;
  }
}

function commandOf(args: string): Command {
  const argv = jsonArgs(args);
  return argv ? { form: 'exec', argv } : { form: 'shell', text: args };
}

function sourceOf(r: RawInstruction): string {
  const flags = r.flags.map((f) => `--${f.name}${f.value === undefined ? '' : `=${f.value}`} `).join('');
  return `${r.keyword} ${flags}${r.args}`.trim();
}

function flagValue(flags: Flag[], name: string): string | undefined {
  return flags.find((f) => f.name === name)?.value;
}

function checkFlags(r: RawInstruction, file: string): void {
  const allowed = FLAGS[r.keyword] ?? [];
  for (const f of r.flags) {
    if (!allowed.includes(f.name)) {
      throw lineError(file, r.line, `unknown flag: --${f.name} for ${r.keyword}`, allowed.length ? `${r.keyword} takes ${allowed.map((a) => `--${a}`).join(', ')}` : `${r.keyword} takes no flags in moby-dick`);
    }
    if (f.value === undefined && f.name !== 'link') throw lineError(file, r.line, `missing a value for --${f.name}`);
  }
}

function healthcheck(r: RawInstruction, file: string): Step {
  const where = { line: r.line, source: sourceOf(r) };
  const words = r.args.trim();
  if (/^none$/i.test(words)) {
    if (r.flags.length) throw lineError(file, r.line, 'HEALTHCHECK NONE takes no options');
    return { kind: 'HEALTHCHECK', test: 'NONE', options: {}, ...where };
  }
  const m = /^cmd\s+([\s\S]+)$/i.exec(words);
  if (!m) throw lineError(file, r.line, `unknown type for HEALTHCHECK: ${words.split(/\s+/)[0] ?? ''}`, 'use HEALTHCHECK [OPTIONS] CMD command, or HEALTHCHECK NONE');
  const c = commandOf(m[1]!);
  const options: HealthcheckOptions = {};
  for (const f of r.flags) {
    if (f.name === 'retries') {
      const n = Number(f.value);
      if (!Number.isInteger(n) || n < 0) throw lineError(file, r.line, `invalid --retries: ${f.value}`);
      options.retries = n;
      continue;
    }
    const ns = parseDuration(f.value ?? '');
    if (ns === undefined) throw lineError(file, r.line, `invalid --${f.name}: ${f.value} is not a duration`, 'write it as 30s, 1m30s, 500ms');
    const key = ({ interval: 'interval', timeout: 'timeout', 'start-period': 'startPeriod', 'start-interval': 'startInterval' } as const)[f.name as 'interval'];
    options[key] = ns;
  }
  return { kind: 'HEALTHCHECK', test: c.form === 'exec' ? c.argv : ['CMD-SHELL', c.text], options, ...where };
}

function stepOf(r: RawInstruction, file: string): Step {
  const where = { line: r.line, source: sourceOf(r) };
  checkFlags(r, file);
  const args = r.args;
  const needArgs = (): void => {
    if (args === '' && r.heredocs.length === 0) throw lineError(file, r.line, `${r.keyword} requires at least one argument`);
  };
  switch (r.keyword) {
    case 'RUN':
      needArgs();
      return { kind: 'RUN', command: r.heredocs.length ? { form: 'shell', text: args } : commandOf(args), heredocs: r.heredocs, ...where };
    case 'CMD':
    case 'ENTRYPOINT':
      return { kind: r.keyword, command: commandOf(args), ...where };
    case 'SHELL': {
      const argv = jsonArgs(args);
      if (!argv || argv.length === 0) throw lineError(file, r.line, 'SHELL requires the arguments to be in JSON form', 'write it as SHELL ["/bin/sh", "-c"]');
      return { kind: 'SHELL', argv, ...where };
    }
    case 'COPY':
    case 'ADD': {
      needArgs();
      const words = jsonArgs(args) ?? args.split(/\s+/).filter(Boolean);
      const heredocNames = new Set(r.heredocs.map((h) => h.name));
      // heredoc operators are sources named by the heredoc
      const list = words.map((w) => {
        const m = /^<<-?(["']?)(.+)\1$/.exec(w);
        return m && heredocNames.has(m[2]!) ? `<<${m[2]}` : w;
      });
      if (list.length < 2) throw lineError(file, r.line, `${r.keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
      const from = flagValue(r.flags, 'from');
      const chown = flagValue(r.flags, 'chown');
      const chmod = flagValue(r.flags, 'chmod');
      if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod)) throw lineError(file, r.line, `invalid --chmod=${chmod}: an octal mode is expected`, 'write it as --chmod=755');
      return {
        kind: r.keyword,
        sources: list.slice(0, -1),
        dest: list[list.length - 1]!,
        ...(from !== undefined ? { from: { raw: from } } : {}),
        ...(chown !== undefined ? { chown } : {}),
        ...(chmod !== undefined ? { chmod } : {}),
        heredocs: r.heredocs,
        ...where,
      };
    }
    case 'VOLUME': {
      needArgs();
      const json = jsonArgs(args);
      return { kind: 'VOLUME', text: args, ...(json ? { json } : {}), ...where };
    }
    case 'HEALTHCHECK':
      return healthcheck(r, file);
    case 'ONBUILD': {
      const sub = args.split(/\s+/)[0]?.toUpperCase() ?? '';
      if (sub === 'ONBUILD' || sub === 'FROM' || sub === 'MAINTAINER') throw lineError(file, r.line, `${sub} isn't allowed as an ONBUILD trigger`);
      if (!STEPS.has(sub)) throw lineError(file, r.line, `unknown instruction in ONBUILD: ${sub}`);
      return { kind: 'ONBUILD', text: args, ...where };
    }
    case 'ENV':
    case 'LABEL':
    case 'ARG':
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'EXPOSE':
    case 'MAINTAINER':
      needArgs();
      return { kind: r.keyword, text: args, ...where };
    default:
      throw lineError(file, r.line, `unknown instruction: ${r.keyword}`, 'see the Dockerfile reference for the instructions there are');
  }
}

/** FROM's words: IMAGE [AS NAME] */
function fromOf(r: RawInstruction, file: string, meta: ReadonlyMap<string, string>, escape: string): { image: string; name?: string } {
  checkFlags(r, file);
  const words = r.args.split(/\s+/).filter(Boolean);
  if (words.length !== 1 && !(words.length === 3 && words[1]!.toLowerCase() === 'as')) {
    throw lineError(file, r.line, 'FROM requires either one or three arguments', 'write it as FROM IMAGE [AS NAME]');
  }
  const image = expandWord(words[0]!, meta, escape);
  if (image === '') throw lineError(file, r.line, `base name (${words[0]}) should not be blank`);
  const name = words[2]?.toLowerCase();
  if (name !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(name)) throw lineError(file, r.line, `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
  return { image, ...(name !== undefined ? { name } : {}) };
}

/** The stage a --from or FROM names: an earlier stage by name or index, else undefined (an image). */
function stageRef(stages: readonly Stage[], ref: string): Stage | undefined {
  const lower = ref.toLowerCase();
  const byName = stages.find((s) => s.name === lower);
  if (byName) return byName;
  if (/^\d+$/.test(ref)) return stages[Number(ref)];
  return undefined;
}

/** The build plan of PARSED; every error names the Dockerfile's line. */
export function buildPlan(parsed: ParsedDockerfile, opts: PlanOptions): BuildPlan {
  const { file } = opts;
  const meta = new Map<string, string>();
  const stages: Stage[] = [];
  for (const r of parsed.instructions) {
    const current = stages[stages.length - 1];
    if (r.keyword === 'FROM') {
      const { image, name } = fromOf(r, file, meta, parsed.escape);
      if (name !== undefined && stages.some((s) => s.name === name)) throw lineError(file, r.line, `duplicate stage name "${name}"`);
      const base = stageRef(stages, image);
      // a number names an image here unless it is an earlier stage's name (as Docker)
      const baseStage = base && stages.some((s) => s.name === image.toLowerCase()) ? base : undefined;
      stages.push({
        index: stages.length,
        ...(name !== undefined ? { name } : {}),
        ...(baseStage ? { baseStage: baseStage.index } : { image }),
        from: { line: r.line, source: sourceOf(r) },
        steps: [],
        deps: baseStage ? [baseStage.index] : [],
      });
      continue;
    }
    if (!current) {
      if (r.keyword !== 'ARG') {
        if (STEPS.has(r.keyword) || r.keyword === 'FROM') throw lineError(file, r.line, `no build stage in current context: ${r.keyword} before the first FROM`, 'a Dockerfile starts with FROM (only ARG may come before it)');
        throw lineError(file, r.line, `unknown instruction: ${r.keyword}`);
      }
      for (const [k, v] of expandPairs(r.args, meta, parsed.escape, true)) {
        const given = opts.buildArgs.get(k);
        meta.set(k, given ?? v ?? '');
      }
      continue;
    }
    const step = stepOf(r, file);
    if ((step.kind === 'COPY' || step.kind === 'ADD') && step.from && 'raw' in step.from) {
      const ref = expandWord(step.from.raw, meta, parsed.escape);
      const used = stageRef(stages, ref);
      if (used && used.index === current.index) throw lineError(file, r.line, `${step.kind} --from=${ref} names the stage it is in`);
      if (!used && stages.some((s) => s.name === ref.toLowerCase())) throw lineError(file, r.line, `stage ${ref} is used before it is defined`);
      step.from = used ? { stage: used.index } : { image: ref };
      if (used && !current.deps.includes(used.index)) current.deps.push(used.index);
    }
    current.steps.push(step);
  }
  if (stages.length === 0) throw lineError(file, 1, 'the Dockerfile has no FROM', 'a Dockerfile starts with FROM IMAGE');
  let target = stages[stages.length - 1]!;
  if (opts.target !== undefined) {
    const t = stages.find((s) => s.name === opts.target!.toLowerCase());
    if (!t) throw lineError(file, 1, `target stage "${opts.target}" could not be found`, `the stages are named with FROM ... AS NAME: ${stages.map((s) => s.name).filter(Boolean).join(', ') || 'none'}`);
    target = t;
  }
  const order: number[] = [];
  const visit = (s: Stage): void => {
    if (order.includes(s.index)) return;
    for (const d of s.deps) visit(stages[d]!);
    order.push(s.index);
  };
  visit(target);
  return { stages, order, metaArgs: meta, file, escape: parsed.escape, ...(parsed.syntax ? { syntax: parsed.syntax } : {}) };
}
