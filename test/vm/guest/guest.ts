/** What the test files that run inside the VM share. */
import { appendFileSync, chownSync, existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** A cgroup v2 subtree delegated to a test user as systemd delegates user@UID.service (delegateTo). */
export interface Delegated {
  /** the delegated cgroup, as /proc/PID/cgroup spells it: /SLICE/user@UID.service */
  service: string;
  /** the user's own cgroup below it, where its commands start: SERVICE/session.scope */
  scope: string;
  /** the three cgroups removed (after the user's processes are gone) */
  remove(): void;
}

/**
 * /sys/fs/cgroup/SLICE (root's, enabling CONTROLLERS below it, as systemd's
 * user.slice), its user@UID.service delegated to USER (the directory and its
 * cgroup.procs, cgroup.subtree_control and cgroup.threads are the user's,
 * CONTROLLERS enabled), and a session.scope of the user's in it.
 */
export function delegateTo(user: Pick<TestUser, 'uid' | 'gid'>, slice: string, controllers: readonly string[]): Delegated {
  const cg = '/sys/fs/cgroup';
  const enable = controllers.map((c) => `+${c}`).join(' ');
  mkdirSync(join(cg, slice));
  writeFileSync(join(cg, slice, 'cgroup.subtree_control'), enable);
  const service = `/${slice}/user@${user.uid}.service`;
  const scope = `${service}/session.scope`;
  for (const d of [service, scope]) {
    mkdirSync(join(cg, d));
    for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) chownSync(join(cg, d, f), user.uid, user.gid);
    if (d === service) writeFileSync(join(cg, d, 'cgroup.subtree_control'), enable);
  }
  return {
    service,
    scope,
    remove() {
      for (const d of [scope, service, `/${slice}`]) if (existsSync(join(cg, d))) rmdirSync(join(cg, d));
    },
  };
}
