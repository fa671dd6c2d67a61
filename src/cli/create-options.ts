/**
 * The flags of `run` and `create` for image containers, as Docker spells
 * them, and their conversion into the engine's CreateRequest.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CreateRequest, VolumeRequest } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import type { ParsedValues } from './args.js';
import {
  parseBytes, parseCpus, parseHealthFlags, parseInteger, parseLabels, parseLogOpts, parseMount, parsePullPolicy, parseRestart, parseSecurityOpts, parseSwap, parseTmpfs, parseUlimit, parseVolume,
} from './container-flags.js';
import { parsePlatform } from '../images/platform.js';
import { parseAttach, parseDevice, parseLogDriver, parseSysctls } from './host-flags.js';
import { mergeEnv, RUN_OPTIONS } from './run-options.js';

export const CREATE_OPTIONS = {
  ...RUN_OPTIONS,
  rootfs: { type: 'string' },
  'read-only': { type: 'boolean' },
  rm: { type: 'boolean' },
  entrypoint: { type: 'string' },
  name: { type: 'string' },
  detach: { type: 'boolean', short: 'd' },
  volume: { type: 'string', short: 'v', multiple: true },
  mount: { type: 'string', multiple: true },
  tmpfs: { type: 'string', multiple: true },
  memory: { type: 'string', short: 'm' },
  'memory-swap': { type: 'string' },
  'memory-reservation': { type: 'string' },
  cpus: { type: 'string' },
  'cpu-period': { type: 'string' },
  'cpu-quota': { type: 'string' },
  'cpu-shares': { type: 'string', short: 'c' },
  'pids-limit': { type: 'string' },
  ulimit: { type: 'string', multiple: true },
  'cap-add': { type: 'string', multiple: true },
  'cap-drop': { type: 'string', multiple: true },
  privileged: { type: 'boolean' },
  'security-opt': { type: 'string', multiple: true },
  label: { type: 'string', short: 'l', multiple: true },
  'stop-signal': { type: 'string' },
  'stop-timeout': { type: 'string' },
  restart: { type: 'string' },
  'log-opt': { type: 'string', multiple: true },
  network: { type: 'string' },
  net: { type: 'string' },
  'network-alias': { type: 'string', multiple: true },
  'net-alias': { type: 'string', multiple: true },
  publish: { type: 'string', short: 'p', multiple: true },
  'publish-all': { type: 'boolean', short: 'P' },
  expose: { type: 'string', multiple: true },
  dns: { type: 'string', multiple: true },
  'dns-search': { type: 'string', multiple: true },
  'dns-option': { type: 'string', multiple: true },
  'add-host': { type: 'string', multiple: true },
  'shm-size': { type: 'string' },
  'health-cmd': { type: 'string' },
  'health-interval': { type: 'string' },
  'health-timeout': { type: 'string' },
  'health-retries': { type: 'string' },
  'health-start-period': { type: 'string' },
  'health-start-interval': { type: 'string' },
  'no-healthcheck': { type: 'boolean' },
  pull: { type: 'string' },
  platform: { type: 'string' },
  cidfile: { type: 'string' },
  device: { type: 'string', multiple: true },
  sysctl: { type: 'string', multiple: true },
  'group-add': { type: 'string', multiple: true },
  ipc: { type: 'string' },
  pid: { type: 'string' },
  uts: { type: 'string' },
  userns: { type: 'string' },
  'volumes-from': { type: 'string', multiple: true },
  'oom-kill-disable': { type: 'boolean' },
  'cpuset-cpus': { type: 'string' },
  'cpuset-mems': { type: 'string' },
  'blkio-weight': { type: 'string' },
  'log-driver': { type: 'string' },
  attach: { type: 'string', short: 'a', multiple: true },
  'detach-keys': { type: 'string' },
} as const;

export type CreateFlags = ParsedValues<typeof CREATE_OPTIONS>;

export const CREATE_OPTIONS_HELP = `  -d, --detach              run in the background and print the container ID
      --rm                  remove the container when it exits
      --name NAME           name the container
      --entrypoint CMD      replace the image's entrypoint ("" clears it)
  -v, --volume SRC:DST[:ro] bind a host path, or mount a named volume
      --mount type=bind|volume|tmpfs,source=...,target=...[,readonly]
      --tmpfs DST[:OPTS]    mount a tmpfs
      --read-only           mount the root filesystem read-only
  -m, --memory SIZE         memory limit (e.g. 512m)
      --memory-swap SIZE    memory + swap limit (-1: unlimited)
      --memory-reservation SIZE  a soft memory limit (e.g. 256m)
      --cpus N              CPUs (e.g. 1.5)
      --cpu-period N        the CFS period in µs (with --cpu-quota; not with --cpus)
      --cpu-quota N         the CFS quota in µs per period (-1: none)
  -c, --cpu-shares N        relative CPU weight
      --pids-limit N        process limit
      --ulimit NAME=S[:H]   an rlimit (nofile, nproc, ...)
      --cap-add CAP, --cap-drop CAP   change the default capabilities
      --privileged          every capability, every device, no seccomp
      --security-opt OPT    no-new-privileges, seccomp=unconfined|PROFILE.json
  -l, --label KEY=VALUE     set metadata
      --stop-signal SIG     the signal \`stop\` sends (default the image's, or SIGTERM)
      --stop-timeout N      seconds \`stop\` waits before SIGKILL (default 10)
      --restart POLICY      no, on-failure[:N], always, unless-stopped
      --log-opt max-size=SIZE, --log-opt max-file=N   json-file log rotation
      --network NET         bridge (default), none, host, container:NAME, or a network's name (--net too)
      --network-alias NAME  another name on a user-defined network (--net-alias too)
  -p, --publish [IP:][HOSTPORT:]PORT[/udp]   publish a port (no HOSTPORT: one is picked)
  -P, --publish-all         publish every exposed port on picked ports
      --expose PORT[/udp]   expose a port (for -P)
      --dns IP, --dns-search DOMAIN, --dns-option OPT   the container's resolv.conf
      --add-host NAME:IP    a line in the container's /etc/hosts (IP may be host-gateway)
      --shm-size SIZE       size of /dev/shm (default 64m)
      --health-cmd CMD      run CMD (with /bin/sh -c) in the container to check its health
      --health-interval D   time between checks (default 30s; durations as 30s, 1m30s, 500ms)
      --health-timeout D    a check running longer fails (default 30s)
      --health-retries N    failures in a row that make it unhealthy (default 3)
      --health-start-period D        failures in this time after the start do not count (default 0s)
      --health-start-interval D      time between checks in the start period (default 5s)
      --no-healthcheck      no health checks, not even the image's HEALTHCHECK
      --pull POLICY         pull the image: missing (default), always, never
      --platform PLATFORM   the image's platform: this machine's (linux/amd64 here) only
      --cidfile FILE        write the container's ID to FILE (which must not exist)
      --device HOST[:CONTAINER][:PERMS]   a host device in the container (PERMS: r, w, m; default rwm)
      --sysctl KEY=VALUE    a namespaced sysctl: net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, kernel.domainname
      --group-add GROUP     another supplementary group (a name in the image's /etc/group, or a number)
      --ipc MODE            private (default), shareable, host, none, or container:NAME (a shareable one)
      --pid MODE            host, or container:NAME (default: a PID namespace of its own)
      --uts host            the host's UTS namespace (its hostname)
      --userns host         no user namespace (the only mode)
      --volumes-from CONTAINER[:ro|rw]   the volumes and binds of another container
      --oom-kill-disable    the OOM killer leaves it alone (cgroup v1)
      --cpuset-cpus LIST    the CPUs it may run on (0-2,4)
      --cpuset-mems LIST    the memory nodes it may use
      --blkio-weight N      relative block I/O weight, 10 to 1000
      --log-driver DRIVER   json-file (default), or none (\`logs\` has nothing then)
  -a, --attach STREAM       attach only stdin, stdout or stderr (repeatable; default stdout and stderr)
      --detach-keys KEYS    the keys that detach from a -it container (default "ctrl-p,ctrl-q")`;

function volumes(flags: CreateFlags): VolumeRequest[] {
  const out: VolumeRequest[] = [];
  for (const v of flags.volume ?? []) {
    const p = parseVolume(v);
    out.push({ kind: p.kind, source: p.kind === 'bind' ? resolve(p.source) : p.source, destination: p.destination, readOnly: p.readOnly, createSource: true, ...(p.propagation ? { propagation: p.propagation } : {}) });
  }
  for (const m of flags.mount ?? []) {
    const p = parseMount(m);
    const tmpfsOptions = [...(p.tmpfsSize !== undefined ? [`size=${p.tmpfsSize}`] : []), ...(p.tmpfsMode !== undefined ? [`mode=${p.tmpfsMode.toString(8)}`] : [])];
    out.push({ kind: p.type, source: p.type === 'bind' ? resolve(p.source) : p.source, destination: p.destination, readOnly: p.readOnly, ...(p.propagation ? { propagation: p.propagation } : {}), ...(p.type === 'tmpfs' ? { tmpfsOptions } : {}) });
  }
  for (const t of flags.tmpfs ?? []) {
    const p = parseTmpfs(t);
    out.push({ kind: 'tmpfs', source: '', destination: p.destination, readOnly: false, tmpfsOptions: p.options });
  }
  return out;
}

/** --device, --sysctl, --group-add, the namespace modes, --volumes-from, the cpuset, blkio and OOM flags, --log-driver. */
function hostFlags(flags: CreateFlags): Partial<CreateRequest> {
  const sysctls = parseSysctls(flags.sysctl ?? []);
  return {
    ...(flags.device?.length ? { devices: flags.device.map(parseDevice) } : {}),
    ...(Object.keys(sysctls).length ? { sysctls } : {}),
    ...(flags['group-add']?.length ? { groupAdd: flags['group-add'] } : {}),
    ...(flags.ipc !== undefined ? { ipc: flags.ipc } : {}),
    ...(flags.pid !== undefined ? { pid: flags.pid } : {}),
    ...(flags.uts !== undefined ? { uts: flags.uts } : {}),
    ...(flags.userns !== undefined ? { userns: flags.userns } : {}),
    ...(flags['volumes-from']?.length ? { volumesFrom: flags['volumes-from'] } : {}),
    ...(flags['oom-kill-disable'] ? { oomKillDisable: true } : {}),
    ...(flags['cpuset-cpus'] !== undefined ? { cpusetCpus: flags['cpuset-cpus'] } : {}),
    ...(flags['cpuset-mems'] !== undefined ? { cpusetMems: flags['cpuset-mems'] } : {}),
    ...(flags['blkio-weight'] !== undefined ? { blkioWeight: parseInteger(flags['blkio-weight'], '--blkio-weight') } : {}),
    ...(flags['log-driver'] !== undefined ? { logDriver: parseLogDriver(flags['log-driver']) } : {}),
  };
}

