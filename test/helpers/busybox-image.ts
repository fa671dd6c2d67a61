/**
 * The images the caller tests load into containerd, Podman and Docker: a
 * root filesystem packed by umoci into an OCI image layout, and copied by
 * skopeo into a docker-archive tarball under a tag, which all three can
 * import. The busybox one is the test rootfs (Debian's busybox-static).
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

export interface PackedImage {
  /** OCI image layout, tag "latest" */
  layout: string;
  /** docker-archive, tagged with the name asked for */
  archive: string;
}

const sh = (file: string, args: string[], tmp: string): void =>
  void execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: tmp } });

/**
 * Packs ROOTFS (left as it is) as an image under DIR, in the OCI layout NAME
 * and the docker-archive NAME.tar tagged TAG; CONFIG is the image's
 * entrypoint (or cmd) and environment.
 */
export function packImage(
  dir: string,
  rootfs: string,
  name: string,
  tag: string,
  config: { cmd?: string; entrypoint?: string; env?: string },
): PackedImage {
  const layout = join(dir, `oci-${name}`);
  const archive = join(dir, `${name}.tar`);
  const unpacked = join(dir, `unpacked-${name}`);
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  try {
    sh('umoci', ['init', '--layout', layout], tmp);
    sh('umoci', ['new', '--image', `${layout}:latest`], tmp);
    sh('umoci', ['unpack', '--image', `${layout}:latest`, unpacked], tmp);
    // the new image's rootfs is empty: ours replaces it, modes and owners kept
    rmSync(join(unpacked, 'rootfs'), { recursive: true });
    sh('cp', ['-a', rootfs, join(unpacked, 'rootfs')], tmp);
    sh('umoci', ['repack', '--image', `${layout}:latest`, unpacked], tmp);
    sh('umoci', [
      'config', '--image', `${layout}:latest`,
      ...(config.cmd ? ['--config.cmd', config.cmd] : []),
      ...(config.entrypoint ? ['--config.entrypoint', config.entrypoint] : []),
      ...(config.env ? ['--config.env', config.env] : []),
      '--architecture', 'amd64', '--os', 'linux',
    ], tmp);
    sh('umoci', ['gc', '--layout', layout], tmp);
    // skopeo as root keeps a blob cache in /var/lib/containers/cache, with no flag to move it: it runs
    // in a mount namespace of its own with a tmpfs on /var/lib, so the cache goes with it
    const copy = 'mount -t tmpfs -o size=16m mdk-test-skopeo-cache /var/lib && exec skopeo "$@"';
    sh('unshare', [
      '--mount', '--propagation', 'private', 'sh', '-c', copy, 'sh',
      '--tmpdir', tmp, 'copy', '--quiet', `oci:${layout}:latest`, `docker-archive:${archive}:${tag}`,
    ], tmp);
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
  return { layout, archive };
}

/** Builds the busybox image under DIR (which the caller removes). */
export function buildBusyboxImage(dir: string): BusyboxImage {
  const rootfs = makeBusyboxRootfs();
  try {
    return packImage(dir, rootfs, 'busybox', 'busybox:latest', { cmd: '/bin/sh', env: 'PATH=/usr/sbin:/usr/bin:/sbin:/bin' });
  } finally {
    removeRootfs(rootfs);
  }
}
