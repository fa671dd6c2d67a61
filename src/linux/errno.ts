import { getSystemErrorMap } from 'node:util';

// libuv's table: negative errno -> [name, message].
let table: Map<number, [string, string]> | undefined;

/** What the helper reports that libuv's table lacks. */
const MISSING: ReadonlyMap<number, [string, string]> = new Map([[8, ['ENOEXEC', 'exec format error']]]);

function lookup(errno: number): [string, string] | undefined {
  table ??= getSystemErrorMap();
  return table.get(-errno) ?? MISSING.get(errno);
}

/** The errno's symbolic name (ENOENT) for a number the C helper reports. */
export function errnoName(errno: number): string {
  return lookup(errno)?.[0] ?? `errno ${errno}`;
}

/** A lower-case description, e.g. "no such file or directory". */
export function errnoMessage(errno: number): string {
  return lookup(errno)?.[1] ?? errnoName(errno);
}
