/**
 * Which namespace confines a sysctl (runc's libcontainer/configs/validate
 * holds the same list): the IPC ones (kernel.msg*, kernel.sem, kernel.shm*,
 * fs.mqueue.*) an IPC namespace, net.* a network namespace,
 * kernel.domainname a UTS namespace, user.* a user namespace. Everything
 * else under /proc/sys is the host's kernel, whatever namespace writes it;
 * kernel.hostname is refused as runc does (the hostname field says it).
 * Pure: the OCI runtime's rules (oci/spec-rules.ts) and the engine's
 * `--sysctl` (checkContainerSysctls) both ask it.
 */
import { MobyDickError } from '../errors.js';

export type SysctlNamespace = 'ipc' | 'network' | 'uts' | 'user';

/** The IPC sysctls runc allows with an IPC namespace (besides fs.mqueue.*). */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** What `--sysctl` allows, for hints. */
export const NAMESPACED_SYSCTLS = 'kernel.msgmax, kernel.msgmnb, kernel.msgmni, kernel.sem, kernel.shmall, kernel.shmmax, kernel.shmmni, kernel.shm_rmid_forced, fs.mqueue.*, net.*, kernel.domainname';

/** net/ipv4/ip_forward -> net.ipv4.ip_forward; a name whose first separator is "/" has its "." and "/" swapped, as runc reads it. */
export function sysctlDotted(key: string): string {
  const first = key.search(/[./]/);
  if (first === -1 || key[first] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** Which namespace the sysctl NAME (dotted) needs, or why none will do. */
export function sysctlNamespace(name: string): { type: SysctlNamespace } | { refused: string } {
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) return { type: 'ipc' };
  if (name.startsWith('net.')) return { type: 'network' };
  if (name === 'kernel.domainname') return { type: 'uts' };
  if (name === 'kernel.hostname') return { refused: 'conflicts with the hostname field: set hostname instead' };
  if (name.startsWith('user.')) return { type: 'user' };
  return { refused: 'not namespaced: writing it would change the host\'s kernel' };
}

/** The namespaces of an engine container that are the host's (--network host, --ipc host, --uts host; it never has a user namespace). */
export interface HostNamespaces {
  network: boolean;
  ipc: boolean;
  uts: boolean;
}

/**
 * `--sysctl`/HostConfig.Sysctls of a container: each one namespaced, in a
 * namespace the container has of its own (Docker's words where it has them).
 */
export function checkContainerSysctls(sysctls: Readonly<Record<string, string>>, host: HostNamespaces): void {
  for (const key of Object.keys(sysctls)) {
    const name = sysctlDotted(key);
    const need = sysctlNamespace(name);
    if ('refused' in need) {
      throw new MobyDickError('USAGE', `sysctl '${key}' is not allowed: ${need.refused}`, { subject: key, hint: `--sysctl takes only namespaced sysctls: ${NAMESPACED_SYSCTLS}` });
    }
    const flag = need.type === 'network' ? '--network' : `--${need.type}`;
    if (need.type === 'user' || host[need.type]) {
      const where = need.type === 'user' ? 'the container has no user namespace' : `the container runs in the host's ${need.type === 'network' ? 'network' : need.type.toUpperCase()} namespace (${flag} host)`;
      throw new MobyDickError('USAGE', `sysctl '${key}' is not allowed: ${where}`, { subject: key, hint: need.type === 'user' ? 'remove the sysctl' : `drop ${flag} host, or the sysctl` });
    }
  }
}
