/**
 * Rootless networking as an ordinary user: the default network through
 * pasta (an interface with an address and a default route in the
 * container's own namespace), -p 127.0.0.1:HOST:CTR forwarded by a pasta
 * that runs as the user and ends with the container (stop, rm, and a
 * container that exits by itself), inspect's and ps's ports; --network
 * host with the host's /sys read-only; what stays refused, each in one
 * line. Traffic only to 127.0.0.1 and inside the container the test made.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, sleep } from '../helpers/cli.js';
import { processesWith } from '../helpers/leaks.js';
import { freePort } from '../helpers/registry.js';
import { useRootlessBusybox } from '../helpers/rootless-image.js';
import { listening } from '../helpers/tcp-listening.js';
import type { TestUser } from '../helpers/test-user.js';

/** What a TCP client on 127.0.0.1:PORT reads until the server closes; undefined when the connection is refused. */
function readFrom(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const c = connect(port, '127.0.0.1');
    c.setTimeout(3000, () => c.destroy());
    c.on('data', (d) => chunks.push(d));
    c.on('error', () => resolve(undefined));
    c.on('close', () => resolve(chunks.length ? Buffer.concat(chunks).toString() : ''));
    c.end();
  });
}

/** The uids of the pasta processes whose command line names DIR (the user's store). */
function pastasUnder(dir: string): number[] {
  return processesWith(dir)
    .filter((p) => p.cmdline.startsWith('pasta'))
    .map((p) => Number(readFileSync(`/proc/${p.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!.split(/\s+/)[1]));
}

describe('rootless networking: pasta, -p, --network host', () => {
  let user: TestUser;
  let store: string;
  let image = '';
  const ref = (): string => image;

  useRootlessBusybox('mdk-test/rlnet', (m) => ({ user, store, image } = m));
  after(() => {
    assert.deepEqual(pastasUnder(user.home), [], 'no pasta left');
  });

  test('the default network: an interface with an address and a default route in its own namespace, lo up', async () => {
    const r = await user.run(CLI, ['run', '--rm', ref(), 'sh', '-c', 'ip -o -4 addr; echo ---; ip route; echo ---; readlink /proc/self/ns/net']);
    assert.equal(r.code, 0, r.stderr);
    const [addrs, routes, ns] = r.stdout.split('---\n');
    assert.match(addrs!, /^\d+: lo +inet 127\.0\.0\.1\/8/m);
    const iface = /^\d+: (\S+) +inet (\d+\.\d+\.\d+\.\d+)\/\d+/m.exec(addrs!.split('\n').filter((l) => !/ lo /.test(l)).join('\n'));
    assert.ok(iface, `an interface with an address: ${addrs}`);
    assert.match(routes!, new RegExp(`^default via \\d+\\.\\d+\\.\\d+\\.\\d+ dev ${iface[1]}`, 'm'));
    assert.notEqual(ns!.trim(), execFileSync("readlink", ["/proc/self/ns/net"], { encoding: "utf8" }).trim(), "its own namespace");
    assert.deepEqual(pastasUnder(user.home), [], 'pasta ended with the container');
  });

  test('-u 1234 with the default network: pasta joins the namespaces before the process takes on its user (it is not dumpable then); -p reaches a server of that user', async () => {
    const port = await freePort();
    const name = `mdk-test-rlnet-u${process.pid}`;
    const started = await user.run(CLI, ['run', '-d', '--name', name, '-u', '1234', '-p', `127.0.0.1:${port}:8080`, ref(), 'sh', '-c', 'while true; do id -u | nc -l -p 8080; done']);
    assert.equal(started.code, 0, started.stderr);
    try {
      let got: string | undefined;
      for (let i = 0; i < 50 && got !== '1234\n'; i++) {
        got = await readFrom(port);
        if (got !== '1234\n') await sleep(100);
      }
      assert.equal(got, '1234\n', 'the server runs as 1234 and answers through pasta');
      assert.deepEqual(pastasUnder(user.home), [user.uid], 'one pasta, as the user');
    } finally {
      const rm = await user.run(CLI, ['rm', '-f', name]);
      assert.equal(rm.code, 0, rm.stderr);
    }
    assert.deepEqual(pastasUnder(user.home), [], 'pasta ended with the container');
    assert.equal(listening(port), false, 'the port is free');
  });

  test('-p 127.0.0.1:HOST:8080: a server inside answers on the host; pasta runs as the user; inspect and ps show the port; stop ends pasta and frees the port', async () => {
    const port = await freePort();
    const name = `mdk-test-rlnet-p${process.pid}`;
    const started = await user.run(CLI, ['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:8080`, ref(), 'sh', '-c', 'while true; do echo hello-from-rlnet | nc -l -p 8080; done']);
    assert.equal(started.code, 0, started.stderr);
    try {
      let got: string | undefined;
      for (let i = 0; i < 50 && got !== 'hello-from-rlnet\n'; i++) {
        got = await readFrom(port);
        if (got !== 'hello-from-rlnet\n') await sleep(100);
      }
      assert.equal(got, 'hello-from-rlnet\n');
      assert.deepEqual(pastasUnder(user.home), [user.uid], 'one pasta, as the user');
      const inspect = await user.run(CLI, ['inspect', name]);
      assert.equal(inspect.code, 0, inspect.stderr);
      const doc = JSON.parse(inspect.stdout)[0];
      assert.equal(doc.HostConfig.NetworkMode, 'pasta');
      assert.deepEqual(doc.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
      assert.deepEqual(doc.NetworkSettings.Ports, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
      assert.match(doc.NetworkSettings.SandboxKey, /^\/proc\/\d+\/ns\/net$/);
      const ps = await user.run(CLI, ['ps', '--format', '{{.Names}} {{.Ports}}']);
      assert.equal(ps.stdout, `${name} 127.0.0.1:${port}->8080/tcp\n`);
      const ports = await user.run(CLI, ['port', name]);
      assert.equal(ports.stdout, `8080/tcp -> 127.0.0.1:${port}\n`, ports.stderr);
    } finally {
      const stop = await user.run(CLI, ['stop', '-t', '1', name]);
      assert.equal(stop.code, 0, stop.stderr);
    }
    assert.deepEqual(pastasUnder(user.home), [], 'pasta ended with the container');
    assert.equal(listening(port), false, 'the port is free');
    assert.equal(await readFrom(port), undefined, 'refused');
    const inspect = JSON.parse((await user.run(CLI, ['inspect', name])).stdout)[0];
    assert.deepEqual(inspect.NetworkSettings.Ports, {});
    // started again: pasta again, ended by rm -f
    assert.equal((await user.run(CLI, ['start', name])).code, 0);
    assert.deepEqual(pastasUnder(user.home), [user.uid]);
    const rm = await user.run(CLI, ['rm', '-f', name]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(pastasUnder(user.home), []);
    assert.equal(listening(port), false);
    assert.deepEqual(readdirSync(join(store, 'containers')), []);
  });

  test('a container that ends by itself takes its pasta and port with it', async () => {
    const port = await freePort();
    const name = `mdk-test-rlnet-e${process.pid}`;
    const started = await user.run(CLI, ['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:8081/tcp`, ref(), 'sleep', '1']);
    assert.equal(started.code, 0, started.stderr);
    assert.deepEqual(pastasUnder(user.home), [user.uid]);
    assert.equal(listening(port), true);
    const waited = await user.run(CLI, ['wait', name]);
    assert.equal(waited.stdout.trim(), '0', waited.stderr);
    for (let i = 0; i < 50 && pastasUnder(user.home).length; i++) await sleep(100);
    assert.deepEqual(pastasUnder(user.home), []);
    assert.equal(listening(port), false);
    assert.equal((await user.run(CLI, ['rm', name])).code, 0);
  });

  test('a pasta whose monitor was SIGKILLed (no -p, so no port records it): found by its pid file, checked, and stopped by the stale sweep of ps', async () => {
    const name = `mdk-test-rlnet-k${process.pid}`;
    const started = await user.run(CLI, ['run', '-d', '--name', name, ref(), 'sleep', '300']);
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    const pid = JSON.parse((await user.run(CLI, ['inspect', name])).stdout)[0].State.Pid as number;
    const monitor = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    assert.ok(readlinkSync(`/proc/${monitor}/exe`).includes('mdk-init'), "the container's parent is its monitor");
    assert.deepEqual(pastasUnder(user.home), [user.uid]);
    const pidFile = join(store, 'containers', id, 'pasta.pid');
    const [pastaPid, start] = readFileSync(pidFile, 'utf8').trim().split(' ');
    assert.equal(start, readFileSync(`/proc/${pastaPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19], 'its start time recorded beside its pid');
    process.kill(monitor, 'SIGKILL');
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(50);
    assert.equal(existsSync(`/proc/${pid}`), false, 'the container ended with its monitor');
    await sleep(200);
    assert.deepEqual(pastasUnder(user.home), [user.uid], 'this pasta outlives the namespace: nothing ended it');
    const ps = await user.run(CLI, ['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.equal(ps.stdout, `${name} Dead\n`);
    assert.deepEqual(pastasUnder(user.home), [], 'the sweep stopped it');
    assert.equal(existsSync(pidFile), false);
    assert.equal((await user.run(CLI, ['rm', '-f', name])).code, 0);
  });

  test("--network host: the host's interfaces, the host's /sys read-only", async () => {
    const r = await user.run(CLI, ['run', '--rm', '--network', 'host', ref(), 'sh', '-c', 'ls /sys/class/net; echo ---; readlink /proc/self/ns/net; echo ---; touch /sys/kernel/mdk-test 2>&1 || echo not-written; grep " /sys " /proc/mounts']);
    assert.equal(r.code, 0, r.stderr);
    const [links, ns, sys] = r.stdout.split('---\n');
    assert.deepEqual(links!.trim().split('\n').sort(), readdirSync('/sys/class/net').sort());
    assert.equal(ns!.trim(), execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).trim());
    assert.match(sys!, /not-written/);
    assert.match(sys!, /^\S+ \/sys sysfs ro,/m);
  });

  test('refused in one line: a host port below the unprivileged floor, user-defined networks, another container\'s network, PID or IPC namespace', async () => {
    const floor = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    assert.ok(floor > 80, 'the test needs a floor above 80');
    for (const [args, words] of [
      [['run', '--rm', '-p', '80:80', ref(), 'true'], new RegExp(`^moby-dick: -p 80:80: host port 80 is below the unprivileged port floor ${floor} \\(rootless\\)`)],
      [['run', '--rm', '--network', 'mdk-test-rl-net', ref(), 'true'], /^moby-dick: --network mdk-test-rl-net: user-defined networks need root; a rootless container has the default network \(pasta\), host or none \(rootless\)/],
      [['run', '--rm', '--network', 'container:x', ref(), 'true'], /^moby-dick: --network container:x: joining another container's network is not available to a rootless container yet \(rootless\)/],
      [['run', '--rm', '--pid', 'container:x', ref(), 'true'], /^moby-dick: --pid container:x: joining another container's namespaces is not available to a rootless container yet \(rootless\)/],
      [['run', '--rm', '--ipc', 'container:x', ref(), 'true'], /^moby-dick: --ipc container:x: joining another container's namespaces is not available to a rootless container yet \(rootless\)/],
    ] as const) {
      const r = await user.run(CLI, args);
      assert.equal(r.code, 125, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, words);
    }
    assert.deepEqual(readdirSync(join(store, 'containers')), [], 'nothing made');
  });
});
