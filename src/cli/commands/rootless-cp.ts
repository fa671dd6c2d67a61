/**
 * `moby-dick rootless-cp REQUEST` (not for users): run as root of the
 * user's user namespace by an ordinary user's `cp` (engine/rootless-copy.ts)
 * to do the container's half of the copy (engine/copy-in-namespace.ts);
 * REQUEST is its JSON.
 */
import { copyInNamespace } from '../../engine/copy-in-namespace.js';
import type { NamespaceCopyRequest } from '../../engine/rootless-copy.js';
import { defineNamespaceCommand } from '../namespace-command.js';

export const command = defineNamespaceCommand<NamespaceCopyRequest>('rootless-cp', "Run by an ordinary user's cp to copy a container's files in the user namespace", (req) => copyInNamespace(req, process.stdin, process.stdout));
