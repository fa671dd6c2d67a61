/**
 * `load`, `save` and `import`: archives made by skopeo (docker-archive and
 * oci-archive) load and run; what `save` writes is read by skopeo and copied
 * back with the same diff IDs; a rootfs tarball imports and runs; corrupt,
 * truncated, incomplete archives and garbage load nothing; a load killed
 * with SIGKILL registers nothing and the next load succeeds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CLI, run, sleep } from '../helpers/cli.js';
import { type ImageEnv, makeImageEnv, oneLine } from '../helpers/image-env.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';
import { bombImage, dirWith, makeImage, sha256, tarOf, type TestImage, writeLayout } from '../helpers/oci-image.js';
import { makeBusyboxRootfs, removeRootfs, TEST_PREFIX } from '../helpers/rootfs.js';
import { type CraftEntry, craftTar } from '../helpers/tar-craft.js';
import { CreatedPaths, killUnder, unmountUnder } from '../helpers/caller-host.js';
import { Daemon } from '../helpers/daemon.js';
import { skopeo as registrySkopeo, startRegistry } from '../helpers/registry.js';

/**
 * skopeo as root keeps a blob cache in /var/lib/containers/cache with no
 * flag to move it: it runs in a mount namespace of its own with a tmpfs on
 * /var/lib, so the cache goes with it (as test/helpers/busybox-image.ts does).
 */
function skopeo(args: readonly string[], tmp: string): string {
  const script = 'mount -t tmpfs -o size=16m mdk-test-skopeo-cache /var/lib && exec skopeo "$@"';
  return execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', '--tmpdir', tmp, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
}

interface SkopeoInspect {
  Digest: string;
  RepoTags: string[];
  Layers: string[];
}

const hex = (d: string): string => d.slice(7);

/** An OCI image layout tarball of IMG, its index entry annotated with REF_NAME. */
function ociArchive(img: TestImage, refName?: string, omit: string[] = [], replace: Record<string, Buffer> = {}): Buffer {
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: img.manifest.mediaType,
        digest: img.manifest.digest,
        size: img.manifest.bytes.length,
        ...(refName ? { annotations: { 'org.opencontainers.image.ref.name': refName } } : {}),
      },
    ],
  };
  const entries: CraftEntry[] = [
    { name: 'oci-layout', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { name: 'index.json', data: JSON.stringify(index) },
    { name: 'blobs/', type: '5' },
    { name: 'blobs/sha256/', type: '5' },
  ];
  for (const b of [img.manifest, img.config, ...img.layers]) {
    if (omit.includes(b.digest)) continue;
    entries.push({ name: `blobs/sha256/${hex(b.digest)}`, data: replace[b.digest] ?? b.bytes });
  }
  return craftTar(entries);
}

/** A docker-archive of IMG in the legacy layout (<n>/layer.tar, <id>.json), tagged TAGS. */
function dockerArchive(img: TestImage, tags: string[], layerBytes?: Buffer[]): Buffer {
  const layers = img.layers.map((l, i) => ({ name: `layer${i}/layer.tar`, data: layerBytes?.[i] ?? l.bytes }));
  const manifest = [{ Config: `${hex(img.config.digest)}.json`, RepoTags: tags, Layers: layers.map((l) => l.name) }];
  return craftTar([
    ...layers,
    { name: `${hex(img.config.digest)}.json`, data: img.config.bytes },
    { name: 'manifest.json', data: JSON.stringify(manifest) },
  ]);
}

