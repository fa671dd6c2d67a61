/**
 * A cgroup-v2-only test machine: QEMU with a software CPU (these machines'
 * /dev/kvm runs only specially built guests) boots the host's Debian kernel
 * with cgroup_no_v1=all, sees the host's / read-only, runs one command as
 * root and powers off. Everything is 20-40x slower inside than on the host.
 *
 * The VM writes nothing of the host's but a results directory of its own
 * (made here, removed afterwards): no cgroup, mount, process or network
 * of the host's is touched, so a run needs no integration lock.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vmArtifacts } from './artifacts.js';

export const QEMU = 'qemu-system-x86_64';
/** The variable that names, inside, a file whose lines reach onProgress while the command runs. */
export const PROGRESS_ENV = 'MDK_VM_PROGRESS';

export interface VmOptions {
  /** the command's working directory inside (default: this process's) */
  cwd?: string;
  /** its environment (default: PATH, HOME=/root, TERM and NODE_* of this process but NODE_TEST_CONTEXT) */
  env?: Record<string, string>;
  /** the whole run, boot included (default 10 minutes) */
  timeoutMs?: number;
  memoryMb?: number;
  cpus?: number;
  /** called with what RESULTS/progress holds each time it grows (a command may append to it) */
  onProgress?: (text: string) => void;
}

export interface VmResult {
  /** the command's exit status; null if it never reported one (the VM did not boot, or timed out) */
  code: number | null;
  stdout: string;
  stderr: string;
  /** the kernel's console (serial port): boot messages, the init's complaints */
  console: string;
  /** seconds from starting QEMU to its exit */
  seconds: number;
  timedOut: boolean;
}

/** ARG quoted for sh. */
export const shQuote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;

function defaultEnv(): Record<string, string> {
  const env: Record<string, string> = { HOME: '/root', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  // NODE_TEST_CONTEXT (set in a test file's process) would make a `node --test` inside run nothing
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (k === 'TERM' || k.startsWith('NODE_')) && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  return env;
}

/** The script the guest's init runs: the environment, the directory, then ARGV. */
export function commandScript(argv: readonly string[], cwd: string, env: Record<string, string>): string {
  const lines = Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`);
  lines.push(`cd ${shQuote(cwd)} || exit 125`, `exec ${argv.map(shQuote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** QEMU's command line for a run whose results directory is RESULTS. */
export function qemuArgs(vmlinux: string, initramfs: string, results: string, memoryMb: number, cpus: number, cwd = '/'): string[] {
  if (/[\s,]/.test(results)) throw new Error(`the VM's results directory ${results} has a space or comma`);
  if (/\s/.test(cwd)) throw new Error(`the VM cannot show the directory ${JSON.stringify(cwd)}: it has a space`);
  return [
    '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', String(cpus), '-m', String(memoryMb),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', vmlinux, '-initrd', initramfs,
    '-append', `console=ttyS0 cgroup_no_v1=all panic=-1 quiet loglevel=4 mdk.results=${results} mdk.show=${cwd}`,
    '-serial', `file:${join(results, 'console.log')}`,
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap,id=hostroot',
    '-virtfs', `local,path=${results},mount_tag=results,security_model=none,id=results`,
  ];
}

const readOr = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/**
 * Boots the VM, runs ARGV inside as root, and returns its output and exit
 * status. Throws (with what to install) when the VM cannot be made at all.
 */
export async function runInVm(argv: readonly string[], options: VmOptions = {}): Promise<VmResult> {
  const { vmlinux, initramfs } = vmArtifacts();
  const results = mkdtempSync(join(tmpdir(), 'mdk-vm-'));
  try {
    const cwd = options.cwd ?? process.cwd();
    writeFileSync(join(results, 'cmd.sh'), commandScript(argv, cwd, { ...(options.env ?? defaultEnv()), [PROGRESS_ENV]: join(results, 'progress') }));
    writeFileSync(join(results, 'progress'), '');
    const started = Date.now();
    let timedOut = false;
    await new Promise<void>((resolve, reject) => {
      const qemu = spawn(QEMU, qemuArgs(vmlinux, initramfs, results, options.memoryMb ?? 1536, options.cpus ?? 2, cwd), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      qemu.stderr.on('data', (b: Buffer) => void (stderr += b.toString()));
      const timer = setTimeout(() => {
        timedOut = true;
        qemu.kill('SIGKILL');
      }, options.timeoutMs ?? 600_000);
      let shown = 0;
      const progress = options.onProgress
        ? setInterval(() => {
            const text = readOr(join(results, 'progress'));
            if (text.length > shown) options.onProgress!(text.slice(shown));
            shown = text.length;
          }, 500)
        : undefined;
      qemu.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        clearInterval(progress);
        reject(new Error(`the test VM cannot boot: ${QEMU}: ${e.code ?? e.message}; run scripts/install-deps.sh (as root), which installs qemu-system-x86`));
      });
      qemu.on('exit', (code, signal) => {
        clearTimeout(timer);
        clearInterval(progress);
        if (options.onProgress) {
          const text = readOr(join(results, 'progress'));
          if (text.length > shown) options.onProgress(text.slice(shown));
        }
        if (code !== 0 && !timedOut) reject(new Error(`${QEMU} failed (${code ?? signal}): ${stderr.trim()}`));
        else resolve();
      });
    });
    const exit = readOr(join(results, 'exit')).trim();
    return {
      code: exit === '' ? null : Number(exit),
      stdout: readOr(join(results, 'stdout')),
      stderr: readOr(join(results, 'stderr')),
      console: readOr(join(results, 'console.log')),
      seconds: (Date.now() - started) / 1000,
      timedOut,
    };
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}
