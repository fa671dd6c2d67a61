/**
 * `moby-dick rootless-layer REQUEST` (not for users): run as root of the
 * user's user namespace by an ordinary user's `diff` and `commit`
 * (build/rootless-layer.ts): prints the container's changes as JSON, or
 * writes its layer tar with the owners seen inside; REQUEST is its JSON.
 */
import { type LayerRequest, layerInNamespace } from '../../build/rootless-layer.js';
import { defineNamespaceCommand } from '../namespace-command.js';

export const command = defineNamespaceCommand<LayerRequest>('rootless-layer', "Run by an ordinary user's diff and commit to read a container's changes in the user namespace", (req) => layerInNamespace(req, process.stdout));
