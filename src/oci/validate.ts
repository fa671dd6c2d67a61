/**
 * Parses and validates config.json and process.json; every problem names its
 * field path. Loaded only by the commands that read them (see loadSpec):
 * zod and the schema cost about 10 ms to load, which `state`, `kill` and
 * `delete` should not pay.
 */
import type { z } from 'zod';
// the seccomp compiler and its syscall tables travel in this bundle too: only create, run and exec need them
export { compileSeccomp } from './seccomp.js';
import { dirname, resolve } from 'node:path';
import { MobyDickError } from '../errors.js';
import { checkSpecRules, type HostProbe, hostProbe } from './spec-rules.js';
import { type Process, ProcessSchema, type Resources, ResourcesSchema, type Spec, SpecSchema } from '../spec/schema.js';

/** Parses TEXT as JSON and checks it against SCHEMA; errors name FILE and the field path. */
function check<T>(schema: z.ZodType<T>, text: string, file: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MobyDickError('INVALID_CONFIG', `${file}: not valid JSON: ${jsonProblem((e as Error).message, text)}`, {
      subject: file,
      hint: 'fix the JSON syntax; `moby-dick-runtime spec` writes a valid example',
    });
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

/**
 * V8's JSON.parse message as one line: "at position N" becomes a line and
 * column, and the excerpt of the text some messages quote (which may span
 * lines: `Unexpected token 'x', ..."ion": x\n}" is not valid JSON`) is left out.
 */
export function jsonProblem(message: string, text: string): string {
  let problem = message.replace(/^(Unexpected token .+?), (?:\.\.\.)?".*" is not valid JSON$/s, '$1');
  const at = /^(.*?)(?: in JSON)? at position (\d+)(?: \(line \d+ column \d+\))?$/s.exec(problem);
  if (at) {
    const before = text.slice(0, Number(at[2]));
    const line = before.split('\n').length;
    problem = `${at[1]} at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
  }
  problem = problem.replace(/\s*\n\s*/g, ' ');
  return problem.charAt(0).toLowerCase() + problem.slice(1);
}

function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** FILE's text, checked against the schema and then the rules across fields (spec-rules.ts); PROBE asks the host. */
export function parseSpec(text: string, file = 'config.json', probe: HostProbe = hostProbe): Spec {
  const spec = check(SpecSchema, text, file);
  if (!spec.root) throw new MobyDickError('INVALID_CONFIG', `${file}: root: required`, { subject: 'root' });
  if (!spec.process) throw new MobyDickError('INVALID_CONFIG', `${file}: process: required`, { subject: 'process' });
  checkSpecRules(spec, dirname(resolve(file)), probe);
  return spec;
}

export { checkSpecRules };

export function parseResources(text: string, file: string): Resources {
  return check(ResourcesSchema, text, file);
}

export function parseProcess(text: string, file: string): Process {
  return check(ProcessSchema, text, file);
}
