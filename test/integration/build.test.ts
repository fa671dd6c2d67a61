/**
 * `moby-dick build`, `commit`, `diff` and `history` as root, on the local
 * busybox image (test/helpers/engine-env.ts): every instruction, the built
 * image run as written, multi-stage with --from and --target, the layer
 * cache (hits on an unchanged rebuild, a miss from the first changed COPY
 * source on), .dockerignore, whiteouts, bad input naming its line, and a
 * failing RUN that leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
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
    assert.match((await mdk('history', '-q', 'mdk-test-committed:v1')).stdout, /^[0-9a-f]{12}\n<missing>\n/);
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
