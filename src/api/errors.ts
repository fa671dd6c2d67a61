/**
 * Errors on the wire: Docker's `{"message": ...}` with the status Docker
 * uses. An ApiError carries its status; a MobyDickError from the engine is
 * given one by what it says (the engine's errors carry Docker's words:
 * "No such container", "Conflict.", "is not running", ...).
 */
import { MobyDickError } from '../errors.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400 for a request that is wrong, 403 for one that needs root of a rootless service, 404 for what does not exist, 409 for a state that forbids it, 500 else. */
const BY_WORDS: readonly [RegExp, number][] = [
  [/^No such (container|image|exec instance|volume|network)|\bnot found\b|does not exist|^no such/i, 404],
  [/^Cannot update container \S+: (Conflicting options|Memory limit should be smaller|Restart policy cannot be updated)/, 409],
  [/^Conflict\b|is already in use|cannot remove a (running|paused)|is not running|is already paused|is not paused|is paused|already exists|is in use|cannot (join|attach|exec)|You cannot (attach|remove)/i, 409],
];

/** The HTTP status of an error the engine or a handler threw. */
export function statusOf(e: unknown): number {
  if (e instanceof ApiError) return e.status;
  if (e instanceof MobyDickError) {
    for (const [re, status] of BY_WORDS) if (re.test(e.message)) return status;
    if (e.code === 'USAGE' || e.code === 'FLAG' || e.code === 'INVALID_CONFIG') return 400;
    // what an ordinary user's engine cannot do (rootless): forbidden, as a request that needs root
    if (e.code === 'NOT_ROOT') return 403;
    if (e.code === 'IMAGE' && /not found|No such image|pull access denied/i.test(e.message)) return 404;
    return 500;
  }
  return 500;
}

/** The message of the body: the error's own words, as Docker's (a MobyDickError's hint is for a terminal, and left out). */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
