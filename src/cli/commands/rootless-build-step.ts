/**
 * `moby-dick rootless-build-step REQUEST` (not for users): run as root of
 * the user's user namespace by an ordinary user's `build`
 * (build/rootless-steps.ts) to look up and write a step container's files
 * and read COPY --from's sources there (build/step-in-namespace.ts);
 * REQUEST is its JSON.
 */
import { stepInNamespace, type StepRequest } from '../../build/step-in-namespace.js';
import { defineNamespaceCommand } from '../namespace-command.js';

export const command = defineNamespaceCommand<StepRequest>('rootless-build-step', "Run by an ordinary user's build to write a step's files in the user namespace", (req) => stepInNamespace(req, process.stdin, process.stdout));