describe('load, save and import', () => {
  let tmp: string;
  let rootfs: string;
  let layout: string;
  let env: ImageEnv;
  let snap: Snapshot;
  const dirs: string[] = [];
  let base: TestImage;
  let twoLayer: TestImage;
  let third: TestImage;

  before(() => {
    tmp = mkdtempSync(join('/tmp', `${TEST_PREFIX}archives-`));
    rootfs = makeBusyboxRootfs();
    const extra = dirWith({ 'srv/mdk-test-hello': 'hello from the second layer\n' });
    dirs.push(extra);
    base = makeImage([rootfs], { cmd: ['echo', 'default cmd'] });
    twoLayer = makeImage([rootfs, extra], { compression: 'none', cmd: ['cat', '/srv/mdk-test-hello'] });
    const other = dirWith({ 'srv/mdk-test-hello': 'hello from the third image\n' });
    dirs.push(other);
    third = makeImage([rootfs, other], { compression: 'none' });
    layout = writeLayout(base, 'latest');
    dirs.push(layout);
  });
  after(() => {
    removeRootfs(rootfs);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(() => {
    env = makeImageEnv();
    snap = snapshot();
  });
  afterEach(async () => {
    await assertNoLeaks(snap);
    env.remove();
  });

  const inspect = async (name: string): Promise<{ Id: string; RootFS: { Layers: string[] }; RepoTags: string[]; Comment: string }> => {
    const r = await env.mdk(['image', 'inspect', name]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { Id: string; RootFS: { Layers: string[] }; RepoTags: string[]; Comment: string }[])[0]!;
  };

  test('a docker-archive made by skopeo loads with its digests, and runs', async () => {
    const file = join(tmp, 'skopeo-docker.tar');
    skopeo(['copy', '--quiet', `oci:${layout}:latest`, `docker-archive:${file}:mdk-test-arch/docker:v1`], tmp);
    const info = JSON.parse(skopeo(['inspect', `docker-archive:${file}`], tmp)) as SkopeoInspect;
    const config = skopeo(['inspect', '--raw', '--config', `docker-archive:${file}`], tmp);
    const r = await env.mdk(['load', '-i', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Loaded image: mdk-test-arch/docker:v1\n');
    const got = await inspect('mdk-test-arch/docker:v1');
    assert.equal(got.Id, sha256(config), 'the image ID is the digest of the config skopeo wrote');
    assert.deepEqual(got.RootFS.Layers, info.Layers, 'the diff IDs skopeo reports');
    assert.deepEqual(got.RootFS.Layers, base.diffIds);
    const run = await env.mdk(['run', '--rm', 'mdk-test-arch/docker:v1', 'echo', 'hi']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hi\n');
  });

  test('an oci-archive made by skopeo loads from stdin, named by its ref.name; a bare tag loads untagged', async () => {
    const named = join(tmp, 'skopeo-oci-named.tar');
    const bare = join(tmp, 'skopeo-oci-bare.tar');
    skopeo(['copy', '--quiet', `oci:${layout}:latest`, `oci-archive:${named}:mdk-test-arch/oci:v2`], tmp);
    skopeo(['copy', '--quiet', `oci:${layout}:latest`, `oci-archive:${bare}:latest`], tmp);
    const info = JSON.parse(skopeo(['inspect', `oci-archive:${named}`], tmp)) as SkopeoInspect;
    const r = await env.mdk(['load'], { input: readFileSync(named) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Loaded image: mdk-test-arch/oci:v2\n');
    const got = await inspect('mdk-test-arch/oci:v2');
    assert.equal(got.Id, base.config.digest);
    assert.deepEqual(got.RootFS.Layers, base.diffIds);
    // the layer blobs are kept as the archive had them (gzip): the manifest is skopeo's, byte for byte
    assert.ok(env.contents().blobs.includes(hex(info.Digest)), 'the manifest skopeo wrote is stored');
    for (const l of info.Layers) assert.ok(env.contents().blobs.includes(hex(l)), `layer blob ${l} stored`);
    const b = await env.mdk(['load', '-q', '-i', bare]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, `Loaded image ID: ${base.config.digest}\n`);
    const run = await env.mdk(['run', '--rm', 'mdk-test-arch/oci:v2']);
    assert.equal(run.stdout, 'default cmd\n', run.stderr);
  });

  test('save: skopeo reads it and copies it back with the same diff IDs; it loads again as it was', async () => {
    const src = join(tmp, 'src.tar');
    writeFileSync(src, ociArchive(base, 'mdk-test-arch/saved:v1'));
    assert.equal((await env.mdk(['load', '-i', src])).code, 0);
    const file = join(tmp, 'saved.tar');
    const s = await env.mdk(['save', '-o', file, 'mdk-test-arch/saved:v1']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, '');
    const info = JSON.parse(skopeo(['inspect', `docker-archive:${file}`], tmp)) as SkopeoInspect;
    assert.deepEqual(info.Layers, base.diffIds);
    // skopeo finds the image by the tag manifest.json gives it (and by none other)
    const byTag = JSON.parse(skopeo(['inspect', `docker-archive:${file}:mdk-test-arch/saved:v1`], tmp)) as SkopeoInspect;
    assert.deepEqual(byTag.Layers, base.diffIds);
    assert.throws(() => skopeo(['inspect', `docker-archive:${file}:mdk-test-arch/saved:v2`], tmp));
    assert.equal(sha256(skopeo(['inspect', '--raw', '--config', `docker-archive:${file}`], tmp)), base.config.digest, 'the config byte for byte');
    const back = join(tmp, 'back');
    skopeo(['copy', '--quiet', `docker-archive:${file}`, `oci:${back}:x`], tmp);
    const backConfig = JSON.parse(skopeo(['inspect', '--raw', '--config', `oci:${back}:x`], tmp)) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(backConfig.rootfs.diff_ids, base.diffIds);
    // the archive is an OCI image layout too
    const unpacked = join(tmp, 'saved-layout');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xf', file, '-C', unpacked]);
    const oci = JSON.parse(skopeo(['inspect', `oci:${unpacked}:v1`], tmp)) as SkopeoInspect;
    assert.deepEqual(oci.Layers, base.diffIds, 'uncompressed layers: blob digests are the diff IDs');
    const other = makeImageEnv();
    try {
      const l = await other.mdk(['load', '-i', file]);
      assert.equal(l.code, 0, l.stderr);
      assert.equal(l.stdout, 'Loaded image: mdk-test-arch/saved:v1\n');
      assert.deepEqual(other.contents().images, [base.config.digest]);
    } finally {
      other.remove();
    }
    // to stdout, through a pipe: the same archive, byte for byte, also when the store has not
    // recorded the layers' uncompressed sizes (layers unpacked before it did): they are counted
    for (const l of env.contents().layers) {
      const meta = join(env.root, 'layers', l, 'meta.json');
      const { tarSize, ...rest } = JSON.parse(readFileSync(meta, 'utf8')) as { tarSize?: number };
      assert.equal(typeof tarSize, 'number', 'the unpack recorded the size');
      writeFileSync(meta, JSON.stringify(rest));
    }
    const piped = execFileSync(CLI, ['save', 'mdk-test-arch/saved:v1'], { env: env.env, maxBuffer: 64 << 20 });
    assert.equal(sha256(piped), sha256(readFileSync(file)));
  });

  test('save of two images into one file, each with its tags; both load back', async () => {
    const a = join(tmp, 'a.tar');
    const b = join(tmp, 'b.tar');
    writeFileSync(a, ociArchive(base, 'mdk-test-arch/one:v1'));
    writeFileSync(b, dockerArchive(twoLayer, ['mdk-test-arch/two:v1', 'mdk-test-arch/two:v2']));
    for (const f of [a, b]) assert.equal((await env.mdk(['load', '-i', f])).code, 0);
    const file = join(tmp, 'both.tar');
    const s = await env.mdk(['save', '-o', file, 'mdk-test-arch/one:v1', 'mdk-test-arch/two']);
    assert.equal(s.code, 0, s.stderr);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as { RepoTags: string[]; Layers: string[] }[];
    assert.deepEqual(manifest.map((m) => m.RepoTags), [['mdk-test-arch/one:v1'], ['mdk-test-arch/two:v1', 'mdk-test-arch/two:v2']]);
    const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n');
    assert.equal(names.filter((n) => n === `blobs/sha256/${hex(base.diffIds[0]!)}`).length, 1, 'a shared layer is written once');
    for (const [ref, img] of [['mdk-test-arch/one:v1', base], ['mdk-test-arch/two:v2', twoLayer]] as const) {
      const info = JSON.parse(skopeo(['inspect', `docker-archive:${file}:${ref}`], tmp)) as SkopeoInspect;
      assert.deepEqual(info.Layers, img.diffIds, ref);
    }
    const other = makeImageEnv();
    try {
      const l = await other.mdk(['load', '-i', file]);
      assert.equal(l.code, 0, l.stderr);
      assert.equal(l.stdout, 'Loaded image: mdk-test-arch/one:v1\nLoaded image: mdk-test-arch/two:v1\nLoaded image: mdk-test-arch/two:v2\n');
      const run = await other.mdk(['run', '--rm', 'mdk-test-arch/two:v1']);
      assert.equal(run.stdout, 'hello from the second layer\n', run.stderr);
    } finally {
      other.remove();
    }
  });

  test('import: a busybox rootfs tarball (gzip) becomes a one-layer image that runs', async () => {
    const tar = tarOf(rootfs);
    const file = join(tmp, 'rootfs.tar.gz');
    writeFileSync(file, gzipSync(tar));
    const r = await env.mdk(['import', '-m', 'mdk-test message', file, 'mdk-test-arch/imported:v1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[a-f0-9]{64}\n$/);
    const got = await inspect('mdk-test-arch/imported:v1');
    assert.equal(got.Id, r.stdout.trim());
    assert.deepEqual(got.RootFS.Layers, [`sha256:${createHash('sha256').update(tar).digest('hex')}`], 'the diff ID is the uncompressed tarball\'s');
    assert.equal(got.Comment, 'mdk-test message');
    const run = await env.mdk(['run', '--rm', 'mdk-test-arch/imported:v1', 'echo', 'hi']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hi\n');
    // from stdin, untagged, plain tar: the same layer, another image
    const s = await env.mdk(['import', '-'], { input: tar });
    assert.equal(s.code, 0, s.stderr);
    assert.notEqual(s.stdout, r.stdout);
    assert.equal(env.contents().layers.length, 1, 'the layer is shared');
  });

  test('a loaded and an imported image push to a registry, and skopeo reads their diff IDs back', async () => {
    const archive = join(tmp, 'push-docker.tar');
    skopeo(['copy', '--quiet', `oci:${layout}:latest`, `docker-archive:${archive}:mdk-test-arch/pushme:v1`], tmp);
    assert.equal((await env.mdk(['load', '-i', archive])).code, 0);
    const tar = tarOf(rootfs);
    const imported = await env.mdk(['import', '-'], { input: tar });
    assert.equal(imported.code, 0, imported.stderr);
    const reg = await startRegistry();
    try {
      for (const [local, diffIds] of [['mdk-test-arch/pushme:v1', base.diffIds], [imported.stdout.trim(), [`sha256:${createHash('sha256').update(tar).digest('hex')}`]]] as const) {
        const remote = `${reg.host}/mdk-test/pushed:${local.startsWith('sha256:') ? 'imported' : 'loaded'}`;
        assert.equal((await env.mdk(['tag', local, remote])).code, 0);
        const pushed = await env.mdk(['push', remote]);
        assert.equal(pushed.code, 0, pushed.stderr);
        const info = JSON.parse(registrySkopeo(['inspect', `docker://${remote}`])) as SkopeoInspect & { LayersData?: unknown };
        const config = JSON.parse(registrySkopeo(['inspect', '--config', `docker://${remote}`])) as { rootfs: { diff_ids: string[] } };
        assert.deepEqual(config.rootfs.diff_ids, diffIds, `${local}: the diff IDs as stored`);
        assert.equal(info.Layers.length, diffIds.length);
      }
    } finally {
      await reg.stop();
    }
  });

  describe('a bad archive loads nothing: one line, exit 1, the store as it was', () => {
    const good = (): Buffer => ociArchive(base, 'mdk-test-arch/ok:v1');
    // made when the test runs: the images are made in before()
    const cases: [string, () => Buffer, () => RegExp][] = [
      ['truncated', () => good().subarray(0, good().length - 5000), () => /: the archive is truncated: it ends inside the data of "blobs\/sha256\/[a-f0-9]{64}"/],
      [
        'a blob with the wrong digest',
        () => {
          const bytes = Buffer.from(base.layers[0]!.bytes);
          bytes.writeUInt8(bytes.readUInt8(bytes.length - 20) ^ 0xff, bytes.length - 20);
          return ociArchive(base, 'mdk-test-arch/ok:v1', [], { [base.layers[0]!.digest]: bytes });
        },
        () => new RegExp(`: entry "blobs/sha256/${hex(base.layers[0]!.digest)}": digest mismatch: the content has digest sha256:`),
      ],
      [
        'a missing blob',
        () => ociArchive(base, 'mdk-test-arch/ok:v1', [base.layers[0]!.digest]),
        () => new RegExp(`: entry "blobs/sha256/${hex(base.layers[0]!.digest)}": the layer ${base.layers[0]!.digest} is missing from the archive`),
      ],
      [
        'a docker-archive layer that is not its diff ID',
        () => {
          const tar = Buffer.from(twoLayer.layers[1]!.bytes);
          tar.write('H', tar.indexOf('hello from')); // "Hello": the tar stays valid, its digest does not
          return dockerArchive(twoLayer, ['mdk-test-arch/bad:v1'], [twoLayer.layers[0]!.bytes, tar]);
        },
        () => /: entry "layer1\/layer.tar": diff ID mismatch: the layer has digest sha256:[a-f0-9]{64}, the image config says sha256:/,
      ],
      [
        'a gzip docker-archive layer that is not its diff ID, unpacked',
        () => {
          const tar = Buffer.from(third.layers[1]!.bytes);
          tar.write('H', tar.indexOf('hello from'));
          return dockerArchive(third, ['mdk-test-arch/bad:v1'], [gzipSync(third.layers[0]!.bytes), gzipSync(tar)]);
        },
        () => /: entry "layer1\/layer.tar": diff ID mismatch: the uncompressed layer has digest sha256:[a-f0-9]{64}, the image config says/,
      ],
      [
        'a gzip docker-archive layer that is not its diff ID, of a layer the store has',
        () => {
          const tar = Buffer.from(twoLayer.layers[1]!.bytes);
          tar.write('H', tar.indexOf('hello from'));
          return dockerArchive(twoLayer, ['mdk-test-arch/bad:v1'], [gzipSync(twoLayer.layers[0]!.bytes), gzipSync(tar)]);
        },
        () => /: entry "layer1\/layer.tar": diff ID mismatch: the uncompressed layer has digest sha256:[a-f0-9]{64}, the image config says/,
      ],
      ['garbage', () => randomBytes(20_000), () => /: not a tar header \(no checksum\) \(at byte 0\)/],
      ['not an image archive', () => craftTar([{ name: 'hello.txt', data: 'hi' }]), () => /: entry "manifest.json": missing, and no index.json/],
    ];
    for (const [what, make, words] of cases) {
      test(what, async () => {
        const file = join(tmp, `bad-${what.replace(/\W+/g, '-')}.tar`);
        writeFileSync(file, make());
        // a store with an image in it already: it must stay as it was
        const src = join(tmp, `base-${what.replace(/\W+/g, '-')}.tar`);
        writeFileSync(src, dockerArchive(twoLayer, ['mdk-test-arch/kept:v1']));
        assert.equal((await env.mdk(['load', '-i', src])).code, 0);
        const before = env.contents();
        const r = await env.mdk(['load', '-i', file]);
        assert.equal(r.code, 1, r.stderr);
        assert.ok(oneLine(r.stderr), r.stderr);
        assert.ok(r.stderr.startsWith(`moby-dick: load ${file}: `), r.stderr);
        assert.match(r.stderr, words());
        assert.equal(r.stdout, '');
        assert.deepEqual(env.contents(), before, 'the store is unchanged');
      });
    }
  });

  test('kill -9 during a large load registers nothing; the next load succeeds and leaves no temp files', async () => {
    const big = [0, 1, 2].map((i) => dirWith({ [`srv/mdk-test-big-${i}`]: randomBytes(24 << 20).toString('base64') }));
    dirs.push(...big);
    const img = makeImage(big, { compression: 'none' });
    const file = join(tmp, 'big.tar');
    writeFileSync(file, dockerArchive(img, ['mdk-test-arch/big:v1']));
    let pid = 0;
    const killed = env.mdk(['load', '-i', file], { onSpawn: (p) => (pid = p) });
    // wait until it writes into the store proper: a layer being unpacked or installed
    const deadline = Date.now() + 30_000;
    let mid = env.contents();
    while (mid.layerTmp.length === 0 && mid.layers.length === 0 && Date.now() < deadline) {
      await sleep(5);
      mid = env.contents();
    }
    process.kill(pid, 'SIGKILL');
    const k = await killed;
    assert.equal(k.signal, 'SIGKILL', 'killed before it finished');
    mid = env.contents();
    assert.deepEqual(mid.images, [], 'no image registered');
    assert.ok(mid.ingest.length > 0 || mid.layerTmp.length > 0, 'it was killed with its temp files in place');
    const r = await env.mdk(['load', '-i', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Loaded image: mdk-test-arch/big:v1\n');
    const c = env.contents();
    assert.deepEqual(c.images, [img.config.digest]);
    assert.deepEqual([c.ingest, c.layerTmp], [[], []], 'the killed load\'s temp files are gone');
    assert.equal(c.layers.length, 3);
  });

  test('a full disk: one line saying so, exit 1, nothing registered or left, and the store still works', async () => {
    const big = dirWith({ 'srv/mdk-test-big': randomBytes(3 << 20).toString('base64') });
    dirs.push(big);
    const img = makeImage([big], { compression: 'none' });
    const file = join(tmp, 'too-big.tar');
    writeFileSync(file, dockerArchive(img, ['mdk-test-arch/too-big:v1']));
    const small = join(tmp, 'small.tar');
    writeFileSync(small, ociArchive(base, 'mdk-test-arch/small:v1'));
    mkdirSync(env.root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'mdk-test-full', env.root]);
    try {
      const r = await env.mdk(['load', '-i', file]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `moby-dick: load ${file}: no space left on the device of the image store (free some space (moby-dick image prune) and load again)\n`);
      assert.deepEqual(env.contents(), { blobs: [], layers: [], ingest: [], layerTmp: [], images: [] }, 'nothing half-stored');
      const ok = await env.mdk(['load', '-i', small]);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      execFileSync('umount', [env.root]);
    }
  });

  test('a decompression bomb in an archive (a zstd layer of 256 MiB of zeros): stopped at MOBY_DICK_MAX_LAYER_SIZE and at the reserve, nothing registered or left', async () => {
    const bomb = bombImage('zstd', 256 << 20);
    const file = join(tmp, 'bomb.tar');
    writeFileSync(file, dockerArchive(bomb, ['mdk-test-arch/bomb:v1']));
    mkdirSync(env.root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=320m', 'mdk-test-bomb', env.root]);
    try {
      for (const [extra, words] of [
        [{ MOBY_DICK_MAX_LAYER_SIZE: '32m' }, /: unpacking it: more than 32 MiB \(MOBY_DICK_MAX_LAYER_SIZE\)/],
        [{ MOBY_DICK_STORE_RESERVE: '250m' }, /: unpacking it: stopped after \d+(\.\d)? MiB: the image store's filesystem \(.*\) has \d+(\.\d)? MiB free, and keeps a reserve of 250 MiB/],
      ] as const) {
        const r = await env.mdk(['load', '-i', file], { env: extra });
        assert.equal(r.code, 1, r.stderr);
        assert.ok(oneLine(r.stderr), r.stderr);
        assert.ok(r.stderr.startsWith(`moby-dick: load ${file}: `), r.stderr);
        assert.match(r.stderr, words);
        assert.deepEqual(env.contents(), { blobs: [], layers: [], ingest: [], layerTmp: [], images: [] }, 'nothing half-stored');
      }
    } finally {
      execFileSync('umount', [env.root]);
    }
  });

  test('Docker 20.10 (a private dockerd) loads what save writes; what docker save writes loads and runs', async () => {
    const d = join(tmp, 'docker');
    mkdirSync(d);
    writeFileSync(join(d, 'daemon.json'), '{}\n'); // not the host's /etc/docker/daemon.json
    mkdirSync(join(d, 'tmp'));
    const paths = new CreatedPaths();
    const daemonEnv = { ...process.env, TMPDIR: join(d, 'tmp') };
    const daemon = new Daemon('dockerd', 'dockerd', [
      '--config-file', join(d, 'daemon.json'), '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'),
      '--pidfile', join(d, 'docker.pid'), '--host', `unix://${d}/docker.sock`,
      '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
      '--userland-proxy=false', '--exec-opt', 'native.cgroupdriver=cgroupfs', '--shutdown-timeout', '2',
    ], join(d, 'dockerd.log'), daemonEnv);
    // /usr/bin/docker is docker.io's client; a newer one may sit earlier in PATH
    const docker = (args: string[]) =>
      run('/usr/bin/docker', args, { env: { ...daemonEnv, DOCKER_HOST: `unix://${d}/docker.sock`, DOCKER_CONFIG: join(d, 'cli') }, timeoutMs: 60_000 });
    try {
      await daemon.ready(async () => (await docker(['version'])).code === 0);
      for (const [f, archive] of [
        ['one.tar', ociArchive(base, 'mdk-test-arch/one:v1')],
        ['two.tar', dockerArchive(twoLayer, ['mdk-test-arch/two:v1'])],
      ] as const) {
        writeFileSync(join(tmp, f), archive);
        assert.equal((await env.mdk(['load', '-i', join(tmp, f)])).code, 0);
      }
      const file = join(tmp, 'for-docker.tar');
      assert.equal((await env.mdk(['save', '-o', file, 'mdk-test-arch/one:v1', 'mdk-test-arch/two:v1'])).code, 0);
      const l = await docker(['load', '-i', file]);
      assert.equal(l.code, 0, l.stderr);
      assert.equal(l.stdout, 'Loaded image: mdk-test-arch/one:v1\nLoaded image: mdk-test-arch/two:v1\n');
      for (const [name, img] of [['mdk-test-arch/one:v1', base], ['mdk-test-arch/two:v1', twoLayer]] as const) {
        const i = await docker(['image', 'inspect', '--format', '{{.Id}} {{json .RootFS.Layers}}', name]);
        assert.equal(i.stdout, `${img.config.digest} ${JSON.stringify(img.diffIds)}\n`, name);
      }
      assert.equal((await docker(['tag', 'mdk-test-arch/two:v1', 'mdk-test-arch/from-docker:v1'])).code, 0);
      const saved = join(tmp, 'from-docker.tar');
      const s = await docker(['save', '-o', saved, 'mdk-test-arch/from-docker:v1']);
      assert.equal(s.code, 0, s.stderr);
      const other = makeImageEnv();
      try {
        const r = await other.mdk(['load', '-i', saved]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'Loaded image: mdk-test-arch/from-docker:v1\n');
        assert.deepEqual(other.contents().images, [twoLayer.config.digest]);
        const run2 = await other.mdk(['run', '--rm', 'mdk-test-arch/from-docker:v1']);
        assert.equal(run2.stdout, 'hello from the second layer\n', run2.stderr);
      } finally {
        other.remove();
      }
    } finally {
      await daemon.stop(10_000);
      await killUnder(d);
      unmountUnder(d);
      paths.remove();
    }
    assert.deepEqual(paths.created(), [], 'dockerd left nothing global');
  });

  test('usage: save and load name what is missing; import refuses --change; --help', async () => {
    const a = await env.mdk(['save']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /"moby-dick save" requires at least 1 argument/);
    const b = await env.mdk(['save', '-o', join(tmp, 'none.tar'), 'mdk-test-arch/none:v1']);
    assert.equal(b.code, 1);
    assert.equal(b.stderr, 'moby-dick: No such image: mdk-test-arch/none:v1\n');
    const c = await env.mdk(['load', '-i', join(tmp, 'mdk-test-no-such.tar')]);
    assert.equal(c.code, 1);
    assert.ok(oneLine(c.stderr), c.stderr);
    assert.match(c.stderr, /load .*mdk-test-no-such\.tar: ENOENT/);
    const d = await env.mdk(['import', '--change', 'CMD x', '-']);
    assert.equal(d.code, 1);
    assert.match(d.stderr, /--change is not supported/);
    for (const cmd of ['load', 'save', 'import']) {
      const h = await env.mdk([cmd, '--help']);
      assert.equal(h.code, 0);
      assert.match(h.stdout, new RegExp(`^Usage: moby-dick ${cmd} `));
    }
  });
});
