/** exec: run a new process in a container, from --process FILE or a command line. */
import { readFileSync } from 'node:fs';
import { MobyDickError } from '../../errors.js';
import { parseCommandLine } from '../../cli/args.js';
import { type Command, stepLogger } from '../context.js';
import { explainFormat } from '../../explain/recorder.js';
import { explainRecorder } from '../explain.js';
import { parsePreserveFds } from './lifecycle.js';

/** exec's flags (runc's, and --explain); the compile service takes these but --explain (compile-request.ts) */
export const EXEC_FLAGS = {
  process: { type: 'string', short: 'p' },
  detach: { type: 'boolean', short: 'd' },
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  tty: { type: 'boolean', short: 't' },
  cwd: { type: 'string' },
  env: { type: 'string', short: 'e', multiple: true },
  user: { type: 'string', short: 'u' },
  'preserve-fds': { type: 'string' },
  explain: { type: 'boolean', values: ['full', 'json', 'text'] },
} as const;

export const EXEC_HELP = 'moby-dick-runtime exec --help';

async function readProcess(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MobyDickError('INVALID_CONFIG', `cannot read process file ${file}: ${(e as NodeJS.ErrnoException).code}`, { subject: file });
  }
  const { parseProcess } = await import('../../oci/validate.js');
  return parseProcess(text, file);
}

export const exec: Command = async (ctx, argv) => {
  const { values, operands } = parseCommandLine(argv, EXEC_FLAGS, EXEC_HELP);
  const recorder = explainRecorder('moby-dick-runtime exec', explainFormat(values.explain), stepLogger(ctx));
  const [id, ...args] = operands;
  if (id === undefined || (values.process === undefined && args.length === 0)) {
    throw new MobyDickError('USAGE', '"exec" requires a container id and a command, or --process FILE');
  }
  let user: { uid: number; gid: number } | undefined;
  if (values.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(values.user);
    if (!m) throw new MobyDickError('USAGE', `invalid user ${JSON.stringify(values.user)}: give UID[:GID]`);
    user = { uid: Number(m[1]), gid: Number(m[2] ?? 0) };
  }
  try {
    return await ctx.runtime.exec(id, {
    process: values.process === undefined ? undefined : await readProcess(values.process),
    args,
    cwd: values.cwd,
    env: values.env,
    user,
    tty: values.tty,
    consoleSocket: values['console-socket'],
    detach: values.detach,
    pidFile: values['pid-file'],
    preserveFds: parsePreserveFds(values['preserve-fds']),
    onStep: recorder?.onStep ?? stepLogger(ctx),
    ...(recorder ? { onPlan: recorder.onPlan } : {}),
  });
  } finally {
    recorder?.flush();
  }
};
