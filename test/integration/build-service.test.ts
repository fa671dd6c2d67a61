/**
 * `moby-dick build` handed by the launcher to a running API service
 * (native/launcher/forward-build.c, src/api/forwarded-build.ts): a service
 * of the test's own (MOBY_DICK_SERVICE_SOCKET) over a test store with
 * busybox. That a build went to the service and not to a Node of the CLI's
 * own is told by NODE_OPTIONS naming an option Node refuses: a CLI that
 * starts Node fails at once, the service (started without it) does not.
 *
 * - the build's output, exit status, image; a relative context, -f and
 *   --iidfile from the client's working directory; --build-arg NAME from
 *   the client's environment;
 * - a failing RUN: the same error line and status as in-process;
 * - the service's memo of the context's digests: a file changed with its
 *   size and mtime kept, a mode and a .dockerignore that changed each make
 *   the COPY run again (not CACHED) with the new input; an mtime alone and
 *   a build arg do not (the key is content and mode), the arg's RUN runs;
 * - the service's memo of a copied tree (tree-memo.ts): a file added two
 *   directories down, or changed in place keeping its size and mtime, after
 *   builds that took the tree from the memo, makes the COPY run again;
 * - the client's going cancels the build: its RUN container is removed;
 * - a client of another store, MOBY_DICK_BUILD_IN_PROCESS, and the CLI's own
 *   cases (stdin) build in-process, as without a service.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService } from '../helpers/api-service.js';
import { type CliOptions, type CliResult, mdk, sleep } from '../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';

/** makes the CLI's own Node fail at once: only the service can build */
const NO_NODE = { NODE_OPTIONS: '--mdk-test-no-such-option' };

