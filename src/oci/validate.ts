/** Parses and validates config.json; every problem names its field path. */
import { MobyDickError } from '../errors.js';
import { type Spec, SpecSchema } from './spec.js';

function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

export function parseSpec(text: string, file = 'config.json'): Spec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MobyDickError('INVALID_CONFIG', `${file}: not valid JSON: ${(e as Error).message}`, { subject: file });
  }
  const result = SpecSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const where = fieldPath(i.path) || '(top level)';
      const message = i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` : i.message.toLowerCase();
      return `${where}: ${message}`;
    });
    throw new MobyDickError('INVALID_CONFIG', `${file}: ${problems.join('; ')}`, {
      subject: result.error.issues[0] ? fieldPath(result.error.issues[0].path) : file,
      hint: 'fix the fields named; `moby-dick-runtime spec` writes a valid example',
    });
  }
  const spec = result.data;
  if (!spec.root) throw new MobyDickError('INVALID_CONFIG', `${file}: root: required`, { subject: 'root' });
  if (!spec.process) throw new MobyDickError('INVALID_CONFIG', `${file}: process: required`, { subject: 'process' });
  return spec;
}
