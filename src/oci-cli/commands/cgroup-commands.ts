/** pause, resume, update, events: the commands that work through the container's cgroups. */
import { readFileSync } from 'node:fs';
import { MobyDickError } from '../../errors.js';
import { type Command, parseFlags } from '../context.js';

export const pause: Command = (ctx, argv) => {
  const { positionals } = parseFlags('pause', argv, {}, { min: 1, max: 1, names: 'exactly one container id' });
  ctx.runtime.pause(positionals[0]!, true);
  return 0;
};

export const resume: Command = (ctx, argv) => {
  const { positionals } = parseFlags('resume', argv, {}, { min: 1, max: 1, names: 'exactly one container id' });
  ctx.runtime.pause(positionals[0]!, false);
  return 0;
};

/** update --resources FILE|- ID: new limits, as JSON linux.resources. */
export const update: Command = async (ctx, argv) => {
  const { values, positionals } = parseFlags('update', argv, { resources: { type: 'string', short: 'r' } }, { min: 1, max: 1, names: 'exactly one container id' });
  if (values.resources === undefined) throw new MobyDickError('USAGE', 'update needs --resources FILE (or - for stdin)');
  const file = values.resources === '-' ? 'resources' : values.resources;
  let text: string;
  try {
    // fd 0, not /dev/stdin: a socket there cannot be opened again
    text = readFileSync(values.resources === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new MobyDickError('USAGE', `cannot read ${values.resources}: ${(e as NodeJS.ErrnoException).code}`, { subject: values.resources });
  }
  const { parseResources } = await import('../../oci/validate.js');
  ctx.runtime.update(positionals[0]!, parseResources(text, file));
  return 0;
};

/** events --stats: one stats event; without it, one every --interval until the container stops. */
export const events: Command = async (ctx, argv) => {
  const { values, positionals } = parseFlags('events', argv, { stats: { type: 'boolean' }, interval: { type: 'string' } }, { min: 1, max: 1, names: 'exactly one container id' });
  const id = positionals[0]!;
  const intervalMs = values.interval === undefined ? 5000 : parseInterval(values.interval);
  for (;;) {
    process.stdout.write(`${JSON.stringify(ctx.runtime.stats(id))}\n`);
    if (values.stats) return 0;
    await new Promise((r) => setTimeout(r, intervalMs));
    if (ctx.runtime.state(id).status === 'stopped') return 0;
  }
};

function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw new MobyDickError('USAGE', `invalid --interval ${JSON.stringify(text)}: give e.g. 5s or 500ms`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}
