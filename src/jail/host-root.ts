/** Reads the host's "/" for the host view (oci/host-view.ts, the pure half). */
import { readdirSync, readlinkSync } from 'node:fs';
import type { HostRootEntry } from '../oci/host-view.js';

export function readHostRoot(root = '/'): HostRootEntry[] {
  return readdirSync(root, { withFileTypes: true }).map((d): HostRootEntry => {
    if (d.isDirectory()) return { name: d.name, kind: 'dir' };
    if (d.isFile()) return { name: d.name, kind: 'file' };
    if (d.isSymbolicLink()) return { name: d.name, kind: 'symlink', target: readlinkSync(`${root}/${d.name}`) };
    return { name: d.name, kind: 'other' };
  });
}
