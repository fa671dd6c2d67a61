/**
 * The busybox image the caller tests load into containerd, Podman and
 * Docker: the test rootfs (Debian's busybox-static) packed by umoci into an
 * OCI image layout, and copied by skopeo into a docker-archive tarball
 * tagged busybox:latest, which all three can import.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxRootfs, removeRootfs } from './rootfs.js';

export interface BusyboxImage {
  /** OCI image layout, tag "latest" */
  layout: string;
  /** docker-archive, tagged busybox:latest */
  archive: string;
}

const sh = (file: string, args: string[]): void => void execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Builds the image under DIR (which the caller removes). */
export function buildBusyboxImage(dir: string): BusyboxImage {
  const layout = join(dir, 'oci-busybox');
  const archive = join(dir, 'busybox.tar');
  const unpacked = join(dir, 'unpacked');
  const rootfs = makeBusyboxRootfs();
  try {
    sh('umoci', ['init', '--layout', layout]);
    sh('umoci', ['new', '--image', `${layout}:latest`]);
    sh('umoci', ['unpack', '--image', `${layout}:latest`, unpacked]);
    // the new image's rootfs is empty: ours replaces it, modes and owners kept
    rmSync(join(unpacked, 'rootfs'), { recursive: true });
    sh('cp', ['-a', rootfs, join(unpacked, 'rootfs')]);
    sh('umoci', ['repack', '--image', `${layout}:latest`, unpacked]);
    sh('umoci', [
      'config', '--image', `${layout}:latest`, '--config.cmd', '/bin/sh',
      '--config.env', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', '--architecture', 'amd64', '--os', 'linux',
    ]);
    sh('umoci', ['gc', '--layout', layout]);
    sh('skopeo', ['copy', '--quiet', `oci:${layout}:latest`, `docker-archive:${archive}:busybox:latest`]);
  } finally {
    removeRootfs(rootfs);
    rmSync(unpacked, { recursive: true, force: true });
  }
  return { layout, archive };
}
