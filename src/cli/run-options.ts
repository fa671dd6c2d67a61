/**
 * The options `moby-dick COMMAND` and `moby-dick run` share, as Docker spells
 * them, and their conversion to a ContainerConfig. The parsing is pure and
 * unit-tested (run-options.test.ts).
 */
import { readFileSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import type { User } from '../helper/config.js';
import type { ParsedValues } from './args.js';

/** The flags `moby-dick COMMAND` and `moby-dick run` share, as Docker spells them. */
export const RUN_OPTIONS = {
  env: { type: 'string', short: 'e', multiple: true },
  'env-file': { type: 'string', multiple: true },
  workdir: { type: 'string', short: 'w' },
  user: { type: 'string', short: 'u' },
  hostname: { type: 'string' },
  tty: { type: 'boolean', short: 't' },
  interactive: { type: 'boolean', short: 'i' },
  init: { type: 'boolean' },
  debug: { type: 'boolean' },
  explain: { type: 'boolean', values: ['full', 'json', 'text'] },
  help: { type: 'boolean', short: 'h' },
} as const;

export type RunFlags = ParsedValues<typeof RUN_OPTIONS>;

/** The help lines for RUN_OPTIONS. */
export const RUN_OPTIONS_HELP = `  -e, --env KEY=VALUE     set an environment variable (repeatable)
      --env-file FILE     read environment variables from a file (repeatable)
  -w, --workdir DIR       working directory inside the container
  -u, --user UID[:GID]    run as this user and group
      --hostname NAME     container hostname (default "containerhostname")
  -t, --tty               allocate a pseudo-terminal
  -i, --interactive       keep stdin open
      --init              run a minimal init as pid 1 that forwards signals
                          and reaps zombies
      --debug             print each isolation step and its duration
      --explain[=full|json]
                          explain, on stderr, how the container is made: a line
                          per step (what it isolates and why, its man page, its
                          time); =full: every step with its call; =json: for tools
  -h, --help              show this help`;

function usage(message: string, hint?: string): MobyDickError {
  return new MobyDickError('USAGE', message, { hint });
}

/** -u UID[:GID], numeric, as Docker takes it for images without /etc/passwd. */
export function parseUser(spec: string): User {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec);
  if (!m) {
    throw usage(`invalid user ${JSON.stringify(spec)}`, 'give a numeric UID or UID:GID; user names are not supported yet');
  }
  return { uid: Number(m[1]), gid: m[2] === undefined ? 0 : Number(m[2]) };
}

/**
 * One -e or --env-file entry: KEY=VALUE as is; a bare KEY takes its value
 * from LOOKUP (the caller's environment) and is dropped when unset.
 */
export function expandEnvEntry(entry: string, lookup: Record<string, string | undefined>): string | null {
  if (entry.includes('=')) {
    if (entry.startsWith('=')) throw usage(`invalid environment variable ${JSON.stringify(entry)}`);
    return entry;
  }
  if (entry === '') throw usage('invalid environment variable ""');
  const value = lookup[entry];
  return value === undefined ? null : `${entry}=${value}`;
}

/** Docker's env-file format: KEY=VALUE or KEY lines, # comments, blank lines. */
export function parseEnvFile(text: string, lookup: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const entry = expandEnvEntry(line, lookup);
    if (entry !== null) out.push(entry);
  }
  return out;
}

function readEnvFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw usage(`cannot read env file ${path}: ${code}`, 'give --env-file a readable file');
  }
}

/** BASE, then env files, then -e flags; a later KEY replaces an earlier one. */
export function mergeEnv(base: readonly string[], flags: RunFlags, lookup: Record<string, string | undefined>): string[] {
  const entries = [...base];
  for (const file of flags['env-file'] ?? []) entries.push(...parseEnvFile(readEnvFile(file), lookup));
  for (const e of flags.env ?? []) {
    const entry = expandEnvEntry(e, lookup);
    if (entry !== null) entries.push(entry);
  }
  const byKey = new Map<string, string>();
  for (const e of entries) {
    const key = e.slice(0, e.indexOf('='));
    byKey.delete(key); // keep the order of the last definition
    byKey.set(key, e);
  }
  return [...byKey.values()];
}

export function hostEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .filter((kv): kv is [string, string] => kv[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
}
