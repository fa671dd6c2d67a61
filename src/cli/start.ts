/**
 * build/moby-dick.cjs, what the launcher runs when the startup snapshot does
 * not serve a command (native/launcher) and what `node build/moby-dick.cjs`
 * runs: the CLI's bundle, build/moby-dick-cli.cjs, compiled with its code
 * cache (code-cache.ts). Required instead of run (scripts/snapshot.mjs), it
 * exports writeCodeCache.
 */
import { join } from 'node:path';
import { compileModule, evaluate, readCache, writeCache } from './code-cache.js';
import { setWarmingUp } from './warm-up-flag.js';

const CLI = join(__dirname, 'moby-dick-cli.cjs');

/**
 * Compiles the bundle without a cache, every function at once
 * (code-cache.ts), evaluates it in warm-up mode (its entry runs
 * jail-warm-up.ts's pure steps instead of the CLI), and writes the code
 * cache; its size.
 */
export function writeCodeCache(): number {
  const { setFlagsFromString } = require('node:v8') as typeof import('node:v8');
  const { script, fn } = compileModule(CLI, undefined, setFlagsFromString);
  setWarmingUp(true);
  try {
    evaluate(fn, CLI, __dirname, require);
  } finally {
    setWarmingUp(false);
  }
  return writeCache(script, CLI);
}

/** `system service`: the API service's own bundle (service-bin.ts), without the CLI's */
function isService(argv: readonly string[]): boolean {
  return argv[2] === 'system' && argv[3] === 'service';
}

if (require.main === module) {
  if (isService(process.argv)) {
    const { serviceMain } = require(join(__dirname, 'moby-dick-service.cjs')) as typeof import('./service-bin.js');
    void serviceMain(process.argv.slice(4)).then((code) => {
      process.exitCode = code;
    });
  } else {
    evaluate(compileModule(CLI, readCache(CLI)).fn, CLI, __dirname, require);
  }
}
