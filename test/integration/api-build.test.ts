/**
 * Building through the Engine API: `moby-dick system service` over a test
 * store with busybox (loaded from a local registry, tagged busybox), driven
 * by the real docker CLIs (Debian's 20.10 at /usr/bin/docker and the newer
 * one at /usr/local/bin/docker, each when the machine has it) with
 * DOCKER_BUILDKIT=0, and by Compose's `build:` (docker-compose 1.29, both
 * through docker-py and through the docker CLI):
 *
 * - docker build: the classic builder's output (Step k/n, Running in, the
 *   step's output, Using cache on a rebuild), -q, --build-arg, --label,
 *   -f - and a gzip context; docker run of the image shows its CMD's output;
 * - a failing RUN: its output, the error naming the line, docker build's
 *   exit status the command's (Docker's classic builder: errorDetail.code);
 *   a Dockerfile that does not parse: an error answer; BuildKit refused;
 * - docker commit (the container's own Cmd, Env and WorkingDir kept;
 *   --change on top; POST /commit's body config), docker diff, docker history;
 * - the raw shapes: the JSON stream of /build, /containers/{id}/changes,
 *   /images/{name}/history;
 * - a base image behind a login (docker-registry with htpasswd on
 *   127.0.0.1): pulled with the logins the CLI sends as X-Registry-Config.
 *
 * Every container, network and image goes with the service's store; RUN
 * steps use the store's own bridge (named with the test's prefix) or none.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type ApiService, startApiService } from '../helpers/api-service.js';
import { type CliResult, run } from '../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';
import { skopeo, startRegistry } from '../helpers/registry.js';

const CLIENTS = [
  { name: "Debian's docker 20.10", path: '/usr/bin/docker' },
  { name: 'the newer docker', path: '/usr/local/bin/docker' },
].filter((c) => existsSync(c.path));
const COMPOSE = '/usr/bin/docker-compose';

interface Answer {
  status: number;
  body: string;
}

/** A service of its own whose store has the test registry's busybox, also tagged busybox (the Dockerfiles' FROM). */
async function serviceWithBusybox(name: string): Promise<ApiService> {
  const api = await startApiService(name);
  for (const args of [['pull', '-q', api.image], ['tag', api.image, 'busybox']]) {
    const r = await api.env.mdk(args);
    assert.equal(r.code, 0, r.stderr);
  }
  return api;
}

