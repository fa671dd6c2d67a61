/**
 * The wire between TypeScript and the C helper (native/src/mdk.h describes
 * it from the other side): the plan as NUL-terminated strings on fd 3,
 * control messages after it, and status records read back from fd 4.
 */
import { opArgs } from './ops.js';
import type { Plan } from './plan.js';

export const PLAN_MAGIC = 'MDKPLAN1';

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
    // a copy: the caller's chunk is often its read buffer, which the next read overwrites
    this.pending = start === this.pending.length ? Buffer.alloc(0) : Buffer.from(this.pending.subarray(start));
    return out;
  }
}
