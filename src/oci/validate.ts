/**
 * Parses and validates config.json and process.json; every problem names its
 * field path. Loaded only by the commands that read them (see loadSpec):
 * zod and the schema cost about 10 ms to load, which `state`, `kill` and
 * `delete` should not pay.
 */
import type { z } from 'zod';
// the seccomp compiler and its syscall tables travel in this bundle too: only create, run and exec need them
export { compileSeccomp } from './seccomp.js';
import { MobyDickError } from '../errors.js';
import { type Process, ProcessSchema, type Resources, ResourcesSchema, type Spec, SpecSchema } from './spec.js';

/** Parses TEXT as JSON and checks it against SCHEMA; errors name FILE and the field path. */
function check<T>(schema: z.ZodType<T>, text: string, file: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MobyDickError('INVALID_CONFIG', `${file}: not valid JSON: ${(e as Error).message}`, { subject: file });
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const where = fieldPath(i.path) || '(top level)';
    const message = i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` : i.message.charAt(0).toLowerCase() + i.message.slice(1);
    return `${where}: ${message}`;
  });
  throw new MobyDickError('INVALID_CONFIG', `${file}: ${problems.join('; ')}`, {
    subject: result.error.issues[0] ? fieldPath(result.error.issues[0].path) : file,
    hint: 'fix the fields named; `moby-dick-runtime spec` writes a valid example',
  });
}

function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

export function parseSpec(text: string, file = 'config.json'): Spec {
  const spec = check(SpecSchema, text, file);
  if (!spec.root) throw new MobyDickError('INVALID_CONFIG', `${file}: root: required`, { subject: 'root' });
  if (!spec.process) throw new MobyDickError('INVALID_CONFIG', `${file}: process: required`, { subject: 'process' });
  return spec;
}

export function parseResources(text: string, file: string): Resources {
  return check(ResourcesSchema, text, file);
}

export function parseProcess(text: string, file: string): Process {
  return check(ProcessSchema, text, file);
}
