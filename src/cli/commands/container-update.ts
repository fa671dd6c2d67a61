/**
 * `moby-dick update [OPTIONS] CONTAINER...`: new resource limits and
 * restart policy, as `docker update` — a running (or paused) container's
 * cgroups changed at once, a stopped one's at its next start; inspect shows
 * them. Each container in turn: its name printed, or its error said and
 * the others still updated (exit 1); the host's warnings last, as Docker.
 */
import type { UpdateRequest } from '../../engine/engine.js';
import { MobyDickError } from '../../errors.js';
import { joinNegativeValues, type ParsedValues } from '../args.js';
import { defineCommand } from '../command.js';
import { parseBytes, parseCpus, parseInteger, parseRestart, parseSwap } from '../container-flags.js';
import { withEngine } from '../engine-context.js';
import { reportError } from '../report-error.js';

const OPTIONS = {
  'blkio-weight': { type: 'string' },
  'cpu-period': { type: 'string' },
  'cpu-quota': { type: 'string' },
  'cpu-shares': { type: 'string', short: 'c' },
  cpus: { type: 'string' },
  'cpuset-cpus': { type: 'string' },
  'cpuset-mems': { type: 'string' },
  memory: { type: 'string', short: 'm' },
  'memory-reservation': { type: 'string' },
  'memory-swap': { type: 'string' },
  'pids-limit': { type: 'string' },
  restart: { type: 'string' },
} as const;

/** --blkio-weight is Docker's uint16 */
function parseWeight(text: string): number {
  if (!/^\d+$/.test(text)) throw new MobyDickError('USAGE', `invalid argument "${text}" for "--blkio-weight" flag: strconv.ParseUint: parsing "${text}": invalid syntax`);
  const n = Number(text);
  if (n > 0xffff) throw new MobyDickError('USAGE', `invalid argument "${text}" for "--blkio-weight" flag: strconv.ParseUint: parsing "${text}": value out of range`);
  return n;
}

/** The flags as the engine's update request (only those given); Docker's words for a value that does not parse. */
export function updateRequest(v: ParsedValues<typeof OPTIONS>): UpdateRequest {
  const r: UpdateRequest = {};
  if (v['blkio-weight'] !== undefined) r.blkioWeight = parseWeight(v['blkio-weight']);
  if (v['cpu-period'] !== undefined) r.cpuPeriod = parseInteger(v['cpu-period'], '--cpu-period');
  if (v['cpu-quota'] !== undefined) r.cpuQuota = parseInteger(v['cpu-quota'], '--cpu-quota');
  if (v['cpu-shares'] !== undefined) r.cpuShares = parseInteger(v['cpu-shares'], '--cpu-shares');
  if (v.cpus !== undefined) r.nanoCpus = parseCpus(v.cpus);
  if (v['cpuset-cpus'] !== undefined) r.cpusetCpus = v['cpuset-cpus'];
  if (v['cpuset-mems'] !== undefined) r.cpusetMems = v['cpuset-mems'];
  if (v.memory !== undefined) r.memory = parseBytes(v.memory, '--memory');
  if (v['memory-reservation'] !== undefined) r.memoryReservation = parseBytes(v['memory-reservation'], '--memory-reservation');
  if (v['memory-swap'] !== undefined) r.memorySwap = parseSwap(v['memory-swap']);
  // as the docker CLI: 0 is "not given", -1 (any negative) lifts the limit
  if (v['pids-limit'] !== undefined) {
    const n = parseInteger(v['pids-limit'], '--pids-limit');
    if (n !== 0) r.pidsLimit = n;
  }
  if (v.restart !== undefined && v.restart !== '') r.restart = parseRestart(v.restart);
  return r;
}

export const command = defineCommand({
  name: 'update',
  usage: 'update [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Update configuration of one or more containers',
  description: `Update configuration of one or more containers

A running or paused container's cgroups change at once; a stopped
container's limits apply from its next start. inspect shows the new values.

Options:
      --blkio-weight N          Block IO (relative weight), between 10 and 1000, or 0 to disable
      --cpu-period N            Limit CPU CFS (Completely Fair Scheduler) period
      --cpu-quota N             Limit CPU CFS (Completely Fair Scheduler) quota
  -c, --cpu-shares N            CPU shares (relative weight)
      --cpus N                  Number of CPUs (e.g. 1.5)
      --cpuset-cpus LIST        CPUs in which to allow execution (0-3, 0,1)
      --cpuset-mems LIST        MEMs in which to allow execution (0-3, 0,1)
  -m, --memory SIZE             Memory limit (e.g. 512m)
      --memory-reservation SIZE Memory soft limit
      --memory-swap SIZE        Swap limit equal to memory plus swap: -1 to enable unlimited swap
      --pids-limit N            Tune container pids limit (set -1 for unlimited)
      --restart POLICY          Restart policy to apply when a container exits

As an ordinary user (rootless) limits change only in a cgroup v2 subtree
delegated to you, of the controllers it delegates (refused in one line
otherwise); --restart always.
`,
  options: OPTIONS,
  args: { min: 1 },
  rewriteArgv: (argv) => joinNegativeValues(argv, OPTIONS),
  async run(values, operands) {
    // as the docker CLI: any flag given counts, even one that changes nothing (--cpus 0)
    const given = Object.entries(values).filter(([k, v]) => k !== 'help' && v !== undefined);
    if (given.length === 0) {
      throw new MobyDickError('USAGE', 'you must provide one or more flags when using this command', { hint: "see 'moby-dick update --help'" });
    }
    const req = updateRequest(values);
    let failed = false;
    const warnings: string[] = [];
    await withEngine(async (e) => {
      for (const ref of operands) {
        try {
          const r = await e.update(ref, req);
          warnings.push(...r.warnings);
          process.stdout.write(`${ref}\n`);
        } catch (err) {
          reportError(err);
          failed = true;
        }
      }
    });
    if (warnings.length) process.stdout.write(`${warnings.join('\n')}\n`);
    return failed ? 1 : 0;
  },
});