describe('moby-dick build through a running service', () => {
  let api: ApiService;
  let snap: Snapshot;
  let n = 0;

  const build = (args: readonly string[], opts: CliOptions & { more?: NodeJS.ProcessEnv } = {}): Promise<CliResult> =>
    mdk(['build', ...args], { timeoutMs: 120_000, ...opts, env: { ...api.env.env, MOBY_DICK_SERVICE_SOCKET: api.sock, ...opts.more } });
  const context = (files: Record<string, string>): string => {
    const dir = join(api.dir, `ctx${n++}`);
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return dir;
  };
  const output = async (image: string, ...cmd: string[]): Promise<string> => {
    const r = await api.env.mdk(['run', '--rm', '--network', 'none', image, ...cmd]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  before(async () => {
    snap = snapshot();
    api = await startApiService('build-service');
    for (const args of [['pull', '-q', api.image], ['tag', api.image, 'busybox']]) {
      const r = await api.env.mdk(args);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  after(async () => {
    await api?.stop();
    await assertNoLeaks(snap);
  });

  test('the service builds: output, status, image; paths from the client\'s directory; build args from its environment', async () => {
    const dir = context({
      'sub/Dockerfile.x': 'FROM busybox\nARG WHO\nRUN echo "hello $WHO" > /greeting && echo step output\nCOPY file.txt /file.txt\nCMD ["cat", "/greeting", "/file.txt"]\n',
      'ctx/file.txt': 'from the context\n',
    });
    const r = await build(['--network', 'none', '-t', 'mdk-test-fwd', '-f', 'sub/Dockerfile.x', '--iidfile', 'iid', '--build-arg', 'WHO', 'ctx'], {
      spawn: { cwd: dir },
      more: { ...NO_NODE, WHO: 'client' },
    });
    assert.equal(r.code, 0, `${r.stderr}\nservice: ${api.log()}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /#\d+ \[stage-0 3\/5\] RUN echo "hello \$WHO"/);
    assert.match(r.stderr, /step output/);
    assert.match(r.stderr, /naming to docker\.io\/library\/mdk-test-fwd:latest done/);
    const id = readFileSync(join(dir, 'iid'), 'utf8');
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await output('mdk-test-fwd'), 'hello client\nfrom the context\n');
    // -q: the ID alone on stdout; the same build from the cache
    const q = await build(['-q', '--network', 'none', '-f', 'sub/Dockerfile.x', '--build-arg', 'WHO=client', 'ctx'], { spawn: { cwd: dir }, more: NO_NODE });
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stdout, `${id}\n`);
  });

  test('a failing RUN: the same error and status as in-process, nothing kept', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nRUN echo before && exit 3\n' });
    const served = await build(['--network', 'none', dir], { more: NO_NODE });
    const own = await build(['--network', 'none', dir], { more: { MOBY_DICK_BUILD_IN_PROCESS: '1' } });
    assert.equal(served.code, 1);
    assert.equal(own.code, 1);
    const errorLine = (s: string) => s.trim().split('\n').at(-1);
    assert.match(errorLine(served.stderr) ?? '', /^moby-dick: .*Dockerfile:2.* exit code: 3/);
    assert.equal(errorLine(served.stderr), errorLine(own.stderr));
    assert.match(served.stderr, /before/);
    assert.deepEqual((await api.leftovers()).containers, []);
  });

  test('the memo of the context in the service: each changed input makes the COPY run again with it', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nARG V=1\nCOPY . /c/\nRUN echo $V > /v\n', 'a.txt': 'aaaa\n', 'b.txt': 'keep\n', '.dockerignore': 'Dockerfile\n' });
    const a = join(dir, 'a.txt');
    // older than the memo's two racy seconds: kept by the memo
    const old = new Date(Date.now() - 60_000);
    utimesSync(a, old, old);
    await sleep(2100);
    let tag = 0;
    /** builds; whether the COPY came from the cache, and the image's files */
    const step = async (args: readonly string[] = []): Promise<{ copyCached: boolean; files: string }> => {
      const name = `mdk-test-fwd-memo${tag++}`;
      const r = await build(['--network', 'none', '-t', name, ...args, dir], { more: NO_NODE });
      assert.equal(r.code, 0, `${r.stderr}\nservice: ${api.log()}`);
      const copy = /#(\d+) \[stage-0 3\/4\] COPY \. \/c\/\n#\1 CACHED/.test(r.stderr);
      return { copyCached: copy, files: await output(name, 'sh', '-c', 'cd /c && ls -A && cat a.txt && stat -c %a a.txt && cat /v') };
    };
    const first = await step();
    assert.equal(first.files, '.dockerignore\na.txt\nb.txt\naaaa\n644\n1\n');
    assert.equal((await step()).copyCached, true, 'an unchanged context is taken from the cache');
    // the same size and mtime, another content
    writeFileSync(a, 'AAAA\n');
    utimesSync(a, old, old);
    assert.equal(Math.round(statSync(a).mtimeMs), old.getTime());
    let s = await step();
    assert.equal(s.copyCached, false);
    assert.match(s.files, /^AAAA$/m);
    chmodSync(a, 0o600);
    s = await step();
    assert.equal(s.copyCached, false);
    assert.match(s.files, /^600$/m);
    // the mtime alone: a new stamp for the memo, the same content and mode for the cache key (mtime-independent, as Docker's)
    const newer = new Date(Date.now() - 30_000);
    utimesSync(a, newer, newer);
    s = await step();
    assert.equal(s.copyCached, true);
    assert.match(s.files, /^AAAA$/m);
    writeFileSync(join(dir, '.dockerignore'), 'Dockerfile\nb.txt\n');
    s = await step();
    assert.equal(s.copyCached, false);
    assert.doesNotMatch(s.files, /b\.txt/);
    // a build arg changes the RUN after the COPY, not the COPY
    s = await step(['--build-arg', 'V=2']);
    assert.equal(s.copyCached, true);
    assert.match(s.files, /^2$/m);
  });

  test('the service\'s memo of a copied tree: a file added or changed in place deep down, after a rebuild from the cache', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nCOPY src /src/\n', 'src/x/y/one.txt': 'one\n', 'src/x/two.txt': 'two\n' });
    const one = join(dir, 'src/x/y/one.txt');
    let tag = 0;
    const step = async (): Promise<{ copyCached: boolean; files: string }> => {
      const name = `mdk-test-fwd-tree${tag++}`;
      const r = await build(['--network', 'none', '-t', name, dir], { more: NO_NODE });
      assert.equal(r.code, 0, `${r.stderr}\nservice: ${api.log()}`);
      const copyCached = /#(\d+) \[stage-0 2\/2\] COPY src \/src\/\n#\1 CACHED/.test(r.stderr);
      return { copyCached, files: await output(name, 'sh', '-c', 'cd /src && find . -type f | sort && cat x/y/one.txt') };
    };
    // older than the two racy seconds: the tree is kept, and the second build takes it
    await sleep(2100);
    assert.equal((await step()).files, './x/two.txt\n./x/y/one.txt\none\n');
    assert.equal((await step()).copyCached, true);
    writeFileSync(join(dir, 'src/x/y/three.txt'), 'three\n');
    let s = await step();
    assert.equal(s.copyCached, false, 'a file added two directories down');
    assert.equal(s.files, './x/two.txt\n./x/y/one.txt\n./x/y/three.txt\none\n');
    await sleep(2100);
    assert.equal((await step()).copyCached, true);
    assert.equal((await step()).copyCached, true);
    const st = statSync(one);
    writeFileSync(one, 'ONE\n');
    utimesSync(one, st.atime, st.mtime);
    s = await step();
    assert.equal(s.copyCached, false, 'a file changed in place with its size and mtime');
    assert.match(s.files, /^ONE$/m);
  });

  test("the client's going cancels the build: its RUN container is killed and removed", async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nRUN echo started && sleep 60\n' });
    let pid = 0;
    const started = Date.now();
    const r = build(['--network', 'none', '--progress', 'plain', dir], {
      more: NO_NODE,
      onSpawn: (p) => (pid = p),
      until: 'exit',
    });
    for (let i = 0; i < 200 && (await api.leftovers()).containers.length === 0; i++) await sleep(50);
    assert.equal((await api.leftovers()).containers.length, 1, 'the RUN container runs');
    process.kill(pid, 'SIGKILL');
    await r;
    for (let i = 0; i < 200 && (await api.leftovers()).containers.length > 0; i++) await sleep(50);
    assert.deepEqual((await api.leftovers()).containers, []);
    assert.ok(Date.now() - started < 30_000, 'not left to the sleep');
  });

  test('in-process builds: a client of another store, MOBY_DICK_BUILD_IN_PROCESS, a Dockerfile on stdin', async () => {
    const dir = context({ Dockerfile: 'FROM scratch\nCOPY f /f\n', f: 'x\n' });
    // another store: the service answers 409, the launcher starts Node (which NODE_OPTIONS makes fail)
    const other = join(api.dir, 'other-store');
    const refused = await build(['-q', dir], { more: { ...NO_NODE, MOBY_DICK_ROOT: other } });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /mdk-test-no-such-option/);
    const own = await build(['-q', dir], { more: { MOBY_DICK_ROOT: other } });
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /^sha256:/);
    const inProcess = await build(['-q', dir], { more: { ...NO_NODE, MOBY_DICK_BUILD_IN_PROCESS: '1' } });
    assert.match(inProcess.stderr, /mdk-test-no-such-option/);
    const stdin = await build(['-q', '-f', '-', dir], { more: NO_NODE, input: 'FROM scratch\nCOPY f /g\n' });
    assert.match(stdin.stderr, /mdk-test-no-such-option/);
  });
});
