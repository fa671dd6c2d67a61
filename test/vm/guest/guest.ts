/** What the test files that run inside the VM share. */
import { appendFileSync, chownSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeImage, tarOf, writeLayout } from '../../helpers/oci-image.js';
import type { TestUser } from '../../helpers/test-user.js';
import { PROGRESS_ENV } from '../vm.js';

/** A command's timeout inside: everything is 20-40x slower there than on the host. */
export const SLOW = 180_000;

/** A line for the host to show while the VM runs (vm.ts's onProgress); nothing outside the VM. */
export function guestProgress(line: string): void {
  const file = process.env[PROGRESS_ENV];
  if (file) appendFileSync(file, `${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** ROOTFS as an OCI archive of IMAGE (Cmd sh) that USER may load, in USER's home: no registry inside the VM. */
export function busyboxArchiveFor(user: Pick<TestUser, 'home' | 'uid' | 'gid'>, rootfs: string, image: string): string {
  const layout = writeLayout(makeImage([rootfs], { cmd: ['sh'] }), image);
  const archive = join(user.home, 'busybox.tar');
  try {
    writeFileSync(archive, tarOf(layout));
    chownSync(archive, user.uid, user.gid);
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
  return archive;
}
