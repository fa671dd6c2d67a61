/**
 * A private containerd 1.6 with its CRI plugin, for the CRI test and
 * bench/cri.mjs: its own root, state, sockets and config under a test's
 * mdk-test- directory; CNI from Debian's containernetworking-plugins with a
 * bridge conflist of its own (an mdkt bridge, a private subnet, host-local
 * IPAM whose data is under the directory, no masquerading: traffic stays on
 * the machine); network namespaces under its state dir; two runtime handlers
 * of the runc shim, `runc` and `moby` (moby-dick-runtime), each with a
 * runtime root of its own; and the busybox and pause images imported, so
 * nothing is ever pulled. The CRI client talks to its socket.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNTIME } from '../bundle.js';
import { buildBusyboxImage } from '../busybox-image.js';
import { killUnder, mountsUnder, processesInCgroups, processesUnder, removeCgroups, unmountUnder } from '../caller-host.js';
import { type CliResult, run, sleep } from '../cli.js';
import { Daemon } from '../daemon.js';
import { CriClient } from './client.js';
import { buildPauseImage, PAUSE_IMAGE } from './pause-image.js';

export const BUSYBOX_IMAGE = 'docker.io/library/busybox:latest';
export const CNI_BIN = '/usr/lib/cni';
/** where containerd 1.6 puts its shims' sockets, whatever its config says */
const SHIM_SOCKETS = '/run/containerd/s';
/** libcni's cache of results (containerd 1.6 does not move it) */
export const CNI_RESULTS = '/var/lib/cni/results';
/** the namespace of containerd's CRI plugin */
export const K8S_NS = 'k8s.io';

export type Handler = 'runc' | 'moby';
/** each handler's runtime binary, as its runtime options name it */
export const HANDLER_BINARY: Record<Handler, string> = { runc: 'runc', moby: RUNTIME };

export interface CriHostOptions {
  /** the test's temp dir (its name contains mdk-test-) */
  dir: string;
  /** makes the bridge, network and cgroup names of this run unique */
  tag: string;
  /** a private IPv4 /24 no interface or route of the machine uses */
  subnet: string;
  /** containerd's log level: debug for a test, warn for a benchmark */
  logLevel?: string;
}

/** Whether SUBNET (a.b.c.0/24) appears in any address or route of the machine. */
export function subnetInUse(subnet: string): boolean {
  const prefix = subnet.split('.').slice(0, 3).join('.') + '.';
  const addrs = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  return addrs.includes(prefix) || routes.includes(prefix);
}

