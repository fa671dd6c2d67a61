/**
 * The hidden commands an ordinary user's engine runs as root of the user's
 * user namespace (jail/userns-run.ts): one JSON request as their operand,
 * their streams on stdin and stdout. Not for users.
 */
import { type Command, defineCommand, usage } from './command.js';

/** NAME REQUEST: REQUEST parsed as JSON and handed to RUN; exit 0 once it is done. */
export function defineNamespaceCommand<R>(name: string, summary: string, run: (req: R) => Promise<void>): Command {
  return defineCommand({
    name,
    usage: `${name} REQUEST`,
    summary,
    options: {},
    args: { min: 1, max: 1 },
    async run(_values, operands) {
      let req: R;
      try {
        req = JSON.parse(operands[0]!) as R;
      } catch {
        throw usage(`${name} needs a JSON request`, name);
      }
      await run(req);
      return 0;
    },
  });
}
