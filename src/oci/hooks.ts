/**
 * OCI hooks. prestart, createRuntime, poststart and poststop run in the
 * runtime's namespaces; createContainer and startContainer in the
 * container's, through the helper joining them (before pivot_root for
 * createContainer, after it for startContainer). Each gets the container's
 * state on stdin (status creating for the three of create, created for
 * startContainer, running for poststart, stopped for poststop; the pid as
 * the namespace it runs in sees it, as the spec says) and is killed at its
 * timeout. A failing hook before start
 * fails the operation; poststart and poststop failures are warnings, as
 * the spec says.
 */
import type { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../errors.js';
import { interpret } from '../helper/container.js';
import { helperPath } from '../helper/helper-path.js';
import type { Op } from '../helper/plan.js';
import { encodePlan, RecordSplitter } from '../helper/plan-wire.js';
import { compileExecPlan } from './exec-plan.js';
import { namespacesShared } from './proc.js';
import type { HookEntry, Hooks, Spec } from '../spec/schema.js';
import type { OciState } from './state.js';

export type HookKind = keyof Hooks;

/** child_process only when a hook runs: loading it costs every runtime command ~3 ms. */
function childProcess(): typeof import('node:child_process') {
  return process.getBuiltinModule('node:child_process');
}

function hookFailed(kind: HookKind, hook: HookEntry, why: string): MobyDickError {
  return new MobyDickError('SETUP', `${kind} hook ${hook.path} failed: ${why}`, { step: `${kind} hook`, subject: hook.path });
}

/** A hook need not read its stdin: the state it left unread is not a failure. */
function failed(r: ReturnType<typeof spawnSync>): boolean {
  const unread = (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
  return (r.error !== undefined && !unread) || r.signal !== null || r.status !== 0;
}

function explain(r: ReturnType<typeof spawnSync>, hook: HookEntry): string {
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') return `timed out after ${hook.timeout} s`;
  if (r.error && code !== 'EPIPE') return r.error.message;
  if (r.signal) return `killed by ${r.signal}`;
  const stderr = String(r.stderr ?? '').trim();
  return `exit status ${r.status}${stderr ? `: ${stderr}` : ''}`;
}

/** Runs one hook in this process's namespaces. */
function runHere(hook: HookEntry, state: OciState): string | null {
  const [argv0, ...args] = hook.args ?? [hook.path];
  const r = childProcess().spawnSync(hook.path, args, {
    argv0,
    input: JSON.stringify(state),
    env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    timeout: hook.timeout === undefined ? undefined : hook.timeout * 1000,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'inherit', 'pipe'],
  });
  return failed(r) ? explain(r, hook) : null;
}

/** The plan that runs a hook inside the namespaces of PID (those made and those joined by path, as exec). */
export function hookPlan(spec: Spec, pid: number, hook: HookEntry, sharedWithRuntime?: ReadonlySet<string>): Op[] {
  const process = { user: { uid: 0, gid: 0 }, args: hook.args ?? [hook.path], env: hook.env ?? [], cwd: '/' };
  const plan = compileExecPlan(spec, pid, { process, detach: false, sharedWithRuntime });
  return plan.flatMap((op): Op[] => (op.op === 'exec' ? [{ op: 'exec_path', path: hook.path }, op] : [op]));
}

/**
 * PID as the container sees it (the runtime spec: "for hooks executed in
 * the container namespace, it is the pid as seen by the container"; runc
 * gives its init's getpid()): the last of /proc/PID/status's NSpid, the
 * pid in the innermost pid namespace, which is the container's.
 */
export function pidInContainer(pid: number, status = (): string => readFileSync(`/proc/${pid}/status`, 'utf8')): number {
  let text: string;
  try {
    text = status();
  } catch {
    return pid; // gone: the hook fails on joining its namespaces anyway
  }
  const line = text.split('\n').find((l) => l.startsWith('NSpid:'));
  const last = Number(line?.trim().split(/\s+/).at(-1));
  return Number.isInteger(last) && last > 0 ? last : pid;
}

/** Runs one hook in the container's namespaces through the helper, synchronously. */
function runInContainer(kind: HookKind, hook: HookEntry, state: OciState, spec: Spec, workDir: string): string | null {
  const planFile = join(workDir, `${kind}.plan`);
  const statusFile = join(workDir, `${kind}.status`);
  writeFileSync(planFile, encodePlan(hookPlan(spec, state.pid, hook, namespacesShared(state.pid))));
  const planFd = openSync(planFile, 'r');
  const statusFd = openSync(statusFile, 'w');
  try {
    const r = childProcess().spawnSync(helperPath(), [String(process.pid), 'seal'], {
      input: JSON.stringify({ ...state, pid: pidInContainer(state.pid) }),
      env: {},
      timeout: hook.timeout === undefined ? undefined : hook.timeout * 1000,
      killSignal: 'SIGKILL',
      stdio: ['pipe', 2, 'pipe', planFd, statusFd],
    });
    if (failed(r) && r.status === null) return explain(r, hook);
    const records = new RecordSplitter().push(readFileSync(statusFile));
    const result = interpret(records, { code: r.status ?? -1, signal: -1 });
    if (result instanceof MobyDickError) return result.message;
    return result.exitCode === 0 ? null : explain({ ...r, status: result.exitCode }, hook);
  } finally {
    closeSync(planFd);
    closeSync(statusFd);
    rmSync(planFile, { force: true });
    rmSync(statusFile, { force: true });
  }
}

export interface HookContext {
  spec: Spec;
  state: OciState;
  /** a directory of the container's to keep the helper's files in */
  workDir: string;
  warn: (message: string) => void;
}

const IN_CONTAINER: readonly HookKind[] = ['createContainer', 'startContainer'];
const WARN_ONLY: readonly HookKind[] = ['poststart', 'poststop'];

export function runHooks(kind: HookKind, ctx: HookContext): void {
  for (const hook of ctx.spec.hooks?.[kind] ?? []) {
    const failure = IN_CONTAINER.includes(kind)
      ? runInContainer(kind, hook, ctx.state, ctx.spec, ctx.workDir)
      : runHere(hook, ctx.state);
    if (failure === null) continue;
    if (WARN_ONLY.includes(kind)) ctx.warn(`${kind} hook ${hook.path} failed: ${failure}`);
    else throw hookFailed(kind, hook, failure);
  }
}
