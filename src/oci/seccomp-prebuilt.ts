/**
 * The default seccomp profile (spec/seccomp-profile.ts) compiled at build
 * time, for the capability sets containers get unless told otherwise:
 * Docker's 14 and the jail's 13. scripts/bundle.mjs calls prebuildSeccomp
 * and defines MOBY_DICK_PREBUILT_SECCOMP as what it returns, so a jail
 * (`run --rootfs`, the library's runContainer) with the default
 * capabilities neither compiles its filter nor reads it from the cache
 * (seccomp-cache.ts: hashing the profile, reading and parsing the file;
 * about 0.6 ms of CPU per run).
 *
 * A program is found by seccompProfileKey(caps), the capabilities the
 * profile looks at: every other input of the profile (the syscall tables,
 * the rules) is this build's source, from which the program was compiled.
 * Without the define (the modules compiled by tsc, as the unit tests run
 * them) the table is empty and every profile goes through the cache.
 */
import { JAIL_CAPABILITIES } from '../helper/config.js';
import { type Capability, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { defaultSeccompProfile, seccompProfileKey } from '../spec/seccomp-profile.js';
import { type CompiledSeccomp, compileSeccomp } from './seccomp.js';

/** Compiled default profiles, by seccompProfileKey. */
export type PrebuiltSeccomp = Readonly<Record<string, CompiledSeccomp>>;

declare const MOBY_DICK_PREBUILT_SECCOMP: PrebuiltSeccomp;

/** The capability sets compiled at build time: Docker's default, and the jail's (resolveConfig's default). */
export const PREBUILT_CAPABILITY_SETS: readonly (readonly Capability[])[] = [DOCKER_DEFAULT_CAPABILITIES, JAIL_CAPABILITIES];

/** The default profile of each of CAP_SETS, compiled (what the build defines). */
export function prebuildSeccomp(capSets: readonly (readonly Capability[])[] = PREBUILT_CAPABILITY_SETS): PrebuiltSeccomp {
  const table: Record<string, CompiledSeccomp> = {};
  for (const caps of capSets) table[seccompProfileKey(caps)] ??= compileSeccomp(defaultSeccompProfile(caps));
  return table;
}

/** This build's table; empty without the build's define. */
export const PREBUILT_SECCOMP: PrebuiltSeccomp = typeof MOBY_DICK_PREBUILT_SECCOMP === 'object' ? MOBY_DICK_PREBUILT_SECCOMP : {};

/** defaultSeccompProfile(CAPS) compiled, when TABLE holds it. */
export function prebuiltSeccomp(caps: readonly Capability[], table: PrebuiltSeccomp = PREBUILT_SECCOMP): CompiledSeccomp | undefined {
  const key = seccompProfileKey(caps);
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
