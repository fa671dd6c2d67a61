/**
 * A command run as root of this user's user namespace (the maps every
 * rootless container of the user gets: rootless.ts), on the host's
 * filesystem view: what the rootless store needs done with the ids of its
 * files — unpack a layer with its owners, remove a tree whose files belong
 * to the user's subordinate ids. The process is the original form's
 * container (jail/start.ts with no rootfs): new user, mount, pid, network,
 * uts, ipc and cgroup namespaces, Docker's default capabilities within
 * the user namespace and its seccomp profile, so it can reach nothing of
 * the host that the user could not.
 */
import type { NamespaceCommands } from '../rootless/namespace-commands.js';
import { startContainer } from './start.js';

export interface UsernsResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs COMMAND as uid 0 of the user's user namespace; INPUT, when given, is
 * its stdin (to the end, or until the command stops reading); PASS_FDS are
 * fds of this process it gets at 3, 4, ...
 */
export async function runInUserNamespace(command: readonly string[], input?: AsyncIterable<Buffer>, passFds: readonly number[] = []): Promise<UsernsResult> {
  const c = startContainer({ command, interactive: input !== undefined }, { stdio: 'pipe', passFds });
  const collect = (s: NodeJS.ReadableStream | null): Promise<string> =>
    new Promise((resolve) => {
      if (!s) return resolve('');
      const parts: Buffer[] = [];
      s.on('data', (b: Buffer) => parts.push(b));
      s.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      s.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
    });
  const out = collect(c.stdout);
  const err = collect(c.stderr);
  let feeding: Promise<void> = Promise.resolve();
  if (c.stdin) {
    const stdin = c.stdin;
    // a command that fails stops reading: its exit says why, not the broken pipe
    stdin.on('error', () => {});
    feeding = (async () => {
      if (input) {
        for await (const chunk of input) {
          if (stdin.destroyed) break;
          if (!stdin.write(chunk)) await new Promise<void>((res) => { stdin.once('drain', res); stdin.once('close', res); });
        }
      }
      stdin.end();
    })().catch(() => void stdin.destroy());
  }
  const [status, stdout, stderr] = await Promise.all([c.wait(), out, err, feeding]);
  return { code: status.exitCode, stdout, stderr };
}

/**
 * Runs COMMAND as uid 0 of the user's user namespace with its stdout going
 * to OUT (not ended: a tar the caller may still add to or close; once OUT
 * is closed early, the rest is read and dropped, so the command still
 * ends); its exit code and stderr. PASS_FDS are fds of this process it
 * gets at 3, 4, ...
 */
export async function streamFromUserNamespace(command: readonly string[], out: NodeJS.WritableStream, passFds: readonly number[] = []): Promise<{ code: number; stderr: string }> {
  const c = startContainer({ command }, { stdio: 'pipe', passFds });
  c.stdin?.end();
  out.once('close', () => {
    c.stdout?.unpipe();
    c.stdout?.resume();
  });
  const parts: Buffer[] = [];
  c.stderr?.on('data', (b: Buffer) => parts.push(b));
  const copied = new Promise<void>((resolve, reject) => {
    const src = c.stdout;
    if (!src) return resolve();
    src.on('error', reject);
    src.on('end', resolve);
    src.pipe(out, { end: false });
  });
  const [status] = await Promise.all([c.wait(), copied, new Promise<void>((resolve) => (c.stderr ? c.stderr.on('close', resolve) : resolve()))]);
  return { code: status.exitCode, stderr: Buffer.concat(parts).toString('utf8') };
}

/** This CLI's hidden commands (SELF: how to run it again, cli/self-command.ts) as root of the user's user namespace. */
export function cliInUserNamespace(self: readonly string[]): NamespaceCommands {
  return {
    run: (args, input, passFds) => runInUserNamespace([...self, ...args], input, passFds),
    stream: (args, out, passFds) => streamFromUserNamespace([...self, ...args], out, passFds),
    spawn: (args) => {
      const c = startContainer({ command: [...self, ...args], interactive: true }, { stdio: 'pipe' });
      return { stdin: c.stdin!, stdout: c.stdout!, stderr: c.stderr!, wait: async () => (await c.wait()).exitCode };
    },
  };
}
