/**
 * jailSpec() and hostViewSpec(): the CLI's and the library's container (a ResolvedConfig) as
 * an OCI spec, built by the engine's spec builder, so that `run --rootfs`
 * and `runContainer` get an engine container's defaults (Docker's 14
 * capabilities, the default seccomp profile, masked and read-only paths, a
 * cgroup, the /dev tmpfs) and go through the one plan compiler,
 * compileOciPlan. What is the jail's own becomes ordinary spec fields: the
 * /mytmp tmpfs, the hostname. The original form (no rootfs) is a spec of
 * its own, whose root the compiler makes from the host's "/" (a HostView,
 * oci/host-view.ts). docs/one-compiler.md has the design. Pure.
 */
import { MobyDickError } from '../errors.js';
import type { ResolvedConfig } from '../helper/config.js';
import type { Capability } from '../linux/capabilities.js';
import type { Mount, Spec } from '../spec/schema.js';
import { defaultSeccompProfile } from '../spec/seccomp-profile.js';
import { buildSpec, DEFAULT_SHM_SIZE } from '../spec/spec-builder.js';

/** The scratch tmpfs of the original moby-dick. */
export const MYTMP = '/mytmp';

/** The jail's containers' cgroups are CGROUP_PARENT/NAME in every hierarchy. */
export const JAIL_CGROUP_PARENT = '/moby-dick-jail';

/** /mytmp as the original moby-dick mounted it: a tmpfs anyone may write, programs in it may run. */
export const MYTMP_MOUNT: Mount = { destination: MYTMP, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] };

/**
 * CONFIG (with a rootfs) as a spec; NAME names its cgroup. CAP_MKNOD stays
 * out unless CONFIG asks for it (resolveConfig's default leaves it out
 * until device cgroups exist, as before).
 */
export function jailSpec(config: ResolvedConfig, name: string): Spec {
  if (config.rootfs === null) throw new MobyDickError('INVALID_CONFIG', 'invalid rootfs: the jail needs one', { subject: 'rootfs' });
  const caps = config.capabilities;
  const spec = buildSpec({
    id: name,
    rootfs: config.rootfs,
    readOnly: config.readOnly,
    argv: config.command,
    env: config.env,
    cwd: config.cwd,
    user: config.user,
    tty: config.tty,
    hostname: config.hostname,
    binds: [],
    tmpfs: [],
    shmSize: DEFAULT_SHM_SIZE,
    network: { mode: 'none' },
    cgroupsPath: `${JAIL_CGROUP_PARENT}/${name}`,
    ulimits: [],
    // exactly the capabilities asked for: every one, or the list (dropping all, adding each)
    capAdd: caps === 'all' ? ['ALL'] : caps,
    capDrop: caps === 'all' ? [] : ['ALL'],
    privileged: false,
    noNewPrivileges: false,
    seccomp: 'unconfined', // the default profile, made below when read
  });
  defaultProfileWhenRead(spec.linux!, spec.process!.capabilities!.bounding as Capability[]);
  spec.mounts = [...(spec.mounts ?? []), MYTMP_MOUNT];
  // the original form never set the OOM score: the process keeps its caller's
  delete spec.process!.oomScoreAdj;
  return spec;
}

/**
 * LINUX.seccomp as Docker's default profile for CAPS (what buildSpec's
 * 'default' gives), made when first read. The jail's filter is mostly
 * compiled at build time (oci/seccomp-prebuilt.ts), and then nothing reads
 * the profile: making it cost about 0.5 ms of a fresh process's CPU. Read
 * (the filter compiled at run time, JSON, a copy) it is an ordinary
 * property from then on.
 */
export function defaultProfileWhenRead(linux: NonNullable<Spec['linux']>, caps: readonly Capability[]): void {
  Object.defineProperty(linux, 'seccomp', {
    enumerable: true,
    configurable: true,
    get() {
      const seccomp = defaultSeccompProfile(caps);
      Object.defineProperty(linux, 'seccomp', { value: seccomp, enumerable: true, configurable: true, writable: true });
      return seccomp;
    },
    set(value: unknown) {
      Object.defineProperty(linux, 'seccomp', { value, enumerable: true, configurable: true, writable: true });
    },
  });
}

/** The original moby-dick's namespaces, plus cgroup. */
export const HOST_VIEW_NAMESPACES = ['mount', 'uts', 'ipc', 'pid', 'network', 'cgroup'] as const;

/**
 * The original form (CONFIG without a rootfs) as a spec: its namespaces, a
 * fresh /proc and /mytmp over the host view, its hostname, and the process.
 * No masked paths (the host's files are the point), no seccomp and no cgroup
 * (host programs run as they are), every capability unless CONFIG lists some.
 */
export function hostViewSpec(config: ResolvedConfig): Spec {
  const caps = config.capabilities;
  const { uid, gid, additionalGids } = config.user;
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: config.tty,
      user: { uid, gid, additionalGids: [...additionalGids] },
      args: [...config.command],
      env: [...config.env],
      cwd: config.cwd,
      ...(caps === 'all' ? {} : { capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps], inheritable: [...caps] } }),
    },
    root: { path: '/' },
    hostname: config.hostname,
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] }, MYTMP_MOUNT],
    linux: { namespaces: HOST_VIEW_NAMESPACES.map((type) => ({ type })) },
  };
}