describe('docker build, commit, diff and history through the Engine API', () => {
  let api: ApiService;
  let snap: Snapshot;
  let n = 0;

  const env = (more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: api.dir,
    DOCKER_HOST: `unix://${api.sock}`,
    DOCKER_CONFIG: join(api.dir, 'client'),
    DOCKER_BUILDKIT: '0',
    ...more,
  });
  const docker = (client: string, args: readonly string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> =>
    run(client, args, { env: env(opts.env), timeoutMs: 120_000, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.cwd ? { spawn: { cwd: opts.cwd } } : {}) });
  const ok = async (client: string, args: readonly string[], opts: { cwd?: string; input?: string | Buffer } = {}): Promise<string> => {
    const r = await docker(client, args, opts);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}${r.stdout}\nservice: ${api.log().slice(-3000)}`);
    return r.stdout;
  };

  /** a context dir with FILES (name: content) */
  const context = (files: Record<string, string>): string => {
    const dir = join(api.dir, `ctx${n++}`);
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return dir;
  };
  const tarOf = (dir: string): Buffer => execFileSync('tar', ['-c', '-C', dir, '.'], { maxBuffer: 64 << 20 });

  function call(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: api.sock, method, path, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const lines = (body: string): Record<string, unknown>[] => body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    snap = snapshot();
    api = await serviceWithBusybox('api-build');
  });

  after(async () => {
    await api?.stop();
    await assertNoLeaks(snap);
  });

  for (const [i, client] of CLIENTS.entries()) {
    test(`${client.name}: build (classic builder), run of the image, a rebuild from the cache, -q, --label`, async () => {
      const dir = context({
        Dockerfile: 'FROM busybox\nARG WHO=nobody\nRUN echo "hello $WHO" > /greeting && echo step output\nCOPY file.txt /file.txt\nENV K=v\nCMD ["sh", "-c", "cat /greeting /file.txt; echo K=$K"]\n',
        'file.txt': 'from the context\n',
      });
      const tag = `mdk-test-built-${i}`;
      // a build arg of each client's own: the other's build is in the cache
      // the first client's RUN on the store's bridge (the default), the other's on none
      const net = i === 0 ? [] : ['--network', 'none'];
      const out = await ok(client.path, ['build', ...net, '-t', tag, '--build-arg', `WHO=sailor${i}`, '--label', 'built.by=test', '.'], { cwd: dir });
      assert.match(out, /^Step 1\/6 : FROM busybox\n ---> [0-9a-f]{12}\n/m);
      assert.match(out, /^Step 3\/6 : RUN echo "hello \$WHO" > \/greeting && echo step output\n ---> Running in ([0-9a-f]{12})\nstep output\nRemoving intermediate container \1\n ---> [0-9a-f]{12}\n/m);
      assert.match(out, /^Step 6\/6 : CMD \["sh", "-c", "cat \/greeting \/file.txt; echo K=\$K"\]\n/m);
      const built = /^Successfully built ([0-9a-f]{12})$/m.exec(out)?.[1];
      assert.ok(built, out);
      assert.match(out, new RegExp(`^Successfully tagged ${tag}:latest$`, 'm'));
      assert.equal(await ok(client.path, ['run', '--rm', '--network', 'none', tag]), `hello sailor${i}\nfrom the context\nK=v\n`);
      assert.equal((await ok(client.path, ['inspect', '-f', '{{index .Config.Labels "built.by"}}', tag])).trim(), 'test');

      // unchanged: every step from the cache, the same image; -q prints its ID alone
      // --iidfile: the ID the CLI took from the aux message
      const iid = join(api.dir, `iid${i}`);
      const again = await ok(client.path, ['build', ...net, '-t', tag, '--iidfile', iid, '--build-arg', `WHO=sailor${i}`, '--label', 'built.by=test', '.'], { cwd: dir });
      assert.match(readFileSync(iid, 'utf8'), new RegExp(`^sha256:${built}[0-9a-f]{52}$`));
      assert.equal(again.match(/ ---> Using cache\n/g)?.length, 4, again);
      assert.doesNotMatch(again, /Running in/);
      assert.match(again, new RegExp(`^Successfully built ${built}$`, 'm'));
      const quiet = await ok(client.path, ['build', '-q', ...net, '--build-arg', `WHO=sailor${i}`, '--label', 'built.by=test', '.'], { cwd: dir });
      assert.match(quiet, new RegExp(`^sha256:${built}[0-9a-f]{52}\n$`));
      assert.equal((await ok(client.path, ['rmi', tag])).includes('Untagged'), true);
    });
  }

  test('docker build -f - and a gzip context (--compress); a Dockerfile that does not parse; BuildKit refused', async () => {
    const client = CLIENTS[0]!.path;
    const dir = context({ 'file.txt': 'x\n' });
    const id = (await ok(client, ['build', '-q', '--network', 'none', '-t', 'mdk-test-stdin', '-f', '-', '.'], { cwd: dir, input: 'FROM busybox\nCOPY file.txt /\nCMD ["cat", "/file.txt"]\n' })).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok(client, ['run', '--rm', '--network', 'none', 'mdk-test-stdin']), 'x\n');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY file.txt /gz\n');
    assert.match(await ok(client, ['build', '-q', '--compress', '--network', 'none', '.'], { cwd: dir }), /^sha256:[0-9a-f]{64}\n$/);

    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nFROBNICATE x\n');
    const bad = await docker(client, ['build', '.'], { cwd: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Error response from daemon: Dockerfile:2: unknown instruction: FROBNICATE/i);

    // Debian's 20.10 speaks BuildKit to the daemon itself: /build?version=2 is refused as dockerd refuses it
    const kit = await docker('/usr/bin/docker', ['build', '.'], { cwd: dir, env: { DOCKER_BUILDKIT: '1' } });
    assert.notEqual(kit.code, 0);
    assert.match(kit.stderr, /buildkit is not enabled on daemon/);
    await ok(client, ['rmi', 'mdk-test-stdin']);
  });

  test('a failing RUN: its output, the error naming the line, the command\'s exit status; nothing left', async () => {
    const before = await api.leftovers();
    const dir = context({ Dockerfile: 'FROM busybox\nRUN echo about to fail && exit 3\nCMD ["true"]\n' });
    for (const client of CLIENTS) {
      const r = await docker(client.path, ['build', '--network', 'none', '-t', 'mdk-test-failed', '.'], { cwd: dir });
      assert.equal(r.code, 3, `${client.name}: ${r.stderr}`);
      assert.match(r.stdout, /Step 2\/3 : RUN echo about to fail && exit 3\n ---> Running in [0-9a-f]{12}\nabout to fail\n/);
      assert.doesNotMatch(r.stdout, /Successfully/);
      assert.match(r.stderr, /Dockerfile:2: RUN echo about to fail && exit 3: process "\/bin\/sh -c echo about to fail && exit 3" did not complete successfully: exit code: 3/);
    }
    // the raw stream ends with Docker's error line, its code the status
    const raw = await call('POST', '/v1.43/build?networkmode=none', tarOf(dir), { 'Content-Type': 'application/x-tar' });
    assert.equal(raw.status, 200);
    const last = lines(raw.body).pop()!;
    assert.deepEqual(Object.keys(last).sort(), ['error', 'errorDetail']);
    assert.equal((last.errorDetail as { code: number }).code, 3);
    assert.match(last.error as string, /exit code: 3/);
    assert.deepEqual(await api.leftovers(), before);
    assert.equal((await docker(CLIENTS[0]!.path, ['image', 'inspect', 'mdk-test-failed'])).code, 1);
  });

  test('a client that hangs up mid-build cancels it: the RUN container is killed and removed, nothing tagged, nothing left', async () => {
    const before = await api.leftovers();
    const dir = context({ Dockerfile: 'FROM busybox\nRUN echo mdk-started && sleep 6001\nCMD ["true"]\n' });
    const sleeping = (): number[] =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u00006001\u0000';
          } catch {
            return false;
          }
        })
        .map(Number);
    // the request is destroyed once the RUN's sleep runs
    let ran = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: api.sock, method: 'POST', path: '/v1.41/build?networkmode=none&t=mdk-test-hangup', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
        let text = '';
        res.on('data', async (d: Buffer) => {
          const seen = text.includes('mdk-started');
          text += d.toString();
          if (seen || !text.includes('mdk-started')) return;
          for (let i = 0; i < 100 && ran === 0; i++) {
            ran = sleeping().length;
            if (ran === 0) await new Promise((r) => setTimeout(r, 50));
          }
          req.destroy();
          resolve();
        });
        res.on('end', () => reject(new Error(`the build ended before its RUN ran: ${text}`)));
      });
      req.on('error', () => undefined);
      req.end(tarOf(dir));
    });
    assert.equal(ran, 1, 'the RUN step ran');
    let left = await api.leftovers();
    for (let i = 0; i < 100 && (sleeping().length > 0 || left.containers.length !== before.containers.length); i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await api.leftovers();
    }
    assert.deepEqual(sleeping(), [], 'the RUN step\'s process was killed');
    assert.deepEqual(left, before, 'its container was removed');
    assert.equal((await docker(CLIENTS[0]!.path, ['image', 'inspect', 'mdk-test-hangup'])).code, 1, 'nothing tagged');
    // the service serves on
    assert.equal((await call('GET', '/_ping')).body, 'OK');
  });

  test('the raw /build: the JSON stream, the aux ID, q, and the errors before it begins', async () => {
    const dir = context({ Dockerfile: 'FROM busybox\nLABEL a=b\n' });
    const tar = tarOf(dir);
    const path = `/v1.43/build?t=mdk-test-raw&t=mdk-test-raw:two&labels=${encodeURIComponent('{"l":"v"}')}&rm=1&forcerm=1`;
    const r = await call('POST', path, gzipSync(tar), { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, 200, r.body);
    const msgs = lines(r.body);
    assert.deepEqual(msgs[0], { stream: 'Step 1/2 : FROM busybox\n' });
    const aux = msgs.find((m) => m.aux !== undefined)!;
    assert.equal(aux.id, 'moby.image.id');
    const id = (aux.aux as { ID: string }).ID;
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(msgs.slice(-3), [{ stream: `Successfully built ${id.slice(7, 19)}\n` }, { stream: 'Successfully tagged mdk-test-raw:latest\n' }, { stream: 'Successfully tagged mdk-test-raw:two\n' }]);
    assert.ok(msgs.every((m) => Object.keys(m).every((k) => ['stream', 'aux', 'id'].includes(k))), r.body);

    // q: the image ID alone
    const q = lines((await call('POST', '/build?q=1', tar)).body);
    assert.equal(q.length, 1, JSON.stringify(q));
    assert.match(q[0]!.stream as string, /^sha256:[0-9a-f]{64}\n$/);

    const kit = await call('POST', '/build?version=2', tar);
    assert.deepEqual([kit.status, JSON.parse(kit.body)], [400, { message: 'buildkit is not enabled on daemon' }]);
    const notTar = await call('POST', '/build', Buffer.alloc(2048, 0x41));
    assert.equal(notTar.status, 400);
    assert.match(JSON.parse(notTar.body).message, /^invalid build context: /);
    const missing = await call('POST', '/build?dockerfile=nope/Dockerfile', tar);
    assert.deepEqual([missing.status, JSON.parse(missing.body)], [400, { message: 'Cannot locate specified Dockerfile: nope/Dockerfile' }]);

    const history = await call('GET', '/v1.43/images/mdk-test-raw/history');
    assert.equal(history.status, 200);
    const rows = JSON.parse(history.body) as { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }[];
    assert.equal(rows[0]!.Id, id);
    assert.deepEqual(rows[0]!.Tags?.sort(), ['mdk-test-raw:latest', 'mdk-test-raw:two']);
    assert.equal(rows[0]!.CreatedBy, 'LABEL a=b');
    assert.equal(rows[1]!.Id, '<missing>');
    assert.ok(rows.every((h) => typeof h.Created === 'number' && typeof h.Size === 'number'));
    for (const t of ['mdk-test-raw:latest', 'mdk-test-raw:two']) assert.equal((await api.env.mdk(['rmi', t])).code, 0);
  });

  test('docker commit keeps the container\'s own config, --change goes on top; docker diff; docker history', async () => {
    const client = CLIENTS[CLIENTS.length - 1]!.path;
    await ok(client, ['run', '--name', 'mdk-test-commit-src', '--network', 'none', '-e', 'FOO=bar', '-w', '/tmp', 'busybox', 'sh', '-c', 'echo hi > /new; rm /bin/vi; mkdir /tmp/d; echo "$FOO $(pwd)" > /tmp/out']);
    const diff = 'C /bin\nD /bin/vi\nA /new\nC /tmp\nA /tmp/d\nA /tmp/out\n';
    for (const c of CLIENTS) assert.equal(await ok(c.path, ['diff', 'mdk-test-commit-src']), diff, c.name);
    const changes = await call('GET', '/v1.43/containers/mdk-test-commit-src/changes');
    assert.deepEqual(JSON.parse(changes.body), [
      { Path: '/bin', Kind: 0 },
      { Path: '/bin/vi', Kind: 2 },
      { Path: '/new', Kind: 1 },
      { Path: '/tmp', Kind: 0 },
      { Path: '/tmp/d', Kind: 1 },
      { Path: '/tmp/out', Kind: 1 },
    ]);

    const id = (await ok(client, ['commit', '-m', 'a message', '-a', 'Ahab', 'mdk-test-commit-src', 'mdk-test-committed:v1'])).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    // the container's Env and WorkingDir, and its command as the image's Cmd
    assert.equal(await ok(client, ['run', '--rm', '--network', 'none', 'mdk-test-committed:v1', 'sh', '-c', 'echo "$FOO $(pwd)"; cat /new /tmp/out']), 'bar /tmp\nhi\nbar /tmp\n');
    assert.equal((await ok(client, ['inspect', '-f', '{{json .Config.Cmd}} {{.Author}} {{.Comment}}', 'mdk-test-committed:v1'])).trim(), `["sh","-c","echo hi > /new; rm /bin/vi; mkdir /tmp/d; echo \\"$FOO $(pwd)\\" > /tmp/out"] Ahab a message`);
    const history = await ok(client, ['history', 'mdk-test-committed:v1']);
    const [head, top] = history.split('\n');
    assert.match(head!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\s*$/);
    assert.match(top!, new RegExp(`^${id.slice(7, 19)}\\s+.*ago\\s+sh -c echo hi > /new; rm /bin/vi; mkdir /tmp…\\s+\\d+B\\s+a message\\s*$`));
    assert.match(await ok(client, ['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}', 'mdk-test-committed:v1']), new RegExp(`^${id}\\|sh -c echo hi > /new; rm /bin/vi; mkdir /tmp/d; echo "\\$FOO \\$\\(pwd\\)" > /tmp/out\n<missing>\\|`));

    await ok(client, ['commit', '-c', 'CMD ["cat", "/new"]', '-c', 'ENV K=v', 'mdk-test-commit-src', 'mdk-test-committed:v2']);
    assert.equal(await ok(client, ['run', '--rm', '--network', 'none', 'mdk-test-committed:v2']), 'hi\n');
    assert.equal(await ok(client, ['run', '--rm', '--network', 'none', 'mdk-test-committed:v2', 'sh', '-c', 'echo $FOO $K $(pwd)']), 'bar v /tmp\n');

    // POST /commit's body: config over the container's, the changes over it
    const raw = await call('POST', `/v1.43/commit?container=mdk-test-commit-src&repo=mdk-test-committed&tag=v3&changes=${encodeURIComponent('ENV K=from-change')}`, JSON.stringify({ Cmd: ['sh', '-c', 'echo $K $FOO'], Hostname: 'ignored' }), { 'Content-Type': 'application/json' });
    assert.equal(raw.status, 201, raw.body);
    assert.match((JSON.parse(raw.body) as { Id: string }).Id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok(client, ['run', '--rm', '--network', 'none', 'mdk-test-committed:v3']), 'from-change bar\n');
    const gone = await call('POST', '/commit?container=mdk-test-nonexistent');
    assert.equal(gone.status, 404);

    await ok(client, ['rm', 'mdk-test-commit-src']);
    await ok(client, ['rmi', 'mdk-test-committed:v1', 'mdk-test-committed:v2', 'mdk-test-committed:v3']);
  });

  test('a base image from a registry that needs a login: pulled with the client\'s logins (X-Registry-Config)', async () => {
    const user = 'mdk-test-user';
    const password = 'mdk-test-pw';
    const reg = await startRegistry({ user, password });
    try {
      const base = `${reg.host}/mdk-test/private-base:1`;
      skopeo(['copy', `docker://${api.image}`, `docker://${base}`], `${user}:${password}`);
      const client = CLIENTS[0]!.path;
      const dir = context({ Dockerfile: `FROM ${base}\nCMD ["echo", "from the private base"]\n` });
      const denied = await docker(client, ['build', '-t', 'mdk-test-private', '.'], { cwd: dir });
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /unauthorized|authentication required|denied/i);
      const login = await docker(client, ['login', '-u', user, '--password-stdin', reg.host], { input: `${password}\n` });
      assert.equal(login.code, 0, login.stderr);
      await ok(client, ['build', '-t', 'mdk-test-private', '.'], { cwd: dir });
      assert.equal(await ok(client, ['run', '--rm', '--network', 'none', 'mdk-test-private']), 'from the private base\n');
      // the service kept nothing: the store's own Docker config has no login
      assert.equal(existsSync(join(api.env.dockerConfig, 'config.json')), false);
      await ok(client, ['logout', reg.host]);
      await ok(client, ['rmi', 'mdk-test-private', base]);
    } finally {
      await reg.stop();
    }
  });

  test('Compose\'s build: through docker-py and through the docker CLI; up runs the built image', { skip: existsSync(COMPOSE) ? false : `${COMPOSE} is not installed` }, async () => {
    const before = await api.leftovers();
    const dir = context({
      'app/Dockerfile': 'FROM busybox\nARG GREETING=none\nRUN echo "$GREETING from the build" > /msg\nCMD ["cat", "/msg"]\n',
      'docker-compose.yml': 'version: "3.7"\nservices:\n  app:\n    build:\n      context: ./app\n      args:\n        GREETING: hello\n    network_mode: none\n',
    });
    for (const cliBuild of ['0', '1']) {
      const project = `mdk-test-apib-${process.pid}-${cliBuild}`;
      const compose = (...args: string[]): Promise<CliResult> => run(COMPOSE, ['--ansi', 'never', '-p', project, ...args], { env: env({ COMPOSE_DOCKER_CLI_BUILD: cliBuild }), spawn: { cwd: dir }, timeoutMs: 120_000 });
      const b = await compose('build');
      assert.equal(b.code, 0, `COMPOSE_DOCKER_CLI_BUILD=${cliBuild}: ${b.stderr}${b.stdout}\nservice: ${api.log().slice(-3000)}`);
      assert.match(b.stdout, /Step 3\/4 : RUN echo "\$GREETING from the build" > \/msg/);
      assert.match(b.stdout, new RegExp(`Successfully tagged ${project}_app:latest`));
      const up = await compose('up');
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /app_1 +\| hello from the build/);
      const down = await compose('down', '--rmi', 'local');
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stderr, new RegExp(`Removing image ${project}_app`));
    }
    // a failing build: compose says so and exits 1
    writeFileSync(join(dir, 'app/Dockerfile'), 'FROM busybox\nRUN exit 4\n');
    const failed = await run(COMPOSE, ['--ansi', 'never', '-p', `mdk-test-apib-${process.pid}-f`, 'build'], { env: env({ COMPOSE_DOCKER_CLI_BUILD: '0' }), spawn: { cwd: dir }, timeoutMs: 120_000 });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr + failed.stdout, /Service 'app' failed to build.*exit code: 4/);
    assert.deepEqual(await api.leftovers(), before);
  });
});

