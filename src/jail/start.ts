/**
 * startContainer(): the jail's, the original form's and the library's
 * container. Its config (ContainerConfig) is validated, turned into an OCI
 * spec (jail-spec.ts), compiled by the one plan compiler (compileOciPlan),
 * and carried out by the C helper; the engine's work at the cgroup sync
 * point is done here, and the cgroup removed once the container ended.
 * This is the library API's core; the CLI is a thin layer over it.
 */
import { readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CgroupManager, type CgroupPlacement } from '../cgroups/cgroup.js';
import { type CgroupLayout, readCgroupLayout } from '../cgroups/layout.js';
import { deviceRules } from '../cgroups/resources.js';
import { MobyDickError } from '../errors.js';
import type { Capability } from '../linux/capabilities.js';
import { compileOciPlan, type HostFacts } from '../oci/compile.js';
import { readHostFacts } from '../oci/host-facts.js';
import { compileSeccomp } from '../oci/seccomp.js';
import { cachedSeccomp } from '../oci/seccomp-cache.js';
import { prebuiltSeccomp } from '../oci/seccomp-prebuilt.js';
import { type ContainerConfig, type ResolvedConfig, resolveConfig } from '../helper/config.js';
import { Container, type ContainerCgroup, type ExitStatus, type PlannedContainer, type StartOptions } from '../helper/container.js';
import { launchHelper } from '../helper/helper-launch.js';
import { monitorOps } from '../helper/monitor-ops.js';
import type { Op } from '../helper/plan.js';
import { encodePlan } from '../helper/plan-wire.js';
import type { Resources, Spec } from '../spec/schema.js';
import { readHostRoot } from './host-root.js';
import { hostViewSpec, JAIL_CGROUP_PARENT, jailSpec } from './jail-spec.js';
import { checkMappedUser } from '../rootless/mapped-user.js';
import { isRootless, mapUserNamespace, userName, userNamespaceMaps, userRuntimeDir } from '../rootless/rootless.js';
import { rootlessSpec } from '../rootless/rootless-spec.js';
import { findDelegation, withoutDevices } from '../cgroups/delegation.js';

/** Compiled seccomp programs of the jail's containers (oci/seccomp-cache.ts), beside the engine's. */
export const JAIL_SECCOMP_CACHE = '/run/moby-dick/seccomp';

/**
 * A name for the container's cgroup, unique among the living: our pid and
 * the clock's low bits, 16 hex digits (node:crypto's first use costs about 2 ms).
 */
function containerName(): string {
  const clock = Number(process.hrtime.bigint() & 0xffffffffn);
  return `${process.pid.toString(16).padStart(8, '0')}${clock.toString(16).padStart(8, '0')}`;
}

/** The host view's spec binds nothing and mounts no cgroups: no host facts are asked for. */
const HOST_VIEW_FACTS: HostFacts = { kindOf: () => null, cgroupV1: [], cgroupV2Only: false };

/**
 * Whether the helper must run from a sealed memfd (CVE-2019-5736): when its
 * image stays visible inside the container, as pid 1 under --init. Without
 * --init the only process that runs helper code inside is pid 1 before its
 * exec, when nothing else in the pid namespace exists to open it. Sealing
 * costs an extra exec, about 1.5 ms. The OCI runtime (src/oci/lifecycle.ts,
 * the engine's containers, `--init` there too) always runs the helper
 * sealed, so it needs no such test.
 */
export function needsSealedHelper(config: ResolvedConfig): boolean {
  return config.init;
}

/** The jail's seccomp cache: the system's as root, the user's own under their run-time directory otherwise. */
function seccompCacheDir(rootless: boolean): string {
  return rootless ? join(userRuntimeDir(), 'moby-dick', 'seccomp') : JAIL_SECCOMP_CACHE;
}

/**
 * The plan options every jail shares (as root or as a user): the rootfs, the
 * default seccomp profile for its capabilities (jailSpec, through buildSpec,
 * wrote them from Capability values: mostly compiled at build time), the
 * host's facts and the jail's own settings.
 */
