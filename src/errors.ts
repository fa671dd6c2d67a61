/**
 * Errors are values with context: what failed, on which object, the errno,
 * and what the user can do. One place (cli/report-error.ts) turns them into
 * a message and an exit code; the library hands them to the caller as is.
 */
export type ErrorCode =
  | 'NOT_ROOT'
  | 'USAGE'
  /** a command-line flag that does not parse: unknown, without its value, a value of the wrong form (exit 125 for every command, as Docker's CLI) */
  | 'FLAG'
  | 'INVALID_CONFIG'
  | 'ROOTFS'
  | 'COMMAND_NOT_FOUND'
  | 'COMMAND_NOT_EXECUTABLE'
  | 'SETUP'
  | 'HELPER'
  /** a tar archive or image layer that is corrupt, unsafe, or cannot be unpacked */
  | 'ARCHIVE'
  /** an image reference that does not parse, or an image that is not in the store */
  | 'IMAGE'
  /** talking to a registry: unreachable, refused, not found, bad data */
  | 'REGISTRY'
  /** the image store on disk: database, blobs, layers */
  | 'STORE'
  /** networks: bridges, addresses, published ports, nftables */
  | 'NETWORK'
  /** building an image: a Dockerfile that is wrong, a step that failed (exit 1, as docker build) */
  | 'BUILD'
  /** a --format template that does not parse or fails on a value (exit 1, as docker) */
  | 'TEMPLATE';

export interface ErrorDetails {
  /** the step of container setup that failed, e.g. "mount" */
  step?: string;
  /** errno as a number, e.g. 2 */
  errno?: number;
  /** its name, e.g. "ENOENT" */
  errnoName?: string;
  /** the path or value that failed */
  subject?: string;
  /** the container, where one is known */
  container?: string;
  /** the image reference, where one is known */
  image?: string;
  /** the layer or blob digest, where one is known */
  layer?: string;
  /** what the user can do about it */
  hint?: string;
  /** the exit status of a command that failed (a build's RUN) */
  status?: number;
}

/** Docker's exit codes: 125 engine error, 126 cannot execute, 127 not found. */
const EXIT_CODES: Record<ErrorCode, number> = {
  NOT_ROOT: 125,
  USAGE: 125,
  FLAG: 125,
  INVALID_CONFIG: 125,
  ROOTFS: 125,
  COMMAND_NOT_FOUND: 127,
  COMMAND_NOT_EXECUTABLE: 126,
  SETUP: 125,
  HELPER: 125,
  ARCHIVE: 125,
  IMAGE: 125,
  REGISTRY: 125,
  STORE: 125,
  NETWORK: 125,
  BUILD: 1,
  TEMPLATE: 1,
};

/**
 * Marks every MobyDickError, whichever copy of this module made it: the CLI's
 * lazily loaded bundles (images, validation) each carry their own copy, and
 * `instanceof` must recognise all of them.
 */
const BRAND = Symbol.for('moby-dick.MobyDickError');

export class MobyDickError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details: ErrorDetails;

  /** EXIT_CODE: where the CLI's convention is not the code's own (Docker exits 1 outside run and create) */
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, exitCode: number = EXIT_CODES[code]) {
    super(message);
    this.name = 'MobyDickError';
    this.code = code;
    this.exitCode = exitCode;
    this.details = details;
    Object.defineProperty(this, BRAND, { value: true });
  }
}
