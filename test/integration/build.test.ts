/**
 * `moby-dick build`, `commit`, `diff` and `history` as root, on the local
 * busybox image (test/helpers/engine-env.ts): every instruction, the built
 * image run as written, multi-stage with --from and --target, the layer
 * cache (hits on an unchanged rebuild, a miss from the first changed COPY
 * source on), .dockerignore, whiteouts, bad input naming its line, and a
 * failing RUN that leaves nothing behind; independent stages built at the
 * same time; ADD of .tar.xz and .tar.bz2; Ctrl-C during a RUN; rmi of a
 * built image and its parents; a built image pushed to a local registry
 * and read back by skopeo, its `save` read by skopeo as a docker-archive
 * and loaded by a private dockerd 20.10 (`docker load`: same ID, layers,
 * files).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { CreatedPaths, killUnder, removeCgroups, unmountUnder } from '../helpers/caller-host.js';
import { CLI, run } from '../helpers/cli.js';
import { Daemon } from '../helpers/daemon.js';
import { skopeo, startRegistry } from '../helpers/registry.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

describe('build', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w);
  const base = mkdtempSync(join(tmpdir(), 'mdk-test-build-'));
  after(() => rmSync(base, { recursive: true, force: true }));
  let n = 0;

  /** a context dir with FILES (name: content); the Dockerfile's FROM is the test's busybox */
  const context = (files: Record<string, string>): string => {
    const dir = join(base, `ctx${n++}`);
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), content.replaceAll('BUSYBOX', w.image));
    }
    return dir;
  };
  const build = (dir: string, ...args: string[]) => mdk('build', '--network', 'none', ...args, dir);
  const inspect = async (image: string) => {
    const r = await mdk('image', 'inspect', image);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { Config: Record<string, unknown>; Author?: string }[])[0]!;
  };

  test('every instruction, and the image runs as written', async () => {
    const dir = context({
      Dockerfile: `# syntax=docker/dockerfile:1
ARG BASE=BUSYBOX
FROM \${BASE} AS app
LABEL maintainer.name="someone" version=1
MAINTAINER Ishmael <ishmael@pequod>
ARG WHO=world
ENV GREETING="hello" \\
    TARGET=\${WHO:-nobody}
WORKDIR /srv/app
COPY --chmod=755 run.sh ./
COPY data/ /data/
ADD pack.tar /unpacked/
RUN <<EOF
echo "$GREETING $TARGET" > /srv/app/greeting
echo 'sailor:x:1234:1234::/srv/app:/bin/sh' >> /etc/passwd && echo 'sailor:x:1234:' >> /etc/group
EOF
RUN ["sh", "-c", "chown sailor /srv/app && echo exec-form > /srv/app/exec"]
COPY --chown=sailor:sailor <<NOTE /srv/app/note
written by $TARGET
NOTE
SHELL ["/bin/sh", "-ec"]
EXPOSE 8080 53/udp
VOLUME /vol
USER sailor
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --retries=2 CMD true
ONBUILD RUN echo triggered
ENTRYPOINT ["/srv/app/run.sh"]
CMD ["arg1"]
`,
      'run.sh': '#!/bin/sh\necho "$(id -u) $(pwd) $GREETING $TARGET $1"\ncat /srv/app/greeting /srv/app/exec /srv/app/note /data/d.txt /unpacked/inner.txt\n',
      'data/d.txt': 'data\n',
    });
    // a tar for ADD to unpack
    const packDir = join(base, `pack${n++}`);
    mkdirSync(packDir);
    writeFileSync(join(packDir, 'inner.txt'), 'unpacked\n');
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['-cf', join(dir, 'pack.tar'), '-C', packDir, 'inner.txt']);
    const b = await build(dir, '-t', 'mdk-test-all:1', '--build-arg', 'WHO=ahab');
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /^#\d+ \[app 2\/\d+\] LABEL maintainer.name="someone" version=1$/m);
    assert.match(b.stderr, /WARNING: the syntax directive \(docker\/dockerfile:1\) is ignored/);
    assert.match(b.stderr, /naming to docker.io\/library\/mdk-test-all:1 done/);
    const run = await mdk('run', '--rm', '--network', 'none', 'mdk-test-all:1');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '1234 /srv/app hello ahab arg1\nhello ahab\nexec-form\nwritten by ahab\ndata\nunpacked\n');
    const c = (await inspect('mdk-test-all:1')).Config;
    assert.deepEqual(c.Entrypoint, ['/srv/app/run.sh']);
    assert.deepEqual(c.Cmd, ['arg1']);
    assert.equal(c.WorkingDir, '/srv/app');
    assert.equal(c.User, 'sailor');
    assert.ok((c.Env as string[]).includes('GREETING=hello') && (c.Env as string[]).includes('TARGET=ahab'));
    assert.ok(!(c.Env as string[]).some((e) => e.startsWith('WHO=')), 'an ARG is not in the image');
    assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
    assert.deepEqual(c.Volumes, { '/vol': {} });
    assert.deepEqual(c.Labels, { 'maintainer.name': 'someone', version: '1' });
    assert.equal(c.StopSignal, 'SIGINT');
    assert.deepEqual(c.Shell, ['/bin/sh', '-ec']);
    assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 30e9, Retries: 2 });
    assert.deepEqual(c.OnBuild, ['RUN echo triggered']);
    const ls = await mdk('run', '--rm', '--network', 'none', '--entrypoint', 'ls', 'mdk-test-all:1', '-ln', '/srv/app/run.sh', '/srv/app/note');
    assert.match(ls.stdout, /^-rwxr-xr-x\s+1 0\s+0 .*run\.sh$/m, '--chmod, and root owns what COPY copies');
    assert.match(ls.stdout, /^-rw-r--r--\s+1 1234\s+1234 .*note$/m, '--chown by name');
    // the ONBUILD trigger runs in a build FROM it
    const child = context({ Dockerfile: 'FROM mdk-test-all:1\nUSER 0\n' });
    const cb = await build(child, '-t', 'mdk-test-child');
    assert.equal(cb.code, 0, cb.stderr);
    assert.match(cb.stderr, /ONBUILD RUN echo triggered\n#\d+ [\d.]+ triggered/);
    // history: one entry per instruction that changes the image, newest first
    const h = await mdk('history', '--no-trunc', '--format', '{{.CreatedBy}}', 'mdk-test-all:1');
    const lines = h.stdout.trim().split('\n');
    assert.equal(lines[0], 'CMD ["arg1"]');
    assert.ok(lines.some((l) => l.startsWith('RUN |1 WHO=ahab /bin/sh -c ')), 'RUN shows the build args it saw');
    assert.equal((await mdk('rmi', 'mdk-test-all:1', 'mdk-test-child')).code, 0);
  });

  test('multi-stage: --from a stage and an image, --target skips what it does not need', async () => {
    const dir = context({
      Dockerfile: `FROM BUSYBOX AS builder
RUN mkdir /out && echo built > /out/artifact && rm /bin/vi
FROM builder AS broken
RUN exit 7
FROM BUSYBOX AS final
COPY --from=builder /out/ /opt/
COPY --from=BUSYBOX /bin/busybox /copied-busybox
CMD ["cat", "/opt/artifact"]
`,
    });
    const b = await build(dir, '-t', 'mdk-test-multi', '--target', 'final');
    assert.equal(b.code, 0, b.stderr);
    assert.doesNotMatch(b.stderr, /exit 7/, 'the broken stage is not built');
    const r = await mdk('run', '--rm', '--network', 'none', 'mdk-test-multi');
    assert.equal(r.stdout, 'built\n');
    // a deletion in a layer is a whiteout: builder's image has no vi
    const t = await build(dir, '-t', 'mdk-test-builder', '--target', 'builder');
    assert.equal(t.code, 0, t.stderr);
    const vi = await mdk('run', '--rm', '--network', 'none', 'mdk-test-builder', 'ls', '/bin/vi');
    assert.notEqual(vi.code, 0);
    const missing = await build(dir, '--target', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Dockerfile:1: target stage "nope" could not be found/);
    assert.equal((await mdk('rmi', 'mdk-test-multi', 'mdk-test-builder')).code, 0);
  });

  test('the cache: all CACHED when nothing changed, a miss from the first changed COPY source on; --no-cache', async () => {
    const dir = context({
      Dockerfile: 'FROM BUSYBOX\nCOPY one.txt /one\nRUN echo ran-after-one\nCOPY two.txt /two\nRUN echo ran-after-two\n',
      'one.txt': '1',
      'two.txt': '2',
    });
    const first = await build(dir, '-t', 'mdk-test-cache');
    assert.equal(first.code, 0, first.stderr);
    const again = await build(dir, '-t', 'mdk-test-cache');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr.match(/^#\d+ CACHED$/gm)?.length, 4, again.stderr);
    assert.doesNotMatch(again.stderr, /^#\d+ [\d.]+ ran-after/m);
    // touching a file (mtime only) keeps the cache
    const { utimesSync } = await import('node:fs');
    utimesSync(join(dir, 'one.txt'), new Date(), new Date(Date.now() + 5000));
    assert.equal((await build(dir)).stderr.match(/^#\d+ CACHED$/gm)?.length, 4);
    writeFileSync(join(dir, 'two.txt'), 'changed');
    const miss = await build(dir, '-t', 'mdk-test-cache');
    assert.equal(miss.stderr.match(/^#\d+ CACHED$/gm)?.length, 2, miss.stderr);
    assert.match(miss.stderr, /^#\d+ [\d.]+ ran-after-two/m);
    assert.doesNotMatch(miss.stderr, /^#\d+ [\d.]+ ran-after-one/m);
    // --label: the same labels on an unchanged rebuild give the same image, others another
    const labelled = async (...args: string[]) => {
      const r = await build(dir, '-q', ...args);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const l1 = await labelled('--label', 'a=1');
    assert.equal(await labelled('--label', 'a=1'), l1);
    assert.notEqual(await labelled('--label', 'a=2'), l1);
    const none = await build(dir, '--no-cache');
    assert.doesNotMatch(none.stderr, /CACHED/);
    assert.match(none.stderr, /^#\d+ [\d.]+ ran-after-one/m);
    // intermediate images are hidden from `images`, shown with -a
    const listed = (await mdk('images', '-q')).stdout.trim().split('\n').length;
    const all = (await mdk('images', '-aq')).stdout.trim().split('\n').length;
    assert.ok(all > listed + 3, `${all} images with -a, ${listed} without`);
    assert.equal((await mdk('rmi', 'mdk-test-cache')).code, 0);
  });

  test('a COPY layer in the store (written as a tar, or moved from its step\'s upper dir through a symlink) is what unpacking its blob gives', async () => {
    const dir = context({
      // the last COPY goes through a symlink of the image: its container's upper dir becomes the layer
      Dockerfile: 'FROM BUSYBOX\nCOPY app/ /etc/app/\nCOPY tree/ /tree/\nCOPY --chmod=4755 tool /bin/tool\nRUN touch /etc/after-copy\nRUN mkdir -p /opt && ln -s /opt /lnk\nCOPY app/ /lnk/app/\n',
      'app/conf': 'a=1\n',
      'tree/a/b/c.txt': 'deep\n',
      'tree/top.txt': 'top\n',
      tool: '#!/bin/sh\necho tool\n',
    });
    symlinkSync('a/b/c.txt', join(dir, 'tree', 'link'));
    const { linkSync, utimesSync } = await import('node:fs');
    linkSync(join(dir, 'tree', 'top.txt'), join(dir, 'tree', 'hard.txt'));
    utimesSync(join(dir, 'tree', 'a'), 1_600_000_000.5, 1_600_000_000.5);
    const r = await build(dir, '-q', '--no-cache');
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const diffIds = ((await inspect(id)) as unknown as { RootFS: { Layers: string[] } }).RootFS.Layers;
    // every layer blob by its diff ID (the gzip's plain tar's digest)
    const byDiff = new Map<string, string>();
    const blobDir = join(w.env.root, 'blobs', 'sha256');
    for (const hex of readdirSync(blobDir)) {
      const bytes = readFileSync(join(blobDir, hex));
      if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) continue;
      byDiff.set(`sha256:${createHash('sha256').update(gunzipSync(bytes)).digest('hex')}`, join(blobDir, hex));
    }
    const layerDirs = new Map<string, string>();
    const layersRoot = join(w.env.root, 'layers');
    for (const hex of readdirSync(layersRoot)) {
      if (hex === 'tmp') continue;
      layerDirs.set((JSON.parse(readFileSync(join(layersRoot, hex, 'meta.json'), 'utf8')) as { diffId: string }).diffId, join(layersRoot, hex, 'diff'));
    }
    const { unpackLayerFile } = await import('../../src/images/unpack/unpack-layer.js');
    const { lstatSync, readlinkSync } = await import('node:fs');
    // what can be seen of a tree: names, types, modes, owners, sizes, mtimes, contents, link targets, hard link groups
    const describeTree = (root: string): string[] => {
      const out: string[] = [];
      const inodes = new Map<number, string>();
      const walk = (rel: string): void => {
        for (const name of readdirSync(join(root, rel)).sort()) {
          const p = join(rel, name);
          const st = lstatSync(join(root, p), { bigint: true });
          let what = `${p} mode=${st.mode.toString(8)} ${st.uid}:${st.gid} mtime=${st.mtimeNs} rdev=${st.rdev}`;
          if (st.isFile()) {
            const first = st.nlink > 1n ? inodes.get(Number(st.ino)) : undefined;
            if (first === undefined) inodes.set(Number(st.ino), p);
            what += first ? ` link-of=${first}` : ` nlink=${st.nlink} data=${readFileSync(join(root, p)).toString('hex')}`;
          }
          if (st.isSymbolicLink()) what += ` -> ${readlinkSync(join(root, p))}`;
          out.push(what);
          if (st.isDirectory()) walk(p);
        }
      };
      walk('');
      return out;
    };
    const copies = [...diffIds.slice(1, 4), diffIds[6]!];
    for (const diffId of copies) {
      const blob = byDiff.get(diffId);
      const have = layerDirs.get(diffId);
      assert.ok(blob && have, `blob and layer of ${diffId}`);
      const fresh = mkdtempSync(join(base, 'unpacked-'));
      await unpackLayerFile(blob, fresh, { layerDigest: diffId });
      assert.deepEqual(describeTree(have), describeTree(fresh), diffId);
      assert.ok(describeTree(have).length > 0);
    }
    // the image's /etc above the new files is in the first COPY's layer as the image has it; the last COPY went through /lnk
    const etc = describeTree(layerDirs.get(diffIds[1]!)!);
    assert.match(etc[0]!, /^etc mode=40755 0:0 /);
    assert.ok(etc.some((l) => l.startsWith('etc/app/conf ')), etc.join('\n'));
    assert.deepEqual(describeTree(layerDirs.get(diffIds[6]!)!).map((l) => l.split(' ')[0]), ['opt', 'opt/app', 'opt/app/conf']);
    const run = await mdk('run', '--rm', '--network', 'none', id, 'sh', '-c', 'cat /etc/app/conf /tree/link; /bin/tool; ls -l /bin/tool | cut -c1-10; ls /etc/passwd; cat /opt/app/conf');
    assert.equal(run.stdout, 'a=1\ndeep\ntool\n-rwsr-xr-x\n/etc/passwd\na=1\n', run.stderr);
    assert.equal((await mdk('rmi', id)).code, 0);
  });

  test('a RUN layer in the store is its step\'s upper dir, moved (whiteouts, an opaque dir, hard links, a fifo, setuid), and is what unpacking its blob gives', async () => {
    const dir = context({
      Dockerfile:
        'FROM BUSYBOX\n' +
        'RUN mkdir -p /opt/keep /opt/gone /opt/redo && echo a > /opt/keep/a && echo b > /opt/gone/b && echo c > /opt/redo/c && echo old > /opt/old\n' +
        'RUN rm -rf /opt/gone /opt/redo /opt/old && mkdir /opt/redo && echo new > /opt/redo/n && echo x > /opt/keep/x && ln /opt/keep/x /opt/keep/x2 && mkfifo /opt/fifo && chmod 4755 /opt/keep/x && set -- $(ls -i /opt/keep/x) && echo $1 > /ino\n',
    });
    const r = await build(dir, '-q', '--no-cache');
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const diffIds = ((await inspect(id)) as unknown as { RootFS: { Layers: string[] } }).RootFS.Layers;
    const layersRoot = join(w.env.root, 'layers');
    const layerDirs = new Map<string, string>();
    for (const hex of readdirSync(layersRoot)) {
      if (hex !== 'tmp') layerDirs.set((JSON.parse(readFileSync(join(layersRoot, hex, 'meta.json'), 'utf8')) as { diffId: string }).diffId, join(layersRoot, hex, 'diff'));
    }
    const blobOf = (diffId: string): string => {
      const blobDir = join(w.env.root, 'blobs', 'sha256');
      for (const hex of readdirSync(blobDir)) {
        const bytes = readFileSync(join(blobDir, hex));
        if (bytes[0] === 0x1f && bytes[1] === 0x8b && `sha256:${createHash('sha256').update(gunzipSync(bytes)).digest('hex')}` === diffId) return join(blobDir, hex);
      }
      throw new Error(`no blob of ${diffId}`);
    };
    const { unpackLayerFile } = await import('../../src/images/unpack/unpack-layer.js');
    const { nativeAddon } = await import('../../src/helper/native-addon.js');
    const { closeSync, lstatSync, openSync, readlinkSync } = await import('node:fs');
    // names, types, modes, owners, sizes, mtimes, device numbers, contents, link targets, hard link groups, xattrs
    const describeTree = (root: string): string[] => {
      const out: string[] = [];
      const inodes = new Map<bigint, string>();
      const walk = (rel: string): void => {
        const fd = openSync(join(root, rel), 'r');
        try {
          for (const name of readdirSync(join(root, rel)).sort()) {
            const p = join(rel, name);
            const st = lstatSync(join(root, p), { bigint: true });
            const xattrs = nativeAddon().listXattrAt(fd, Buffer.from(name)).sort().map((k) => `${k}=${nativeAddon().getXattrAt(fd, Buffer.from(name), k)!.toString('hex')}`);
            // a whiteout's mtime is when it was made, in the container or by the unpacker
            const whiteout = st.isCharacterDevice() && st.rdev === 0n;
            let what = `${p} mode=${st.mode.toString(8)} ${st.uid}:${st.gid} mtime=${whiteout ? '-' : st.mtimeNs} rdev=${st.rdev} xattrs=${xattrs.join(',')}`;
            if (st.isFile()) {
              const first = st.nlink > 1n ? inodes.get(st.ino) : undefined;
              if (first === undefined) inodes.set(st.ino, p);
              what += first ? ` link-of=${first}` : ` nlink=${st.nlink} data=${readFileSync(join(root, p)).toString('hex')}`;
            }
            if (st.isSymbolicLink()) what += ` -> ${readlinkSync(join(root, p))}`;
            out.push(what);
            if (st.isDirectory()) walk(p);
          }
        } finally {
          closeSync(fd);
        }
      };
      walk('');
      return out;
    };
    for (const diffId of diffIds.slice(1)) {
      const have = layerDirs.get(diffId)!;
      const fresh = mkdtempSync(join(base, 'unpacked-'));
      await unpackLayerFile(blobOf(diffId), fresh, { layerDigest: diffId });
      assert.deepEqual(describeTree(have), describeTree(fresh), diffId);
    }
    const second = layerDirs.get(diffIds[2]!)!;
    const tree = describeTree(second);
    // no mount point of the runtime's (etc/hosts, proc, ...) and no overlay bookkeeping: only what the step changed
    assert.deepEqual(tree.map((l) => l.split(' ')[0]), ['ino', 'opt', 'opt/fifo', 'opt/gone', 'opt/keep', 'opt/keep/x', 'opt/keep/x2', 'opt/old', 'opt/redo', 'opt/redo/n']);
    assert.match(tree.find((l) => l.startsWith('opt/gone '))!, / mode=20000 0:0 .* rdev=0 /, 'a whiteout');
    assert.match(tree.find((l) => l.startsWith('opt/redo '))!, / xattrs=trusted\.overlay\.opaque=79$/, 'the opaque dir');
    assert.match(tree.find((l) => l.startsWith('opt/keep/x '))!, / mode=104755 /);
    assert.match(tree.find((l) => l.startsWith('opt/keep/x2 '))!, / link-of=opt\/keep\/x$/);
    // the file the step wrote is the one in the store (its inode as the step saw it): moved, not unpacked again
    assert.equal(readFileSync(join(second, 'ino'), 'utf8').trim(), String(lstatSync(join(second, 'opt', 'keep', 'x')).ino));
    const run = await mdk('run', '--rm', '--network', 'none', id, 'sh', '-c', 'ls /opt; ls /opt/redo; cat /opt/keep/a /opt/keep/x2');
    assert.equal(run.stdout, 'fifo\nkeep\nredo\nn\na\nx\n', run.stderr);
    assert.equal((await mdk('rmi', id)).code, 0);
  });

  test('a COPY of the same files onto the same layers takes the layer made before (--no-cache, an ENV above); a changed content, mtime or mode makes a new one', async () => {
    const dir = context({ Dockerfile: 'FROM BUSYBOX\nCOPY app/ /app/\n', 'app/a.txt': 'one\n', 'app/b.txt': 'two\n' });
    const { chmodSync, lstatSync, statSync, utimesSync } = await import('node:fs');
    const lastLayer = async (id: string) => ((await inspect(id)) as unknown as { RootFS: { Layers: string[] } }).RootFS.Layers.at(-1)!;
    const layerDir = (diffId: string): string => {
      const root = join(w.env.root, 'layers');
      const hex = readdirSync(root).find((h) => h !== 'tmp' && (JSON.parse(readFileSync(join(root, h, 'meta.json'), 'utf8')) as { diffId: string }).diffId === diffId);
      assert.ok(hex, `layer ${diffId}`);
      return join(root, hex, 'diff');
    };
    const reused = /the layer made before of the same files: (sha256:[0-9a-f]{64})/;
    const b = async (...args: string[]) => {
      const r = await build(dir, '--no-cache', '--progress', 'plain', '--iidfile', join(dir, '..', `${n}.iid`), ...args);
      assert.equal(r.code, 0, r.stderr);
      const id = readFileSync(join(dir, '..', `${n}.iid`), 'utf8').trim();
      return { id, layer: await lastLayer(id), stderr: r.stderr };
    };
    const first = await b();
    assert.doesNotMatch(first.stderr, reused);
    const again = await b();
    assert.equal(again.stderr.match(reused)?.[1], first.layer, again.stderr);
    assert.equal(again.layer, first.layer);
    // an ENV above changes the step's key, not the layer
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${w.image}\nENV X=1\nCOPY app/ /app/\n`);
    const env = await b();
    assert.equal(env.stderr.match(reused)?.[1], first.layer, env.stderr);
    // the same size and mtime, another content
    const st = statSync(join(dir, 'app', 'a.txt'));
    writeFileSync(join(dir, 'app', 'a.txt'), 'ONE\n');
    utimesSync(join(dir, 'app', 'a.txt'), st.atime, st.mtime);
    const content = await b();
    assert.doesNotMatch(content.stderr, reused);
    assert.notEqual(content.layer, first.layer);
    assert.equal(readFileSync(join(layerDir(content.layer), 'app', 'a.txt'), 'utf8'), 'ONE\n');
    // only the mtime: the tar has it
    utimesSync(join(dir, 'app', 'b.txt'), 1_700_000_000, 1_700_000_000);
    const mtime = await b();
    assert.doesNotMatch(mtime.stderr, reused);
    assert.equal(lstatSync(join(layerDir(mtime.layer), 'app', 'b.txt')).mtimeMs, 1_700_000_000_000);
    // only the mode
    chmodSync(join(dir, 'app', 'b.txt'), 0o600);
    const mode = await b();
    assert.doesNotMatch(mode.stderr, reused);
    assert.equal(lstatSync(join(layerDir(mode.layer), 'app', 'b.txt')).mode & 0o777, 0o600);
    const run = await mdk('run', '--rm', '--network', 'none', mode.id, 'cat', '/app/a.txt', '/app/b.txt');
    assert.equal(run.stdout, 'ONE\ntwo\n', run.stderr);
    for (const id of [first.id, again.id, env.id, content.id, mtime.id, mode.id]) await mdk('rmi', '-f', id);
  });

  test('.dockerignore leaves files out, with ! exceptions', async () => {
    const dir = context({
      Dockerfile: 'FROM BUSYBOX\nCOPY . /ctx/\nCMD ["find", "/ctx", "-type", "f"]\n',
      '.dockerignore': '*.log\nsecret/\n!secret/public.txt\n',
      'keep.txt': 'k',
      'drop.log': 'x',
      'secret/key': 'x',
      'secret/public.txt': 'p',
    });
    const b = await build(dir, '-q');
    assert.equal(b.code, 0, b.stderr);
    const id = b.stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const r = await mdk('run', '--rm', '--network', 'none', id);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/keep.txt', '/ctx/secret/public.txt']);
    assert.equal((await mdk('rmi', id)).code, 0);
  });

  test('bad input: one line naming the Dockerfile line, exit 1, nothing left behind', async () => {
    const dir = context({ Dockerfile: 'FROM BUSYBOX\nRUN echo before\nRUN echo failing-output && exit 3\n', 'a.txt': 'a' });
    symlinkSync('/etc', join(dir, 'escape'));
    const before = (await mdk('images', '-aq')).stdout;
    const failed = await build(dir);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /#\d+ [\d.]+ failing-output/);
    assert.match(failed.stderr, /Dockerfile:3: RUN echo failing-output && exit 3: process "\/bin\/sh -c echo failing-output && exit 3" did not complete successfully: exit code: 3/);
    assert.equal((await mdk('ps', '-aq')).stdout, '', 'no build container left');
    const again = await build(dir);
    assert.equal(again.code, 1);
    const afterFail = (await mdk('images', '-aq')).stdout;
    assert.equal(afterFail.split('\n').length, before.split('\n').length + 1, 'only the step before it is kept (the cache)');
    for (const [file, expected] of [
      ['FROM BUSYBOX\nFROBNICATE\n', /Dockerfile:2: unknown instruction: FROBNICATE/],
      ['RUN true\n', /Dockerfile:1: no build stage in current context/],
      ['FROM BUSYBOX\nCOPY ../outside /x\n', /Dockerfile:2: COPY failed: \.\.\/outside: forbidden path outside the build context/],
      ['FROM BUSYBOX\nCOPY /etc/passwd /x\n', /Dockerfile:2: COPY failed: \/etc\/passwd: an absolute source is outside the build context/],
      ['FROM BUSYBOX\nCOPY escape/passwd /x\n', /Dockerfile:2: COPY failed: escape is a symlink out of the build context/],
      ['FROM BUSYBOX\nCOPY missing.txt /x\n', /Dockerfile:2: COPY failed: missing.txt: not found in the build context/],
      ['FROM BUSYBOX\nADD http://127.0.0.1:65000/f.txt /x\n', /Dockerfile:2: ADD failed: cannot fetch http:\/\/127.0.0.1:65000\/f.txt: ECONNREFUSED/],
    ] as const) {
      writeFileSync(join(dir, 'Dockerfile'), file.replaceAll('BUSYBOX', w.image));
      const r = await build(dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr.trim().split('\n').pop()!, expected);
    }
    assert.equal((await mdk('ps', '-aq')).stdout, '');
  });

  test('stages that do not depend on each other run at the same time; the plain lines tell them apart', async () => {
    const dir = context({
      Dockerfile: `FROM BUSYBOX AS left
RUN grep -q ' / .* overlay .*volatile' /proc/self/mountinfo && echo root-volatile; echo left-start && sleep 1 && echo left-end > /left
FROM BUSYBOX AS right
RUN echo right-start && sleep 1 && echo right-end > /right
FROM BUSYBOX AS unused
RUN echo unused-ran
FROM BUSYBOX
COPY --from=left /left /
COPY --from=right /right /
CMD ["cat", "/left", "/right"]
`,
    });
    const b = await build(dir, '-t', 'mdk-test-parallel', '--progress', 'plain');
    assert.equal(b.code, 0, b.stderr);
    // a build step's root is a volatile overlay (never synced: it is removed when the step ends)
    assert.match(b.stderr, /^#\d+ [\d.]+ root-volatile$/m);
    const at = (re: RegExp) => b.stderr.search(re);
    const leftRun = /^#(\d+) \[left 2\/2\] RUN/m.exec(b.stderr)![1]!;
    const rightRun = /^#(\d+) \[right 2\/2\] RUN/m.exec(b.stderr)![1]!;
    // both commands started before either ended: they ran at the same time
    const firstDone = Math.min(at(new RegExp(`^#${leftRun} DONE`, 'm')), at(new RegExp(`^#${rightRun} DONE`, 'm')));
    assert.ok(at(new RegExp(`^#${leftRun} [\\d.]+ left-start$`, 'm')) < firstDone, b.stderr);
    assert.ok(at(new RegExp(`^#${rightRun} [\\d.]+ right-start$`, 'm')) < firstDone, b.stderr);
    assert.doesNotMatch(b.stderr, /unused/, 'a stage the target does not need is skipped');
    const r = await mdk('run', '--rm', '--network', 'none', 'mdk-test-parallel');
    assert.equal(r.stdout, 'left-end\nright-end\n');
    // a failing stage stops the other: one error, its line, nothing running left
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${w.image} AS slow\nRUN sleep 3 && echo slow-finished\nRUN echo after-slow\nFROM ${w.image} AS bad\nRUN exit 4\nFROM ${w.image}\nCOPY --from=slow /etc/hostname /a\nCOPY --from=bad /etc/hostname /b\n`);
    const f = await build(dir, '--progress', 'plain', '--no-cache');
    assert.equal(f.code, 1, f.stderr);
    assert.match(f.stderr.trim().split('\n').pop()!, /Dockerfile:5: RUN exit 4: .*exit code: 4/);
    assert.doesNotMatch(f.stderr, /after-slow/, 'the other stage stopped before its next step');
    assert.equal((await mdk('ps', '-aq')).stdout, '');
    assert.equal((await mdk('rmi', 'mdk-test-parallel')).code, 0);
  });

  test('--progress tty redraws the running steps in place; auto on a pipe is the plain form', async () => {
    const dir = context({ Dockerfile: 'FROM BUSYBOX\nRUN for i in 1 2 3 4 5 6 7 8; do echo out-$i; sleep 0.1; done\n' });
    const tty = await build(dir, '--progress', 'tty', '--no-cache');
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stderr, /\x1b\[\d+F\x1b\[J/, 'moves back over its last frame');
    assert.match(tty.stderr, /^\[\+\] Building [\d.]+s \(\d+\/\d+\)$/m);
    assert.match(tty.stderr, /^ => => # out-8$/m, 'the running step with its last lines');
    assert.match(tty.stderr, /^ => \[stage-0 2\/2\] RUN .* [\d.]+s$/m, 'the finished step, one line');
    assert.doesNotMatch(tty.stderr, /^#\d+ /m);
    const auto = await build(dir, '--no-cache');
    assert.equal(auto.code, 0, auto.stderr);
    assert.doesNotMatch(auto.stderr, /\x1b\[/);
    assert.match(auto.stderr, /^#\d+ [\d.]+ out-8$/m);
  });

  test('ADD of a local .tar.xz and .tar.bz2 unpacks them, as .tar.gz', async () => {
    const dir = context({ Dockerfile: 'FROM BUSYBOX\nADD pack.tar.xz /xz/\nADD pack.tar.bz2 /bz/\nADD renamed.dat /dat/\nCMD ["cat", "/xz/sub/inner.txt", "/bz/sub/inner.txt", "/dat/sub/inner.txt"]\n' });
    const packDir = join(base, `pack${n++}`);
    mkdirSync(join(packDir, 'sub'), { recursive: true });
    writeFileSync(join(packDir, 'sub/inner.txt'), 'packed\n');
    execFileSync('tar', ['-cJf', join(dir, 'pack.tar.xz'), '-C', packDir, 'sub']);
    execFileSync('tar', ['-cjf', join(dir, 'pack.tar.bz2'), '-C', packDir, 'sub']);
    // told by its first bytes, not its name
    execFileSync('tar', ['-cJf', join(dir, 'renamed.dat'), '-C', packDir, 'sub']);
    const b = await build(dir, '-t', 'mdk-test-xz');
    assert.equal(b.code, 0, b.stderr);
    const r = await mdk('run', '--rm', '--network', 'none', 'mdk-test-xz');
    assert.equal(r.stdout, 'packed\npacked\npacked\n', r.stderr);
    assert.equal((await mdk('rmi', 'mdk-test-xz')).code, 0);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} during a RUN: the build ends ${signal === 'SIGINT' ? 130 : 143}, no container, mount or half-made image left`, async () => {
      const dir = context({ Dockerfile: `FROM BUSYBOX\nRUN echo step-one > /one\nRUN echo sleeping-now && sleep 30 && echo woke\n` });
      const before = (await mdk('images', '-aq', '--no-trunc')).stdout;
      // the CLI itself (no test helper around it), signalled once the long command runs
      const child = spawn(CLI, ['build', '--network', 'none', '--progress', 'plain', '-t', 'mdk-test-cancel', dir], { env: w.env.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`the RUN did not start: ${stderr}`)), 30_000);
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (/^#\d+ [\d.]+ sleeping-now$/m.test(stderr)) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      const sent = Date.now();
      child.kill(signal);
      const code = await ended;
      assert.equal(code, signal === 'SIGINT' ? 130 : 143, stderr);
      assert.ok(Date.now() - sent < 10_000, 'it did not wait for the sleep');
      assert.match(stderr, new RegExp(`#\\d+ ERROR: canceled \\(${signal}\\)`));
      assert.match(stderr.trim().split('\n').pop()!, new RegExp(`moby-dick: the build was canceled \\(${signal}\\)`));
      assert.doesNotMatch(stderr, /^#\d+ [\d.]+ woke$/m);
      assert.equal((await mdk('ps', '-aq')).stdout, '', 'no build container left');
      const imagesAfter = (await mdk('images', '-aq', '--no-trunc')).stdout.split('\n').filter(Boolean);
      // the first RUN finished: it stays in the cache, as Docker keeps it; nothing of the canceled one
      assert.equal(imagesAfter.length, before.split('\n').filter(Boolean).length + 1, imagesAfter.join(' '));
      assert.equal((await mdk('image', 'inspect', 'mdk-test-cancel')).code, 1, 'not tagged');
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(w.env.env.MOBY_DICK_ROOT!));
      assert.deepEqual(mounts, [], 'no overlay of the store left mounted');
      // the rebuild takes the finished step from the cache and runs the canceled one again
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${w.image}\nRUN echo step-one > /one\nRUN echo quick\n`);
      const again = await build(dir, '--progress', 'plain');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /#\d+ CACHED/);
      assert.equal((await mdk('image', 'prune', '-f')).code, 0);
    });
  }

  test('a built image: pushed and read back by skopeo, its save read as a docker-archive, rmi takes its intermediate images', async () => {
    const dir = context({
      Dockerfile: 'FROM BUSYBOX\nRUN echo pushed > /hi && rm /bin/vi\nCOPY f.txt /f.txt\nENV K=v\nCMD ["cat", "/hi"]\n',
      'f.txt': 'file\n',
    });
    const count = async () => (await mdk('images', '-aq', '--no-trunc')).stdout.split('\n').filter(Boolean).length;
    const before = await count();
    const b = await build(dir, '-t', 'mdk-test-built:1');
    assert.equal(b.code, 0, b.stderr);
    assert.equal(await count(), before + 4, 'a step image each (RUN, COPY, ENV, CMD)');
    const local = await inspect('mdk-test-built:1');
    const reg = await startRegistry();
    const out = join(base, `read${n++}`);
    try {
      const ref = `${reg.host}/mdk-test/built:1`;
      assert.equal((await mdk('tag', 'mdk-test-built:1', ref)).code, 0);
      const p = await mdk('push', ref);
      assert.equal(p.code, 0, p.stderr);
      // skopeo copies it out (checking every blob's digest) and reads its config
      skopeo(['copy', `docker://${ref}`, `dir:${out}`]);
      const config = JSON.parse(skopeo(['inspect', '--config', `docker://${ref}`])) as { config: { Cmd: string[]; Env: string[] }; rootfs: { diff_ids: string[] } };
      assert.deepEqual(config.config.Cmd, ['cat', '/hi']);
      assert.ok(config.config.Env.includes('K=v'));
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { layers: { digest: string }[] };
      assert.equal(manifest.layers.length, config.rootfs.diff_ids.length);
      // each layer's uncompressed digest is its diff ID (the built ones too)
      manifest.layers.forEach((l, i) => {
        const plain = gunzipSync(readFileSync(join(out, l.digest.slice('sha256:'.length))));
        assert.equal(`sha256:${createHash('sha256').update(plain).digest('hex')}`, config.rootfs.diff_ids[i]);
      });
      assert.ok(readdirSync(out).length >= manifest.layers.length + 2);
      assert.equal((await mdk('rmi', ref)).code, 0);
    } finally {
      await reg.stop();
      rmSync(out, { recursive: true, force: true });
    }
    // `docker load` needs a dockerd (none runs here): skopeo reads the saved archive as docker load would
    const archive = join(base, `saved${n++}.tar`);
    const s = await mdk('save', '-o', archive, 'mdk-test-built:1');
    assert.equal(s.code, 0, s.stderr);
    const fromArchive = JSON.parse(skopeo(['inspect', '--config', `docker-archive:${archive}`])) as { config: { Cmd: string[] }; rootfs: { diff_ids: string[] } };
    assert.deepEqual(fromArchive.config.Cmd, ['cat', '/hi']);
    assert.equal(fromArchive.rootfs.diff_ids.length, (local as unknown as { RootFS: { Layers: string[] } }).RootFS.Layers.length);
    const copied = join(base, `copied${n++}`);
    skopeo(['copy', `docker-archive:${archive}`, `oci:${copied}:x`]);
    rmSync(copied, { recursive: true, force: true });
    // an intermediate image has a child: not removable by ID, even forced
    const parentId = (await mdk('history', '-q', '--no-trunc', 'mdk-test-built:1')).stdout.split('\n')[1]!;
    assert.match(parentId, /^sha256:/);
    const conflict = await mdk('rmi', '-f', parentId);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /image has dependent child images/);
    // the image goes with its intermediate images, as Docker's rmi takes them
    const r = await mdk('rmi', 'mdk-test-built:1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/^Deleted: /gm)?.length, 4, r.stdout);
    assert.equal(await count(), before);
  });

  test('Docker 20.10 (a private dockerd) loads what save writes of a built image: same ID, layers and files; it runs', async () => {
    const dir = context({ Dockerfile: 'FROM BUSYBOX\nRUN echo from-the-build > /hi\nCOPY f.txt /f.txt\nCMD ["cat", "/hi", "/f.txt"]\n', 'f.txt': 'copied\n' });
    const b = await build(dir, '-t', 'mdk-test-for-docker:1');
    assert.equal(b.code, 0, b.stderr);
    const local = (await inspect('mdk-test-for-docker:1')) as unknown as { Id: string; RootFS: { Layers: string[] } };
    const file = join(base, `for-docker${n++}.tar`);
    assert.equal((await mdk('save', '-o', file, 'mdk-test-for-docker:1')).code, 0);
    const d = join(base, `docker${n++}`);
    mkdirSync(join(d, 'tmp'), { recursive: true });
    writeFileSync(join(d, 'daemon.json'), '{}\n'); // not the host's /etc/docker/daemon.json
    const paths = new CreatedPaths();
    const daemonEnv = { ...process.env, TMPDIR: join(d, 'tmp') };
    // dockerd takes /run/containerd/containerd.sock when the file is there, be it another test's containerd
    // (in namespaces of its own) or a socket one left: this one gets an empty /run/containerd of its own,
    // in a mount namespace of its own, and starts its own containerd under its exec root
    const daemon = new Daemon('dockerd', 'unshare', [
      '-m', '--propagation', 'private', 'sh', '-c', 'if [ -d /run/containerd ]; then mount -t tmpfs tmpfs /run/containerd; fi; exec "$@"', 'sh', 'dockerd',
      '--config-file', join(d, 'daemon.json'), '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'),
      '--pidfile', join(d, 'docker.pid'), '--host', `unix://${d}/docker.sock`,
      '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
      '--userland-proxy=false', '--exec-opt', 'native.cgroupdriver=cgroupfs', '--cgroup-parent', '/mdk-test-build-docker', '--shutdown-timeout', '2',
    ], join(d, 'dockerd.log'), daemonEnv);
    // /usr/bin/docker is docker.io's client; a newer one may sit earlier in PATH
    const docker = (args: string[]) =>
      run('/usr/bin/docker', args, { env: { ...daemonEnv, DOCKER_HOST: `unix://${d}/docker.sock`, DOCKER_CONFIG: join(d, 'cli') }, timeoutMs: 60_000 });
    try {
      await daemon.ready(async () => (await docker(['version'])).code === 0);
      const l = await docker(['load', '-i', file]);
      assert.equal(l.code, 0, l.stderr);
      assert.equal(l.stdout, 'Loaded image: mdk-test-for-docker:1\n');
      const i = await docker(['image', 'inspect', '--format', '{{.Id}} {{json .RootFS.Layers}} {{json .Config.Cmd}}', 'mdk-test-for-docker:1']);
      assert.equal(i.stdout, `${local.Id} ${JSON.stringify(local.RootFS.Layers)} ["cat","/hi","/f.txt"]\n`);
      const r = await docker(['run', '--rm', '--network', 'none', 'mdk-test-for-docker:1']);
      assert.equal(r.stdout, 'from-the-build\ncopied\n', r.stderr);
      // and its files read back from a container made of it
      assert.equal((await docker(['create', '--name', 'mdk-test-from-build', 'mdk-test-for-docker:1'])).code, 0);
      for (const [path, content] of [['/hi', 'from-the-build'], ['/f.txt', 'copied']] as const) {
        const cp = await docker(['cp', `mdk-test-from-build:${path}`, join(d, 'tmp', path.slice(1))]);
        assert.equal(cp.code, 0, cp.stderr);
        assert.equal(readFileSync(join(d, 'tmp', path.slice(1)), 'utf8'), `${content}\n`);
      }
      assert.equal((await docker(['rm', 'mdk-test-from-build'])).code, 0);
    } finally {
      await daemon.stop(10_000);
      await killUnder(d);
      unmountUnder(d);
      paths.remove();
      await removeCgroups('mdk-test-build-docker');
    }
    assert.deepEqual(paths.created(), [], 'dockerd left nothing global');
    assert.equal((await mdk('rmi', 'mdk-test-for-docker:1')).code, 0);
  });

  test('commit, diff and history of a container', async () => {
    const r = await mdk('run', '--name', 'mdk-test-commit', '--network', 'none', w.image, 'sh', '-c', 'echo x > /new; rm /bin/vi; mkdir /tmp/d');
    assert.equal(r.code, 0, r.stderr);
    const d = await mdk('diff', 'mdk-test-commit');
    assert.equal(d.stdout, 'C /bin\nD /bin/vi\nA /new\nC /tmp\nA /tmp/d\n');
    const c = await mdk('commit', '-m', 'a message', '-a', 'Ahab', '-c', 'CMD ["cat", "/new"]', '-c', 'ENV K=v', 'mdk-test-commit', 'mdk-test-committed:v1');
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const run = await mdk('run', '--rm', '--network', 'none', 'mdk-test-committed:v1');
    assert.equal(run.stdout, 'x\n');
    const i = await inspect('mdk-test-committed:v1');
    assert.equal(i.Author, 'Ahab');
    assert.ok((i.Config.Env as string[]).includes('K=v'));
    const h = await mdk('history', 'mdk-test-committed:v1');
    const [head, top] = h.stdout.split('\n');
    assert.match(head!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.match(top!, /^[0-9a-f]{12}\s+.* ago\s+sh -c echo x > \/new; rm \/bin\/vi; mkdir \/tmp\/d\s+\d+B\s+a message$/);
    // the parent (the container's image) on the row below, as Docker fills in the IDs along the parent chain
    const busyboxId = (await inspect(w.image) as unknown as { Id: string }).Id;
    assert.equal((await inspect('mdk-test-committed:v1') as unknown as { Parent: string }).Parent, busyboxId);
    const ids = (await mdk('history', '-q', 'mdk-test-committed:v1')).stdout.split('\n');
    assert.match(ids[0]!, /^[0-9a-f]{12}$/);
    assert.equal(ids[1], busyboxId.slice(7, 19));
    // without --change: the container's own config (its command, -e, -w, -u), not its image's
    const own = await mdk('run', '--name', 'mdk-test-commit-own', '--network', 'none', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'nobody', w.image, 'sh', '-c', 'echo "$FOO $(pwd) $(id -un)"');
    assert.equal(own.code, 0, own.stderr);
    assert.equal((await mdk('commit', 'mdk-test-commit-own', 'mdk-test-committed:own')).code, 0);
    assert.equal((await mdk('run', '--rm', '--network', 'none', 'mdk-test-committed:own')).stdout, 'bar /tmp nobody\n');
    assert.equal((await mdk('rmi', 'mdk-test-committed:own')).code, 0);
    const bad = await mdk('commit', '-c', 'RUN true', 'mdk-test-commit');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /RUN is not a valid change command/);
    assert.equal((await mdk('rmi', 'mdk-test-committed:v1')).code, 0);
  });
});