function jailPlanOptions(spec: Spec, resolved: ResolvedConfig, rootfs: string, mountinfo: string, rootless: boolean, debug: boolean) {
  return {
    bundle: rootfs,
    detach: false,
    seccomp: prebuiltSeccomp(spec.process!.capabilities!.bounding as Capability[]) ?? cachedSeccomp(spec.linux!.seccomp!, seccompCacheDir(rootless), compileSeccomp),
    debug,
    host: readHostFacts(mountinfo),
    overlay: resolved.overlay ?? undefined,
    init: resolved.init,
    interactive: resolved.interactive,
    makeCwd: true,
  };
}

function checkRootfs(rootfs: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new MobyDickError('ROOTFS', `rootfs ${rootfs}: ${code === 'ENOENT' ? 'no such directory' : code}`, {
      subject: rootfs,
      errnoName: code,
      hint: 'give --rootfs an existing directory that holds the container\'s files',
    });
  }
  if (!isDir) {
    throw new MobyDickError('ROOTFS', `rootfs ${rootfs}: not a directory`, { subject: rootfs, errnoName: 'ENOTDIR' });
  }
}

/**
 * The jail's cgroups, in the host's LAYOUT. On v1 (and hybrid) hosts, every
 * v1 hierarchy, as Docker's containers; the child moves itself in after the
 * sync (join_cgroup: writing 0 to `tasks` moves the calling thread without
 * the RCU grace period, about 16 ms, that writing a pid to cgroup.procs
 * waits for). A hybrid host's cgroup2 tree is left out: it carries only the
 * controllers v1 does not (hugetlb here, none on most hosts), and the jail
 * sets no limits; joining it could only be done through cgroup.procs. On a
 * v2 host the engine writes the pid into its one cgroup.procs, as before.
 */
export function jailCgroupLayout(layout: CgroupLayout): CgroupLayout {
  return layout.version === 1 ? { ...layout, unified: null } : layout;
}

/** The v1 `tasks` files the child writes itself into (none on a v2 host). */
export function jailJoinFiles(layout: CgroupLayout, path: string): string[] {
  return layout.version === 1 ? layout.v1.map((h) => join(h.mountPoint, path, 'tasks')) : [];
}

/** Whether PID names a living process (or one we may not signal: not ours to judge). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Whether NAME is a jail's (containerName) whose starter is gone: its pid is the name's first 8 hex digits. */
export function jailStarterGone(name: string, isAlive: (pid: number) => boolean = alive): boolean {
  if (!/^[0-9a-f]{16}$/.test(name)) return false;
  const pid = parseInt(name.slice(0, 8), 16);
  return pid !== process.pid && !isAlive(pid);
}

/**
 * The cgroups of jails whose starter died without removing them (SIGKILL):
 * a jail's cgroup is named by its starter's pid (containerName), so one
 * whose starter is gone, and which holds no task (rmdir refuses it
 * otherwise), is removed. One readdir per hierarchy when there are none.
 * A reused pid keeps its leftover until that process is gone too.
 */
export function removeJailLeftovers(layout: CgroupLayout, isAlive: (pid: number) => boolean = alive): string[] {
  const removed: string[] = [];
  const roots = [...layout.v1.map((h) => h.mountPoint), ...(layout.unified ? [layout.unified] : [])];
  // the hierarchies are made and removed together: the first one says whether to look further
  const leftover = (name: string): boolean => jailStarterGone(name, isAlive);
  try {
    if (roots.length === 0 || !readdirSync(join(roots[0]!, JAIL_CGROUP_PARENT)).some(leftover)) return removed;
  } catch {
    return removed; // no jail has run since boot, or none is left
  }
  for (const root of roots) {
    const parent = join(root, JAIL_CGROUP_PARENT);
    let names: string[];
    try {
      names = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!leftover(name)) continue;
      try {
        rmdirSync(join(parent, name));
        removed.push(join(parent, name));
      } catch {
        // busy (a task is left) or gone already
      }
    }
  }
  return removed;
}

/**
 * What of PLACEMENT goes when the container ends: its own directories.
 * The parent (JAIL_CGROUP_PARENT in each hierarchy) stays for the next
 * jail, as runc and Docker leave /docker: made and removed at every run it
 * cost about 0.6 ms of CPU (a directory, a readdir and an rmdir in each of
 * this host's 9 v1 hierarchies, and the parent's cpuset).
 */
export function jailRemoval(placement: CgroupPlacement): CgroupPlacement {
  return { ...placement, created: placement.created.filter((d) => placement.dirs.includes(d)) };
}

