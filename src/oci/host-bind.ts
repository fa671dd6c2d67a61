/**
 * A container without a mount namespace of its own runs in the runtime's,
 * as runc runs one: its root is a bind of root.path onto itself on the
 * host, with the spec's mounts under it (compile.ts). runc leaves all of
 * it mounted on the host; moby-dick takes it down at delete, at a failed
 * create and at the end of `run`: every mount stacked at root.path since
 * create began, the first of which holds the rest (MNT_DETACH).
 */
import { MobyDickError } from '../errors.js';
import { nativeAddon } from '../helper/native-addon.js';
import type { Spec } from '../spec/schema.js';

/** How many mounts stacked at the root are taken down before giving up (the container may stack its own on /). */
const MAX_STACKED = 64;

export interface HostMounts {
  mountId(path: string): number;
  unmount(path: string): void;
}

/** Whether SPEC's container runs in the runtime's mount namespace. */
export function inHostMountNamespace(spec: Spec): boolean {
  return !(spec.linux?.namespaces ?? []).some((n) => n.type === 'mount');
}

/** The mount ROOTFS is on before the container binds it: what delete unmounts down to. */
export function mountBelow(rootfs: string, host: HostMounts = nativeAddon()): number {
  try {
    return host.mountId(rootfs);
  } catch (e) {
    throw new MobyDickError('INVALID_CONFIG', `config.json: root.path: cannot read ${rootfs}: ${(e as NodeJS.ErrnoException).code}`, {
      subject: 'root.path',
      hint: 'give root.path a directory that exists',
    });
  }
}

/** Unmounts what was stacked at ROOTFS above BELOW (the container's bind, and anything stacked on it). */
export function releaseHostRoot(rootfs: string, below: number, host: HostMounts = nativeAddon()): void {
  for (let i = 0; i < MAX_STACKED; i++) {
    let top: number;
    try {
      top = host.mountId(rootfs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // the root itself is gone
      throw e;
    }
    if (top === below) return;
    try {
      host.unmount(rootfs);
    } catch (e) {
      throw new MobyDickError('SETUP', `cannot unmount the container root ${rootfs} from the host: ${(e as NodeJS.ErrnoException).code}`, {
        step: 'unmount root',
        subject: rootfs,
        hint: `unmount it by hand: umount -l ${rootfs}`,
      });
    }
  }
  throw new MobyDickError('SETUP', `more than ${MAX_STACKED} mounts are stacked on the container root ${rootfs}`, {
    step: 'unmount root',
    subject: rootfs,
    hint: `unmount them by hand: umount -l ${rootfs}`,
  });
}
