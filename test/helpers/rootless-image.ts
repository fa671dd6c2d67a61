/**
 * What the rootless engine tests share: the owners of a tree, and a busybox
 * image served on 127.0.0.1 and pulled by the test user.
 */
import assert from 'node:assert/strict';
import { lstatSync, readdirSync } from 'node:fs';
import { CLI } from './cli.js';
import { compress, imageOf, sha256, tarOf } from './oci-image.js';
import { type FakeRegistry, startFakeRegistry } from './registry.js';
import { makeBusyboxRootfs, removeRootfs } from './rootfs.js';
import type { TestUser } from './test-user.js';

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
