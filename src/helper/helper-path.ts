/**
 * Where the C helper is. It is built to build/mdk-init next to the bundles;
 * the compiled modules (tests) sit deeper under build/, so look upward.
 * MOBY_DICK_HELPER overrides it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MobyDickError } from '../errors.js';

export const HELPER_NAME = 'mdk-init';

let cached: string | undefined;
let installDir: string | undefined;

/** Where the bundles were installed, for code that has no module URL of its own (the startup snapshot). */
export function useInstallDir(dir: string): void {
  installDir = dir;
  cached = undefined;
}

export function helperPath(): string {
  if (cached) return cached;
  const fromEnv = process.env.MOBY_DICK_HELPER;
  if (fromEnv) return (cached = fromEnv);
  let dir = installDir ?? dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, HELPER_NAME);
    if (existsSync(candidate)) return (cached = candidate);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new MobyDickError('HELPER', `cannot find the helper ${HELPER_NAME}`, {
    subject: HELPER_NAME,
    hint: 'build it with `make build` (or `npm ci`), or set MOBY_DICK_HELPER',
  });
}
