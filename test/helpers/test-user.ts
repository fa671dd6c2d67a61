/**
 * An ordinary user for the rootless tests, made by the test and removed
 * after: `useradd` with a test-prefixed name (no home directory), with or
 * without a range in /etc/subuid and /etc/subgid (usermod --add-subuids,
 * which locks the files as the shadow tools do), and a private
 * XDG_RUNTIME_DIR and TMPDIR under a test-prefixed temp directory. Its
 * commands run through setpriv with the user's ids and groups.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type CliOptions, type CliResult, run } from './cli.js';
import { TEST_PREFIX } from './rootfs.js';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** the first subordinate id and how many, when it has a range */
  sub?: { start: number; count: number };
  /** its own directory (0700): XDG_RUNTIME_DIR, TMPDIR and XDG_DATA_HOME are under it */
  home: string;
  env: NodeJS.ProcessEnv;
  /** runs FILE ARGS as the user */
  run(file: string, args: readonly string[], options?: CliOptions): Promise<CliResult>;
  /** a new directory of the user's for a test's host files: HOME/tmp/WHAT */
  dir(what: string): string;
  remove(): void;
}

const SUB_COUNT = 65536;

/** NAME's ranges in /etc/subuid or /etc/subgid (useradd gives a new user one where login.defs says SUB_UID_COUNT). */
function subRanges(file: string, name: string): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}:`))
    .map((l) => {
      const [, start, count] = l.split(':');
      return `${start}-${Number(start) + Number(count) - 1}`;
    });
}

/** A subordinate range above every one /etc/subuid and /etc/subgid hold (and above 3,000,000). */
function freeSubRange(): number {
  let top = 3_000_000;
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const [, start, count] = line.split(':');
      if (start && count) top = Math.max(top, Number(start) + Number(count));
    }
  }
  return top;
}

/** SIGKILL to every process of UID (what a failed test left), by pid. */
function killProcessesOf(uid: number): void {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const line = readFileSync(`/proc/${name}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:')) ?? '';
      if (Number(line.split(/\s+/)[1]) === uid) process.kill(Number(name), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

export function makeTestUser(kind: 'ranged' | 'single'): TestUser {
  const name = `${TEST_PREFIX}rl${kind[0]}${process.pid}`.slice(0, 31);
  execFileSync('useradd', ['--no-create-home', '--user-group', '--shell', '/bin/sh', name], { stdio: 'pipe' });
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  // whatever useradd gave it goes: the ranged user gets one range, the same in both files
  for (const range of subRanges('/etc/subuid', name)) execFileSync('usermod', ['--del-subuids', range, name], { stdio: 'pipe' });
  for (const range of subRanges('/etc/subgid', name)) execFileSync('usermod', ['--del-subgids', range, name], { stdio: 'pipe' });
  let sub: TestUser['sub'];
  if (kind === 'ranged') {
    const start = freeSubRange();
    const range = `${start}-${start + SUB_COUNT - 1}`;
    execFileSync('usermod', ['--add-subuids', range, '--add-subgids', range, name], { stdio: 'pipe' });
    sub = { start, count: SUB_COUNT };
  }
  const home = mkdtempSync(join('/tmp', `${TEST_PREFIX}rootless-`));
  for (const d of ['run', 'tmp', 'data']) mkdirSync(join(home, d), { mode: 0o700 });
  for (const d of ['', 'run', 'tmp', 'data']) chownSync(join(home, d), uid, gid);
  chmodSync(home, 0o700);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    USER: name,
    LOGNAME: name,
    XDG_RUNTIME_DIR: join(home, 'run'),
    XDG_DATA_HOME: join(home, 'data'),
    TMPDIR: join(home, 'tmp'),
  };
  return {
    name,
    uid,
    gid,
    ...(sub ? { sub } : {}),
    home,
    env,
    run: (file, args, options = {}) =>
      run('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', file, ...args], { ...options, env: { ...env, ...options.env } }),
    dir(what) {
      const d = join(home, 'tmp', what);
      mkdirSync(d);
      chownSync(d, uid, gid);
      return d;
    },
    remove() {
      killProcessesOf(uid);
      try {
        if (sub) {
          const range = `${sub.start}-${sub.start + sub.count - 1}`;
          execFileSync('usermod', ['--del-subuids', range, '--del-subgids', range, name], { stdio: 'pipe' });
        }
      } finally {
        // userdel removes what is left of its ranges too
        execFileSync('userdel', [name], { stdio: 'pipe' });
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}
