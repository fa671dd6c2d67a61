/**
 * The small bundle (build/moby-dick-cli.cjs: the original form, `run
 * --rootfs`, `--version`, help, and the fallback of every command when the
 * startup snapshot does not fit) compiled with V8's code cache. Node 20
 * compiles a CommonJS file from its source at every start (no
 * module.enableCompileCache before Node 22): about 7 ms of the jail's
 * 40 ms went to compiling the bundle and then, lazily, the functions `run`
 * calls. A cache made with every function compiled (SetV8Flags below)
 * holds their code too: measured about 5.5 ms of CPU less per `run
 * --rootfs` for the functions the warm-up (jail-warm-up.ts) runs, and 2 ms
 * more for the others (bench/README.md, "The jail's defaults").
 *
 * V8 checks a cache against the source, its own version and flags, and
 * rejects one that does not match: the bundle then compiles as without it.
 * Made at install time with the startup snapshots (scripts/snapshot.mjs),
 * since it belongs to the machine's Node as they do.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Script } from 'node:vm';

/** The CommonJS module function, as Node's loader wraps a file. */
type ModuleFunction = (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;

/** Where the code cache of FILE lives. */
const cacheFile = (file: string): string => `${file}.cache`;

/**
 * node:v8's setFlagsFromString: given to compileModule, every function of
 * the file is compiled at once (V8's --no-lazy), and --lazy is set again
 * before anything else compiles. A cache written from such a script holds
 * the code of every function, not only of those that ran before it was
 * written: the jail's cgroup, seccomp cache and helper code, which the
 * warm-up cannot run, was compiled lazily at each start (about 2 ms of CPU
 * of `run --rootfs`, bench/README.md "The jail's defaults"). The flags that decide
 * whether V8 accepts a cache are the same again when it is written.
 * Passed in rather than imported: loading node:v8 costs every start.
 */
export type SetV8Flags = (flags: string) => void;

/** FILE's source compiled as a CommonJS module, with CACHE when it fits; EAGER: every function compiled now. */
export function compileModule(file: string, cache: Buffer | undefined, eager?: SetV8Flags): { script: Script; fn: ModuleFunction } {
  const source = readFileSync(file, 'utf8').replace(/^#!.*/, '');
  eager?.('--no-lazy');
  let script: Script;
  try {
    script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData: cache });
  } finally {
    eager?.('--lazy');
  }
  return { script, fn: script.runInThisContext() as ModuleFunction };
}

/** FILE's code cache, or undefined when there is none (or it cannot be read). */
export function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(cacheFile(file));
  } catch {
    return undefined;
  }
}

/**
 * Evaluates FILE (a module function from compileModule) as a CommonJS
 * module with REQUIRE; the module's exports.
 */
export function evaluate(fn: ModuleFunction, file: string, dir: string, require: NodeJS.Require): unknown {
  const module = { exports: {} as unknown, filename: file };
  fn.call(module.exports, module.exports as object, require, module, file, dir);
  return module.exports;
}

/** Writes SCRIPT's code cache (with whatever ran so far compiled) beside FILE, atomically. */
export function writeCache(script: Script, file: string): number {
  const data = script.createCachedData();
  writeFileSync(`${cacheFile(file)}.tmp`, data);
  renameSync(`${cacheFile(file)}.tmp`, cacheFile(file));
  return data.length;
}
