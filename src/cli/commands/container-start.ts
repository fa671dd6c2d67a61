/** `moby-dick start [-a] [-i] CONTAINER...`: started; with -a attached to its output, and its exit status. */
import { defineCommand, usage } from '../command.js';
import { withEngine } from '../engine-context.js';
import { type Attached, attachTo } from '../run-image.js';
import { explainFormat, stderrRecorder } from '../../explain/recorder.js';

export const command = defineCommand({
  name: 'start',
  usage: 'start [-a] [-i] [--explain[=full|json]] CONTAINER...',
  summary: 'Start one or more stopped containers',
  description: `Start one or more stopped containers

Options:
  -a, --attach          attach its output (and forward signals); its exit status is ours
  -i, --interactive     attach its stdin too
      --explain[=full|json]
                        explain, on stderr, how the container is made: a line
                        per step (what it isolates and why, its man page, its
                        time); =full: every step with its call; =json: for tools`,
  options: {
    attach: { type: 'boolean', short: 'a' },
    interactive: { type: 'boolean', short: 'i' },
    explain: { type: 'boolean', values: ['full', 'json', 'text'] },
  },
  args: { min: 1 },
  run: (values, operands) =>
    withEngine(async (engine) => {
      if (values.attach) {
        if (operands.length > 1) throw usage('you cannot start and attach multiple containers at once', 'start');
        let attached: Attached | undefined;
        const explain = stderrRecorder('start', explainFormat(values.explain));
        try {
          await engine.start(
            operands[0]!,
            async (v) => {
              attached = await attachTo(v, values.interactive === true, explain ? { hold: explain.written } : {});
            },
            explain,
          );
        } finally {
          // written at the helper's exec step (the recorder), or now: what it got to
          explain?.flush();
        }
        const code = await attached!.code;
        // as run: --rm and the restart policy done before we return
        await attached!.exited(engine);
        return code;
      }
      for (const ref of operands) {
        const explain = stderrRecorder('start', explainFormat(values.explain));
        try {
          await engine.start(ref, undefined, explain);
        } finally {
          // written at the helper's exec step (the recorder), or now: what it got to
          explain?.flush();
        }
        process.stdout.write(`${ref}\n`);
      }
      return 0;
    }),
});
