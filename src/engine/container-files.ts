/**
 * A container's files from outside: `cp` (copy.ts), what `docker cp` asks
 * of a path (path-stat.ts) and `export` (export.ts). Root's engine opens the
 * container's root here; an ordinary user's (rootless) cannot read or write
 * every file of the user's subordinate ids, nor mount the container's
 * overlay, so the container's half is done by a hidden command run as root
 * of the user's user namespace (rootless-copy.ts, export.ts's rootless
 * half), through the engine's EngineOptions.namespace.
 *
 * namespaceOf() is the one place that picks between the two: these
 * functions and build/container-commit.ts (diff and commit) ask it, and the
 * CLI, the Engine API and the library call these, so each of them takes
 * the same path for the same engine.
 */
import type { Writable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import type { NamespaceCommands } from '../rootless/namespace-commands.js';
import { isRootless } from '../rootless/rootless.js';
import { copy, type CopyEnd, type CopyOptions } from './copy.js';
import type { Engine } from './engine.js';
import type { EngineOptions } from './engine-core.js';
import { exportContainer, exportRootlessContainer } from './export.js';
import { type PathStat, statInContainer } from './path-stat.js';
import { copyRootless, type RunCopyInNamespace, statRootless } from './rootless-copy.js';

/**
 * How an engine reaches its containers' files: undefined for root's (in
 * this process), the user namespace's hidden commands for an ordinary
 * user's; an ordinary user's engine made without them is a caller's bug,
 * said as such.
 */
export function namespaceOf(engine: { readonly options: EngineOptions }): NamespaceCommands | undefined {
  if (!(engine.options.rootless ?? isRootless())) return undefined;
  if (engine.options.namespace) return engine.options.namespace;
  throw new MobyDickError('SETUP', "an ordinary user's engine cannot reach its containers' files without the user namespace's commands (rootless)", {
    hint: 'give the Engine its EngineOptions.namespace (jail/userns-run.ts: cliInUserNamespace), as the CLI and openEngine do',
  });
}

/** `rootless-cp REQUEST` through NS: its tar out to OUTPUT, or in from INPUT */
function copyRunner(ns: NamespaceCommands): RunCopyInNamespace {
  return (req, io) => {
    const args = ['rootless-cp', JSON.stringify(req)];
    return io.output ? ns.stream(args, io.output, io.passFds) : ns.run(args, io.input, io.passFds);
  };
}

/** `cp` between a container of ENGINE and the host (or a tar stream), as copy.ts's `copy`. */
export async function copyFiles(engine: Engine, from: CopyEnd, to: CopyEnd, opts: CopyOptions): Promise<void> {
  const ns = namespaceOf(engine);
  return ns ? copyRootless(engine, from, to, opts, copyRunner(ns)) : copy(engine, from, to, opts);
}

/** What `docker cp` asks of PATH in container REF (the Engine API's X-Docker-Container-Path-Stat). */
export async function statPath(engine: Engine, ref: string, path: string): Promise<PathStat> {
  const ns = namespaceOf(engine);
  return ns ? statRootless(engine, ref, path, copyRunner(ns)) : statInContainer(engine, ref, path);
}

/** `export`: container REF's files as a tar on OUT (not ended). */
export async function exportFiles(engine: Engine, ref: string, out: Writable): Promise<void> {
  const ns = namespaceOf(engine);
  if (!ns) return exportContainer(engine, ref, out);
  return exportRootlessContainer(engine, ref, (dirs) => ns.stream(['rootless-export', ...dirs], out));
}
