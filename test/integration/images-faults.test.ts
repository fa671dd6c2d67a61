/**
 * A registry that misbehaves (node:http on 127.0.0.1): wrong bytes, a cut-off
 * blob, a malformed manifest, a missing blob, a pull killed with SIGKILL;
 * and one that behaves, for bearer tokens and manifest lists.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../helpers/cli.js';
import { makeImageEnv, oneLine } from '../helpers/image-env.js';
import { type Blob, bombImage, dirWith, imageOf, makeImage, makeIndex, sha256, type TestImage } from '../helpers/oci-image.js';
import { type FakeContent, type FakeRegistry, startFakeRegistry } from '../helpers/registry.js';

const REPO = 'mdk-test/faulty';

describe('a misbehaving registry', () => {
  let fake: FakeRegistry;
  let img: TestImage;
  let big: TestImage;
  let arm: TestImage;
  let index: Blob;
  let dirs: string[];
  /** 256 MiB of zeros in a tar, compressed (about 20 KiB of zstd, 250 KiB of gzip) */
  const bombs: Partial<Record<'zstd' | 'gzip', TestImage>> = {};
  /** a manifest whose layer says it is 10 TiB (the registry sends zeros without end for it) */
  let huge: TestImage;
  const content: FakeContent = { repo: REPO, manifests: {}, blobs: [] };
  const image = (tag: string): string => `${fake.host}/${REPO}:${tag}`;

  before(async () => {
    dirs = [dirWith({ 'etc/mdk-test-a': 'a'.repeat(200_000) }), dirWith({ 'etc/mdk-test-b': 'b\n' })];
    img = makeImage(dirs);
    dirs.push(dirWith({ 'etc/mdk-test-random': randomBytes(1_500_000).toString('base64') }));
    big = makeImage(dirs.slice(2), { compression: 'none' });
    arm = makeImage(dirs.slice(0, 1), { architecture: 'arm64' });
    index = makeIndex([
      { image: arm, architecture: 'arm64', variant: 'v8' },
      { image: img, architecture: 'amd64' },
    ]);
    const malformed = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: 'nope' }));
    content.manifests = {
      latest: img.manifest,
      multi: index,
      big: big.manifest,
      malformed: { digest: sha256(malformed), bytes: malformed, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    };
    content.blobs = [img.config, ...img.layers, big.config, ...big.layers, arm.config, ...arm.layers, arm.manifest, img.manifest];
    content.manifests[img.manifest.digest] = img.manifest;
    content.manifests[arm.manifest.digest] = arm.manifest;
    for (const how of ['zstd', 'gzip'] as const) {
      const b = bombImage(how, 256 << 20);
      bombs[how] = b;
      content.manifests[`bomb-${how}`] = b.manifest;
      content.blobs.push(b.config, ...b.layers);
    }
    const hugeLayer: Blob = { digest: sha256('mdk-test-huge'), bytes: Buffer.from('mdk-test-huge'), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
    huge = imageOf([{ ...hugeLayer }], [sha256('mdk-test-huge-diff')]);
    // the manifest says 10 TiB
    const hugeManifest = Buffer.from(huge.manifest.bytes.toString().replace(`"size":${hugeLayer.bytes.length}}`, `"size":${10 * 1024 ** 4}}`));
    assert.notDeepEqual(hugeManifest, huge.manifest.bytes);
    content.manifests.huge = { digest: sha256(hugeManifest), bytes: hugeManifest, mediaType: huge.manifest.mediaType };
    content.blobs.push(huge.config, hugeLayer);
    content.endlessManifests = ['endless'];
    fake = await startFakeRegistry(content);
  });
  after(async () => {
    await fake?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const nothingStored = (env: ReturnType<typeof makeImageEnv>): void => {
    const c = env.contents();
    assert.deepEqual(c, { blobs: [], layers: [], ingest: [], layerTmp: [], images: [] }, 'nothing half-stored');
  };

  for (const [fault, words] of [
    ['wrong-bytes', /digest mismatch: the content has digest sha256:[a-f0-9]{64}/],
    ['truncate', /download interrupted after \d+ of \d+ bytes/],
    ['404', /: layer sha256:[a-f0-9]{64}: blob unknown: blob unknown to registry\n$/],
  ] as const) {
    test(`a layer blob with ${fault}: one line naming image and layer, exit 1, nothing stored`, async () => {
      const env = makeImageEnv();
      const bad = img.layers[0]!.digest;
      content.faults = { [bad]: fault };
      try {
        const r = await env.mdk(['pull', image('latest')]);
        assert.equal(r.code, 1);
        assert.ok(oneLine(r.stderr), r.stderr);
        assert.ok(r.stderr.startsWith(`moby-dick: pull ${image('latest')}: layer ${bad}: `), r.stderr);
        assert.match(r.stderr, words);
        nothingStored(env);
      } finally {
        content.faults = {};
        env.remove();
      }
    });
  }

  test('a full disk: one line saying so, exit 1, nothing half-stored, and the store still works', async () => {
    const env = makeImageEnv();
    mkdirSync(env.root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'mdk-test-full', env.root]);
    try {
      // without a reserve (MOBY_DICK_STORE_RESERVE=0) the write runs into ENOSPC
      const r = await env.mdk(['pull', image('big')], { env: { MOBY_DICK_STORE_RESERVE: '0' } });
      assert.equal(r.code, 1);
      assert.ok(oneLine(r.stderr), r.stderr);
      assert.equal(
        r.stderr,
        `moby-dick: pull ${image('big')}: layer ${big.layers[0]!.digest}: no space left on the device of the image store (free some space (moby-dick image prune) and pull again)\n`,
      );
      nothingStored(env);
      // with the default one (5% of the filesystem here) the layer's declared size is refused before its download
      const reserved = await env.mdk(['pull', image('big')]);
      assert.equal(reserved.code, 1);
      assert.ok(oneLine(reserved.stderr), reserved.stderr);
      assert.match(reserved.stderr, new RegExp(`^moby-dick: pull ${image('big')}: layer ${big.layers[0]!.digest}: downloading it: 1\\.9 MiB do not fit: the image store's filesystem \\(${env.root}\\) has \\d+ KiB free, and keeps a reserve of 51 KiB \\(free some space`));
      nothingStored(env);
      const small = await env.mdk(['pull', '-q', image('latest')]);
      assert.equal(small.code, 0, small.stderr);
    } finally {
      execFileSync('umount', [env.root]);
      env.remove();
    }
  });

  test('a malformed manifest and a missing tag', async () => {
    const env = makeImageEnv();
    try {
      const r = await env.mdk(['pull', image('malformed')]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `moby-dick: pull ${image('malformed')}: malformed manifest: config: Required\n`);
      const missing = await env.mdk(['pull', image('nosuch')]);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, `moby-dick: pull ${image('nosuch')}: manifest for ${image('nosuch')} not found: manifest unknown: manifest unknown\n`);
      nothingStored(env);
    } finally {
      env.remove();
    }
  });

  test('a manifest list: the platform is chosen, --platform picks another, an absent one is named', async () => {
    const env = makeImageEnv();
    try {
      const r = await env.mdk(['pull', '-q', image('multi')]);
      assert.equal(r.code, 0, r.stderr);
      const arch = async (): Promise<string> => (await env.mdk(['image', 'inspect', '-f', '{{.Architecture}}', image('multi')])).stdout;
      assert.equal(await arch(), 'amd64\n');
      const digests = (await env.mdk(['image', 'inspect', '-f', '{{json .RepoDigests}}', image('multi')])).stdout;
      assert.equal(digests, `${JSON.stringify([`${fake.host}/${REPO}@${index.digest}`])}\n`, 'the repo digest is the index\'s, as Docker records it');
      const a = await env.mdk(['pull', '-q', '--platform', 'linux/arm64', image('multi')]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(await arch(), 'arm64\n');
      const none = await env.mdk(['pull', '--platform', 'linux/s390x', image('multi')]);
      assert.equal(none.code, 1);
      assert.equal(none.stderr, `moby-dick: pull ${image('multi')}: no matching manifest for linux/s390x in the manifest list entries (it has linux/arm64/v8, linux/amd64)\n`);
      const wrong = await env.mdk(['pull', '--platform', 'linux/arm64', image('latest')]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /image was found but does not match the specified platform: wanted linux\/arm64\/v8, actual: linux\/amd64/);
      // by digest, and a digest that does not match what is served
      const byDigest = await env.mdk(['pull', '-q', `${fake.host}/${REPO}@${img.manifest.digest}`]);
      assert.equal(byDigest.code, 0, byDigest.stderr);
      assert.equal(byDigest.stdout, `${fake.host}/${REPO}@${img.manifest.digest}\n`);
    } finally {
      env.remove();
    }
  });

  test('bearer tokens: the challenge is followed and the token used', async () => {
    const env = makeImageEnv();
    content.bearer = true;
    fake.requests.length = 0;
    try {
      const r = await env.mdk(['pull', '-q', image('latest')]);
      assert.equal(r.code, 0, r.stderr);
      const tokenRequests = fake.requests.filter((q) => q.startsWith('GET /token'));
      assert.equal(tokenRequests.length, 1, 'one token, cached for the whole pull');
      assert.match(tokenRequests[0]!, new RegExp(`scope=repository%3A${REPO.replace('/', '%2F')}%3Apull`));
      assert.match(tokenRequests[0]!, /service=mdk-test/);
    } finally {
      content.bearer = false;
      env.remove();
    }
  });

  test('an identity token in config.json: a refresh-token grant (POST) for the bearer token; a wrong one is refused by name', async () => {
    const env = makeImageEnv();
    content.bearer = true;
    content.refreshToken = 'mdk-test-refresh';
    fake.requests.length = 0;
    const login = (token: string) => {
      mkdirSync(env.dockerConfig, { recursive: true });
      writeFileSync(join(env.dockerConfig, 'config.json'), JSON.stringify({ auths: { [fake.host]: { identitytoken: token } } }));
    };
    try {
      login('mdk-test-refresh');
      const r = await env.mdk(['pull', '-q', image('latest')]);
      assert.equal(r.code, 0, r.stderr);
      const posts = fake.requests.filter((q) => q.startsWith('POST /token '));
      assert.equal(posts.length, 1, fake.requests.join('\n'));
      const form = new URLSearchParams(posts[0]!.slice('POST /token '.length));
      assert.deepEqual([form.get('grant_type'), form.get('service'), form.get('scope'), form.get('client_id')], ['refresh_token', 'mdk-test', `repository:${REPO}:pull`, 'moby-dick']);
      assert.equal(fake.requests.filter((q) => q.startsWith('GET /token')).length, 0);
      login('mdk-test-wrong');
      const bad = await env.mdk(['pull', '-q', image('multi')]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /refused the stored identity token/);
    } finally {
      content.bearer = false;
      delete content.refreshToken;
      env.remove();
    }
  });

  test('garbage collection in another process leaves a pull in progress alone', async () => {
    const env = makeImageEnv();
    const slow = img.layers[0]!.digest;
    const fast = img.layers[1]!.digest;
    content.faults = { [slow]: 'slow' };
    try {
      const pulling = env.mdk(['pull', '-q', image('latest')]);
      const deadline = Date.now() + 10_000;
      while (!env.contents().layers.length && Date.now() < deadline) await sleep(20);
      assert.ok(env.contents().blobs.includes(fast.slice(7)), 'the fast layer is in');
      const prune = await env.mdk(['image', 'prune', '-a', '-f']);
      assert.equal(prune.code, 0, prune.stderr);
      assert.equal(prune.stdout, 'Total reclaimed space: 0B\n');
      assert.ok(env.contents().blobs.includes(fast.slice(7)), 'the leased blob is still there');
      const r = await pulling;
      assert.equal(r.code, 0, r.stderr);
      const c = env.contents();
      assert.deepEqual(c.images, [img.config.digest]);
      assert.equal(c.layers.length, 2);
    } finally {
      content.faults = {};
      env.remove();
    }
  });

  test('kill -9 during a slow pull, then the pull again succeeds and nothing is left over', async () => {
    const env = makeImageEnv();
    const slow = img.layers[0]!.digest;
    content.faults = { [slow]: 'slow' };
    // the slow blob's request of an earlier test must not count as this pull's
    fake.requests.length = 0;
    try {
      let pid = 0;
      const killed = env.mdk(['pull', image('latest')], { onSpawn: (p) => (pid = p) });
      // wait until the slow blob is being downloaded
      const deadline = Date.now() + 10_000;
      while (!fake.requests.some((q) => q === `GET /v2/${REPO}/blobs/${slow}`) && Date.now() < deadline) await sleep(20);
      await sleep(300);
      process.kill(pid, 'SIGKILL');
      const k = await killed;
      assert.equal(k.signal, 'SIGKILL');
      const mid = env.contents();
      assert.deepEqual(mid.images, [], 'no image registered by the killed pull');
      assert.ok(!mid.blobs.includes(slow.slice(7)), 'the half-downloaded blob is not a blob');
      assert.equal(mid.ingest.length, 1, 'what it had downloaded is kept to resume');
      content.faults = {};
      fake.requests.length = 0;
      const r = await env.mdk(['pull', image('latest')]);
      assert.equal(r.code, 0, r.stderr);
      const resumed = fake.requests.filter((q) => q.startsWith(`GET /v2/${REPO}/blobs/${slow} bytes=`));
      assert.equal(resumed.length, 1, `the download resumed with a Range: ${fake.requests.join(', ')}`);
      assert.match(resumed[0]!, / bytes=[1-9]\d*-$/);
      const c = env.contents();
      assert.deepEqual(c.images, [img.config.digest]);
      assert.deepEqual([c.ingest, c.layerTmp], [[], []], 'the killed pull\'s temp files are cleaned');
      assert.equal(c.layers.length, 2);
    } finally {
      content.faults = {};
      env.remove();
    }
  });

  /** a store on a tmpfs of SIZE of its own (mdk-test-...), unmounted and removed by the returned function */
  const onTmpfs = (name: string, size: string): { env: ReturnType<typeof makeImageEnv>; done: () => void } => {
    const env = makeImageEnv();
    mkdirSync(env.root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, `mdk-test-${name}`, env.root]);
    return {
      env,
      done: () => {
        execFileSync('umount', [env.root]);
        env.remove();
      },
    };
  };
  const freeBytes = (dir: string): number => {
    const st = statfsSync(dir);
    return st.bavail * st.bsize;
  };

  test('a decompression bomb (zstd, gzip): stopped at MOBY_DICK_MAX_LAYER_SIZE and at the store\'s reserve of free space, in one line, nothing half-stored', async () => {
    const { env, done } = onTmpfs('bomb', '320m');
    try {
      const empty = freeBytes(env.root);
      for (const how of ['zstd', 'gzip'] as const) {
        const ref = image(`bomb-${how}`);
        const layer = bombs[how]!.layers[0]!.digest;
        // the unpacked size capped: 256 MiB of zeros from a few KiB
        const capped = await env.mdk(['pull', ref], { env: { MOBY_DICK_MAX_LAYER_SIZE: '32m' } });
        assert.equal(capped.code, 1, `${how}: ${capped.stderr}`);
        assert.ok(oneLine(capped.stderr), capped.stderr);
        assert.ok(capped.stderr.startsWith(`moby-dick: pull ${ref}: layer ${layer}: `), capped.stderr);
        assert.match(capped.stderr, /: unpacking it: more than 32 MiB \(MOBY_DICK_MAX_LAYER_SIZE\)/);
        nothingStored(env);
        // the reserve: 256 MiB would fit in the 320 MiB, but not above a reserve of 250 MiB
        const reserved = await env.mdk(['pull', ref], { env: { MOBY_DICK_STORE_RESERVE: '250m' } });
        assert.equal(reserved.code, 1, `${how}: ${reserved.stderr}`);
        assert.ok(oneLine(reserved.stderr), reserved.stderr);
        assert.ok(reserved.stderr.startsWith(`moby-dick: pull ${ref}: layer ${layer}: `), reserved.stderr);
        assert.match(reserved.stderr, /: unpacking it: stopped after \d+(\.\d)? MiB: the image store's filesystem \(.*\) has \d+(\.\d)? MiB free, and keeps a reserve of 250 MiB \(free some space/);
        nothingStored(env);
        assert.ok(freeBytes(env.root) > empty - (1 << 20), 'the space is given back');
      }
      // a reserve the filesystem is under already: refused before anything is written
      const under = await env.mdk(['pull', image('latest')], { env: { MOBY_DICK_STORE_RESERVE: '100%' } });
      assert.equal(under.code, 1, under.stderr);
      assert.ok(oneLine(under.stderr), under.stderr);
      assert.match(under.stderr, /do not fit: the image store's filesystem/);
      nothingStored(env);
      const bad = await env.mdk(['pull', image('latest')], { env: { MOBY_DICK_STORE_RESERVE: 'lots' } });
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr, 'moby-dick: MOBY_DICK_STORE_RESERVE must be a size (512m, 2g) or a percentage of the filesystem (10%), not "lots" (e.g. MOBY_DICK_STORE_RESERVE=2g)\n');
      // the default reserve (5% of this small filesystem) lets a real image in
      const ok = await env.mdk(['pull', '-q', image('latest')]);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      done();
    }
  });

  test('a registry that declares a 10 TiB layer: refused before it is downloaded (the reserve, or MOBY_DICK_MAX_LAYER_SIZE)', async () => {
    const { env, done } = onTmpfs('huge', '64m');
    const layer = sha256('mdk-test-huge');
    content.faults = { [layer]: 'endless' };
    try {
      for (const [extra, words] of [
        [{}, /layer sha256:[a-f0-9]{64}: downloading it: 10 TiB do not fit: the image store's filesystem/],
        [{ MOBY_DICK_MAX_LAYER_SIZE: '1g' }, /the manifest says it is 10 TiB, more than the 1 GiB of MOBY_DICK_MAX_LAYER_SIZE/],
      ] as const) {
        fake.requests.length = 0;
        const r = await env.mdk(['pull', image('huge')], { env: extra });
        assert.equal(r.code, 1, r.stderr);
        assert.ok(oneLine(r.stderr), r.stderr);
        assert.ok(r.stderr.startsWith(`moby-dick: pull ${image('huge')}: layer ${layer}: `), r.stderr);
        assert.match(r.stderr, words);
        assert.deepEqual(fake.requests.filter((q) => q.includes(layer)), [], 'the layer is never asked for');
        nothingStored(env);
      }
    } finally {
      content.faults = {};
      done();
    }
  });

  test('a body longer than declared, an endless one, an endless manifest: stopped at the declared size or the manifest limit', async () => {
    const { env, done } = onTmpfs('endless', '64m');
    const layer = img.layers[0]!.digest;
    try {
      for (const [fault, words] of [
        ['longer', /the registry sends \d+ bytes, the manifest says \d+/],
        ['endless', /more than the \d+ bytes the manifest says/],
      ] as const) {
        content.faults = { [layer]: fault };
        const r = await env.mdk(['pull', image('latest')]);
        assert.equal(r.code, 1, r.stderr);
        assert.ok(oneLine(r.stderr), r.stderr);
        assert.ok(r.stderr.startsWith(`moby-dick: pull ${image('latest')}: layer ${layer}: `), r.stderr);
        assert.match(r.stderr, words);
        nothingStored(env);
      }
      content.faults = {};
      const m = await env.mdk(['pull', image('endless')]);
      assert.equal(m.code, 1, m.stderr);
      assert.ok(oneLine(m.stderr), m.stderr);
      assert.match(m.stderr, /manifest endless is more than 4194304 bytes/);
      nothingStored(env);
    } finally {
      content.faults = {};
      done();
    }
  });
});
