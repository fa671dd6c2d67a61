/**
 * Networking as a Docker user checks it: the default bridge (an address,
 * a route, lo up, the container's hosts/resolv.conf/hostname), --network
 * none/host/container:, user networks where containers find each other by
 * name and alias (also one that joins later), published ports answering on
 * 127.0.0.1 and from other containers, inspect's NetworkSettings, address
 * reuse, 20 parallel runs, connect/disconnect, and cleanup when a container
 * stops, is killed, or loses its monitor. Traffic goes only to 127.0.0.1
 * and to containers this test made; every name carries the test's prefix
 * (the store's interfaces and nftables table: image-env.ts), and the env's
 * removal checks that no bridge, veth or table is left.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { until } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

/** GET http://HOST:PORT/ from the host; the body, or the error's code. */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    req.end();
  });
}

describe('networking', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  const links = () => readdirSync('/sys/class/net').filter((n) => n.startsWith(w.env.netPrefix)).sort();
  checkEachTest(w, () => mdk('network', 'prune', '-f'));

  const ok = async (...args: string[]): Promise<string> => {
    const r = await mdk(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const runD = async (...args: string[]): Promise<string> => (await ok('run', '-d', ...args)).trim();
  /** a busybox httpd serving BODY on port 80 */
  const web = (body: string) => ['sh', '-c', `mkdir -p /www && echo ${body} > /www/index.html && exec httpd -f -p 80 -h /www`];
  const inspect = async (ref: string, template: string) => (await ok('inspect', '-f', template, ref)).trim();

  test('the default bridge: eth0 with an address and a default route, lo up, hosts, resolv.conf and hostname', async () => {
    const out = await ok('run', '--rm', '--hostname', 'mdk-test-host', w.image, 'sh', '-c', 'ip -o addr show; echo ---; ip route; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hostname; hostname');
    const [addrs, routes, hosts, resolv, hostname] = out.split('---\n');
    const ip = /eth0\s+inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(addrs!);
    assert.ok(ip, addrs);
    assert.match(addrs!, /^\d+: lo\s+inet 127\.0\.0\.1\/8/m);
    assert.match(routes!, /^default via (\d+\.\d+\.\d+\.\d+) dev eth0/m);
    assert.match(hosts!, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(hosts!, new RegExp(`^${ip[1]!.replaceAll('.', '\\.')}\\tmdk-test-host$`, 'm'));
    const hostServers = readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^nameserver\s/.test(l) && !/\s(127\.|::1)/.test(l));
    for (const s of hostServers) assert.ok(resolv!.includes(s), `${s} in ${resolv}`);
    assert.doesNotMatch(resolv!, /nameserver 127\./);
    assert.equal(hostname, 'mdk-test-host\nmdk-test-host\n');
    // the container's veth went with it; the bridge stays for the next one
    assert.deepEqual(links(), [`${w.env.netPrefix}0`]);
  });

  test('--network none: only lo, and it is down; --network host: the host\'s interfaces; --dns, --add-host', async () => {
    const none = await ok('run', '--rm', '--network', 'none', w.image, 'ip', '-o', 'link');
    assert.equal(none.trim().split('\n').length, 1, none);
    assert.match(none, /^1: lo: <LOOPBACK>/);
    const host = await ok('run', '--rm', '--network', 'host', w.image, 'ls', '/sys/class/net');
    assert.deepEqual(host.trim().split(/\s+/).sort(), readdirSync('/sys/class/net').sort());
    // the host's hosts file, with --add-host after it
    const hostHosts = await ok('run', '--rm', '--network', 'host', '--add-host', 'mdk-test-hh:10.9.8.7', w.image, 'cat', '/etc/hosts');
    assert.equal(hostHosts, `${readFileSync('/etc/hosts', 'utf8')}10.9.8.7\tmdk-test-hh\n`);
    const files = await ok('run', '--rm', '--dns', '192.0.2.53', '--dns-search', 'mdk-test.example', '--add-host', 'mdk-test-db:10.1.2.3', '--add-host', 'mdk-test-gw:host-gateway', w.image, 'sh', '-c', 'cat /etc/resolv.conf /etc/hosts; ip route');
    assert.match(files, /^nameserver 192\.0\.2\.53$/m);
    assert.match(files, /^search mdk-test\.example$/m);
    assert.equal(files.match(/^nameserver/gm)?.length, 1);
    assert.match(files, /^10\.1\.2\.3\tmdk-test-db$/m);
    const gw = /default via (\S+)/.exec(files)![1]!;
    assert.match(files, new RegExp(`^${gw.replaceAll('.', '\\.')}\\tmdk-test-gw$`, 'm'));
  });

  test('a user network: containers find each other by name and alias, also one that joins later; the default bridge has no names', async () => {
    const net = (await ok('network', 'create', 'mdk-test-net')).trim();
    assert.match(net, /^[0-9a-f]{64}$/);
    const client = await runD('--name', 'mdk-test-client', '--network', 'mdk-test-net', w.image, 'sleep', '600');
    await runD('--name', 'mdk-test-web', '--network', 'mdk-test-net', '--network-alias', 'mdk-test-alias', w.image, ...web('hello-by-name'));
    const fetch = (from: string, url: string) => mdk('exec', from, 'timeout', '5', 'wget', '-q', '-O', '-', url);
    // the client was there first: its hosts file learnt the web server's name when it came
    await until(async () => (await fetch(client, 'http://mdk-test-web/')).stdout === 'hello-by-name\n');
    assert.equal((await fetch(client, 'http://mdk-test-alias/')).stdout, 'hello-by-name\n');
    const fresh = await ok('run', '--rm', '--network', 'mdk-test-net', w.image, 'timeout', '5', 'wget', '-q', '-O', '-', 'http://mdk-test-web/');
    assert.equal(fresh, 'hello-by-name\n');
    // on the default bridge, names do not resolve (as in Docker)
    await runD('--name', 'mdk-test-plain', w.image, ...web('x'));
    const plain = await mdk('run', '--rm', w.image, 'timeout', '5', 'wget', '-q', '-O', '-', 'http://mdk-test-plain/');
    assert.notEqual(plain.code, 0);
    // a network in use cannot be removed
    const rm = await mdk('network', 'rm', 'mdk-test-net');
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /has active endpoints/);
    // the web server leaves: the client's hosts file forgets it
    await ok('rm', '-f', 'mdk-test-web');
    assert.doesNotMatch(await ok('exec', client, 'cat', '/etc/hosts'), /mdk-test-web/);
    const doc = JSON.parse(await ok('network', 'inspect', 'mdk-test-net'))[0];
    assert.equal(doc.Name, 'mdk-test-net');
    assert.equal(doc.Driver, 'bridge');
    assert.deepEqual(Object.keys(doc.Containers), [client]);
    assert.match(await ok('network', 'ls'), /\smdk-test-net\s+bridge\s+local\n/);
  });

  test('published ports answer on 127.0.0.1 (given and picked ports, -P) and from another container; port, ps and inspect show them', async () => {
    const id = await runD('--name', 'mdk-test-pub', '-p', '127.0.0.1::80', '-p', '18181:80', w.image, ...web('hello-published'));
    const lines = (await ok('port', id)).trim().split('\n');
    assert.equal(lines.length, 2);
    const picked = Number(/^80\/tcp -> 127\.0\.0\.1:(\d+)$/m.exec(lines.join('\n'))![1]);
    assert.ok(picked >= 1024);
    assert.match(lines.join('\n'), /^80\/tcp -> 0\.0\.0\.0:18181$/m);
    await until(async () => (await get('127.0.0.1', picked)) === 'hello-published\n');
    assert.equal(await get('127.0.0.1', 18181), 'hello-published\n');
    assert.doesNotMatch(await ok('stats', '--no-stream', '--format', '{{.NetIO}}', id), /^0B \/ 0B/, 'stats counts its traffic');
    // Docker's order: by container port, then host port
    const mappings = [`0.0.0.0:18181->80/tcp`, `127.0.0.1:${picked}->80/tcp`];
    if (picked < 18181) mappings.reverse();
    assert.match(await ok('ps'), new RegExp(`${mappings.join(', ').replace(/\./g, '\\.')}\\s+mdk-test-pub`));
    const settings = JSON.parse(await inspect(id, '{{json .NetworkSettings}}'));
    assert.match(settings.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(settings.IPPrefixLen, 16);
    assert.equal(settings.MacAddress, `02:42:${settings.IPAddress.split('.').map((o: string) => Number(o).toString(16).padStart(2, '0')).join(':')}`);
    assert.deepEqual(settings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(picked) }, { HostIp: '0.0.0.0', HostPort: '18181' }]);
    assert.equal(settings.Networks.bridge.IPAddress, settings.IPAddress);
    assert.equal(await inspect(id, '{{.HostConfig.NetworkMode}}'), 'bridge');
    // another container reaches it through the host's side of the bridge (the gateway) and the published port
    const other = await ok('run', '--rm', w.image, 'timeout', '5', 'wget', '-q', '-O', '-', `http://${settings.Gateway}:18181/`);
    assert.equal(other, 'hello-published\n');
    // the port is taken while it runs
    const clash = await mdk('run', '-d', '-p', '18181:80', w.image, 'true');
    assert.equal(clash.code, 125);
    assert.match(clash.stderr, /Bind for 0\.0\.0\.0:18181 failed: port is already allocated/);
    // -P: the exposed ports, on picked ports
    const all = await runD('-P', '--expose', '80', w.image, ...web('hello-all'));
    const allPort = Number(/:(\d+)$/.exec((await ok('port', all, '80')).trim())![1]);
    await until(async () => (await get('127.0.0.1', allPort)) === 'hello-all\n');
    // stopped: the ports are free and answer no more
    await ok('stop', '-t', '0', id);
    await until(async () => (await ok('port', id)) === '');
    assert.match(await get('127.0.0.1', 18181), /^error /);
  });

  test('addresses: reused after removal, and 20 parallel runs get 20 different ones', async () => {
    const first = await runD(w.image, 'sleep', '600');
    const ip = await inspect(first, '{{.NetworkSettings.IPAddress}}');
    await ok('rm', '-f', first);
    const second = await runD(w.image, 'sleep', '600');
    assert.equal(await inspect(second, '{{.NetworkSettings.IPAddress}}'), ip);
    await ok('rm', '-f', second);
    const ids = await Promise.all(Array.from({ length: 20 }, () => runD(w.image, 'sleep', '600')));
    const ips = await Promise.all(ids.map((i) => inspect(i, '{{.NetworkSettings.IPAddress}}')));
    assert.equal(new Set(ips).size, 20, ips.join(' '));
    assert.equal(links().length, 21, 'a veth each, and the bridge');
  });

  test('cleanup: a container that ends, one killed, one whose monitor is killed, free their address and veth; a restart gets networking back', async () => {
    const net = 'mdk-test-clean';
    await ok('network', 'create', '--subnet', '10.231.0.0/24', net);
    const ended = await runD('--network', net, w.image, 'sh', '-c', 'sleep 0.3');
    assert.equal(await ok('wait', ended), '0\n');
    await until(async () => links().length === 1); // the bridge alone
    const members = async () => Object.keys(JSON.parse(await ok('network', 'inspect', net))[0].Containers);
    assert.deepEqual(await members(), []);
    const killed = await runD('--network', net, w.image, 'sleep', '600');
    assert.deepEqual(await members(), [killed]);
    await ok('kill', killed);
    await until(async () => (await members()).length === 0);
    // its monitor killed: the container dies with it; ps finds it dead and frees what it held
    const orphan = await runD('--network', net, w.image, 'sleep', '600');
    const pid = Number(await inspect(orphan, '{{.State.Pid}}'));
    const monitor = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    assert.ok(readlinkSync(`/proc/${monitor}/exe`).includes('mdk-init'), "the container's parent is its monitor");
    process.kill(Number(monitor), 'SIGKILL');
    await until(async () => /Dead|Exited/.test(await ok('ps', '-a', '--filter', `id=${orphan}`, '--format', '{{.Status}}')));
    await until(async () => (await members()).length === 0);
    assert.deepEqual(links(), [`${w.env.netPrefix}-${JSON.parse(await ok('network', 'inspect', net))[0].Id.slice(0, 15 - w.env.netPrefix.length - 1)}`]);
    // restarted by its policy (the monitor's container-exited, with an empty environment): an address each time
    const policy = await runD('--network', net, '--restart', 'on-failure:1', w.image, 'sh', '-c', 'ip -o -4 addr show eth0; exit 1');
    await until(async () => (await ok('logs', policy)).split('\n').filter((l) => /inet 10\.231\.0\.\d+\/24/.test(l)).length === 2, 10_000);
    await until(async () => (await members()).length === 0);
    // started again: an address and a working interface
    await ok('start', killed);
    const addr = await ok('exec', killed, 'ip', '-o', '-4', 'addr', 'show', 'eth0');
    assert.match(addr, /inet 10\.231\.0\.\d+\/24/);
  });

  test('network connect and disconnect of a running container; --internal; container: shares a namespace; bad input', async () => {
    await ok('network', 'create', 'mdk-test-a');
    await ok('network', 'create', '--internal', '--subnet', '10.232.0.0/24', '--gateway', '10.232.0.254', 'mdk-test-b');
    const c = await runD('--name', 'mdk-test-multi', '--network', 'mdk-test-a', w.image, 'sleep', '600');
    await ok('network', 'connect', '--alias', 'mdk-test-second', 'mdk-test-b', c);
    const two = await ok('exec', c, 'ip', '-o', '-4', 'addr');
    assert.match(two, /eth0\s+inet \d+\.\d+\.\d+\.\d+/);
    assert.match(two, /eth1\s+inet 10\.232\.0\.1\/24/);
    const peer = await ok('run', '--rm', '--network', 'mdk-test-b', w.image, 'sh', '-c', 'grep mdk-test-second /etc/hosts; ip route');
    assert.match(peer, /^10\.232\.0\.1\tmdk-test-multi mdk-test-second /m);
    assert.match(peer, /default via 10\.232\.0\.254/);
    await ok('network', 'disconnect', 'mdk-test-b', c);
    assert.doesNotMatch(await ok('exec', c, 'ip', '-o', 'link'), /eth1/);
    const doc = JSON.parse(await inspect(c, '{{json .NetworkSettings.Networks}}'));
    assert.deepEqual(Object.keys(doc), ['mdk-test-a']);
    // container: one network namespace for two containers
    const joined = await ok('run', '--rm', '--network', `container:${c}`, w.image, 'ip', '-o', '-4', 'addr', 'show', 'eth0');
    assert.equal(joined, await ok('exec', c, 'ip', '-o', '-4', 'addr', 'show', 'eth0'));
    // bad input: one line, 125 (run) or 1
    for (const [args, pattern] of [
      [['run', '--rm', '--network', 'mdk-test-nonesuch', w.image, 'true'], /network mdk-test-nonesuch not found/],
      [['run', '--rm', '-p', '80:80:80:80', w.image, 'true'], /invalid port specification/],
      [['run', '--rm', '--network-alias', 'x', w.image, 'true'], /only for containers in user defined networks/],
      [['run', '--rm', '--dns', 'not-an-ip', w.image, 'true'], /invalid IP address: not-an-ip/],
      [['run', '--rm', '--add-host', 'no-address', w.image, 'true'], /bad format for add-host/],
      // outside run and create: exit 1, as Docker's
      [['network', 'create', '--subnet', '10.232.0.0/25', 'mdk-test-overlap'], /overlaps/],
      [['network', 'create', 'mdk-test-a'], /already exists/],
      [['network', 'rm', 'bridge'], /pre-defined network/],
      [['network', 'frobnicate'], /unknown command "frobnicate" for "moby-dick network"/],
      [['volume', 'frobnicate'], /unknown command "frobnicate" for "moby-dick volume"/],
      [['image', 'frobnicate'], /unknown command "frobnicate" for "moby-dick image"/],
    ] as const) {
      const r = await mdk(...args);
      assert.equal(r.code, args[0] === 'run' ? 125 : 1, args.join(' '));
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  test('the network lock and the nftables table\'s mark live under the run root (MOBY_DICK_RUN_ROOT, else STORE/run); prune removes the mark with the table', async () => {
    const mark = `nft-${w.env.netPrefix}.synced`;
    const hostMark = join('/run/moby-dick', mark);
    const table = () => spawnSync('nft', ['list', 'table', 'ip', w.env.netPrefix], { encoding: 'utf8' }).status === 0;
    // the store's own run root by default
    await ok('run', '--rm', w.image, 'true');
    const storeRun = join(w.env.root, 'run');
    assert.ok(existsSync(join(storeRun, 'network.lock')), 'network.lock under STORE/run');
    assert.ok(existsSync(join(storeRun, mark)), `${mark} under STORE/run`);
    assert.ok(table());
    await ok('network', 'prune', '-f');
    assert.ok(!table(), 'the table is gone');
    assert.ok(!existsSync(join(storeRun, mark)), 'the mark went with the table');
    // MOBY_DICK_RUN_ROOT
    const run = mkdtempSync(join('/tmp', 'mdk-test-run-'));
    try {
      const inRun = (...args: string[]) => w.env.mdk(args, { env: { MOBY_DICK_RUN_ROOT: run } });
      const r = await inRun('run', '--rm', w.image, 'true');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(existsSync(join(run, 'network.lock')), 'network.lock under MOBY_DICK_RUN_ROOT');
      assert.ok(existsSync(join(run, mark)), `${mark} under MOBY_DICK_RUN_ROOT`);
      assert.ok(!existsSync(join(storeRun, mark)));
      assert.ok(table());
      const p = await inRun('network', 'prune', '-f');
      assert.equal(p.code, 0, p.stderr);
      assert.ok(!table(), 'the table is gone');
      assert.ok(!existsSync(join(run, mark)), 'the mark went with the table');
    } finally {
      rmSync(run, { recursive: true, force: true });
    }
    assert.ok(!existsSync(hostMark), `nothing in /run/moby-dick: ${hostMark}`);
  });
});
