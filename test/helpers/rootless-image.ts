/**
 * What the rootless engine tests share: the owners of a tree, and a busybox
 * image served on 127.0.0.1 and pulled by the test user.
 */
import assert from 'node:assert/strict';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import { CLI } from './cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from './leaks.js';
import { compress, imageOf, sha256, tarOf } from './oci-image.js';
import { type FakeRegistry, startFakeRegistry } from './registry.js';
import { makeBusyboxRootfs, removeRootfs } from './rootfs.js';
import { makeTestUser, type TestUser } from './test-user.js';

export const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Every path under DIR (lstat'd, never followed) with its owner. */
export function owners(dir: string): { path: string; uid: number; gid: number }[] {
  const out: { path: string; uid: number; gid: number }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = `${d}/${name}`;
      const st = lstatSync(p);
      out.push({ path: p, uid: st.uid, gid: st.gid });
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** The busybox rootfs as one tar (made and removed here). */
export function busyboxTar(): Buffer {
  const rootfs = makeBusyboxRootfs();
  try {
    return tarOf(rootfs);
  } finally {
    removeRootfs(rootfs);
  }
}

/** Busybox as REPO:latest (one gzip layer) on a registry served on 127.0.0.1, pulled by USER; close the registry after. */
export async function busyboxPulledBy(user: TestUser, repo: string): Promise<{ fake: FakeRegistry; ref: string }> {
  const base = busyboxTar();
  const bytes = compress(base, 'gzip');
  const image = imageOf([{ digest: sha256(bytes), bytes, mediaType: GZIP }], [sha256(base)]);
  const fake = await startFakeRegistry({ repo, manifests: { latest: image.manifest }, blobs: [image.config, ...image.layers] });
  const ref = `${fake.host}/${repo}:latest`;
  const r = await user.run(CLI, ['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  return { fake, ref };
}

/** What useRootlessBusybox made: the test user, its store, the pulled image's reference. */
export interface RootlessBusybox {
  user: TestUser;
  store: string;
  image: string;
}

/**
 * The hooks of a rootless suite: a ranged test user who pulls busybox as
 * REPO:latest from a registry on 127.0.0.1 (given to SET once made), the
 * registry closed and the user removed after, and no leak after each test.
 */
export function useRootlessBusybox(repo: string, set: (made: RootlessBusybox) => void): void {
  let fake: FakeRegistry | undefined;
  let user: TestUser | undefined;
  let snap: Snapshot;
  before(async () => {
    user = makeTestUser('ranged');
    const pulled = await busyboxPulledBy(user, repo);
    fake = pulled.fake;
    set({ user, store: join(user.env.XDG_DATA_HOME!, 'moby-dick'), image: pulled.ref });
  });
  after(async () => {
    await fake?.close();
    user?.remove();
  });
  beforeEach(() => {
    snap = snapshot();
  });
  afterEach(async () => {
    await assertNoLeaks(snap);
  });
}
