/**
 * API versions: the one moby-dick claims (its /_ping's API-Version, the
 * highest a client negotiates) and the lowest it serves, and the version a
 * request's path asks for (`/v1.41/containers/json`; none: the highest).
 * Versions compare by their two numbers, as Docker's do.
 */
import { API_VERSION, MIN_API_VERSION } from '../engine/system-info.js';
import { ApiError } from './errors.js';

// the engine's (engine/system-info.ts): `moby-dick version` prints it too
export { API_VERSION, MIN_API_VERSION };

/** [major, minor] of "1.41"; undefined when it is not one */
export function parseVersion(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** <0, 0, >0 as A is lower, the same, higher than B */
export function compareVersions(a: string, b: string): number {
  const [am, an] = parseVersion(a) ?? [0, 0];
  const [bm, bn] = parseVersion(b) ?? [0, 0];
  return am !== bm ? am - bm : an - bn;
}

/** The path without its `/vN.NN` prefix, and the version it asks for (Docker's errors for one outside the range). */
export function splitVersion(path: string): { version: string; path: string } {
  const m = /^\/v([0-9.]+)(\/.*)?$/.exec(path);
  if (!m) return { version: API_VERSION, path };
  const version = m[1]!;
  const rest = m[2] ?? '/';
  if (!parseVersion(version)) throw new ApiError(400, `invalid API version: ${version}`);
  if (compareVersions(version, API_VERSION) > 0) {
    throw new ApiError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new ApiError(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, path: rest };
}
