/**
 * Compiled seccomp programs, kept in a directory under the runtime's state
 * root. Compiling Docker's default profile (about 400 syscalls, two
 * architectures) takes 3-6 ms in a fresh process, and every container the
 * engine starts compiles the same profile again; reading the program back
 * takes a fraction of a millisecond.
 *
 * A program is found by a hash of the profile (its JSON) and of the
 * compiler (a cheap 64-bit one: node:crypto's first use costs 2-4 ms, and
 * the file holds the profile's JSON, which must equal the one asked for, so
 * a collision, even a made one, only misses the cache): MOBY_DICK_BUILD_ID, a hash of the sources that
 * scripts/bundle.mjs defines, so that another build of moby-dick never uses
 * the programs of this one. Without it (the modules compiled by tsc, as the
 * unit tests run them) nothing is cached. File names start with a hash of
 * the build alone: a build that writes a program removes those of others.
 *
 * What is read back becomes the container's filter, so only files this
 * process's user owns and nobody else may write, in a directory likewise,
 * are believed; anything else (a torn or foreign file, another owner) is
 * ignored and compiled afresh. The cache is an optimisation: failing to
 * read or write it never fails a create.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledSeccomp } from './seccomp.js';
import type { Spec } from '../spec/schema.js';

type Seccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;

declare const MOBY_DICK_BUILD_ID: string;

/** Which build of the compiler made a program; undefined when the build does not say (no caching). */
export const BUILD_ID: string | undefined = typeof MOBY_DICK_BUILD_ID === 'string' ? MOBY_DICK_BUILD_ID : undefined;

/**
 * A cheap 64-bit hash of S, 16 hex digits: its UTF-8 bytes as 32-bit words
 * through two multiplicative lanes (FNV's and MurmurHash2's primes). A
 * quarter of the steps of a byte-wise loop: the first call runs in V8's
 * interpreter, about 0.3 ms for Docker's default profile.
 */
export function cheapHash(s: string): string {
  const bytes = Buffer.alloc((Buffer.byteLength(s) + 3) & ~3); // its own ArrayBuffer: aligned, zero padded
  bytes.write(s);
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  let a = 0x811c9dc5 | 0;
  let b = 0x050c5d1f | 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    a = Math.imul(a ^ w, 0x01000193);
    b = Math.imul(b ^ w, 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** What the names of BUILD's files start with. */
export function buildPrefix(build: string): string {
  return `${cheapHash(build)}-`;
}

/** The cache's file name for PROFILE compiled by BUILD. */
export function cacheFile(profile: Seccomp, build: string, json = JSON.stringify(profile)): string {
  return `${buildPrefix(build)}${cheapHash(`${build}\0${json}`)}.json`;
}

/** Owned by us and writable by nobody else. */
function trusted(st: { uid: number; mode: number }): boolean {
  return st.uid === process.geteuid!() && (st.mode & 0o022) === 0;
}

function isCompiled(v: unknown): v is CompiledSeccomp {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    Number.isInteger(c.flags) &&
    Number.isInteger(c.instructions) &&
    typeof c.program === 'string' &&
    /^[0-9a-f]*$/.test(c.program) &&
    c.program.length === (c.instructions as number) * 16 &&
    (c.instructions as number) > 0
  );
}

function readCached(dir: string, file: string, json: string): CompiledSeccomp | undefined {
  let fd: number | undefined;
  try {
    if (!trusted(statSync(dir))) return undefined;
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile() || !trusted(st)) return undefined;
    const v: unknown = JSON.parse(readFileSync(fd, 'utf8'));
    // the hash is not a proof: the profile it was compiled from must be this one
    if ((v as { profile?: unknown } | null)?.profile !== json) return undefined;
    return isCompiled(v) ? { flags: v.flags, program: v.program, instructions: v.instructions } : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeCached(dir: string, file: string, compiled: CompiledSeccomp, prefix: string, json: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trusted(statSync(dir))) return;
    // other builds' programs are never read again
    for (const name of readdirSync(dir)) if (!name.startsWith(prefix)) rmSync(join(dir, name), { force: true });
    // beside it, then rename: a reader sees the whole program or none
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...compiled, profile: json }), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // a read-only or full state root: the next create compiles again
  }
}

/**
 * PROFILE compiled by COMPILE, from DIR when this build compiled it before.
 * DIR undefined, or no BUILD_ID: compiled every time.
 */
export function cachedSeccomp(
  profile: Seccomp,
  dir: string | undefined,
  compile: (p: Seccomp) => CompiledSeccomp,
  buildId: string | undefined = BUILD_ID,
): CompiledSeccomp {
  if (dir === undefined || buildId === undefined) return compile(profile);
  const json = JSON.stringify(profile);
  const file = join(dir, cacheFile(profile, buildId, json));
  const hit = readCached(dir, file, json);
  if (hit) return hit;
  const compiled = compile(profile);
  writeCached(dir, file, compiled, buildPrefix(buildId), json);
  return compiled;
}
