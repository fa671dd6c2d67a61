/**
 * `moby-dick rootless-build-step REQUEST` (not for users): run as root of
 * the user's user namespace by an ordinary user's `build`
 * (build/rootless-steps.ts) to look up and write a step container's files
 * and read COPY --from's sources there (build/step-in-namespace.ts);
 * REQUEST is its JSON.
 */
import { stepInNamespace, type StepRequest } from '../../build/step-in-namespace.js';
import { defineCommand, usage } from '../command.js';

export const command = defineCommand({
  name: 'rootless-build-step',
  usage: 'rootless-build-step REQUEST',
  summary: "Run by an ordinary user's build to write a step's files in the user namespace",
  options: {},
  args: { min: 1, max: 1 },
  async run(_values, operands) {
    let req: StepRequest;
    try {
      req = JSON.parse(operands[0]!) as StepRequest;
    } catch {
      throw usage('rootless-build-step needs a JSON request', 'rootless-build-step');
    }
    await stepInNamespace(req, process.stdin, process.stdout);
    return 0;
  },
});
