/**
 * Rules of config.json that span fields, checked once the schema has
 * passed and before anything is made (runc's libcontainer/configs/validate
 * and specconv hold the same rules; the messages here are ours):
 *
 * - linux.sysctl: only sysctls that the container's own namespaces
 *   confine. /proc/sys is mostly not namespaced: kernel.core_pattern
 *   written from a container is the host's. IPC ones (kernel.msg*,
 *   kernel.sem, kernel.shm*, fs.mqueue.*) need an IPC namespace, net.* a
 *   network namespace, kernel.domainname a UTS namespace, user.* a user
 *   namespace; each new, or joined by a path that is not the runtime's own
 *   namespace. kernel.hostname is refused, as runc does: the hostname
 *   field says it. Podman, CRI-O and Kubernetes pass users' sysctls
 *   through and count on this check.
 * - linux.namespaces: each type once.
 * - hostname and domainname: a UTS namespace of the container's own, new
 *   or joined by a path that is not the runtime's (runc asks only for a
 *   uts namespace in the list; setting the runtime's own would rename the
 *   host).
 * - mounts: no ".." in a destination; nothing mounted under /proc but the
 *   files runc allows (those lxcfs emulates), and on /proc itself only a
 *   procfs (runc's checkProcMount). Checked on the destination as written:
 *   a symlink in the rootfs is resolved by the helper inside the root.
 *
 * What needs the host (a namespace path, a bind source on /proc) is asked
 * of a HostProbe, so the rules are unit-tested without root.
 */
import { statfsSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { Spec } from '../spec/schema.js';
import { NAMESPACED_SYSCTLS, sysctlDotted, sysctlNamespace } from '../spec/sysctls.js';

type NamespaceType = NonNullable<NonNullable<Spec['linux']>['namespaces']>[number]['type'];

export interface HostProbe {
  /** whether PATH is the runtime's own namespace of TYPE (runc: "host" means "current", not "initial") */
  isOwnNamespace(type: NamespaceType, path: string): boolean;
  /** whether PATH is on a procfs */
  isProcfs(path: string): boolean;
}

const PROC_NS_NAME: Record<NamespaceType, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};
const PROC_SUPER_MAGIC = 0x9fa0;

export const hostProbe: HostProbe = {
  isOwnNamespace(type, path) {
    const own = statSync(`/proc/self/ns/${PROC_NS_NAME[type]}`);
    const other = statSync(path);
    return own.dev === other.dev && own.ino === other.ino;
  },
  isProcfs(path) {
    return statfsSync(path).type === PROC_SUPER_MAGIC;
  },
};

/** The files under /proc a mount may cover (runc's list: what lxcfs emulates). */
export const PROC_MOUNT_ALLOWED = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg',
  '/proc/slabinfo', '/proc/sys/kernel/ns_last_pid', '/proc/sys/crypto/fips_enabled',
]);

function bad(field: string, problem: string, hint: string): MobyDickError {
  return new MobyDickError('INVALID_CONFIG', `config.json: ${field}: ${problem}`, { subject: field, hint });
}

export { sysctlDotted } from '../spec/sysctls.js';

const NS_WORDS: Record<NamespaceType, string> = {
  pid: 'pid', network: 'network', mount: 'mount', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/**
 * Whether the container has a namespace of TYPE of its own: a new one, or
 * one joined by a path that is not the runtime's. Undefined: it has none.
 */
function ownNamespace(spec: Spec, type: NamespaceType, probe: HostProbe): 'new' | 'joined' | 'host' | undefined {
  const list = spec.linux?.namespaces ?? [];
  const i = list.findIndex((n) => n.type === type);
  const ns = list[i];
  if (ns === undefined) return undefined;
  if (ns.path === undefined) return 'new';
  try {
    return probe.isOwnNamespace(type, ns.path) ? 'host' : 'joined';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw bad(`linux.namespaces[${i}].path`, `cannot read ${ns.path}: ${code}`, 'give the path of a namespace, e.g. /proc/PID/ns/net or a file under /run/netns');
  }
}

function checkSysctls(spec: Spec, probe: HostProbe): void {
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const field = `linux.sysctl.${key}`;
    const need = sysctlNamespace(sysctlDotted(key));
    if ('refused' in need) {
      throw bad(field, need.refused, `set only sysctls a namespace of the container confines: ${NAMESPACED_SYSCTLS}`);
    }
    const has = ownNamespace(spec, need.type, probe);
    if (has === undefined || has === 'host') {
      const where = has === undefined ? 'the container has none' : 'the one joined is the runtime\'s own';
      throw bad(field, `needs a ${NS_WORDS[need.type]} namespace of the container's own (${where})`, `add {"type": "${need.type}"} to linux.namespaces, or remove the sysctl`);
    }
  }
}

