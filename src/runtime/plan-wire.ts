/**
 * The wire between TypeScript and the C helper (native/src/mdk.h describes
 * it from the other side): the plan as NUL-terminated strings on fd 3,
 * control messages after it, and status records read back from fd 4.
 */
import type { Op, Plan } from './plan.js';

export const PLAN_MAGIC = 'MDKPLAN1';

const octal = (n: number): string => n.toString(8);

/** The arguments of each op, in the order native/src/plan.c expects them. */
export function opArgs(op: Op): string[] {
  switch (op.op) {
    case 'clone':
    case 'propagation':
    case 'unshare':
      return [String(op.flags)];
    case 'tty':
      return [op.interactive ? '1' : '0'];
    case 'debug':
    case 'stdin_open':
    case 'init':
    case 'detach':
    case 'exec_check':
    case 'fifo_wait':
    case 'release':
    case 'pivot':
    case 'move_root':
    case 'chroot':
    case 'setsid':
    case 'nonewprivs':
    case 'exec':
      return [];
    case 'mount_host':
    case 'mount':
      return [op.source, op.target, op.fstype, String(op.flags), op.data];
    case 'tree_clone':
      return [op.source, String(op.slot)];
    case 'setroot':
    case 'console_socket':
    case 'join_pid':
    case 'fifo_open':
    case 'exec_path':
    case 'attach_socket':
    case 'exit_file':
      return [op.path];
    case 'log_json':
      return [op.path, String(op.maxSize), String(op.maxFiles)];
    case 'on_exit':
      return [op.arg];
    case 'sync':
    case 'domainname':
      return [op.name];
    case 'setns':
      return [op.path, String(op.nstype)];
    case 'chown':
      return [op.path, String(op.uid), String(op.gid)];
    case 'propagate':
      return [op.target, String(op.flags)];
    case 'propagate_up':
      return [op.path, String(op.flags)];
    case 'procwrite':
      return [op.path, op.value];
    case 'seccomp':
      return [String(op.flags), op.program];
    case 'personality':
      return [String(op.persona)];
    case 'preserve_fds':
      return [String(op.count)];
    case 'rlimit':
      return [String(op.resource), op.soft, op.hard];
    case 'mkdir':
    case 'touch':
      return [op.path, octal(op.mode)];
    case 'mknod':
      return [op.path, octal(op.mode), String(op.major), String(op.minor)];
    case 'symlink':
      return [op.target, op.path];
    case 'tree_attach':
      return [String(op.slot), op.target];
    case 'remount':
      return [op.target, String(op.flags)];
    case 'mask':
    case 'readonly':
      return [op.path];
    case 'hostname':
      return [op.name];
    case 'umask':
      return [octal(op.mask)];
    case 'pty':
      return [op.console];
    case 'bounding':
      return [op.keep];
    case 'user':
      return [String(op.uid), String(op.gid), op.groups.join(',')];
    case 'caps':
      return [op.effective, op.permitted, op.inheritable, op.ambient];
    case 'cwd':
      return [op.path];
    case 'env':
    case 'arg':
      return [op.value];
  }
}

export function encodePlan(plan: Plan): Buffer {
  const parts: string[] = [PLAN_MAGIC];
  for (const op of plan) parts.push(op.op, ...opArgs(op));
  parts.push('end');
  return Buffer.from(parts.join('\0') + '\0');
}

export function encodeSignal(signal: number): Buffer {
  return Buffer.from(`signal\0${signal}\0`);
}

/** Ends the child's sync NAME. */
export function encodeResume(name: string): Buffer {
  return Buffer.from(`resume\0${name}\0`);
}

/**
 * Tells the helper to let go: an OCI create's helper leaves the parked
 * container and exits; a monitor (watch.c) stays with the container on its
 * own and closes fds 3 and 4.
 */
export const DETACH = Buffer.from('detach\0\0');

/** What the helper reports on fd 4. */
export type StatusRecord =
  | { kind: 'monitor'; pid: number }
  | { kind: 'pid'; pid: number }
  | { kind: 'step'; name: string; detail: string; nanoseconds: number }
  | { kind: 'error'; step: string; errno: number; detail: string }
  | { kind: 'sync'; name: string }
  | { kind: 'ready' }
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: number };

export function decodeRecord(text: string): StatusRecord | null {
  const [kind, a = '', b = '', ...rest] = text.split('\t');
  switch (kind) {
    case 'pid':
    case 'monitor':
      return { kind, pid: Number(a) };
    case 'step':
      return { kind, name: a, detail: b, nanoseconds: Number(rest[0] ?? 0) };
    case 'error':
      return { kind, step: a, errno: Number(b), detail: rest.join('\t') };
    case 'sync':
      return { kind, name: a };
    case 'ready':
      return { kind };
    case 'exit':
      return { kind, code: Number(a) };
    case 'signal':
      return { kind, signal: Number(a) };
    default:
      return null;
  }
}

/** Splits a byte stream into NUL-terminated records, across chunk borders. */
export class RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): StatusRecord[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: StatusRecord[] = [];
    let start = 0;
    for (let i = this.pending.indexOf(0); i !== -1; i = this.pending.indexOf(0, start)) {
      const rec = decodeRecord(this.pending.toString('utf8', start, i));
      if (rec) out.push(rec);
      start = i + 1;
    }
    this.pending = this.pending.subarray(start);
    return out;
  }
}
