/**
 * The pod sandbox image of the CRI test: pause.c compiled with gcc -static
 * into an otherwise empty root filesystem, packed as busybox-image.ts packs
 * its image. containerd's sandbox_image names its tag, so nothing is pulled.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { packImage, type PackedImage } from '../busybox-image.js';
import { PROJECT } from '../cli.js';

/** the tag the archive carries (a name with a registry host, so no docker.io/library/ is prefixed) */
export const PAUSE_IMAGE = 'localhost/mdk-test-pause:1';

/** Builds the pause image under DIR (which the caller removes). */
export function buildPauseImage(dir: string): PackedImage {
  const rootfs = join(dir, 'pause-rootfs');
  mkdirSync(rootfs, { mode: 0o755 });
  chmodSync(rootfs, 0o755);
  try {
    // mount points the runtime would otherwise make in the image's layer
    for (const d of ['dev', 'proc', 'sys', 'etc']) mkdirSync(join(rootfs, d), 0o755);
    execFileSync('gcc', ['-static', '-O2', '-s', '-Wall', '-Werror', '-o', join(rootfs, 'pause'), `${PROJECT}test/helpers/cri/pause.c`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return packImage(dir, rootfs, 'pause', PAUSE_IMAGE, { entrypoint: '/pause' });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}
