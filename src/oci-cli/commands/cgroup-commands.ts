/** pause, resume, update (--resources, or runc's limit flags), events: the commands that work through the container's cgroups. */
import { readFileSync } from 'node:fs';
import { joinNegativeValues } from '../../cli/args.js';
import { MobyDickError } from '../../errors.js';
import type { Resources } from '../../spec/schema.js';
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

const UPDATE_FLAGS = {
  resources: { type: 'string', short: 'r' },
  'blkio-weight': { type: 'string' },
  'cpu-period': { type: 'string' },
  'cpu-quota': { type: 'string' },
  'cpu-share': { type: 'string' },
  'cpu-rt-period': { type: 'string' },
  'cpu-rt-runtime': { type: 'string' },
  'cpu-burst': { type: 'string' },
  'cpu-idle': { type: 'string' },
  'cpuset-cpus': { type: 'string' },
  'cpuset-mems': { type: 'string' },
  memory: { type: 'string' },
  'memory-reservation': { type: 'string' },
  'memory-swap': { type: 'string' },
  'pids-limit': { type: 'string' },
} as const;

const RAM_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

function invalidValue(flag: string, text: string, why: string): MobyDickError {
  return new MobyDickError('USAGE', `invalid value for ${flag}: ${why} ${JSON.stringify(text)}`, { subject: flag });
}

/** runc's update flags (used when there is no --resources) as linux.resources; sizes as runc reads them (512m, 1g; -1 unlimited). */
export function resourcesFromFlags(v: Partial<Record<keyof typeof UPDATE_FLAGS, string>>): Resources {
  const r: Resources = {};
  const int = (flag: keyof typeof UPDATE_FLAGS, unsigned: boolean): number | undefined => {
    const text = v[flag];
    if (text === undefined || text === '') return undefined;
    if (!(unsigned ? /^\d+$/ : /^-?\d+$/).test(text)) throw invalidValue(flag, text, unsigned ? 'not an unsigned integer:' : 'not an integer:');
    return Number(text);
  };
  const size = (flag: keyof typeof UPDATE_FLAGS): number | undefined => {
    const text = v[flag];
    if (text === undefined || text === '') return undefined;
    if (text === '-1') return -1;
    const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(text);
    if (!m) throw invalidValue(flag, text, 'invalid size:');
    return Math.floor(Number(m[1]) * RAM_UNITS[m[2]!.toLowerCase()]!);
  };
  const weight = int('blkio-weight', true);
  if (weight) r.blockIO = { weight };
  const cpu: NonNullable<Resources['cpu']> = {};
  const put = <K extends keyof typeof cpu>(k: K, value: (typeof cpu)[K] | undefined): void => {
    if (value !== undefined) cpu[k] = value;
  };
  put('period', int('cpu-period', true));
  put('quota', int('cpu-quota', false));
  put('shares', int('cpu-share', true));
  put('realtimePeriod', int('cpu-rt-period', true));
  put('realtimeRuntime', int('cpu-rt-runtime', false));
  put('burst', int('cpu-burst', true));
  put('idle', int('cpu-idle', false));
  if (v['cpuset-cpus']) cpu.cpus = v['cpuset-cpus'];
  if (v['cpuset-mems']) cpu.mems = v['cpuset-mems'];
  if (Object.keys(cpu).length) r.cpu = cpu;
  const memory: NonNullable<Resources['memory']> = {};
  const limit = size('memory');
  const swap = size('memory-swap');
  const reservation = size('memory-reservation');
  if (limit !== undefined) memory.limit = limit;
  // as runc: an unlimited memory without a swap given is an unlimited swap too
  if (swap !== undefined || limit === -1) memory.swap = swap ?? -1;
  if (reservation !== undefined) memory.reservation = reservation;
  if (Object.keys(memory).length) r.memory = memory;
  const pids = int('pids-limit', false);
  if (pids !== undefined) r.pids = { limit: pids };
  return r;
}

/** update ID with --resources FILE|- (JSON linux.resources, as runc takes it), or runc's flags: new limits. */
export const update: Command = async (ctx, argv) => {
  const { values, positionals } = parseFlags('update', joinNegativeValues(argv, UPDATE_FLAGS), UPDATE_FLAGS, { min: 1, max: 1, names: 'exactly one container id' });
  let resources: Resources;
  if (values.resources !== undefined) {
    const file = values.resources === '-' ? 'resources' : values.resources;
    let text: string;
    try {
      // fd 0, not /dev/stdin: a socket there cannot be opened again
      text = readFileSync(values.resources === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new MobyDickError('USAGE', `cannot read ${values.resources}: ${(e as NodeJS.ErrnoException).code}`, { subject: values.resources });
    }
    const { parseResources } = await import('../../oci/validate.js');
    resources = parseResources(text, file);
  } else {
    resources = resourcesFromFlags(values);
    if (Object.keys(resources).length === 0) throw new MobyDickError('USAGE', 'update needs --resources FILE (or - for stdin), or a limit flag (--memory, --pids-limit, ...)');
  }
  ctx.runtime.update(positionals[0]!, resources);
  return 0;
};

/** How often `events` looks for an OOM kill and the container's end between two stats events. */
const EVENTS_POLL_MS = 100;

/**
 * events --stats: one stats event. Without it, as runc: a stats event
 * every --interval and an {"type":"oom"} event when the container's cgroup
 * counts new OOM kills (its memory.events count, looked at every 100 ms:
 * one event per look that saw the count grow, as runc sends one per
 * notification, however many tasks that OOM killed), until the container stops.
 */
export const events: Command = async (ctx, argv) => {
  const { values, positionals } = parseFlags('events', argv, { stats: { type: 'boolean' }, interval: { type: 'string' } }, { min: 1, max: 1, names: 'exactly one container id' });
  const id = positionals[0]!;
  const intervalMs = values.interval === undefined ? 5000 : parseInterval(values.interval);
  const emit = (event: object): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
  let kills = ctx.runtime.oomKills(id);
  let nextStats = 0;
  for (;;) {
    if (Date.now() >= nextStats) {
      emit(ctx.runtime.stats(id));
      if (values.stats) return 0;
      nextStats = Date.now() + intervalMs;
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, EVENTS_POLL_MS)));
    const now = ctx.runtime.oomKills(id);
    if (now > kills) emit({ type: 'oom', id });
    kills = now;
    if (ctx.runtime.state(id).status === 'stopped') return 0;
  }
};

function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw new MobyDickError('USAGE', `invalid --interval ${JSON.stringify(text)}: give e.g. 5s or 500ms`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}