describe('a service stopped (SIGTERM) while it builds', () => {
  let api: ApiService;
  let snap: Snapshot;
  before(async () => {
    snap = snapshot();
    api = await serviceWithBusybox('api-build-stop');
  });
  after(async () => {
    await api?.stop();
    await assertNoLeaks(snap);
  });

  test('cancels the build and ends: the RUN container killed and removed before the store closes', async () => {
    const dir = join(api.dir, 'ctx');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo mdk-started && sleep 6002\n');
    const tar = execFileSync('tar', ['-c', '-C', dir, '.']);
    const before = await api.leftovers();
    const answer = new Promise<string>((resolve) => {
      const req = request({ socketPath: api.sock, method: 'POST', path: '/v1.41/build?networkmode=none', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('close', () => resolve(text));
      });
      req.on('error', () => resolve('(connection closed)'));
      req.end(tar);
    });
    const running = (): boolean => {
      for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
        try {
          if (readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u00006002\u0000') return true;
        } catch {
          /* gone */
        }
      }
      return false;
    };
    for (let i = 0; i < 200 && !running(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(running(), 'the RUN step runs');
    const { killed } = await api.terminate();
    assert.equal(killed, false, `the service ended on SIGTERM: ${api.log()}`);
    await answer;
    assert.equal(running(), false, 'the RUN step\'s process was killed');
    assert.deepEqual(await api.leftovers(), before, 'its container was removed by the service');
  });
});