function checkNamespaces(spec: Spec): void {
  const seen = new Map<string, number>();
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    const first = seen.get(ns.type);
    if (first !== undefined) {
      throw bad(`linux.namespaces[${i}].type`, `${ns.type} is already linux.namespaces[${first}]`, 'list each namespace type once');
    }
    seen.set(ns.type, i);
  });
}

/** hostname and domainname, when not empty (runc sets neither then): in a uts namespace new or joined, not the runtime's. */
function checkUts(spec: Spec, probe: HostProbe): void {
  for (const field of ['hostname', 'domainname'] as const) {
    if (!spec[field]) continue;
    // the kernel's __NEW_UTS_LEN: sethostname would refuse it when the container starts
    if (Buffer.byteLength(spec[field]) > 64) throw bad(field, `${Buffer.byteLength(spec[field])} bytes, longer than the kernel's 64`, `give a ${field} of 64 characters at most`);
    const has = ownNamespace(spec, 'uts', probe);
    if (has === undefined || has === 'host') {
      throw bad(field, `needs a uts namespace of the container's own (${has === undefined ? 'the container has none' : 'the one joined is the runtime\'s own'})`, 'add {"type": "uts"} to linux.namespaces');
    }
  }
}

function checkMounts(spec: Spec, bundle: string, probe: HostProbe): void {
  (spec.mounts ?? []).forEach((m, i) => {
    const field = `mounts[${i}].destination`;
    if (m.destination.split('/').includes('..')) {
      throw bad(field, `${JSON.stringify(m.destination)} has a ".." component`, 'give the destination as a plain path inside the container');
    }
    const dest = posix.normalize(posix.join('/', m.destination));
    const trimmed = dest.length > 1 && dest.endsWith('/') ? dest.slice(0, -1) : dest;
    if (trimmed === '/proc') {
      const options = m.options ?? [];
      const bind = m.type === 'bind' || options.includes('bind') || options.includes('rbind');
      if (bind) {
        const source = m.source === undefined ? undefined : posix.resolve(bundle, m.source);
        let procfs = false;
        try {
          procfs = source !== undefined && probe.isProcfs(source);
        } catch {
          // a source that does not exist is not a procfs
        }
        if (!procfs) throw bad(field, 'only a procfs may be mounted on /proc, and the source of this bind is not one', 'mount a fresh procfs: {"destination": "/proc", "type": "proc", "source": "proc"}');
      } else if (m.type !== 'proc') {
        throw bad(field, `only a procfs may be mounted on /proc, not ${m.type === undefined ? 'a mount without a type' : `"${m.type}"`}`, 'mount a fresh procfs: {"destination": "/proc", "type": "proc", "source": "proc"}');
      }
    } else if (trimmed.startsWith('/proc/') && !PROC_MOUNT_ALLOWED.has(trimmed)) {
      throw bad(field, `cannot mount over ${trimmed}: under /proc only ${[...PROC_MOUNT_ALLOWED].join(', ')} may be covered`, 'mount somewhere outside /proc');
    }
  });
}

/** Throws the first rule SPEC breaks, naming its field. BUNDLE: where relative sources are. */
export function checkSpecRules(spec: Spec, bundle = '/', probe: HostProbe = hostProbe): void {
  checkNamespaces(spec);
  checkMounts(spec, bundle, probe);
  checkUts(spec, probe);
  checkSysctls(spec, probe);
}
