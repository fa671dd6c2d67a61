/**
 * Runs the pure steps of `moby-dick run --rootfs DIR COMMAND` (the jail)
 * and of the original form (`moby-dick COMMAND`) once, on made-up input:
 * their options, specs, plans and encoding. V8 compiles a function when it
 * first runs; run here, before the code is cached, the compiled code goes
 * into what is kept: the CLI's startup snapshot (snapshot-warm-up.ts) and
 * the small bundle's code cache (code-cache.ts).
 *
 * Only pure functions, and nothing kept in any module's state.
 */
import { resolveConfig } from '../helper/config.js';
import { encodePlan } from '../helper/plan-wire.js';
import { hostViewSpec, jailSpec } from '../jail/jail-spec.js';
import { compileOciPlan } from '../oci/compile.js';
import { parseCommandLine } from './args.js';
import { CREATE_OPTIONS } from './create-options.js';

const DIR = '/mdk-warm-up';

export function warmUpJail(): void {
  parseCommandLine(['--rootfs', DIR, '-e', 'A=b', 'true'], CREATE_OPTIONS, 'moby-dick run --help');
  // the jail (its filter comes from the cache at run time) and the host view
  const jail = resolveConfig({ command: ['true'], rootfs: DIR });
  const jailed = jailSpec(jail, 'mdk-warm-up');
  const v1 = [{ name: 'memory', options: 'memory' }];
  encodePlan(compileOciPlan(jailed, { bundle: DIR, detach: false, syncCgroup: true, host: { kindOf: () => 'dir', cgroupV1: v1, cgroupV2Only: false }, interactive: false, makeCwd: true }));
  const hostView = resolveConfig({ command: ['true'] });
  const entries = [{ name: 'tmp', kind: 'dir' as const }, { name: 'bin', kind: 'symlink' as const, target: 'usr/bin' }];
  encodePlan(compileOciPlan(hostViewSpec(hostView), { bundle: '/', detach: false, syncCgroup: false, host: { kindOf: () => null, cgroupV1: [], cgroupV2Only: false }, interactive: false, hostView: { entries } }));
}
