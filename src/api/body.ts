/**
 * Reading a decoded JSON body field by field: each reader takes the value
 * and its field path and gives it typed, or throws a 400 naming the field
 * (a client's mistake never becomes a 500, nor reaches the engine).
 * `null` and absence read as undefined, as Go's decoder leaves them zero.
 */
import { ApiError } from './errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

function wrong(field: string, expected: string, v: unknown): ApiError {
  return new ApiError(400, `invalid ${field}: expected ${expected}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
}

export function object(v: unknown, field: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw wrong(field, 'an object', v);
  return v as JsonObject;
}

export function string(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrong(field, 'a string', v);
  return v;
}

export function boolean(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrong(field, 'a boolean', v);
  return v;
}

export function integer(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw wrong(field, 'an integer', v);
  return v;
}

export function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw wrong(field, 'an array of strings', v);
  return v as string[];
}

/** A string or an array of strings (Cmd and Entrypoint take both): always an array. */
export function stringOrStrings(v: unknown, field: string): string[] | undefined {
  if (typeof v === 'string') return [v];
  return strings(v, field);
}

export function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  const o = object(v, field);
  if (!o) return undefined;
  for (const [k, x] of Object.entries(o)) if (typeof x !== 'string') throw wrong(`${field}.${k}`, 'a string', x);
  return o as Record<string, string>;
}

export function array(v: unknown, field: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw wrong(field, 'an array', v);
  return v;
}