/**
 * The device rules of a jail's cgroup. The same for every jail (deny all
 * but Docker's standard devices): v1's /moby-dick-jail holds them, and each
 * container's cgroup copies them at mkdir (CgroupManager's sharedParent). A
 * jail that let a container use more devices would need its own parent:
 * a child cannot be given a device its parent lacks.
 */
export function jailDeviceRules(spec: Spec): Resources {
  return deviceRules(spec.linux?.resources, spec.linux?.devices);
}

/**
 * The container's cgroup, made at the plan's cgroup sync (the child waits
 * there) with the spec's device rules, and removed at the end (jailRemoval).
 */
function jailCgroup(
  spec: Spec,
  hostLayout: CgroupLayout,
  /** an ordinary user's jail in a delegated subtree: no device rules (cgroups/delegation.ts) */
  rootless = false,
): { cgroup: ContainerCgroup; prepare: () => void; onSync: (name: string, pid: number) => void; inherited: () => boolean } {
  const path = spec.linux!.cgroupsPath!;
  const layout = jailCgroupLayout(hostLayout);
  let manager: CgroupManager | undefined;
  let placement: CgroupPlacement | undefined;
  let failed: unknown;
  const prepare = (): void => {
    if (placement || failed) return;
    try {
      removeJailLeftovers(hostLayout);
      manager = new CgroupManager(layout);
      // every jail has the same device rules (jailSpec): /moby-dick-jail holds them for its children
      // /moby-dick-jail.NAME: a parent being filled by the jail NAME, left when its starter was killed meanwhile
      placement = manager.create(path, rootless ? withoutDevices(spec.linux?.resources) : jailDeviceRules(spec), { sharedParent: true, staleTemporary: (name) => jailStarterGone(name) });
    } catch (e) {
      failed = e;
    }
  };
  return {
    prepare,
    inherited: () => placement?.devicesInherited === true,
    cgroup: {
      path,
      remove: () => {
        // its last tasks are gone once pid 1 of its pid namespace is: what stays busy is left, as the runtime leaves it
        // an ordinary user's delegated subtree is left as it was: the parent goes too when it is empty
        if (manager && placement) manager.remove(rootless ? placement : jailRemoval(placement));
      },
    },
    onSync: (name, pid) => {
      if (name !== 'cgroup') return;
      prepare();
      if (failed) throw failed;
      if (layout.version === 1) return; // the child joins them itself (join_cgroup)
      try {
        manager!.addProcess(placement!, pid);
      } catch (e) {
        // killed while it waited here (Container.kill): its end is reported as any other
        if (!(e instanceof MobyDickError && e.details.errnoName === 'ESRCH')) throw e;
      }
    },
  };
}

