/**
 * Running the host's network tools (`ip`, `nft`) with a script
 * on stdin, through the addon's posix_spawn: cheaper than child_process
 * (which forks the whole Node process and loads streams) and enough for
 * programs whose only output we need is an error message.
 */
import { closeSync, existsSync, readSync, writeSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import { type NativeAddon, nativeAddon } from '../helper/native-addon.js';

const DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const found = new Map<string, string>();

/** Where NAME is installed; the package to install when it is not. */
export function programPath(name: string, pkg: string): string {
  const known = found.get(name);
  if (known) return known;
  const path = DIRS.map((d) => `${d}/${name}`).find((p) => existsSync(p));
  if (!path) throw new MobyDickError('NETWORK', `${name} is not installed; moby-dick's networking needs it`, { subject: name, hint: `apt-get install -y ${pkg}` });
  found.set(name, path);
  return path;
}

const PACKAGES: Record<string, string> = { ip: 'iproute2', nft: 'nftables' };

/** How a program run by spawnCapturing ended, and what it printed on stderr. */
export interface Captured {
  code: number;
  signal: number;
  stderr: string;
}

/** What spawnCapturing needs of the addon (a test gives its own). */
export type ToolSyscalls = Pick<NativeAddon, 'pipe' | 'spawn' | 'wait'>;

/**
 * Runs FILE with ARGV (argv[0] included) through the addon's posix_spawn:
 * INPUT on its stdin, stdout to /dev/null, stderr captured (a short message
 * is all these programs print), and EXTRA fds as its fds 3, 4, ... (-1: none).
 */
export function spawnCapturing(file: string, argv: readonly string[], input: string, extra: readonly number[] = [], addon: ToolSyscalls = nativeAddon()): Captured {
  const [inR, inW] = addon.pipe();
  const [errR, errW] = addon.pipe();
  let pid: number;
  try {
    pid = addon.spawn(file, [...argv], [inR, -1, errW, ...extra]);
  } catch (e) {
    closeSync(inW);
    closeSync(errR);
    throw e;
  } finally {
    closeSync(inR);
    closeSync(errW);
  }
  try {
    if (input) writeSync(inW, input);
  } catch {
    /* it ended early: its status says why */
  } finally {
    closeSync(inW);
  }
  const [code, signal] = addon.wait(pid);
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (let n; (n = readSync(errR, buf)) > 0; ) chunks.push(Buffer.from(buf.subarray(0, n)));
  closeSync(errR);
  return { code, signal, stderr: Buffer.concat(chunks).toString('utf8') };
}

/**
 * Runs NAME ARGS with INPUT on its stdin; throws what it printed on stderr
 * (with STEP, what we were doing) when it fails.
 */
export function runTool(name: string, args: readonly string[], input: string, step: string, sys?: ToolSyscalls): void {
  const { code, signal, stderr } = spawnCapturing(programPath(name, PACKAGES[name] ?? name), [name, ...args], input, [], sys);
  if (code !== 0) {
    const message = stderr.trim().split('\n').slice(0, 3).join('; ');
    throw new MobyDickError('NETWORK', `${step}: ${name} failed (${signal > 0 ? `signal ${signal}` : `exit ${code}`}): ${message}`, { step, subject: name });
  }
}
