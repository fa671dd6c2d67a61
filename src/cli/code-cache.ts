/**
 * The small bundle (build/moby-dick-cli.cjs: the original form, `run
 * --rootfs`, `--version`, help, and the fallback of every command when the
 * startup snapshot does not fit) compiled with V8's code cache. Node 20
 * compiles a CommonJS file from its source at every start (no
 * module.enableCompileCache before Node 22): about 7 ms of the jail's
 * 40 ms went to compiling the bundle and then, lazily, the functions `run`
 * calls. A cache made after those functions ran (jail-warm-up.ts) holds
 * their code too: measured about 5.5 ms of CPU less per `run --rootfs`
 * (bench/README.md, "code cache").
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

/** FILE's source compiled as a CommonJS module, with CACHE when it fits. */
export function compileModule(file: string, cache: Buffer | undefined): { script: Script; fn: ModuleFunction } {
  const source = readFileSync(file, 'utf8').replace(/^#!.*/, '');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData: cache });
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
