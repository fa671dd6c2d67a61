/** `moby-dick exec [OPTIONS] CONTAINER COMMAND [ARG...]`: another process in a running container (the OCI runtime's exec). */
import { MobyDickError } from '../../errors.js';
import { containerEvent } from '../../engine/events.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { checkTty, stdinIsTty } from './run.js';
import { explainFormat, stderrRecorder } from '../../explain/recorder.js';

export const command = defineCommand({
  name: 'exec',
  usage: 'exec [-d] [-i] [-t] [-e K=V] [-u USER] [-w DIR] [--explain[=full|json]] CONTAINER COMMAND [ARG...]',
  summary: 'Run a command in a running container',
  examples: `# a shell in the running container web
moby-dick exec -it web sh
# one command, as another user, in another directory
moby-dick exec -u nobody -w /tmp web ls -l`,
  description: `Run a command in a running container

Options:
  -d, --detach          run it in the background (its stdin, stdout and stderr /dev/null)
  -e, --env KEY=VALUE   set an environment variable (repeatable)
  -i, --interactive     keep stdin open
  -t, --tty             allocate a pseudo-TTY
  -u, --user USER       user name or UID, with an optional :GROUP
  -w, --workdir DIR     working directory inside the container
      --explain[=full|json]
                        explain, on stderr, how the container is made: a line
                        per step (what it isolates and why, its man page, its
                        time); =full: every step with its call; =json: for tools`,
  options: {
    detach: { type: 'boolean', short: 'd' },
    interactive: { type: 'boolean', short: 'i' },
    tty: { type: 'boolean', short: 't' },
    env: { type: 'string', short: 'e', multiple: true },
    user: { type: 'string', short: 'u' },
    workdir: { type: 'string', short: 'w' },
    explain: { type: 'boolean', values: ['full', 'json', 'text'] },
  },
  trailingCommand: true,
  args: { min: 2 },
  async run(values, operands) {
    const [ref, ...cmd] = operands as [string, ...string[]];
    if (values.detach !== true) checkTty(values.interactive === true, values.tty === true, stdinIsTty);
    return withEngine(async (e) => {
      const v = e.inspect(ref);
      if (!v.state.Running) throw new MobyDickError('USAGE', `container ${v.record.id} is not running`, { container: ref });
      if (v.state.Paused) throw new MobyDickError('USAGE', `container ${v.record.id} is paused, unpause the container before exec`, { container: ref });
      const user = values.user === undefined ? undefined : (await import('../../engine/exec-user.js')).execUser(v, values.user);
      const line = cmd.join(' ');
      containerEvent(e, v.record, `exec_create: ${line}`);
      containerEvent(e, v.record, `exec_start: ${line}`);
      const explain = stderrRecorder('exec', explainFormat(values.explain));
      try {
      return await e.runtime.exec(v.record.id, {
        ...(explain ? { onStep: explain.onStep, onPlan: explain.onPlan } : {}),
        args: cmd,
        ...(values.env ? { env: values.env } : {}),
        ...(values.workdir ? { cwd: values.workdir } : {}),
        ...(user ? { user } : {}),
        tty: values.tty === true,
        detach: values.detach === true,
        // a detached process holds none of this CLI's stdio (else a pipe from it stays open while it runs), as Docker's
        ...(values.detach === true ? { stdio: 'null' as const } : {}),
      });
      } finally {
        explain?.flush();
      }
    });
  },
});
