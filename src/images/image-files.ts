/**
 * Reads a file of an image from its unpacked layers, as the overlay would
 * show it, without mounting anything: for the user lookup of `-u NAME`
 * (/etc/passwd, /etc/group) before the container exists. The topmost layer
 * that has the file wins; a whiteout or an opaque directory above hides the
 * layers below. Every step is relative to a directory fd opened without
 * following symlinks, and a symlink on the way ends the lookup (null): a
 * link in one layer may point into another, and following it here could
 * leave the image. Docker resolves such links; images where /etc/passwd is
 * a symlink are rare, and they get "no matching entries" from the lookup.
 */
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { nativeAddon } from '../helper/native-addon.js';
import type { LayerSyscalls } from '../helper/layer-syscalls.js';
import { S_IFCHR, S_IFDIR, S_IFMT, S_IFREG } from '../linux/file-modes.js';
import { opaqueXattr } from './overlay-xattrs.js';


type Found = { kind: 'file'; data: Buffer } | { kind: 'other' } | { kind: 'hidden' } | { kind: 'absent'; opaque: boolean };

/** PARTS in LAYER; ANY: any kind of entry is found (its data not read), else only a regular file; OPAQUE: the store's opaque xattr */
function lookInLayer(sys: LayerSyscalls, layer: string, parts: readonly string[], opaqueName: string, any = false): Found {
  const fds = [openSync(layer, constants.O_RDONLY | constants.O_DIRECTORY)];
  try {
    let opaque = false;
    for (const [i, part] of parts.entries()) {
      const dir = fds[fds.length - 1]!;
      const name = Buffer.from(part);
      const st = sys.statAt(dir, name);
      if (st === undefined) return { kind: 'absent', opaque };
      const type = st[0] & S_IFMT;
      if (type === S_IFCHR) return { kind: 'hidden' }; // a whiteout (0/0)
      if (i === parts.length - 1) {
        if (any) return { kind: 'other' };
        if (type !== S_IFREG) return { kind: 'hidden' };
        const fd = openSync(`/proc/self/fd/${dir}/${part}`, constants.O_RDONLY | constants.O_NOFOLLOW);
        try {
          return { kind: 'file', data: readFileSync(fd) };
        } finally {
          closeSync(fd);
        }
      }
      if (type !== S_IFDIR) return { kind: 'hidden' };
      const sub = sys.openDirAt(dir, name);
      fds.push(sub);
      if (sys.getXattrAt(sub, Buffer.alloc(0), opaqueName)?.toString() === 'y') opaque = true;
    }
    return { kind: 'absent', opaque };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** PATH (absolute, inside the image) from LAYERS, topmost first; null when the image has no such regular file. ROOTLESS: the layers are a rootless store's (overlay-xattrs.ts). */
export function readImageFile(layers: readonly string[], path: string, sys: LayerSyscalls = nativeAddon(), rootless = false): Buffer | null {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return null;
  for (const layer of layers) {
    const found = lookInLayer(sys, layer, parts, opaqueXattr(rootless));
    if (found.kind === 'file') return found.data;
    if (found.kind !== 'absent' || found.opaque) return null;
  }
  return null;
}

/** Whether PATH (relative or absolute, inside the image) is in LAYERS (topmost first), of any kind; a symlink on the way ends the lookup. ROOTLESS as readImageFile's. */
export function imageHasPath(layers: readonly string[], path: string, sys: LayerSyscalls = nativeAddon(), rootless = false): boolean {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return true;
  if (parts.includes('..')) return false;
  for (const layer of layers) {
    const found = lookInLayer(sys, layer, parts, opaqueXattr(rootless), true);
    if (found.kind === 'other' || found.kind === 'file') return true;
    if (found.kind === 'hidden' || (found.kind === 'absent' && found.opaque)) return false;
  }
  return false;
}
