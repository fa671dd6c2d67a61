/**
 * The wire between the launcher (native/launcher/fast-service.c) and the
 * compile service (compile-service.ts): frames of a 4-byte little-endian
 * length and NUL-terminated fields, both ways. The names below are the
 * launcher's too (fast.h); compile-wire.test.ts checks that they agree.
 *
 *   launcher → service   request STAMP CWD UMASK ARGC ARG... ENVC NAME=VALUE...
 *                        spawned PID (with the plan pipe's write end and the
 *                        status pipe's read end, SCM_RIGHTS) | spawn-failed WHY
 *                        waited CODE SIGNAL
 *                        signal NUMBER (one the launcher got, after `signals`)
 *   service → launcher   refuse WHY | spawn HELPER SEALED PRESERVE_FDS | wait
 *                        out FD BYTES | exit CODE
 *                        signals NUMBER... (a foreground run or exec: from
 *                        now on, catch these and send them as `signal`)
 */

/** the commands the launcher asks the service for (which of their forms: compile-request.ts) */
export const SERVICE_COMMAND = 'create';
export const SERVICE_EXEC = 'exec';
export const SERVICE_RUN = 'run';
/** the hidden runtime command that runs the service */
export const SERVICE_START = 'compile-service';
/** the service's directory under the state root (not a container id: '@' is not allowed in one) */
export const SERVICE_DIR = '@compile';
export const SERVICE_SOCKET = 'sock';
/** the service's pid, for whoever wants it gone */
export const SERVICE_PID = 'pid';
/** the build's stamp, which the launcher hands the service it starts */
export const SERVICE_STAMP_ENV = 'MOBY_DICK_COMPILE_STAMP';
/** the environment a request carries: what the runtime reads of its own */
export const SERVICE_ENV_PREFIX = 'MOBY_DICK_';
export const FRAME_MAX = 1 << 20;

export type Field = string | Buffer;

export function encodeFrame(fields: readonly Field[]): Buffer {
  const parts = fields.flatMap((f) => [typeof f === 'string' ? Buffer.from(f) : f, Buffer.alloc(1)]);
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

/**
 * A frame's fields. With RAW_FROM, the fields from that index on are one
 * Buffer (bytes that may hold NULs: `out`'s).
 */
export function splitFields(body: Buffer, rawFrom = Infinity): Buffer[] {
  const fields: Buffer[] = [];
  let start = 0;
  while (start < body.length) {
    if (fields.length === rawFrom) {
      fields.push(body.subarray(start, body.length - 1));
      break;
    }
    const end = body.indexOf(0, start);
    if (end < 0) throw new Error('compile service: a frame field without its NUL');
    fields.push(body.subarray(start, end));
    start = end + 1;
  }
  return fields;
}

/** Frames out of a byte stream, across chunk borders. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const n = this.pending.readUInt32LE(0);
      if (n === 0 || n > FRAME_MAX) throw new Error(`compile service: a frame of ${n} bytes`);
      if (this.pending.length < 4 + n) break;
      const body = this.pending.subarray(4, 4 + n);
      if (body[n - 1] !== 0) throw new Error('compile service: a frame without its final NUL');
      frames.push(Buffer.from(body));
      this.pending = this.pending.subarray(4 + n);
    }
    return frames;
  }
}

/** What a launcher asks for. */
export interface ServiceRequest {
  stamp: string;
  cwd: string;
  umask: number;
  argv: string[];
  env: Record<string, string>;
}

export function decodeRequest(fields: readonly Buffer[]): ServiceRequest {
  const text = fields.map((f) => f.toString('utf8'));
  const bad = (why: string): Error => new Error(`compile service: a request ${why}`);
  if (text[0] !== 'request' || text.length < 6) throw bad('too short');
  const [, stamp, cwd, umask] = text as [string, string, string, string];
  const argc = Number(text[4]);
  if (!/^\d+$/.test(text[4]!) || !/^\d+$/.test(umask) || 5 + argc >= text.length) throw bad('with a bad count');
  const argv = text.slice(5, 5 + argc);
  const envc = Number(text[5 + argc]);
  if (!/^\d+$/.test(text[5 + argc]!) || text.length !== 6 + argc + envc) throw bad('with a bad environment count');
  const env: Record<string, string> = {};
  for (const pair of text.slice(6 + argc)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw bad(`with an environment entry without "=": ${JSON.stringify(pair)}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { stamp, cwd, umask: Number(umask), argv, env };
}

export function encodeRequest(r: ServiceRequest): Buffer {
  const env = Object.entries(r.env).map(([k, v]) => `${k}=${v}`);
  return encodeFrame(['request', r.stamp, r.cwd, String(r.umask), String(r.argv.length), ...r.argv, String(env.length), ...env]);
}
