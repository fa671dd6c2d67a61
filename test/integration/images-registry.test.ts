/**
 * pull, push and the image commands against Debian's docker-registry on
 * 127.0.0.1, with images built from busybox-static and pushed by skopeo.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImageEnv, oneLine, type ImageEnv } from '../helpers/image-env.js';
import { processesWith } from '../helpers/leaks.js';
import { dirWith, makeImage, type TestImage, writeLayout } from '../helpers/oci-image.js';
import { freePort, type Registry, skopeo, startRegistry } from '../helpers/registry.js';
import { makeBusyboxRootfs, removeRootfs } from '../helpers/rootfs.js';

interface SkopeoInspect {
  Digest: string;
  Layers: string[];
  Architecture: string;
}

describe('images with a real registry', () => {
  let reg: Registry;
  let env: ImageEnv;
  let rootfs: string;
  let extra: string;
  const images: Record<string, TestImage> = {};
  const layouts: string[] = [];
  const ref = (repoTag: string): string => `${reg.host}/${repoTag}`;

  before(async () => {
    rootfs = makeBusyboxRootfs();
    extra = dirWith({ 'etc/mdk-test-hello': 'hello from a second layer\n' });
    reg = await startRegistry();
    for (const compression of ['gzip', 'zstd', 'none'] as const) {
      const img = makeImage([rootfs, extra], { compression });
      images[compression] = img;
      const layout = writeLayout(img);
      layouts.push(layout);
      skopeo(['copy', `oci:${layout}:latest`, `docker://${ref(`mdk-test/busybox:${compression}`)}`]);
    }
    skopeo(['copy', `docker://${ref('mdk-test/busybox:gzip')}`, `docker://${ref('mdk-test/busybox:latest')}`]);
    // Docker's own formats: schema 2 manifest and media types
    skopeo(['copy', '--format', 'v2s2', `oci:${layouts[0]}:latest`, `docker://${ref('mdk-test/busybox:v2s2')}`]);
  });

  after(async () => {
    await reg?.stop();
    removeRootfs(rootfs);
    rmSync(extra, { recursive: true, force: true });
    for (const l of layouts) rmSync(l, { recursive: true, force: true });
    assert.deepEqual(processesWith(reg.dir), [], 'the registry is stopped');
  });

  test('pull: what skopeo pushed, with the same digests, unpacked once', async () => {
    env = makeImageEnv();
    try {
      const r = await env.mdk(['pull', ref('mdk-test/busybox')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^latest: Pulling from mdk-test\/busybox$/m);
      assert.match(r.stdout, new RegExp(`^Status: Downloaded newer image for ${reg.host}/mdk-test/busybox:latest$`, 'm'));
      assert.ok(r.stdout.endsWith(`\n${reg.host}/mdk-test/busybox:latest\n`), r.stdout);
      const remote = JSON.parse(skopeo(['inspect', `docker://${ref('mdk-test/busybox:latest')}`])) as SkopeoInspect;
      assert.match(r.stdout, new RegExp(`^Digest: ${remote.Digest}$`, 'm'));

      const inspect = JSON.parse((await env.mdk(['image', 'inspect', ref('mdk-test/busybox')])).stdout) as {
        Id: string;
        RepoTags: string[];
        RepoDigests: string[];
        RootFS: { Layers: string[] };
        Architecture: string;
        Config: { Cmd: string[] };
      }[];
      assert.equal(inspect.length, 1);
      const img = images.gzip!;
      assert.equal(inspect[0]!.Id, img.config.digest);
      assert.deepEqual(inspect[0]!.RepoTags, [`${reg.host}/mdk-test/busybox:latest`]);
      assert.deepEqual(inspect[0]!.RepoDigests, [`${reg.host}/mdk-test/busybox@${remote.Digest}`]);
      assert.deepEqual(inspect[0]!.RootFS.Layers, img.diffIds);
      assert.deepEqual(inspect[0]!.Config.Cmd, ['/bin/sh']);

      const c = env.contents();
      for (const l of remote.Layers) assert.ok(c.blobs.includes(l.slice(7)), `layer blob ${l} stored`);
      assert.ok(c.blobs.includes(remote.Digest.slice(7)), 'the manifest is stored');
      assert.equal(c.layers.length, 2);
      assert.deepEqual([c.ingest, c.layerTmp], [[], []]);
      const busybox = c.layers.map((l) => join(env.root, 'layers', l, 'diff', 'bin', 'busybox')).find((p) => {
        try {
          return readFileSync(p).equals(readFileSync('/bin/busybox'));
        } catch {
          return false;
        }
      });
      assert.ok(busybox, 'busybox is unpacked byte for byte');

      // again: nothing to download
      const again = await env.mdk(['pull', ref('mdk-test/busybox')]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /: Already exists$/m);
      assert.match(again.stdout, /^Status: Image is up to date for /m);

      // --quiet prints the name only
      const q = await env.mdk(['pull', '-q', ref('mdk-test/busybox')]);
      assert.equal(q.stdout, `${reg.host}/mdk-test/busybox:latest\n`);
    } finally {
      env.remove();
    }
  });

  test('Docker schema 2: the manifest skopeo wrote is pulled and pushed back unchanged', async () => {
    env = makeImageEnv();
    try {
      const remote = JSON.parse(skopeo(['inspect', '--raw', `docker://${ref('mdk-test/busybox:v2s2')}`])) as { mediaType: string };
      assert.equal(remote.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
      const digest = (JSON.parse(skopeo(['inspect', `docker://${ref('mdk-test/busybox:v2s2')}`])) as SkopeoInspect).Digest;
      const r = await env.mdk(['pull', ref('mdk-test/busybox:v2s2')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Digest: ${digest}$`, 'm'));
      assert.equal((await env.mdk(['tag', ref('mdk-test/busybox:v2s2'), ref('mdk-test/v2s2-copy:1')])).code, 0);
      const p = await env.mdk(['push', ref('mdk-test/v2s2-copy:1')]);
      assert.equal(p.code, 0, p.stderr);
      assert.equal((JSON.parse(skopeo(['inspect', `docker://${ref('mdk-test/v2s2-copy:1')}`])) as SkopeoInspect).Digest, digest);
    } finally {
      env.remove();
    }
  });

  test('zstd and uncompressed layers; layers shared between images; concurrent pulls', async () => {
    env = makeImageEnv();
    try {
      // three processes pull the same image at once into one new store
      const runs = await Promise.all([0, 1, 2].map(() => env.mdk(['pull', '-q', ref('mdk-test/busybox:zstd')])));
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      const plain = await env.mdk(['pull', ref('mdk-test/busybox:none')]);
      assert.equal(plain.code, 0, plain.stderr);
      // same diff IDs, so the same layers: nothing new is unpacked
      assert.match(plain.stdout, /Already exists/);
      // the same tars make the same config: one image with both tags
      const c = env.contents();
      assert.equal(c.images.length, 1);
      assert.equal(c.layers.length, 2);
      const tags = (await env.mdk(['image', 'inspect', '--format', '{{json .RepoTags}}', c.images[0]!])).stdout;
      assert.equal(tags, `${JSON.stringify([ref('mdk-test/busybox:none'), ref('mdk-test/busybox:zstd')])}\n`);
    } finally {
      env.remove();
    }
  });

  test('images, --format json, -q, tag, rmi, image prune', async () => {
    env = makeImageEnv();
    try {
      assert.equal((await env.mdk(['pull', '-q', ref('mdk-test/busybox:gzip')])).code, 0);
      assert.equal((await env.mdk(['tag', ref('mdk-test/busybox:gzip'), 'mdk-test-local:v1'])).code, 0);
      const table = (await env.mdk(['images'])).stdout.split('\n');
      assert.match(table[0]!, /^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$/);
      const id = images.gzip!.config.digest.slice(7, 19);
      assert.ok(table.some((l) => new RegExp(`^mdk-test-local\\s+v1\\s+${id}\\s+.+ ago\\s+\\d`).test(l)), table.join('\n'));
      assert.ok(table.some((l) => l.startsWith(`${reg.host}/mdk-test/busybox `)));
      const json = (await env.mdk(['images', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
      assert.equal(json.length, 2);
      assert.deepEqual(json.map((j) => j.ID), [id, id]);
      assert.ok(json.every((j) => /^\d+(\.\d+)?MB$/.test(j.Size!)));
      assert.equal((await env.mdk(['images', '-q'])).stdout, `${id}\n`);
      const filtered = (await env.mdk(['images', 'mdk-test-local'])).stdout.split('\n').filter(Boolean);
      assert.equal(filtered.length, 2, filtered.join('\n'));
      assert.match(filtered[1]!, /^mdk-test-local\s+v1\s/);
      assert.equal((await env.mdk(['images', 'mdk-test-local:v2'])).stdout.split('\n').filter(Boolean).length, 1, 'the header only');

      const byId = await env.mdk(['rmi', id]);
      assert.equal(byId.code, 1);
      assert.match(byId.stderr, /must be forced\) - image is referenced in multiple repositories/);
      const untag = await env.mdk(['rmi', 'mdk-test-local:v1']);
      assert.equal(untag.stdout, 'Untagged: mdk-test-local:v1\n');
      const missing = await env.mdk(['image', 'inspect', 'mdk-test-nosuch']);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'moby-dick: No such image: mdk-test-nosuch\n');

      // the last tag removes the image; prune then has nothing left to take
      const rm = await env.mdk(['rmi', ref('mdk-test/busybox:gzip')]);
      assert.equal(rm.code, 0, rm.stderr);
      assert.match(rm.stdout, new RegExp(`^Deleted: ${images.gzip!.config.digest}$`, 'm'));
      assert.deepEqual(env.contents(), { blobs: [], layers: [], ingest: [], layerTmp: [], images: [] });

      // prune: an image whose tag moved away is dangling
      assert.equal((await env.mdk(['pull', '-q', ref('mdk-test/busybox:gzip')])).code, 0);
      assert.equal((await env.mdk(['image', 'prune', '-f'])).stdout, 'Total reclaimed space: 0B\n');
      assert.equal(env.contents().images.length, 1, 'a tagged image is not dangling');
      const all = await env.mdk(['image', 'prune', '-a', '-f']);
      assert.match(all.stdout, new RegExp(`^deleted: ${images.gzip!.config.digest}$`, 'm'));
      assert.match(all.stdout, /^Total reclaimed space: \d+(\.\d+)?MB$/m);
      assert.deepEqual(env.contents(), { blobs: [], layers: [], ingest: [], layerTmp: [], images: [] });
    } finally {
      env.remove();
    }
  });

  test('push: skopeo reads back the same digests; blobs the registry has are not sent again', async () => {
    env = makeImageEnv();
    const out = mkdtempSync('/tmp/mdk-test-pulled-');
    try {
      assert.equal((await env.mdk(['pull', '-q', ref('mdk-test/busybox:gzip')])).code, 0);
      const target = ref('mdk-test/pushed:v1');
      assert.equal((await env.mdk(['tag', ref('mdk-test/busybox:gzip'), target])).code, 0);
      // only this tag on the registry: nothing to mount from, every blob is uploaded
      assert.equal((await env.mdk(['rmi', ref('mdk-test/busybox:gzip')])).code, 0);
      const r = await env.mdk(['push', target]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^The push refers to repository \\[${reg.host}/mdk-test/pushed\\]$`, 'm'));
      assert.match(r.stdout, /: Pushed$/m);
      const remote = JSON.parse(skopeo(['inspect', `docker://${target}`])) as SkopeoInspect;
      assert.equal(remote.Digest, images.gzip!.manifest.digest);
      assert.match(r.stdout, new RegExp(`^v1: digest: ${remote.Digest} size: ${images.gzip!.manifest.bytes.length}$`, 'm'));
      assert.deepEqual(remote.Layers, images.gzip!.layers.map((l) => l.digest));
      skopeo(['copy', `docker://${target}`, `oci:${out}:v1`]);
      const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]!.digest, remote.Digest);

      const again = await env.mdk(['push', target]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal((again.stdout.match(/: Layer already exists$/gm) ?? []).length, 3, again.stdout);
      assert.doesNotMatch(again.stdout, /: Pushed$/m);

      // tagged for another repository of the registry: the blobs are mounted from the one that has them
      const mounted = ref('mdk-test/mounted:v1');
      assert.equal((await env.mdk(['tag', target, mounted])).code, 0);
      const m = await env.mdk(['push', mounted]);
      assert.equal(m.code, 0, m.stderr);
      assert.equal((m.stdout.match(/: Mounted from mdk-test\/pushed$/gm) ?? []).length, 3, m.stdout);
      assert.doesNotMatch(m.stdout, /: Pushed$/m);
      assert.equal((JSON.parse(skopeo(['inspect', `docker://${mounted}`])) as SkopeoInspect).Digest, remote.Digest);

      const none = await env.mdk(['push', ref('mdk-test/nosuch:v1')]);
      assert.equal(none.code, 1);
      assert.equal(none.stderr, `moby-dick: An image does not exist locally with the tag: ${reg.host}/mdk-test/nosuch:v1 (tag one first: moby-dick tag IMAGE ${reg.host}/mdk-test/nosuch:v1)\n`);
    } finally {
      rmSync(out, { recursive: true, force: true });
      env.remove();
    }
  });

  test('errors: unknown tag, registry down, bad reference — one line, exit 1, nothing stored', async () => {
    env = makeImageEnv();
    try {
      const notFound = await env.mdk(['pull', ref('mdk-test/busybox:mdk-test-nosuch')]);
      assert.equal(notFound.code, 1);
      assert.ok(oneLine(notFound.stderr), notFound.stderr);
      assert.match(notFound.stderr, new RegExp(`^moby-dick: pull ${reg.host}/mdk-test/busybox:mdk-test-nosuch: manifest for .* not found: manifest unknown`));

      const port = await freePort();
      const down = await env.mdk(['pull', `127.0.0.1:${port}/mdk-test/busybox`]);
      assert.equal(down.code, 1);
      assert.ok(oneLine(down.stderr), down.stderr);
      assert.match(down.stderr, new RegExp(`^moby-dick: pull 127\\.0\\.0\\.1:${port}/mdk-test/busybox:latest: cannot reach registry 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));

      const bad = await env.mdk(['pull', 'mdk-test/Upper']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^moby-dick: invalid reference format: repository name \(mdk-test\/Upper\) must be lowercase/);
      const c = env.contents();
      assert.deepEqual([c.blobs, c.layers, c.ingest, c.layerTmp, c.images], [[], [], [], [], []]);
    } finally {
      env.remove();
    }
  });
});

describe('registry with authentication', () => {
  let reg: Registry;
  let rootfs: string;
  let layout: string;
  const creds = { user: 'mdk-test-user', password: 'mdk-test-secret' };

  before(async () => {
    rootfs = makeBusyboxRootfs();
    layout = writeLayout(makeImage([rootfs]));
    reg = await startRegistry(creds);
    skopeo(['copy', `oci:${layout}:latest`, `docker://${reg.host}/mdk-test/private:latest`], `${creds.user}:${creds.password}`);
  });
  after(async () => {
    await reg?.stop();
    removeRootfs(rootfs);
    rmSync(layout, { recursive: true, force: true });
    assert.deepEqual(processesWith(reg.dir), [], 'the registry is stopped');
  });

  test('401 without login; login checks the password and writes config.json; logout removes it', async () => {
    const env = makeImageEnv();
    try {
      const image = `${reg.host}/mdk-test/private`;
      const denied = await env.mdk(['pull', image]);
      assert.equal(denied.code, 1);
      assert.ok(oneLine(denied.stderr), denied.stderr);
      assert.equal(
        denied.stderr,
        `moby-dick: pull ${image}:latest: pull access denied for ${image}: unauthorized: authentication required (the repository does not exist or needs 'moby-dick login ${reg.host}')\n`,
      );

      const wrong = await env.mdk(['login', '-u', creds.user, '--password-stdin', reg.host], { input: 'not-it\n' });
      assert.equal(wrong.code, 1);
      assert.equal(wrong.stderr, `moby-dick: login to ${reg.host}: unauthorized: incorrect username or password\n`);

      const ok = await env.mdk(['login', '-u', creds.user, '--password-stdin', reg.host], { input: `${creds.password}\n` });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'Login Succeeded\n');
      const cfg = JSON.parse(readFileSync(join(env.dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
      assert.equal(Buffer.from(cfg.auths[reg.host]!.auth, 'base64').toString(), `${creds.user}:${creds.password}`);

      const pulled = await env.mdk(['pull', '-q', image]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal((await env.mdk(['tag', image, `${image}:pushed`])).code, 0);
      const pushed = await env.mdk(['push', `${image}:pushed`]);
      assert.equal(pushed.code, 0, pushed.stderr);

      const out = await env.mdk(['logout', reg.host]);
      assert.equal(out.stdout, `Removing login credentials for ${reg.host}\n`);
      const cfgAfter = JSON.parse(readFileSync(join(env.dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
      assert.deepEqual(cfgAfter.auths, {});
      assert.equal((await env.mdk(['logout', reg.host])).stdout, `Not logged in to ${reg.host}\n`);
      assert.equal((await env.mdk(['pull', `${image}:pushed`])).code, 1, 'denied again without the credentials');
    } finally {
      env.remove();
    }
  });
});
