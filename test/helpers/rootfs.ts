/** A busybox root filesystem for tests, made from Debian's busybox-static. */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TEST_PREFIX = 'mdk-test-';
const BUSYBOX = '/bin/busybox';

export function makeBusyboxRootfs(): string {
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}rootfs-`));
  chmodSync(dir, 0o755); // mkdtemp makes it 0700, which no other user could enter
  // the mount points too: a container's root in a user namespace cannot create them
  for (const d of ['bin', 'etc', 'tmp', 'root', 'proc', 'dev', 'sys', 'mytmp']) mkdirSync(join(dir, d), 0o755);
  chmodSync(join(dir, 'tmp'), 0o1777);
  chmodSync(join(dir, 'root'), 0o700);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  return dir;
}

/** Removes a test rootfs; fails loudly if something is still mounted in it. */
export function removeRootfs(dir: string): void {
  if (!dir.includes(TEST_PREFIX)) throw new Error(`refusing to remove ${dir}`);
  rmSync(dir, { recursive: true, force: true });
}
