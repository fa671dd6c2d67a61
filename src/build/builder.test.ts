/**
 * The Builder's file steps with the addon's calls given in (BuildSyscalls),
 * as any user and without the addon: COPY and WORKDIR over an image of two
 * layers make their layers as tars straight from what they add
 * (added-layer.ts), through the given overlay of the image's layers; COPY
 * --from reads another image through it; --chown reads the image's
 * /etc/passwd through the given syscalls. The store is a real one in a
 * temporary directory whose layer unpacker is unpackLayer over a fake of
 * its syscalls (test/helpers/fs-layer-syscalls.ts). No container is made:
 * the engine's runtime refuses every call. The same builds with the addon
 * and real containers: test/integration/build.test.ts.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, constants as fsc, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { addonLoaded, FsLayerSyscalls } from '../../test/helpers/fs-layer-syscalls.js';
import { NodeFsSyscalls } from '../../test/helpers/fs-syscalls.js';
import { craftTar, type CraftEntry } from '../../test/helpers/tar-craft.js';
import { chainIds, sha256 } from '../images/digest.js';
import { readImageFile } from '../images/image-files.js';
import { ImageStore } from '../images/store/image-store.js';
import type { LayerUnpacker } from '../images/store/layer-unpacker.js';
import { unpackLayer, unpackLayerFile } from '../images/unpack/unpack-layer.js';
import type { EngineOciRuntime } from '../engine/engine-core.js';
import { Engine } from '../engine/engine.js';
import { Builder, type BuildSyscalls, imageConfigOf } from './builder.js';
import type { ImageConfig } from '../images/manifest.js';
import { IgnoreRules } from './dockerignore.js';
import type { BuildReporter } from './progress.js';

/** The builder's syscalls: the unpacker's fake, Node's fs for lookups, a listing and an "overlay" that copies the layers into a directory. */
class BuildFake extends FsLayerSyscalls implements BuildSyscalls {
  private readonly fs = new NodeFsSyscalls();
  readonly overlays: string[][] = [];
  listed = 0;
  constructor(private readonly scratch: string) {
    super();
  }
  lstatAt(dirFd: number, name: Buffer): number[] | undefined {
    return this.fs.lstatAt(dirFd, name);
  }
  readlinkAt(dirFd: number, name: Buffer): Buffer {
    return this.fs.readlinkAt(dirFd, name);
  }
  statDir(path: Buffer): [string[], Float64Array] {
    this.listed++;
    const names = readdirSync(path.toString());
    const v = new Float64Array(names.length * 11);
    names.forEach((n, i) => {
      const st = lstatSync(join(path.toString(), n));
      v.set([st.mode, st.uid, st.gid, st.size, st.nlink, st.ino, st.dev, Math.floor(st.mtimeMs / 1000), 0, Math.floor(st.ctimeMs / 1000), 0], i * 11);
    });
    return [names, v];
  }
  /** nothing is listed again: the memo of trees never takes an earlier walk */
  statDirs(): null {
    return null;
  }
  /** the layers (topmost first) copied bottom up into a new directory: enough of an overlay for layers without whiteouts */
  mountOverlay(lower: readonly Buffer[], upper: Buffer | null): number {
    assert.equal(upper, null, 'read-only');
    this.overlays.push(lower.map((l) => l.toString()));
    const dir = mkdtempSync(join(this.scratch, 'overlay-'));
    for (const l of [...lower].reverse()) cpSync(l.toString(), dir, { recursive: true, verbatimSymlinks: true });
    return openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  }
}

const quiet: BuildReporter = {
  begin: () => 0,
  output: () => {},
  note: () => {},
  done: () => {},
  cached: () => {},
  error: () => {},
  warn: () => {},
};

/** every call of the runtime fails the test: no step here may make a container */
const noRuntime = new Proxy({}, {
  get: (_, k) => () => assert.fail(`the runtime's ${String(k)} was called`),
}) as EngineOciRuntime;

