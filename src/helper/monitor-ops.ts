/**
 * A container that can outlive the engine gets a monitor (the C helper's
 * native/src/watch.c, as Podman's conmon): it keeps the container's stdio,
 * writes Docker's json-file log, serves the attach socket, and records the
 * exit. monitorOps() turns what the engine decided into the plan's ops;
 * parseExitRecord() reads the exit file the monitor writes.
 */
import { isAbsolute } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { Op } from './plan.js';

export interface MonitorLog {
  /** the json-file log; rotated files are PATH.1, PATH.2, ... (Docker's names) */
  path: string;
  /** rotate before the file would pass this many bytes; 0 (default): never */
  maxSize?: number;
  /** files in all, the current one included (Docker's max-file); default 1 */
  maxFiles?: number;
}

export interface MonitorOptions {
  /** where the container's stdout and stderr go; without it they are read and dropped */
  log?: MonitorLog;
  /** the exit file: JSON (ExitRecord) written when the container's init ends */
  exitFile?: string;
  /** a unix socket for attach clients (its directory made by the caller, mode 0700) */
  attachSocket?: string;
  /** the container's stdin is fed from attach clients (Docker's -i); else it is /dev/null */
  stdinOpen?: boolean;
  /**
   * run after the exit file is written: argv, argv[0] an absolute path; not waited for; not
   * run when an attach client that handles the exit confirms it did (src/engine/attach.ts)
   */
  onExit?: readonly string[];
  /** the container's health checks, started by the monitor one at a time */
  health?: MonitorHealth;
}

/** How the monitor runs health checks (native/src/watch.c). */
export interface MonitorHealth {
  /**
   * one check: argv, argv[0] an absolute path; it prints the milliseconds until the next check
   * (everyMs when it prints nothing); session of its own, stdio /dev/null but stdout, env only PATH
   */
  command: readonly string[];
  /** milliseconds from the start to the first check */
  firstMs: number;
  everyMs: number;
  /** a check that runs this long is killed (0: never) */
  limitMs: number;
}

/** What the exit file holds (written by native/src/watch.c). */
export interface ExitRecord {
  /** the exit code, or 128+N when signal N ended the container (Docker's) */
  exitCode: number;
  /** the signal's name, e.g. "SIGKILL"; its number where it has no name; null when it exited */
  signal: string | number | null;
  /** when the monitor reaped it: RFC 3339 in UTC with up to 9 fractional digits */
  finishedAt: string;
}

/** sun_path holds 108 bytes with the terminating NUL */
const MAX_SOCKET_PATH = 107;

function invalid(message: string, subject: string, hint?: string): MobyDickError {
  return new MobyDickError('INVALID_CONFIG', message, { subject, ...(hint ? { hint } : {}) });
}

function absolute(path: string, what: string): string {
  if (!isAbsolute(path) || path.includes('\0')) throw invalid(`${what} ${JSON.stringify(path)} must be an absolute path`, path);
  return path;
}

function count(n: number | undefined, fallback: number, min: number, what: string): number {
  const v = n ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) throw invalid(`${what} must be a whole number >= ${min}, not ${v}`, String(v));
  return v;
}

/** The ops for a monitored container; none when OPTIONS asks for nothing. */
export function monitorOps(options: MonitorOptions): Op[] {
  const ops: Op[] = [];
  if (options.log) {
    const { path } = options.log;
    ops.push({
      op: 'log_json',
      path: absolute(path, 'log file'),
      maxSize: count(options.log.maxSize, 0, 0, 'log max-size'),
      maxFiles: count(options.log.maxFiles, 1, 1, 'log max-file'),
    });
  }
  if (options.stdinOpen) ops.push({ op: 'stdin_open' });
  if (options.attachSocket !== undefined) {
    const path = absolute(options.attachSocket, 'attach socket');
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw invalid(`attach socket path is longer than ${MAX_SOCKET_PATH} bytes: ${path}`, path, 'put the socket in a shorter directory');
    }
    ops.push({ op: 'attach_socket', path });
  }
  if (options.exitFile !== undefined) ops.push({ op: 'exit_file', path: absolute(options.exitFile, 'exit file') });
  if (options.onExit?.length) {
    absolute(options.onExit[0]!, 'on-exit command');
    for (const arg of options.onExit) {
      if (arg.includes('\0')) throw invalid('an on-exit argument contains a NUL byte', arg);
      ops.push({ op: 'on_exit', arg });
    }
  }
  if (options.health) {
    const h = options.health;
    absolute(h.command[0] ?? '', 'health check command');
    ops.push({ op: 'health_every', firstMs: count(h.firstMs, 0, 0, 'first health check'), everyMs: count(h.everyMs, 0, 1, 'health check interval'), limitMs: count(h.limitMs, 0, 0, 'health check limit') });
    for (const arg of h.command) {
      if (arg.includes('\0')) throw invalid('a health check argument contains a NUL byte', arg);
      ops.push({ op: 'health_cmd', arg });
    }
  }
  return ops;
}

/** Reads an exit file's text; null when it is not an exit record. */
export function parseExitRecord(text: string): ExitRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { exitCode, signal, finishedAt } = v as Record<string, unknown>;
  if (typeof exitCode !== 'number' || typeof finishedAt !== 'string') return null;
  if (signal !== null && typeof signal !== 'string' && typeof signal !== 'number') return null;
  return { exitCode, signal, finishedAt };
}
