/**
 * The container's files as an ordinary user (rootless) through the user's
 * Engine API service and through the library, which take the engine's one
 * rootless path (engine/container-files.ts) as the CLI does: `docker cp`
 * both ways (HEAD, GET and PUT archive) with a running and a stopped
 * container, `docker diff`, `docker commit` and `docker export` against
 * $XDG_RUNTIME_DIR/moby-dick/moby-dick.sock; copy, changes, commit and
 * export of openEngine() in a Node program run as the user. A symlink in
 * the container to a host directory of the user's leads neither a GET nor
 * a PUT out of the container's root. Nothing left behind belongs to anyone
 * but the user and the user's range. The image is served on 127.0.0.1 by
 * the test and pulled by the user.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, PROJECT, sleep } from '../helpers/cli.js';
import { processesWith } from '../helpers/leaks.js';
import { owners, useRootlessBusybox } from '../helpers/rootless-image.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';
import { craftTar } from '../helpers/tar-craft.js';
import type { TestUser } from '../helpers/test-user.js';

/** One request on the unix socket SOCK: its status, headers and body. */
function api(sock: string, method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('latin1')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('rootless engine: cp, diff, commit, export through the API service and the library', () => {
  let user: TestUser;
  let store = '';
  let image = '';
  let sock = '';
  let service: ChildProcess | undefined;
  let serviceLog = '';
  const named = (what: string): string => `${TEST_PREFIX}rl5-${what}-${process.pid}`;
  /** FN, then the containers NAMES removed whatever happened */
  const removing = async (names: string[], fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } finally {
      for (const n of names) await user.run(CLI, ['rm', '-f', n]);
    }
  };
  const ok = async (args: string[]): Promise<string> => {
    const r = await user.run(CLI, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const docker = (args: string[]) =>
    user.run('/usr/local/bin/docker', args, { env: { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(user.home, 'docker') }, timeoutMs: 60_000 });
  const dockerOk = async (args: string[]): Promise<string> => {
    const r = await docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\nservice: ${serviceLog}`);
    return r.stdout;
  };
  /** what only the user's ids may own */
  const foreignIn = (dir: string) => owners(dir).filter((o) => !(o.uid === user.uid || (o.uid >= user.sub!.start && o.uid < user.sub!.start + user.sub!.count)));

  useRootlessBusybox('mdk-test/rootless5', (m) => ({ user, store, image } = m));

  before(async () => {
    sock = join(user.env.XDG_RUNTIME_DIR!, 'moby-dick', 'moby-dick.sock');
    service = spawn('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', CLI, 'system', 'service', '--timeout', '0'], { env: user.env, stdio: ['ignore', 'ignore', 'pipe'] });
    service.stderr?.on('data', (d: Buffer) => (serviceLog += d.toString()));
    for (let i = 0; i < 200 && !serviceLog.includes('API listening') && service.exitCode === null; i++) await sleep(50);
    assert.match(serviceLog, /API listening on /);
  });
  after(async () => {
    if (service && service.exitCode === null) {
      const ended = new Promise((r) => service!.once('exit', r));
      service.kill('SIGTERM');
      await ended;
    }
    assert.doesNotMatch(serviceLog, /\n\s+at /, `no stack trace: ${serviceLog}`);
  });

  test('docker cp both ways with a running and a stopped container, HEAD\'s stat; docker diff, commit (stopped) and export; files on the host the user\'s, in the container root\'s inside', async () => {
    const running = named('run');
    const stopped = named('stopped');
    await removing([running, stopped], async () => {
      await ok(['run', '-d', '--name', running, '--network', 'none', image, 'sh', '-c', 'mkdir /out && echo hi > /out/f && chown -R 1000:2000 /out && chmod 700 /out && touch /ready && exec sleep 1000']);
      await ok(['run', '--name', stopped, '--network', 'none', image, 'sh', '-c', 'echo made > /made && rm /bin/ls && mkdir /d && echo x > /d/x && chown 1234:1234 /d/x']);
      for (let i = 0; i < 100 && (await user.run(CLI, ['exec', running, 'test', '-e', '/ready'])).code !== 0; i++) await sleep(50);
      const dest = user.dir('cp');

      // out: GET archive (a directory of the range the user alone cannot read), from the running one and the stopped one
      await dockerOk(['cp', `${running}:/out`, join(dest, 'out')]);
      assert.equal(readFileSync(join(dest, 'out/f'), 'utf8'), 'hi\n');
      await dockerOk(['cp', `${stopped}:/d/x`, join(dest, 'x')]);
      assert.equal(readFileSync(join(dest, 'x'), 'utf8'), 'x\n');
      assert.deepEqual(owners(dest).filter((o) => o.uid !== user.uid), [], "what docker cp wrote on the host is the user's");

      // in: HEAD (the destination's stat), then PUT; root's inside (the user outside) without -a
      writeFileSync(join(dest, 'in'), 'put\n');
      chownSync(join(dest, 'in'), user.uid, user.gid);
      await dockerOk(['cp', join(dest, 'in'), `${running}:/out/`]);
      await dockerOk(['cp', join(dest, 'in'), `${stopped}:/d/`]);
      assert.equal(await ok(['exec', running, 'sh', '-c', 'cat /out/in; stat -c %u:%g /out/in']), 'put\n0:0\n');

      const head = await api(sock, 'HEAD', `/containers/${stopped}/archive?path=/made`);
      assert.equal(head.status, 200, head.body);
      const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString()) as { name: string; size: number; mode: number };
      assert.deepEqual([stat.name, stat.size, stat.mode & 0o777], ['made', 5, 0o644]);
      const missing = await api(sock, 'HEAD', `/containers/${running}/archive?path=/nowhere`);
      assert.ok(missing.status === 400 || missing.status === 404, String(missing.status));

      // diff: Docker's Kind 0 changed, 1 added, 2 deleted
      const diff = (await dockerOk(['diff', stopped])).trim().split('\n').sort();
      for (const line of ['A /made', 'D /bin/ls', 'A /d', 'A /d/x', 'A /d/in', 'C /bin']) assert.ok(diff.includes(line), `${line} in ${diff.join(', ')}`);

      // commit of the stopped one (a running one needs a pause: no delegated cgroup here), its layer with the owners inside
      const committed = `localhost/${TEST_PREFIX}rl5-commit:${process.pid}`;
      await dockerOk(['commit', '-m', 'through the API', stopped, committed]);
      try {
        const seen = await ok(['run', '--rm', '--network', 'none', committed, 'sh', '-c', 'cat /made /d/in; stat -c %u:%g /d/x /d/in; test -e /bin/ls || echo no-ls']);
        assert.equal(seen, 'made\nput\n1234:1234\n0:0\nno-ls\n');
        assert.match(await ok(['history', '--no-trunc', committed]), /through the API/);
      } finally {
        await ok(['rmi', committed]);
      }

      // export: the tar with the owners seen inside
      const tar = execFileSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '/usr/local/bin/docker', 'export', stopped], {
        env: { ...user.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(user.home, 'docker') },
        maxBuffer: 64 << 20,
    });
    const list = execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, encoding: 'utf8', maxBuffer: 16 << 20 });
    assert.match(list, /^-rw-r--r-- 0\/0 .* made$/m);
    assert.match(list, /^-rw-r--r-- 1234\/1234 .* d\/x$/m);
    assert.doesNotMatch(list, /^\S+ \S+ .* bin\/ls$/m, 'a deleted file is not exported');

    });
    assert.deepEqual(foreignIn(store), [], "nothing in the store is anyone's but the user's and the range's");
  });

  test('a symlink in the container to a host directory of the user\'s leads neither GET nor PUT archive out of the container\'s root (running and stopped)', async () => {
    const secret = user.dir('secret');
    writeFileSync(join(secret, 'key'), 'host secret\n');
    chownSync(join(secret, 'key'), user.uid, user.gid);
    const running = named('link-run');
    const stopped = named('link-stopped');
    const script = `ln -s ${secret} /link && ln -s ${secret}/key /keylink`;
    await removing([running, stopped], async () => {
      await ok(['run', '-d', '--name', running, '--network', 'none', image, 'sh', '-c', `${script} && touch /ready && exec sleep 1000`]);
      await ok(['run', '--name', stopped, '--network', 'none', image, 'sh', '-c', script]);
      for (let i = 0; i < 100 && (await user.run(CLI, ['exec', running, 'test', '-e', '/ready'])).code !== 0; i++) await sleep(50);

      for (const c of [running, stopped]) {
        const through = await api(sock, 'GET', `/containers/${c}/archive?path=/link/key`);
        assert.ok(through.status === 400 || through.status === 404, `GET ${c}:/link/key: ${through.status}`);
        assert.match(through.body, /Could not find the file/);
        // a link as the last name is not followed: the tar holds the link, not what it names on the host
        for (const path of ['/link', '/keylink']) {
          const link = await api(sock, 'GET', `/containers/${c}/archive?path=${path}`);
          assert.equal(link.status, 200, link.body);
          assert.ok(link.body.includes(path === '/link' ? secret : `${secret}/key`), 'the link\'s target');
          assert.doesNotMatch(link.body, /host secret/);
        }
        // docker cp -L follows it inside the container, where the host's directory is not
        const followed = await docker(['cp', '-L', `${c}:/keylink`, join(user.home, 'tmp')]);
        assert.notEqual(followed.code, 0, followed.stdout);

        const put = await api(sock, 'PUT', `/containers/${c}/archive?path=/link`, craftTar([{ name: 'planted', data: 'planted\n', mode: 0o644 }]));
        assert.ok(put.status >= 400, `PUT ${c}:/link: ${put.status}`);
        const cp = await docker(['cp', `${c}:/link/key`, join(user.home, 'tmp')]);
        assert.notEqual(cp.code, 0, cp.stdout);
      }
      assert.deepEqual(readdirSync(secret), ['key'], 'nothing planted in the host directory');
      assert.equal(existsSync(join(user.home, 'tmp', 'key')), false);
    });
  });

  test('pause, unpause and update\'s limits refused in one line without a delegated subtree (CLI and API); update --restart, restart, rename and system df work as the user (CLI and docker CLI)', async () => {
    const name = named('life');
    const renamed = named('renamed');
    await removing([name, renamed], async () => {
      await ok(['run', '-d', '--name', name, '--network', 'none', image, 'sleep', '1000']);
      for (const [cmd, args] of [['pause', [name]], ['unpause', [name]], ['update', ['--memory', '64m', name]]] as const) {
        const r = await user.run(CLI, [cmd, ...args]);
        assert.notEqual(r.code, 0, `${cmd}: ${r.stdout}`);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, cmd === 'update' ? /^moby-dick: --memory: cgroup limits are not available to a rootless container \(no cgroup v2 subtree is delegated/ : new RegExp(`^moby-dick: ${cmd}: not available to a rootless container without a cgroup v2 subtree delegated to this user`));
      }
      const paused = await api(sock, 'POST', `/containers/${name}/pause`);
      assert.equal(paused.status, 403, paused.body);
      assert.match((JSON.parse(paused.body) as { message: string }).message, /^pause: not available to a rootless container without a cgroup v2 subtree/);
      // docker commit pauses by default: refused without a cgroup to freeze, --pause=false commits
      const commitPaused = await docker(['commit', name]);
      assert.notEqual(commitPaused.code, 0);
      assert.match(commitPaused.stderr, /cannot pause container \S+ to commit it \(rootless: no cgroup v2 subtree is delegated to this user\)/);
      const unpausedCommit = (await dockerOk(['commit', '--pause=false', name])).trim();
      await ok(['rmi', unpausedCommit]);
      const limited = await docker(['update', '--memory', '64m', name]);
      assert.notEqual(limited.code, 0);
      assert.match(limited.stderr, /--memory: cgroup limits are not available to a rootless container/);

      await ok(['update', '--restart', 'on-failure:2', name]);
      await dockerOk(['update', '--restart', 'always', name]);
      const inspect = async (n: string) => (JSON.parse(await ok(['inspect', n])) as { State: { Pid: number; Running: boolean }; HostConfig: { RestartPolicy: { Name: string } } }[])[0]!;
      const before = await inspect(name);
      assert.equal(before.HostConfig.RestartPolicy.Name, 'always');
      await ok(['restart', '-t', '0', name]);
      const once = await inspect(name);
      assert.ok(once.State.Running && once.State.Pid !== before.State.Pid, 'running again, a new process');
      await dockerOk(['restart', '-t', '0', name]);
      const twice = await inspect(name);
      assert.ok(twice.State.Running && twice.State.Pid !== once.State.Pid);

      await ok(['rename', name, renamed]);
      assert.equal((await inspect(renamed)).State.Pid, twice.State.Pid);
      await dockerOk(['rename', renamed, name]);
      await ok(['exec', name, 'sh', '-c', 'head -c 300000 /dev/zero > /big']);

      const df = await ok(['system', 'df']);
      assert.match(df, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$/m);
      assert.match(df, /^Containers +1 +1 /m);
      const dfv = await dockerOk(['system', 'df', '-v', '--format', '{{json .}}']);
      const usage = JSON.parse(dfv) as { Containers: { Names: string; Size: string }[]; Images: unknown[] };
      const mine = usage.Containers.find((c) => c.Names === name);
      assert.ok(mine, dfv);
      assert.match(mine.Size, /^3\d\dkB$/, 'its writable layer counted');
      assert.ok(usage.Images.length >= 1);
    });
  });

  test('exec -d returns at once (CLI and docker CLI): the detached process holds /dev/null, nothing of the caller\'s; docker exec through the user\'s service', async () => {
    const name = named('execd');
    await removing([name], async () => {
      // the default network: pasta runs for it, as for a user's usual container
      await ok(['run', '-d', '--name', name, image, 'sleep', '1000']);
      const t0 = Date.now();
      // until its stdout and stderr close (cli.ts's default): a process that kept them would hold the CLI's pipes for 60 s
      const cli = await user.run(CLI, ['exec', '-d', name, 'sleep', '61'], { timeoutMs: 20_000 });
      assert.equal(cli.code, 0, cli.stderr);
      const viaApi = await docker(['exec', '-d', name, 'sleep', '62']);
      assert.equal(viaApi.code, 0, viaApi.stderr);
      // and in the foreground, through the service's own exec of the CLI (the user's run root)
      assert.equal(await dockerOk(['exec', name, 'sh', '-c', 'echo in $(id -u)']), 'in 0\n');
      assert.ok(Date.now() - t0 < 20_000, `${Date.now() - t0} ms`);
      for (const seconds of ['61', '62']) {
        const found = processesWith(`sleep ${seconds}`).filter((p) => p.cmdline.trim() === `sleep ${seconds}`);
        assert.equal(found.length, 1, `sleep ${seconds} runs once`);
        const pid = found[0]!.pid;
        const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => `${fd} ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`).sort();
        assert.deepEqual(fds, ['0 /dev/null', '1 /dev/null', '2 /dev/null']);
      }
    });
  });

  test('the library as the user: copy both ways, changes, commit and export of openEngine()', async () => {
    const name = named('lib');
    const dir = user.dir('lib');
    writeFileSync(join(dir, 'in'), 'from the host\n');
    chownSync(join(dir, 'in'), user.uid, user.gid);
    const committed = `localhost/${TEST_PREFIX}rl5-lib:${process.pid}`;
    const script = `
      import { createWriteStream } from 'node:fs';
      import { finished } from 'node:stream/promises';
      const { openEngine } = await import(${JSON.stringify(join(PROJECT, 'build/lib.mjs'))});
      const engine = await openEngine();
      const out = {};
      try {
        const c = await engine.run({ image: ${JSON.stringify(image)}, name: ${JSON.stringify(name)}, network: 'none', command: ['sh', '-c', 'echo lib > /made && mkdir /d && chown 1234:1234 /d'] });
        out.exit = (await c.wait()).exitCode;
        await engine.copy(${JSON.stringify(join(dir, 'in'))}, ${JSON.stringify(`${name}:/d/`)});
        await engine.copy(${JSON.stringify(`${name}:/made`)}, ${JSON.stringify(join(dir, 'made'))});
        out.changes = (await engine.changes(${JSON.stringify(name)})).map((c) => c.kind + ' ' + c.path).sort();
        out.id = (await engine.commit(${JSON.stringify(name)}, { reference: ${JSON.stringify(committed)}, message: 'from the library' })).id;
        const file = createWriteStream(${JSON.stringify(join(dir, 'export.tar'))});
        await engine.export(${JSON.stringify(name)}, file);
        file.end();
        await finished(file);
        engine.remove(${JSON.stringify(name)});
      } finally {
        await engine.close();
      }
      process.stdout.write(JSON.stringify(out));
    `;
    let r = { code: 0 as number | null, stdout: '', stderr: '' };
    await removing([name], async () => {
      r = await user.run(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 60_000 });
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { exit: number; changes: string[]; id: string };
    assert.equal(out.exit, 0);
    assert.equal(readFileSync(join(dir, 'made'), 'utf8'), 'lib\n');
    assert.equal(lstatSync(join(dir, 'made')).uid, user.uid);
    assert.deepEqual(out.changes, ['A /d', 'A /d/in', 'A /made']);
    assert.match(out.id, /^sha256:[0-9a-f]{64}$/);
    try {
      assert.equal(await ok(['run', '--rm', '--network', 'none', committed, 'sh', '-c', 'cat /made /d/in; stat -c %u:%g /d /d/in']), 'lib\nfrom the host\n1234:1234\n0:0\n');
    } finally {
      await ok(['rmi', committed]);
    }
    const list = execFileSync('tar', ['--numeric-owner', '-tvf', join(dir, 'export.tar')], { encoding: 'utf8', maxBuffer: 16 << 20 });
    assert.match(list, /^drwxr-xr-x 1234\/1234 .* d\/?$/m);
    assert.match(list, /^-rw-r--r-- 0\/0 .* d\/in$/m);
    assert.deepEqual(foreignIn(store), []);
  });
});