function seccompOf(value: string): CreateRequest['seccomp'] {
  if (value === 'default' || value === 'unconfined') return value;
  try {
    return JSON.parse(readFileSync(value, 'utf8')) as CreateRequest['seccomp'];
  } catch (e) {
    throw new MobyDickError('USAGE', `opening seccomp profile (${value}) failed: ${(e as Error).message}`, { subject: value });
  }
}

/** COMMAND: run or create, for the words of an error */
export function createRequest(flags: CreateFlags, operands: readonly string[], command: 'run' | 'create' = 'run'): CreateRequest {
  const [image, ...args] = operands;
  // exit 1, as Docker's count of operands
  if (image === undefined) throw new MobyDickError('USAGE', `"moby-dick ${command}" requires at least 1 argument`, { hint: `see 'moby-dick ${command} --help'` }, 1);
  const network = flags.network ?? flags.net ?? 'bridge';
  const security = parseSecurityOpts(flags['security-opt'] ?? []);
  const healthcheck = parseHealthFlags({
    cmd: flags['health-cmd'],
    interval: flags['health-interval'],
    timeout: flags['health-timeout'],
    retries: flags['health-retries'],
    startPeriod: flags['health-start-period'],
    startInterval: flags['health-start-interval'],
    none: flags['no-healthcheck'],
  });
  if (flags.attach) parseAttach(flags.attach, false); // its words, for create too (run attaches with them: run-image.ts)
  return {
    image,
    command: args,
    ...(flags.entrypoint !== undefined ? { entrypoint: flags.entrypoint } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.hostname !== undefined ? { hostname: flags.hostname } : {}),
    env: mergeEnv([], flags, process.env),
    ...(flags.workdir !== undefined ? { workdir: flags.workdir } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    tty: flags.tty === true,
    openStdin: flags.interactive === true,
    // as the docker CLI: stdin open and attached (not -d; -a names stdin or is not given) closes at the attach's end
    stdinOnce: flags.interactive === true && flags.detach !== true && (!flags.attach?.length || flags.attach.some((s) => s.toLowerCase() === 'stdin')),
    readOnly: flags['read-only'] === true,
    mounts: volumes(flags),
    ...(flags.memory !== undefined ? { memory: parseBytes(flags.memory, '--memory') } : {}),
    ...(flags['memory-swap'] !== undefined ? { memorySwap: parseSwap(flags['memory-swap']) } : {}),
    ...(flags['memory-reservation'] !== undefined ? { memoryReservation: parseBytes(flags['memory-reservation'], '--memory-reservation') } : {}),
    ...(flags.cpus !== undefined ? { nanoCpus: parseCpus(flags.cpus) } : {}),
    ...(flags['cpu-period'] !== undefined ? { cpuPeriod: parseInteger(flags['cpu-period'], '--cpu-period') } : {}),
    ...(flags['cpu-quota'] !== undefined ? { cpuQuota: parseInteger(flags['cpu-quota'], '--cpu-quota') } : {}),
    ...(flags['cpu-shares'] !== undefined ? { cpuShares: parseInteger(flags['cpu-shares'], '--cpu-shares') } : {}),
    ...(flags['pids-limit'] !== undefined ? { pidsLimit: parseInteger(flags['pids-limit'], '--pids-limit') } : {}),
    ulimits: (flags.ulimit ?? []).map(parseUlimit),
    capAdd: flags['cap-add'] ?? [],
    capDrop: flags['cap-drop'] ?? [],
    privileged: flags.privileged === true,
    noNewPrivileges: security.noNewPrivileges,
    seccomp: seccompOf(security.seccomp),
    init: flags.init === true,
    labels: parseLabels(flags.label ?? []),
    ...(flags['stop-signal'] !== undefined ? { stopSignal: flags['stop-signal'] } : {}),
    ...(flags['stop-timeout'] !== undefined ? { stopTimeout: parseInteger(flags['stop-timeout'], '--stop-timeout') } : {}),
    restart: parseRestart(flags.restart ?? 'no'),
    autoRemove: flags.rm === true,
    log: parseLogOpts(flags['log-opt'] ?? []),
    network,
    networkAliases: [...(flags['network-alias'] ?? []), ...(flags['net-alias'] ?? [])],
    publish: flags.publish ?? [],
    publishAll: flags['publish-all'] === true,
    expose: flags.expose ?? [],
    dns: flags.dns ?? [],
    dnsSearch: flags['dns-search'] ?? [],
    dnsOptions: flags['dns-option'] ?? [],
    addHost: flags['add-host'] ?? [],
    ...(flags['shm-size'] !== undefined ? { shmSize: parseBytes(flags['shm-size'], '--shm-size') } : {}),
    ...(healthcheck ? { healthcheck } : {}),
    ...(flags.pull !== undefined ? { pull: parsePullPolicy(flags.pull) } : {}),
    ...(flags.platform !== undefined ? { platform: parsePlatform(flags.platform) } : {}),
    ...hostFlags(flags),
  };
}
