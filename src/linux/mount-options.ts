/**
 * mount(8)-style option lists (as OCI mounts carry them) -> mount(2) flags,
 * propagation flags and the filesystem's data string.
 */
import { MS } from './mount-flags.js';

export interface MountOptions {
  /** flags for the mount itself */
  flags: number;
  /** flags to clear from the defaults (e.g. "rw" clears RDONLY) */
  cleared: number;
  /** MS_PRIVATE/SHARED/SLAVE/UNBINDABLE, with MS_REC for the r- forms; applied by a second mount call */
  propagation: number;
  bind: boolean;
  recursive: boolean;
  /** what the filesystem itself parses, comma-separated */
  data: string;
}

const SET: Record<string, number> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: 0x10,
  remount: MS.REMOUNT, mand: 0x40, dirsync: 0x80, noatime: MS.NOATIME, nodiratime: 0x800,
  relatime: 0x200000, strictatime: MS.STRICTATIME, lazytime: 0x2000000, silent: 0x8000,
};
const CLEAR: Record<string, number> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: 0x10, nomand: 0x40,
  atime: MS.NOATIME, diratime: 0x800, norelatime: 0x200000, nostrictatime: MS.STRICTATIME,
  nolazytime: 0x2000000, loud: 0x8000,
};
const UNBINDABLE = 0x20000;
const SHARED = 0x100000;
const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: SHARED, rshared: SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: UNBINDABLE, runbindable: UNBINDABLE | MS.REC,
};
/** Options that only runtimes act on, never the kernel. */
const IGNORED = new Set(['defaults', 'tmpcopyup', 'idmap', 'ridmap', 'nofail', 'auto', 'noauto', 'user', 'nouser', 'users', 'owner', 'group', '_netdev']);

export function parseMountOptions(options: readonly string[] = []): MountOptions {
  const out: MountOptions = { flags: 0, cleared: 0, propagation: 0, bind: false, recursive: false, data: '' };
  const data: string[] = [];
  for (const opt of options) {
    if (opt === 'bind' || opt === 'rbind') {
      out.bind = true;
      out.recursive ||= opt === 'rbind';
    } else if (opt in SET) {
      out.flags |= SET[opt]!;
      out.cleared &= ~SET[opt]!;
    } else if (opt in CLEAR) {
      out.flags &= ~CLEAR[opt]!;
      out.cleared |= CLEAR[opt]!;
    } else if (opt in PROPAGATION) {
      out.propagation = PROPAGATION[opt]!;
    } else if (!IGNORED.has(opt)) {
      data.push(opt);
    }
  }
  out.data = data.join(',');
  return out;
}

/** "private", "rslave", ... as used by linux.rootfsPropagation. */
export function propagationFlags(name: string): number {
  const f = PROPAGATION[name];
  if (f === undefined) throw new RangeError(`unknown propagation ${name}`);
  return f;
}