describe('Builder with its syscalls given in', () => {
  let root: string;
  let store: ImageStore;
  let sys: BuildFake;
  let engine: Engine;
  const context = () => join(root, 'context');

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'mdk-test-builder-'));
    sys = new BuildFake(root);
    const unpacker: LayerUnpacker = Object.assign(
      async (tar: Readable, dest: string, opts: { diffId: string }) => void (await unpackLayer(tar, dest, { layerDigest: opts.diffId }, sys)),
      { fromFile: async (path: string, dest: string, opts: { diffId: string; observe: (c: Buffer) => void }) => void (await unpackLayerFile(path, dest, { layerDigest: opts.diffId, observe: opts.observe }, sys)) },
    );
    store = new ImageStore({ root: join(root, 'store'), unpacker });
    // the base image: /etc/passwd in its lower layer, /app in its upper one
    const layers: CraftEntry[][] = [
      [{ name: 'etc/', type: '5', mode: 0o755 }, { name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\nmdk:x:1234:4321::/home/mdk:/bin/sh\n' }],
      [{ name: 'app/', type: '5', mode: 0o755 }, { name: 'app/old.txt', data: 'old' }],
    ];
    const tars = layers.map((l) => craftTar(l));
    const lease = store.beginLease();
    const diffIds = tars.map((t) => sha256(t));
    const chains = chainIds(diffIds);
    const blobs: string[] = [];
    const newLayers = [];
    for (const [i, t] of tars.entries()) {
      const digest = sha256(t);
      lease.commitBlob(digest, await store.blobs.ingest(digest, Readable.from([t]), { size: t.length }));
      blobs.push(digest);
      const size = await store.unpackLayer(lease, digest, diffIds[i]!, chains[i]!);
      newLayers.push({ chainId: chains[i]!, diffId: diffIds[i]!, parent: chains[i - 1], size, blob: { digest, mediaType: 'application/vnd.oci.image.layer.v1.tar', size: t.length } });
    }
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));
    const id = sha256(config);
    lease.commitBlob(id, await store.blobs.ingest(id, Readable.from([config]), { size: config.length }));
    store.registerImage(lease, { id, created: '2024-01-01T00:00:00Z', os: 'linux', architecture: 'amd64', variant: undefined, layers: newLayers, tags: ['docker.io/library/mdk-test-base:latest'], repoDigests: [] }, [...blobs, id]);
    engine = new Engine(store, { runtime: noRuntime, rootless: false });
    mkdirSync(join(context(), 'dir/sub'), { recursive: true });
    writeFileSync(join(context(), 'a.txt'), 'from the context');
    writeFileSync(join(context(), 'dir/sub/b.txt'), 'b');
  });
  after(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const build = (dockerfile: string, tag: string) =>
    new Builder(engine, {
      context: context(), ignore: IgnoreRules.parse(''), dockerfile: { text: dockerfile, name: 'Dockerfile' }, tags: [tag], buildArgs: new Map(),
      noCache: false, labels: {}, network: 'none', progress: quiet,
    }, sys).build();

  test('COPY, COPY --from, --chown and WORKDIR: layers written from what they add, through the overlay and listing given', async () => {
    const r = await build(
      [
        'FROM mdk-test-base',
        'COPY --chown=mdk a.txt /app/a.txt',
        'COPY dir /app/dir',
        'COPY --from=mdk-test-base /etc/passwd /copied/passwd',
        'WORKDIR /made/here',
      ].join('\n'),
      'mdk-test-built',
    );
    const layers = store.layerPaths(r.id).reverse();
    assert.equal(layers.length, 6, 'the base\'s two, and one for each COPY and for WORKDIR\'s directory');
    const file = (p: string) => readImageFile(layers, p, sys)?.toString();
    assert.equal(file('/app/a.txt'), 'from the context');
    assert.equal(file('/app/old.txt'), 'old');
    assert.equal(file('/app/dir/sub/b.txt'), 'b');
    assert.equal(file('/copied/passwd'), readFileSync(join(store.layerPaths(r.id)[0]!, 'etc/passwd'), 'utf8'));
    assert.ok(readdirSync(join(layers[0]!, 'made')).includes('here'), 'WORKDIR\'s directory in a layer of its own');
    assert.deepEqual(sys.owner(join(layers[3]!, 'app/a.txt')), [1234, 4321], '--chown=mdk from the image\'s /etc/passwd');
    // each COPY and WORKDIR over the image (two layers or more), and --from's image: an overlay of the layers, topmost first
    assert.ok(sys.overlays.length >= 4, `${sys.overlays.length} overlays`);
    assert.deepEqual(sys.overlays[0], store.layerPaths(r.id).slice(0, 2).reverse());
    assert.ok(sys.listed >= 2, 'the copied directory listed with the given statDir');
  });

  test('COPY --from of the same layers again: the digest read before, no overlay; of other layers: read anew', async () => {
    const file = (id: string, p: string) => readImageFile(store.layerPaths(id).reverse(), p, sys)?.toString();
    const df = 'FROM mdk-test-base AS a\nCOPY a.txt /a.txt\nFROM mdk-test-base\nCOPY --from=a /a.txt /app/a.txt\n';
    writeFileSync(join(context(), 'a.txt'), 'first');
    const one = await build(df, 'mdk-test-from1');
    const mounted = sys.overlays.length;
    assert.equal((await build(df, 'mdk-test-from2')).id, one.id);
    assert.equal(sys.overlays.length, mounted, 'the cached rebuild mounted no overlay for --from');
    writeFileSync(join(context(), 'a.txt'), 'second');
    const two = await build(df, 'mdk-test-from3');
    assert.notEqual(two.id, one.id);
    assert.equal(file(two.id, '/app/a.txt'), 'second', 'stage a changed: its file copied anew');
    assert.equal((await build(df, 'mdk-test-from4')).id, two.id);
  });

  test('the addon was never loaded', () => {
    assert.equal(addonLoaded(), false);
  });
});

test('image configs are parsed once a process: each later call a copy of the same', () => {
  let reads = 0;
  const id = `sha256:${'c'.repeat(64)}`;
  const store = {
    imageConfig(imageId: string): ImageConfig {
      reads++;
      assert.equal(imageId, id);
      return { architecture: 'amd64', os: 'linux', config: { Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: [] } } as ImageConfig;
    },
  };
  const first = imageConfigOf(store, id);
  first.config!.Env!.push('CHANGED=1');
  const second = imageConfigOf(store, id);
  assert.equal(reads, 1);
  assert.deepEqual(second.config?.Env, ['A=1'], 'a copy: what one build changes, the next does not see');
  assert.notEqual(imageConfigOf(store, id), second);
});