/** Starts a container; throws MobyDickError for a bad config or a missing rootfs. */
export function startContainer(config: ContainerConfig, options: StartOptions = {}): Container {
  const { onStep } = options;
  let t = process.hrtime.bigint();
  const lap = (name: string, detail = ''): void => {
    const now = process.hrtime.bigint();
    onStep?.({ source: 'engine', name, detail, milliseconds: Number(now - t) / 1e6 });
    t = now;
  };
  const rootless = isRootless();
  const resolved = resolveConfig(config);
  if (resolved.rootfs !== null) checkRootfs(resolved.rootfs);
  const hostRoot = resolved.rootfs === null ? readHostRoot() : undefined;
  lap('resolve config', resolved.rootfs ?? 'host view');
  let ops: Op[];
  let spec: Spec;
  let cgroupVersion: 1 | 2 | undefined;
  let cgroup: ContainerCgroup | undefined;
  let prepareCgroup: (() => void) | undefined;
  let cgroupInherited: (() => boolean) | undefined;
  let onSync = options.onSync;
  const maps = rootless ? userNamespaceMaps() : undefined;
  if (maps) {
    // an ordinary user: a user namespace of the user's ids, written while the child waits at "userns"
    onSync = (name, pid) => {
      if (name === 'userns') mapUserNamespace(pid, maps);
      options.onSync?.(name, pid);
    };
  }
  const asUser = (s: Spec): Spec => {
    if (!maps) return s;
    // -u to an id the namespace does not map: the kernel's bare EINVAL otherwise
    checkMappedUser(s.process!.user, maps.uidMappings, maps.gidMappings, userName() || String(process.geteuid!()));
    return rootlessSpec(s, maps);
  };
  if (resolved.rootfs === null) {
    spec = asUser(hostViewSpec(resolved));
    ops = compileOciPlan(spec, {
      bundle: '/',
      detach: false,
      syncCgroup: false,
      debug: onStep !== undefined,
      host: HOST_VIEW_FACTS,
      init: resolved.init,
      interactive: resolved.interactive,
      hostView: { entries: hostRoot ?? [] },
      ...(options.passFds?.length ? { preserveFds: options.passFds.length } : {}),
    });
  } else if (rootless) {
    // a cgroup only in a cgroup v2 subtree delegated to the user (below it, as the runtime's containers); none without
    const jailed = jailSpec(resolved, containerName());
    const path = jailed.linux!.cgroupsPath!;
    spec = asUser(jailed);
    const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    const delegation = findDelegation(readCgroupLayout(mountinfo), process.geteuid!());
    if (delegation) {
      const jail = jailCgroup({ ...spec, linux: { ...spec.linux, cgroupsPath: path } }, delegation.layout, true);
      cgroupVersion = 2;
      // as /proc/PID/cgroup names it (--explain, the exit's cgroup)
      cgroup = { ...jail.cgroup, path: `${delegation.path}${path}` };
      prepareCgroup = jail.prepare;
      const userns = onSync;
      onSync = (name, pid) => {
        jail.onSync(name, pid);
        userns?.(name, pid);
      };
    }
    ops = compileOciPlan(spec, { ...jailPlanOptions(spec, resolved, resolved.rootfs, mountinfo, true, onStep !== undefined), syncCgroup: delegation !== null, ...(delegation ? { cgroupPath: path } : {}) });
  } else {
    spec = jailSpec(resolved, containerName());
    const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    const layout = readCgroupLayout(mountinfo);
    cgroupVersion = jailCgroupLayout(layout).version;
    const jail = jailCgroup(spec, layout);
    cgroup = jail.cgroup;
    prepareCgroup = jail.prepare;
    cgroupInherited = jail.inherited;
    onSync = (name, pid) => {
      jail.onSync(name, pid);
      options.onSync?.(name, pid);
    };
    ops = compileOciPlan(spec, {
      ...jailPlanOptions(spec, resolved, resolved.rootfs, mountinfo, false, onStep !== undefined),
      syncCgroup: true,
      cgroupPath: spec.linux!.cgroupsPath,
      joinCgroups: jailJoinFiles(jailCgroupLayout(layout), spec.linux!.cgroupsPath!),
    });
  }
  const monitor = options.monitor ? monitorOps(options.monitor) : [];
  ops.splice(1, 0, ...monitor); // settings of the outer helper, after "clone"
  const plan = encodePlan(ops);
  lap('compile plan', `${plan.length} bytes`);
  // v1: the jail's cgroup copies its device rules and cpuset from /moby-dick-jail at mkdir (jailCgroup)
  const planned: PlannedContainer['cgroup'] = cgroup && cgroupVersion
    ? { path: cgroup.path, version: cgroupVersion, ...(cgroupVersion === 1 ? { inheritsFrom: dirname(cgroup.path) } : {}) }
    : undefined;
  options.onPlan?.({ spec, ops, ...(planned ? { cgroup: planned } : {}) });
  const helper = launchHelper(plan, {
    stdio: monitor.length ? 'null' : options.stdio ?? 'inherit',
    interactive: resolved.interactive,
    sealed: needsSealedHelper(resolved),
    ...(options.passFds?.length && resolved.rootfs === null ? { passFds: options.passFds } : {}),
  });
  lap('spawn helper', String(helper.pid));
  if (prepareCgroup) {
    // while the helper starts and clones (its child waits at the cgroup sync): a failure is reported there
    prepareCgroup();
    // written after all (under a parent an older moby-dick made, still in use): the explanation says so
    if (planned && !cgroupInherited?.()) delete planned.inheritsFrom;
    lap('create cgroup', cgroup!.path);
  }
  return new Container(helper, { ...options, onSync }, monitor.length > 0, { cgroup, syncs: ops.filter((o) => o.op === 'sync').length, init: resolved.init });
}

/** Runs a container to its end. */
export async function runContainer(config: ContainerConfig, options: StartOptions = {}): Promise<ExitStatus> {
  return startContainer(config, options).wait();
}
