/**
 * What the first word of a command line that is not one of registry.ts's
 * commands means. Docker's whole top-level vocabulary is reserved: a Docker
 * command moby-dick lacks is refused in one line (`moby-dick init` must not
 * start the host's init as pid 1), and a near-miss of a moby-dick command
 * that is no program on PATH (`imgaes`) gets "did you mean images?".
 * Everything else is the original form: a host program, run isolated
 * (`moby-dick ls -la`, `moby-dick /bin/bash`); `moby-dick -- WORD` is the
 * original form whatever WORD is. Pure but for programOnPath, which
 * main.ts passes in.
 */
import { accessSync, constants, statSync } from 'node:fs';

/**
 * Docker's top-level command words (`docker --help` of docker 28, with the
 * plugins most installs have: buildx, compose, init). moby-dick's own
 * commands are among them; the reserved words are the rest, derived from
 * the registry (reservedDockerWords), so a command added there is no longer
 * refused.
 */
export const DOCKER_COMMANDS: readonly string[] = [
  'attach', 'build', 'builder', 'buildx', 'checkpoint', 'commit', 'compose', 'config', 'container', 'context',
  'cp', 'create', 'diff', 'events', 'exec', 'export', 'history', 'image', 'images', 'import', 'info', 'init',
  'inspect', 'kill', 'load', 'login', 'logout', 'logs', 'manifest', 'network', 'node', 'pause', 'plugin',
  'port', 'ps', 'pull', 'push', 'rename', 'restart', 'rm', 'rmi', 'run', 'save', 'search', 'secret', 'service',
  'stack', 'start', 'stats', 'stop', 'swarm', 'system', 'tag', 'top', 'trust', 'unpause', 'update', 'version',
  'volume', 'wait',
];

/**
 * Docker words that are also everyday programs, worth running in the
 * original form: when one is on PATH it runs (`moby-dick node app.js`, a
 * Node.js engine's likeliest use), else it is refused as Docker's.
 */
export const PROGRAM_FIRST: ReadonlySet<string> = new Set(['node']);

/** The Docker commands moby-dick does not have: DOCKER_COMMANDS less the registry's names. */
export function reservedDockerWords(commandNames: readonly string[]): ReadonlySet<string> {
  const ours = new Set(commandNames);
  return new Set(DOCKER_COMMANDS.filter((w) => !ours.has(w)));
}

/**
 * The optimal string alignment distance of A and B: insertions, deletions,
 * substitutions and swaps of two neighbours (`imgaes` is one from `images`).
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The command WORD most likely meant, if it is a near-miss of one of NAMES:
 * one edit for words of up to four letters, two for longer ones (a looser
 * bound makes every short word a typo: `foo` is two from `top`).
 */
export function suggestCommand(word: string, names: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const limit = w.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    // lengths further apart than LIMIT are further apart than LIMIT edits
    if (Math.abs(name.length - w.length) > limit) continue;
    const distance = editDistance(w, name);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

export type FirstWord =
  /** the original form: a host program (or the original form's options) */
  | { kind: 'program' }
  /** a Docker command moby-dick does not have */
  | { kind: 'docker'; word: string }
  /** a near-miss of a moby-dick command */
  | { kind: 'typo'; word: string; suggestion: string };

/** A command as the registry lists it: hidden ones are not suggested. */
export interface NamedCommand {
  readonly name: string;
  readonly hidden?: boolean;
}

/**
 * What WORD (not one of COMMANDS) means. Options (`-e A=1 ls`) and
 * paths (`/bin/bash`, `./x`) are the original form; a reserved Docker word
 * is refused (PROGRAM_FIRST's only when not on PATH); a near-miss of a
 * command is a typo unless a program of that name is on PATH (`ls` is one
 * from `ps`); anything else is the original form. ON_PATH is asked only
 * when the answer depends on it.
 */
export function classifyFirstWord(
  word: string,
  commands: readonly NamedCommand[],
  onPath: (program: string) => boolean,
): FirstWord {
  if (word.startsWith('-') || word.includes('/') || word === '') return { kind: 'program' };
  if (reservedDockerWords(commands.map((c) => c.name)).has(word)) {
    return PROGRAM_FIRST.has(word) && onPath(word) ? { kind: 'program' } : { kind: 'docker', word };
  }
  const suggestion = suggestCommand(word, commands.filter((c) => !c.hidden).map((c) => c.name));
  if (suggestion !== undefined && !onPath(word)) return { kind: 'typo', word, suggestion };
  return { kind: 'program' };
}

/** Whether PROGRAM is an executable file in a directory of SEARCH_PATH (the original form resolves it so: it keeps the caller's PATH). */
export function programOnPath(program: string, searchPath: string = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): boolean {
  for (const dir of searchPath.split(':')) {
    if (dir === '') continue;
    try {
      const file = `${dir}/${program}`;
      if (statSync(file).isFile()) {
        accessSync(file, constants.X_OK);
        return true;
      }
    } catch {
      /* not here */
    }
  }
  return false;
}
