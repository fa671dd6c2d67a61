/**
 * The busybox image the caller tests load into containerd, Podman and
 * Docker: the test rootfs (Debian's busybox-static) packed by umoci into an
 * OCI image layout, and copied by skopeo into a docker-archive tarball
 * tagged busybox:latest, which all three can import.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxRootfs, removeRootfs } from './rootfs.js';

export interface BusyboxImage {
  /** OCI image layout, tag "latest" */
  layout: string;
  /** docker-archive, tagged busybox:latest */
  archive: string;
}

const sh = (file: string, args: string[], tmp: string): void =>
  void execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: tmp } });

/** Builds the image under DIR (which the caller removes). */
export function buildBusyboxImage(dir: string): BusyboxImage {
  const layout = join(dir, 'oci-busybox');
  const archive = join(dir, 'busybox.tar');
  const unpacked = join(dir, 'unpacked');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const rootfs = makeBusyboxRootfs();
  try {
    sh('umoci', ['init', '--layout', layout], tmp);
    sh('umoci', ['new', '--image', `${layout}:latest`], tmp);
    sh('umoci', ['unpack', '--image', `${layout}:latest`, unpacked], tmp);
    // the new image's rootfs is empty: ours replaces it, modes and owners kept
    rmSync(join(unpacked, 'rootfs'), { recursive: true });
    sh('cp', ['-a', rootfs, join(unpacked, 'rootfs')], tmp);
    sh('umoci', ['repack', '--image', `${layout}:latest`, unpacked], tmp);
    sh('umoci', [
      'config', '--image', `${layout}:latest`, '--config.cmd', '/bin/sh',
      '--config.env', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', '--architecture', 'amd64', '--os', 'linux',
    ], tmp);
    sh('umoci', ['gc', '--layout', layout], tmp);
    // skopeo as root keeps a blob cache in /var/lib/containers/cache, with no flag to move it: it runs
    // in a mount namespace of its own with a tmpfs on /var/lib, so the cache goes with it
    const copy = 'mount -t tmpfs -o size=16m mdk-test-skopeo-cache /var/lib && exec skopeo "$@"';
    sh('unshare', [
      '--mount', '--propagation', 'private', 'sh', '-c', copy, 'sh',
      '--tmpdir', tmp, 'copy', '--quiet', `oci:${layout}:latest`, `docker-archive:${archive}:busybox:latest`,
    ], tmp);
  } finally {
    removeRootfs(rootfs);
    rmSync(unpacked, { recursive: true, force: true });
  }
  return { layout, archive };
}
