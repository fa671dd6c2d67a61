/**
 * `moby-dick build` as an ordinary user (rootless), as a test user with a
 * subuid range, on a busybox served on 127.0.0.1:
 *
 * - a multi-stage Dockerfile: RUN (as rootless containers), WORKDIR, ENV,
 *   USER, COPY --chown and COPY --from; the image runs as the user with the
 *   owners the Dockerfile names inside (root inside: the user outside,
 *   other ids in the user's range on the host); a rebuild is all CACHED;
 * - a failing RUN (after making files of the range the user alone cannot
 *   remove) leaves no container, no step directory, nothing in the user's
 *   temp directories;
 * - symlinks a RUN made to a directory of the host ("/" and the user's
 *   home) lead COPY nowhere out of the step's root;
 * - the build forwarded by the launcher to the user's own service on
 *   $XDG_RUNTIME_DIR/moby-dick/moby-dick.sock, and POST /build of the
 *   user's service (docker build).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, type CliOptions, sleep } from '../helpers/cli.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';
import { owners, useRootlessBusybox } from '../helpers/rootless-image.js';
import { craftTar } from '../helpers/tar-craft.js';
import type { TestUser } from '../helpers/test-user.js';

describe('rootless build: moby-dick build as an ordinary user', () => {
  let user: TestUser;
  let store: string;
  let image = '';
  let n = 0;

  useRootlessBusybox('mdk-test/rootless-build', (m) => ({ user, store, image } = m));

  /** the host's id of ID inside (0: the user; 1..: the user's range) */
  const hostUid = (id: number): number => (id === 0 ? user.uid : user.sub!.start + id - 1);
  /** what only the user's ids may own */
  const foreignIn = (dir: string) => owners(dir).filter((o) => !(o.uid === user.uid || (o.uid >= user.sub!.start && o.uid < user.sub!.start + user.sub!.count)));
  const tag = (what: string): string => `${TEST_PREFIX}rlbuild-${what}-${process.pid}`;
  /** a build context of the user's with FILES */
  const context = (files: Record<string, string | Buffer>): string => {
    const dir = join(user.home, 'tmp', `ctx${n++}`);
    mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    for (const name of ['', ...Object.keys(files)]) chownSync(join(dir, name), user.uid, user.gid);
    return dir;
  };
  const build = (args: readonly string[], opts: CliOptions = {}) => user.run(CLI, ['build', '--progress', 'plain', ...args], { timeoutMs: 240_000, ...opts, env: { MOBY_DICK_BUILD_IN_PROCESS: '1', ...opts.env } });
  const ok = async (args: string[]): Promise<string> => {
    const r = await user.run(CLI, args, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** SCRIPT's output in IMG, run as root inside (an image's USER may not read what it checks) */
  const runIn = (img: string, script: string) => ok(['run', '--rm', '--network', 'none', '-u', '0', img, 'sh', '-c', `set -o pipefail 2>/dev/null; ${script}`]);
  /** nothing of a build left: no container, no step directory in the store, nothing in the user's temp dir but the contexts */
  const nothingLeft = async (): Promise<void> => {
    assert.equal(await ok(['ps', '-aq']), '', 'no container');
    const containers = join(store, 'containers');
    assert.deepEqual(existsSync(containers) ? readdirSync(containers) : [], [], 'no container directory');
    const tmp = join(store, 'layers', 'tmp');
    assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], [], "no step directory in the store's temp dir");
    assert.deepEqual(readdirSync(join(user.home, 'tmp')).filter((f) => !/^ctx\d+$/.test(f)), [], "nothing in the user's TMPDIR");
    assert.deepEqual(foreignIn(user.home), [], "nothing but the user's ids in the user's directories");
  };

  test('a multi-stage Dockerfile as the user: RUN, WORKDIR, ENV, USER, COPY --chown, COPY --from; owners inside as named, on the host in the range; a rebuild is CACHED', async () => {
    const ctx = context({
      'hello.txt': 'hello from the context\n',
      Dockerfile: `FROM ${image} AS build
ENV GREETING=made-by-run
WORKDIR /src/app
RUN grep -c : /proc/net/dev > /netdevs && echo "$GREETING" > made && mkdir -p secret && echo hidden > secret/f && chown -R 1000:1000 secret && chmod 700 secret && rm /bin/false
COPY --chown=1234:5678 hello.txt ./
FROM ${image}
WORKDIR /srv/site
COPY --from=build /src/app /app
COPY hello.txt plain.txt
COPY --chown=2000:3000 hello.txt /owned/
USER 1234
RUN id -u > /tmp/uid
ENV COLOR=blue
CMD ["sh", "-c", "echo $COLOR; pwd"]
`,
    });
    const name = tag('multi');
    // the default network (pasta), also for the RUN as USER 1234: pasta joins before the step's process takes on its user
    const first = await build(['-t', name, ctx]);
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stderr, /CACHED/);
    assert.doesNotMatch(first.stderr, /warning/i, first.stderr);

    // inside: the owners the Dockerfile names
    const ls = await runIn(name, 'ls -ln /app /app/secret /owned /srv/site/plain.txt | sed "s/  */ /g"');
    const row = (re: RegExp) => assert.match(ls, re, ls);
    row(/^-rw-r--r-- 1 0 0 \d+ .* made$/m);
    row(/^-rw-r--r-- 1 1234 5678 23 .* hello\.txt$/m);
    row(/^drwx------ 2 1000 1000 \d+ .* secret$/m);
    row(/^-rw-r--r-- 1 1000 1000 7 .* f$/m);
    row(/^-rw-r--r-- 1 2000 3000 23 .* hello\.txt$/m);
    row(/^-rw-r--r-- 1 0 0 23 .* \/srv\/site\/plain\.txt$/m);
    assert.equal(await runIn(name, 'cat /app/made /app/secret/f /tmp/uid; test -e /bin/false && echo kept in the second stage'), 'made-by-run\nhidden\n1234\nkept in the second stage\n');
    assert.equal(await ok(['run', '--rm', '--network', 'none', name]), 'blue\n/srv/site\n', 'ENV, WORKDIR and CMD of the image');
    assert.equal(await ok(['run', '--rm', '--network', 'none', name, 'id', '-u']), '1234\n', 'USER');

    // on the host: the store's layers, in-namespace owners shifted into the user's range
    const files = owners(join(store, 'layers')).filter((o) => !o.path.startsWith(join(store, 'layers', 'tmp')));
    const owned = files.filter((o) => o.path.endsWith('/owned/hello.txt'));
    assert.equal(owned.length, 1, `one layer has /owned/hello.txt: ${JSON.stringify(owned)}`);
    assert.deepEqual([owned[0]!.uid, owned[0]!.gid], [hostUid(2000), hostUid(3000)]);
    const secret = files.filter((o) => /\/diff\/app\/secret\/f$/.test(o.path));
    assert.equal(secret.length, 1);
    assert.deepEqual([secret[0]!.uid, secret[0]!.gid], [hostUid(1000), hostUid(1000)]);
    const made = files.filter((o) => /\/diff\/app\/made$/.test(o.path));
    assert.deepEqual(made.map((o) => o.uid), [user.uid], 'root inside is the user on the host');
    assert.deepEqual(foreignIn(store), [], "the store holds only the user's ids");

    // a rebuild: every step CACHED, the same image
    const again = await build(['-t', name, ctx]);
    assert.equal(again.code, 0, again.stderr);
    const steps = again.stderr.match(/^#\d+ \[(build|stage-1) \d+\/\d+\] (RUN|COPY|WORKDIR|ENV|USER|CMD)/gm) ?? [];
    const cached = again.stderr.match(/^#\d+ CACHED$/gm) ?? [];
    assert.equal(steps.length, 12, again.stderr);
    assert.equal(cached.length, steps.length, again.stderr);
    await nothingLeft();
  });

  test("RUN's networks as `run`'s: the default (pasta: an interface besides lo), host (the host's), none (lo only)", async () => {
    const ctx = context({ Dockerfile: `FROM ${image}\nRUN echo "$(grep -c : /proc/net/dev) $(grep -q lo: /proc/net/dev && echo lo)"\n` });
    const hostDevs = readFileSync('/proc/net/dev', 'utf8').split('\n').filter((l) => l.includes(':')).length;
    for (const [net, devs] of [[undefined, '2'], ['host', String(hostDevs)], ['none', '1']] as const) {
      const r = await build([...(net ? ['--network', net] : []), '--no-cache', ctx]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`^#\\d+ \\d+\\.\\d+ ${devs} lo$`, 'm'), `${net ?? 'default'}: ${r.stderr}`);
    }
    await nothingLeft();
  });

  test('a failing RUN after making files of the range the user cannot remove: its line and exit code, no container, no step directory left', async () => {
    const ctx = context({ Dockerfile: `FROM ${image}\nRUN mkdir -p /d/e && touch /d/e/f && chown -R 1000:1000 /d && chmod 500 /d/e && chmod 700 /d && exit 3\n` });
    const r = await build(['--network', 'none', ctx]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^moby-dick: Dockerfile:2: RUN mkdir .*: process ".*" did not complete successfully: exit code: 3/m);
    assert.doesNotMatch(r.stderr, /could not be deleted|\n\s+at /);
    // an owner outside the user's range: the step fails in one line, leaving nothing
    const beyond = user.sub!.count + 1;
    const ctx2 = context({ 'f.txt': 'x\n', Dockerfile: `FROM ${image}\nCOPY --chown=${beyond} f.txt /f\n` });
    const r2 = await build(['--network', 'none', ctx2]);
    assert.equal(r2.code, 1, r2.stderr);
    assert.match(r2.stderr, new RegExp(`^moby-dick: Dockerfile:2: COPY --chown=${beyond} f.txt /f: --chown: uid ${beyond} is not mapped in your user namespace \\(mapped uids: 0, 1-${user.sub!.count}; rootless\\) \\(pick an id`, 'm'));
    assert.doesNotMatch(r2.stderr, /\n\s+at /);
    await nothingLeft();
  });

  test("symlinks a RUN made to the user's home and to / lead COPY nowhere out of the step's root; ADD of a tar keeps its owners inside", async () => {
    const ctx = context({
      'f.txt': 'into-x\n',
      'g.txt': 'into-y\n',
      'a.tar': craftTar([
        { name: 'd/', type: '5', mode: 0o750, uid: 42, gid: 43 },
        { name: 'd/file', data: 'from the archive\n', mode: 0o640, uid: 42, gid: 43 },
      ]),
      Dockerfile: `FROM ${image}\nRUN ln -s ${user.home} /x && ln -s / /y\nCOPY f.txt /x/\nCOPY g.txt /y/sub/\nADD a.tar /y/t/\n`,
    });
    const name = tag('links');
    const r = await build(['--network', 'none', '-t', name, ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(user.home, 'f.txt')), false, "nothing in the user's home");
    assert.equal(existsSync('/sub'), false, 'nothing in the host\'s /');
    // as for root: /x's target missing inside, /x is made a directory; /y's (/) is the image's root
    assert.equal(await runIn(name, 'cat /x/f.txt /sub/g.txt /y/sub/g.txt'), 'into-x\ninto-y\ninto-y\n', 'resolved inside the image');
    assert.equal(existsSync('/t'), false);
    assert.equal(await runIn(name, 'stat -c "%u:%g %a" /t/d /t/d/file; cat /t/d/file'), '42:43 750\n42:43 640\nfrom the archive\n');
    await nothingLeft();
  });

  test("the build forwarded to the user's own service ($XDG_RUNTIME_DIR/moby-dick/moby-dick.sock) and docker build through it (POST /build)", async () => {
    const sock = join(user.env.XDG_RUNTIME_DIR!, 'moby-dick', 'moby-dick.sock');
    let log = '';
    const service = spawn('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', CLI, 'system', 'service', '--timeout', '0'], { env: user.env, stdio: ['ignore', 'ignore', 'pipe'] });
    service.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const ended = new Promise((r) => service.once('exit', r));
    try {
      for (let i = 0; i < 200 && !log.includes('API listening') && service.exitCode === null; i++) await sleep(50);
      assert.match(log, new RegExp(`API listening on ${sock}`));
      const ctx = context({ 'a.txt': 'from the context\n', Dockerfile: `FROM ${image}\nCOPY --chown=7:8 a.txt /a.txt\nRUN cat /a.txt && stat -c '%u:%g' /a.txt\n` });
      // a Node of the CLI's own would fail at once: only the service can build
      const fwd = await user.run(CLI, ['build', '--progress', 'plain', '--network', 'none', '-t', tag('fwd'), ctx], { timeoutMs: 120_000, env: { NODE_OPTIONS: '--mdk-test-no-such-option' } });
      assert.equal(fwd.code, 0, `${fwd.stderr}\nservice: ${log}`);
      assert.match(fwd.stderr, /^#\d+ \d+\.\d+ from the context\n#\d+ \d+\.\d+ 7:8$/m);
      assert.equal(await runIn(tag('fwd'), 'stat -c %u:%g /a.txt'), '7:8\n');

      const docker = await user.run('/usr/local/bin/docker', ['build', '--no-cache', '--network', 'none', '-t', tag('docker'), ctx], {
        env: { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(user.home, 'docker'), DOCKER_BUILDKIT: '0' },
        timeoutMs: 120_000,
      });
      assert.equal(docker.code, 0, `${docker.stdout}${docker.stderr}\nservice: ${log}`);
      assert.match(docker.stdout, /from the context\n7:8\n/);
      assert.equal(await runIn(tag('docker'), 'cat /a.txt'), 'from the context\n');
    } finally {
      service.kill('SIGTERM');
      await ended;
    }
    assert.doesNotMatch(log, /\n\s+at /, `no stack trace: ${log}`);
    await nothingLeft();
  });
});
