/**
 * The host view: the original form's root (`moby-dick COMMAND`), which no
 * OCI spec can express. A tmpfs root holding recursive clones of every
 * top-level entry of the host's "/" (so files written there reach the
 * host), its top-level symlinks made again; the spec's own mounts (a fresh
 * /proc, /mytmp) then go over it as over any root. compileOciPlan emits
 * these steps in place of the bind of root.path when OciCompileOptions
 * holds a HostView. Pure: host-root.ts reads the entries.
 */
import { MobyDickError } from '../errors.js';
import type { Op } from '../helper/plan.js';

/** One entry of the host's "/". */
export interface HostRootEntry {
  name: string;
  kind: 'dir' | 'file' | 'symlink' | 'other';
  /** a symlink's target */
  target?: string;
}

/** The host's "/" as the container's root, instead of root.path. */
export interface HostView {
  entries: readonly HostRootEntry[];
}

/**
 * The root's steps: each directory and file cloned (tree_clone), a tmpfs
 * staged over a directory already cloned and made the root, each clone
 * attached at its name. SKIP: top-level names the spec mounts over (/proc,
 * /mytmp), which therefore never need to exist on the host.
 */
export function hostViewRoot(view: HostView, skip: ReadonlySet<string>): Op[] {
  const host = view.entries;
  const cloned = host.filter((e) => (e.kind === 'dir' || e.kind === 'file') && !skip.has(e.name));
  const dirs = cloned.filter((e) => e.kind === 'dir').map((e) => e.name);
  const staging = ['tmp', 'mnt', 'run'].find((d) => dirs.includes(d)) ?? dirs[0];
  if (staging === undefined) {
    throw new MobyDickError('SETUP', 'the host\'s / has no directory to stage the container root on', {
      step: 'compile plan',
      subject: '/',
    });
  }
  const stagingPath = `/${staging}`;
  const ops: Op[] = cloned.map((e, slot) => ({ op: 'tree_clone', source: `/${e.name}`, slot }));
  ops.push(
    { op: 'mount_host', source: 'tmpfs', target: stagingPath, fstype: 'tmpfs', flags: 0, data: 'mode=755' },
    { op: 'setroot', path: stagingPath },
  );
  cloned.forEach((e, slot) => {
    const path = `/${e.name}`;
    ops.push(e.kind === 'dir' ? { op: 'mkdir', path, mode: 0o755 } : { op: 'touch', path, mode: 0o644 });
    ops.push({ op: 'tree_attach', slot, target: path });
  });
  for (const e of host) {
    if (e.kind === 'symlink' && e.target !== undefined && !skip.has(e.name)) {
      ops.push({ op: 'symlink', target: e.target, path: `/${e.name}` });
    }
  }
  return ops;
}