export function linkExists(name: string): boolean {
  try {
    execFileSync('ip', ['link', 'show', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export class CriHost {
  /** containerd's directory: config, root, state, sockets, log, CNI config and IPAM data */
  readonly c: string;
  readonly socket: string;
  readonly bridge: string;
  readonly network: string;
  /** the cgroup under which every pod's cgroup_parent goes (removed by stop()) */
  readonly cgroup: string;
  readonly ipamDir: string;
  readonly logFile: string;
  /** every pod sandbox and container this containerd made */
  readonly ids = new Set<string>();
  private daemon: Daemon | null = null;
  private criClient: CriClient | null = null;

  constructor(readonly options: CriHostOptions) {
    if (!options.dir.includes('mdk-test-')) throw new Error(`not a test's directory: ${options.dir}`);
    this.c = join(options.dir, 'containerd');
    this.socket = join(this.c, 'containerd.sock');
    this.bridge = `mdktcri${options.tag}`.slice(0, 15);
    this.network = `mdkt-cri-${options.tag}`;
    this.cgroup = `mdk-test-cri-${options.tag}`;
    this.ipamDir = join(this.c, 'cni', 'ipam');
    this.logFile = join(this.c, 'containerd.log');
  }

  get client(): CriClient {
    if (!this.criClient) throw new Error('containerd is not started');
    return this.criClient;
  }

  /** runc's --root for HANDLER's containers (the shim adds the namespace to the Root option) */
  runtimeRoot(handler: Handler): string {
    return join(this.c, 'runtime-root', handler, K8S_NS);
  }

  /** The containerd config: the CRI plugin with its two handlers, CNI and the sandbox image of ours. */
  private config(): string {
    const c = this.c;
    const cri = '[plugins."io.containerd.grpc.v1.cri"]';
    const runtime = (h: Handler): string[] => [
      `  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${h}]`,
      '    runtime_type = "io.containerd.runc.v2"',
      `    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${h}.options]`,
      `      BinaryName = "${HANDLER_BINARY[h]}"`,
      `      Root = "${join(c, 'runtime-root', h)}"`,
    ];
    return [
      'version = 2',
      `root = "${c}/root"`,
      `state = "${c}/state"`,
      '[grpc]', `  address = "${this.socket}"`,
      '[ttrpc]', `  address = "${this.socket}.ttrpc"`,
      '[debug]', '  address = ""', `  level = "${this.options.logLevel ?? 'debug'}"`,
      '[metrics]', '  address = ""',
      '[plugins."io.containerd.internal.v1.opt"]', `  path = "${c}/opt"`,
      '[plugins."io.containerd.monitor.v1.cgroups"]', '  no_prometheus = true',
      cri,
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      '  disable_tcp_service = true',
      '  stream_server_address = "127.0.0.1"',
      '  stream_server_port = "0"',
      '  enable_selinux = false',
      '  disable_apparmor = true',
      // the pods' network namespaces under its state dir, not /var/run/netns
      '  netns_mounts_under_state_dir = true',
      // root here lacks CAP_SYS_RESOURCE: the sandbox's oom_score_adj (-998) cannot be set below containerd's own
      '  restrict_oom_score_adj = true',
      '[plugins."io.containerd.grpc.v1.cri".containerd]',
      '  snapshotter = "overlayfs"',
      '  default_runtime_name = "runc"',
      ...runtime('runc'),
      ...runtime('moby'),
      '[plugins."io.containerd.grpc.v1.cri".cni]',
      `  bin_dir = "${CNI_BIN}"`,
      `  conf_dir = "${c}/cni/net.d"`,
      '  max_conf_num = 1',
      '',
    ].join('\n');
  }

  /** The bridge conflist: no gateway address on the host, no NAT, IPAM data of its own. */
  private conflist(): string {
    return JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: this.network,
        plugins: [
          {
            type: 'bridge',
            bridge: this.bridge,
            isGateway: false,
            ipMasq: false,
            hairpinMode: false,
            ipam: { type: 'host-local', ranges: [[{ subnet: this.options.subnet }]], dataDir: this.ipamDir },
          },
        ],
      },
      null,
      2,
    );
  }

  /** Writes the config, starts containerd, waits for its CRI server and imports the two images. */
  async start(env: NodeJS.ProcessEnv): Promise<void> {
    if (subnetInUse(this.options.subnet)) throw new Error(`the subnet ${this.options.subnet} is in use on this machine: choose another`);
    if (linkExists(this.bridge)) throw new Error(`a link named ${this.bridge} exists already`);
    const c = this.c;
    mkdirSync(join(c, 'cni', 'net.d'), { recursive: true });
    mkdirSync(this.ipamDir, { recursive: true });
    writeFileSync(join(c, 'config.toml'), this.config());
    writeFileSync(join(c, 'cni', 'net.d', '10-mdkt.conflist'), this.conflist());
    const busybox = buildBusyboxImage(this.options.dir);
    const pause = buildPauseImage(this.options.dir);
    this.daemon = new Daemon('containerd', 'containerd', ['--config', join(c, 'config.toml')], this.logFile, env);
    this.criClient = new CriClient(this.socket, (method, res) => {
      if (method === 'RunPodSandbox' && 'pod_sandbox_id' in res) this.ids.add(String(res.pod_sandbox_id));
      if (method === 'CreateContainer' && 'container_id' in res) this.ids.add(String(res.container_id));
    });
    const client = this.criClient;
    await this.daemon.ready(async () => {
      try {
        await client.call('Version', { version: 'v1' }, 2000);
        return true;
      } catch {
        return false;
      }
    });
    for (const archive of [busybox.archive, pause.archive]) {
      const r = await this.ctr(['images', 'import', archive], env);
      if (r.code !== 0) throw new Error(`ctr images import ${archive}: exit ${r.code}\n${r.stderr}`);
    }
  }

  ctr(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
    return run('ctr', ['--address', this.socket, '--namespace', K8S_NS, ...args], { until: 'exit', env, timeoutMs: 60_000 });
  }

  logTail(lines = 40): string {
    return this.daemon?.logTail(lines) ?? '(not started)';
  }

  /**
   * Stops containerd, then removes what it or a failed check left: processes,
   * mounts, cgroups, the bridge, and in the global dirs the sockets of shims
   * killed here and the CNI results of pods never torn down. Returns what had
   * to be removed by force (nothing, after a clean run).
   */
  async stop(): Promise<string[]> {
    const forced: string[] = [];
    this.criClient?.close();
    await this.daemon?.stop(10_000);
    forced.push(...this.shims().map((p) => `process ${p.pid}: ${p.cmdline}`));
    await killUnder(this.c);
    forced.push(...mountsUnder(this.c).map((m) => `mount ${m}`));
    unmountUnder(this.c);
    forced.push(...processesInCgroups(this.cgroup).map((pid) => `process ${pid} in the cgroup ${this.cgroup}`));
    await removeCgroups(this.cgroup);
    if (linkExists(this.bridge)) execFileSync('ip', ['link', 'del', this.bridge]);
    for (const id of this.ids) {
      // the shim's socket: /run/containerd/s/sha256(containerd's address/namespace/id), as containerd 1.6 names it
      const sock = join(SHIM_SOCKETS, createHash('sha256').update(join(this.socket, K8S_NS, id)).digest('hex'));
      if (existsSync(sock)) {
        forced.push(sock);
        rmSync(sock, { force: true });
      }
      // a pod's cached CNI results, which only a CNI DEL removes: <network>-<id>-eth0, cni-loopback-<id>-lo
      if (existsSync(CNI_RESULTS)) {
        for (const f of readdirSync(CNI_RESULTS).filter((n) => n.includes(`-${id}-`))) {
          forced.push(join(CNI_RESULTS, f));
          rmSync(join(CNI_RESULTS, f), { force: true });
        }
      }
    }
    this.daemon = null;
    return forced;
  }

  get daemonPid(): number {
    return this.daemon?.pid ?? 0;
  }

  /** What runs under containerd's directory besides containerd itself: shims, runtimes, containers' helpers. */
  shims(): { pid: number; cmdline: string }[] {
    return processesUnder(this.c).filter((p) => p.pid !== this.daemonPid);
  }

  /** Waits up to MS for the shims to be gone, and returns what is left. */
  async shimsAfter(ms: number): Promise<{ pid: number; cmdline: string }[]> {
    for (let t = 0; t < ms && this.shims().length > 0; t += 50) await sleep(50);
    return this.shims();
  }

  /** The error lines of the runtime's --log (JSON lines in each bundle the shim still has): what a failed check needs to be read. */
  runtimeErrors(): string[] {
    const bundles = join(this.c, 'state', 'io.containerd.runtime.v2.task', K8S_NS);
    if (!existsSync(bundles)) return [];
    return readdirSync(bundles).flatMap((id) => {
      const log = join(bundles, id, 'log.json');
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"error"')).map((l) => `${id.slice(0, 12)}: ${l}`);
    });
  }

  mounts(): string[] {
    return mountsUnder(this.c);
  }

  /** The links enslaved to the bridge: the host ends of the pods' veths. */
  veths(): string[] {
    if (!linkExists(this.bridge)) return [];
    return execFileSync('ip', ['-o', 'link', 'show', 'master', this.bridge], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(': ')[1]?.split('@')[0] ?? l);
  }

  /** The network namespaces containerd has mounted under its state dir. */
  netns(): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.name === 'netns' && e.isDirectory()) out.push(...readdirSync(join(d, e.name)).map((n) => join(d, e.name, n)));
        else if (e.isDirectory()) walk(join(d, e.name));
      }
    };
    if (existsSync(join(this.c, 'state'))) walk(join(this.c, 'state'));
    return out;
  }

  /** The addresses host-local has handed out and not taken back. */
  allocatedIps(): string[] {
    const d = join(this.ipamDir, this.network);
    if (!existsSync(d)) return [];
    return readdirSync(d).filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip'));
  }

  /** The containers' state in HANDLER's runtime root, containerd's task bundles and the CRI plugin's records. */
  stateLeft(handler: Handler): Record<string, string[]> {
    const ls = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
    return {
      [`${handler} root`]: ls(this.runtimeRoot(handler)),
      'task bundles': ls(join(this.c, 'state', 'io.containerd.runtime.v2.task', K8S_NS)),
      'cri containers': ls(join(this.c, 'root', 'io.containerd.grpc.v1.cri', 'containers')),
      'cri sandboxes': ls(join(this.c, 'root', 'io.containerd.grpc.v1.cri', 'sandboxes')),
      'cri sandbox state': ls(join(this.c, 'state', 'io.containerd.grpc.v1.cri', 'sandboxes')),
    };
  }

  /** The cgroups of the pods' containers under PARENT (a pod's cgroup_parent), in any hierarchy, and what runs in them. */
  cgroupsBelow(parent: string): { dirs: string[]; procs: number[] } {
    const dirs: string[] = [];
    for (const h of readdirSync('/sys/fs/cgroup')) {
      const d = join('/sys/fs/cgroup', h, parent);
      if (!existsSync(d)) continue;
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) dirs.push(join(d, e.name));
    }
    return { dirs, procs: processesInCgroups(this.cgroup) };
  }

  /** The value of a cgroup v1 file of a container: CONTROLLER/PARENT/ID/FILE. */
  static cgroupFile(controller: string, parent: string, id: string, file: string): string {
    return readFileSync(join('/sys/fs/cgroup', controller, parent, id, file), 'utf8').trim();
  }
}
