/** create, start, run, delete, kill: the container lifecycle commands. */
import { constants } from 'node:os';
import { MobyDickError } from '../../errors.js';
import type { ParsedValues } from '../../cli/args.js';
import type { CreateOptions } from '../../oci/lifecycle.js';
import { type Command, type Context, parseFlags, stepLogger, takeExplainFlag } from '../context.js';
import { explainRecorder } from '../explain.js';
import { takeStartHandover } from '../start-handover.js';

/** create's flags (runc's); the compile service takes exactly these too (compile-request.ts) */
export const CREATE_FLAGS = {
  bundle: { type: 'string', short: 'b' },
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  'no-pivot': { type: 'boolean' },
  'no-new-keyring': { type: 'boolean' },
  'preserve-fds': { type: 'string' },
} as const;

/** --preserve-fds N: a count of fds after stdio. */
export function parsePreserveFds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 1000) throw new MobyDickError('USAGE', `invalid --preserve-fds ${JSON.stringify(text)}: give a count from 0 to 1000`);
  return Number(text);
}

/** The options create and run share, from their flags. */
function createOptions(ctx: Context, values: ParsedValues<typeof CREATE_FLAGS>): CreateOptions {
  return {
    bundle: values.bundle ?? '.',
    pidFile: values['pid-file'],
    consoleSocket: values['console-socket'],
    preserveFds: parsePreserveFds(values['preserve-fds']),
    noPivot: values['no-pivot'],
    onStep: stepLogger(ctx),
  };
}

export const create: Command = async (ctx, args) => {
  const { argv, format } = takeExplainFlag(args);
  const { values, positionals } = parseFlags('create', argv, CREATE_FLAGS, { min: 1, max: 1, names: 'exactly one container id' });
  const options = createOptions(ctx, values);
  // create ends with the container waiting for start: explained up to there
  const recorder = explainRecorder('moby-dick-runtime create', format, options.onStep);
  try {
    await ctx.runtime.create(positionals[0]!, recorder ? { ...options, onStep: recorder.onStep, onPlan: recorder.onPlan } : options);
  } finally {
    recorder?.flush();
  }
  return 0;
};

/** run's flags: create's, --detach and --keep (runc's); the compile service takes exactly these too */
export const RUN_FLAGS = { ...CREATE_FLAGS, detach: { type: 'boolean', short: 'd' }, keep: { type: 'boolean' } } as const;

export const run: Command = async (ctx, args) => {
  const { argv, format } = takeExplainFlag(args);
  const { values, positionals } = parseFlags('run', argv, RUN_FLAGS, { min: 1, max: 1, names: 'exactly one container id' });
  const options = { ...createOptions(ctx, values), detach: values.detach };
  const recorder = explainRecorder('moby-dick-runtime run', format, options.onStep);
  try {
    return await ctx.runtime.run(positionals[0]!, recorder ? { ...options, onStep: recorder.onStep, onPlan: recorder.onPlan } : options);
  } finally {
    recorder?.flush();
  }
};

export const start: Command = async (ctx, args) => {
  const { argv, format } = takeExplainFlag(args);
  const { positionals } = parseFlags('start', argv, {}, { min: 1, max: 1, names: 'exactly one container id' });
  // start's part: the release through the exec fifo, and the init's steps after it (reported when create had --explain or --debug)
  const recorder = explainRecorder('moby-dick-runtime start', format, stepLogger(ctx));
  try {
    await ctx.runtime.start(positionals[0]!, takeStartHandover(), recorder?.onStep, recorder?.onPlan);
  } finally {
    recorder?.flush();
  }
  return 0;
};

export const remove: Command = (ctx, argv) => {
  const { values, positionals } = parseFlags('delete', argv, { force: { type: 'boolean', short: 'f' } }, { min: 1, names: 'a container id' });
  for (const id of positionals) ctx.runtime.delete(id, values.force === true);
  return 0;
};

/** A signal as runc takes it: 9, KILL or SIGKILL. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) as NodeJS.Signals;
  const n = constants.signals[name];
  if (n === undefined) throw new MobyDickError('USAGE', `unknown signal ${JSON.stringify(text)}`);
  return n;
}

export const kill: Command = (ctx, argv) => {
  const { values, positionals } = parseFlags('kill', argv, { all: { type: 'boolean', short: 'a' } }, { min: 1, max: 2, names: 'a container id and an optional signal' });
  ctx.runtime.kill(positionals[0]!, parseSignal(positionals[1] ?? 'SIGTERM'), values.all === true);
  return 0;
};
