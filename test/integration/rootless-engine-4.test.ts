/**
 * The engine as an ordinary user (rootless), more of it: `top` lists a
 * container's processes from /proc (no cgroup here: this host delegates no
 * cgroup v2 subtree), its pasta and monitor not among them; `stats` is
 * refused in one line without a delegated subtree, as rootless Podman on
 * cgroup v1 refuses it; and `system service` as the user: its socket at
 * $XDG_RUNTIME_DIR/moby-dick/moby-dick.sock, 0600 and the user's, serving
 * the user's engine (ping, info, a busybox container created, started,
 * waited for and removed through the API, `docker run` as the user), what
 * needs root answered with Docker's error shape. The image is served on
 * 127.0.0.1 by this test and pulled by the user; the cgroup side is tested
 * in the cgroup v2 VM (test/vm/guest/rootless-v2.ts).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI, sleep } from '../helpers/cli.js';
import { processesWith } from '../helpers/leaks.js';
import { useRootlessBusybox } from '../helpers/rootless-image.js';
import type { TestUser } from '../helpers/test-user.js';

/** One request on the unix socket SOCK: its status and body. */
function api(sock: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: sock, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('rootless engine: top, stats, system service as an ordinary user', () => {
  let user: TestUser;
  let store: string;
  let image = '';

  useRootlessBusybox('mdk-test/rootless4', (m) => ({ user, store, image } = m));

  test('top: the processes of its PID namespace from /proc (no cgroup here), not its pasta or monitor; stats refused in one line', async () => {
    const name = `mdk-test-rl4-top${process.pid}`;
    // the default network: a pasta runs for it, as the user, and is not the container's
    const started = await user.run(CLI, ['run', '-d', '--name', name, image, 'sh', '-c', 'sleep 301 & sleep 302 & wait']);
    assert.equal(started.code, 0, started.stderr);
    try {
      const ex = await user.run(CLI, ['exec', '-d', name, 'sleep', '303']);
      assert.equal(ex.code, 0, ex.stderr);
      let top = '';
      for (let i = 0; i < 50 && !top.includes('sleep 303'); i++) {
        const r = await user.run(CLI, ['top', name]);
        assert.equal(r.code, 0, r.stderr);
        top = r.stdout;
        if (!top.includes('sleep 303')) await sleep(100);
      }
      const lines = top.trim().split('\n');
      assert.match(lines[0]!, /^UID +PID +PPID +C +STIME +TTY +TIME +CMD$/);
      const commands = lines.slice(1).map((l) => l.split(/\s+/).slice(7).join(' ')).sort();
      assert.deepEqual(commands, ['sh -c sleep 301 & sleep 302 & wait', 'sleep 301', 'sleep 302', 'sleep 303']);
      assert.ok(processesWith(user.home).some((p) => p.cmdline.startsWith('pasta')), 'its pasta runs (and is not listed)');
      const pid = JSON.parse((await user.run(CLI, ['inspect', name])).stdout)[0].State.Pid as number;
      const custom = await user.run(CLI, ['top', name, '-o', 'pid,comm']);
      assert.equal(custom.code, 0, custom.stderr);
      assert.match(custom.stdout, new RegExp(`^ *${pid} +sh$`, 'm'));

      const stats = await user.run(CLI, ['stats', '--no-stream', name]);
      assert.equal(stats.code, 1, 'as the other refused commands (network)');
      assert.equal(stats.stderr.trim().split('\n').length, 1, stats.stderr);
      assert.match(stats.stderr, /^moby-dick: stats: not available to a rootless container without a cgroup v2 subtree delegated to this user/);
      assert.equal(stats.stdout, '');
    } finally {
      assert.equal((await user.run(CLI, ['rm', '-f', name])).code, 0);
    }
  });

  test('system service as the user: $XDG_RUNTIME_DIR/moby-dick/moby-dick.sock (0600, the user\'s); ping, info; create, start, wait, rm through the API; docker run; networks refused with Docker\'s error shape', async () => {
    const sock = join(user.env.XDG_RUNTIME_DIR!, 'moby-dick', 'moby-dick.sock');
    let log = '';
    const service: ChildProcess = spawn('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', CLI, 'system', 'service', '--timeout', '0'], { env: user.env, stdio: ['ignore', 'ignore', 'pipe'] });
    service.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const ended = new Promise((r) => service.once('exit', r));
    try {
      for (let i = 0; i < 200 && !log.includes('API listening') && service.exitCode === null; i++) await sleep(50);
      assert.match(log, new RegExp(`API listening on ${sock}`));
      const st = statSync(sock);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal(st.uid, user.uid);
      assert.equal(readFileSync(`/proc/${service.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1], String(user.uid), 'the service runs as the user');

      const ping = await api(sock, 'GET', '/_ping');
      assert.deepEqual([ping.status, ping.body], [200, 'OK']);
      assert.equal((await api(sock, 'GET', '/info')).status, 200);

      const created = await api(sock, 'POST', '/containers/create?name=mdk-test-rl4-api', { Image: image, Cmd: ['sh', '-c', 'exit 3'], HostConfig: { NetworkMode: 'none' } });
      assert.equal(created.status, 201, created.body);
      const id = (JSON.parse(created.body) as { Id: string }).Id;
      assert.ok(existsSync(join(store, 'containers', id)), "in the user's store");
      assert.equal((await api(sock, 'POST', `/containers/${id}/start`)).status, 204);
      const waited = await api(sock, 'POST', `/containers/${id}/wait`);
      assert.equal(waited.status, 200, waited.body);
      assert.equal((JSON.parse(waited.body) as { StatusCode: number }).StatusCode, 3);
      const seen = await user.run(CLI, ['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
      assert.match(seen.stdout, /^mdk-test-rl4-api Exited \(3\) /, "the user's CLI sees it");
      const stats = await api(sock, 'GET', `/containers/${id}/stats?stream=false`);
      assert.equal(stats.status, 403, stats.body);
      assert.match((JSON.parse(stats.body) as { message: string }).message, /^stats: not available to a rootless container without a cgroup v2 subtree/);
      assert.equal((await api(sock, 'DELETE', `/containers/${id}`)).status, 204);
      assert.equal(existsSync(join(store, 'containers', id)), false);

      const net = await api(sock, 'POST', '/networks/create', { Name: 'mdk-test-rl4-net' });
      assert.equal(net.status, 403);
      assert.match((JSON.parse(net.body) as { message: string }).message, /^network: networks need root \(rootless/);

      const docker = await user.run('/usr/local/bin/docker', ['run', '--rm', '--network', 'none', image, 'sh', '-c', 'echo hello from $(id -u)'], {
        env: { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(user.home, 'docker') },
        timeoutMs: 60_000,
      });
      assert.equal(docker.code, 0, `${docker.stderr}\nservice: ${log}`);
      assert.equal(docker.stdout, 'hello from 0\n');
    } finally {
      service.kill('SIGTERM');
      await ended;
    }
    assert.equal(existsSync(sock), false, 'the socket removed');
    assert.deepEqual(readdirSync(join(store, 'containers')), [], 'nothing left');
    assert.doesNotMatch(log, /\n\s+at /, `no stack trace: ${log}`);
  });
});
