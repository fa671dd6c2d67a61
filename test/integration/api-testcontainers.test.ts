/**
 * testcontainers (npm, a dev dependency) against `moby-dick system service`:
 * DOCKER_HOST=unix://... to the service on a socket of a temp dir, over a
 * test store, with the busybox image of a docker-registry on 127.0.0.1.
 * A GenericContainer with a log wait strategy, one with a port wait strategy
 * (Wait.forListeningPorts: testcontainers execs a shell check inside the
 * container and connects to the mapped port on the host, here 127.0.0.1:
 * TESTCONTAINERS_HOST_OVERRIDE; testcontainers names no host address for
 * its ports, and the service's --ip 127.0.0.1 publishes them there), exec, copy in (files and content) and out
 * (an archive), a Network with an alias reached from a second container,
 * stop. Ryuk, testcontainers' reaper, is off (TESTCONTAINERS_RYUK_DISABLED):
 * it needs the testcontainers/ryuk image from Docker Hub, which a test here
 * cannot pull (no traffic off the machine); the test stops and removes what
 * it started itself, and the service's store goes with it. Every name starts
 * with mdk-test-; the service, registry, store, networks (bridges, nftables
 * table) and containers are removed after.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService, httpGet } from '../helpers/api-service.js';
import { run } from '../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';

type TC = typeof import('testcontainers');

describe('testcontainers against the service', () => {
  let api: ApiService;
  let snap: Snapshot;
  let tc: TC;
  const saved = { ...process.env };
  const name = (what: string): string => `mdk-test-tc-${what}-${process.pid}`;

  before(async () => {
    snap = snapshot();
    api = await startApiService('api-testcontainers');
    // testcontainers reads these when it first needs its client (in start())
    process.env.DOCKER_HOST = `unix://${api.sock}`;
    process.env.DOCKER_CONFIG = join(api.dir, 'client');
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
    tc = await import('testcontainers');
  });

  after(async () => {
    for (const k of ['DOCKER_HOST', 'DOCKER_CONFIG', 'TESTCONTAINERS_RYUK_DISABLED', 'TESTCONTAINERS_HOST_OVERRIDE']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await api?.stop();
    await assertNoLeaks(snap);
  });

  test('a log wait strategy, exec, copy in and out, stop', { timeout: 90_000 }, async () => {
    const { GenericContainer, Wait } = tc;
    const c = await new GenericContainer(api.image)
      .withName(name('log'))
      .withCommand(['sh', '-c', "echo starting; sleep 0.3; echo ready to serve; trap 'exit 0' TERM; while :; do sleep 1; done"])
      .withWaitStrategy(Wait.forLogMessage('ready to serve'))
      .withStartupTimeout(30_000)
      .start();
    try {
      assert.equal(c.getName(), `/${name('log')}`);
      const r = await c.exec(['sh', '-c', 'echo out; echo err >&2; exit 4']);
      assert.equal(r.exitCode, 4);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
      assert.equal((await c.exec(['cat', '/etc/hostname'])).exitCode, 0);

      const file = join(api.dir, 'in.txt');
      writeFileSync(file, 'from a file\n');
      await c.copyFilesToContainer([{ source: file, target: '/copied/in.txt' }]);
      await c.copyContentToContainer([{ content: 'from content\n', target: '/copied/content.txt', mode: 0o600 }]);
      assert.equal((await c.exec(['cat', '/copied/in.txt', '/copied/content.txt'])).output, 'from a file\nfrom content\n');
      assert.equal((await c.exec(['stat', '-c', '%a', '/copied/content.txt'])).output.trim(), '600');

      await c.exec(['sh', '-c', 'mkdir -p /out && echo made inside > /out/made.txt']);
      const archive = join(api.dir, 'out.tar');
      await pipeline(await c.copyArchiveFromContainer('/out/made.txt'), createWriteStream(archive));
      const extracted = await run('tar', ['-xOf', archive, 'made.txt']);
      assert.equal(extracted.code, 0, extracted.stderr);
      assert.equal(extracted.stdout, 'made inside\n');

      const logs = await c.logs();
      let text = '';
      logs.on('data', (d: Buffer | string) => (text += d.toString()));
      await Promise.race([once(logs, 'end'), new Promise((r) => setTimeout(r, 1000))]);
      assert.match(text, /starting\nready to serve/);
    } finally {
      const stopped = await c.stop();
      assert.ok(stopped);
    }
    assert.deepEqual((await api.leftovers()).containers, [], 'stop removed the container (testcontainers removes on stop)');
  });

  test('a port wait strategy; a network alias reached from a second container', { timeout: 90_000 }, async () => {
    const { GenericContainer, Network, Wait } = tc;
    const network = await new Network({ nextUuid: () => name('net') }).start();
    const web = await new GenericContainer(api.image)
      .withName(name('web'))
      .withCommand(['sh', '-c', 'mkdir -p /www && echo hello from tc > /www/index.html && exec httpd -f -p 80 -h /www'])
      .withExposedPorts(80)
      .withNetwork(network)
      .withNetworkAliases('mdk-test-web')
      .withWaitStrategy(Wait.forListeningPorts())
      .withStartupTimeout(30_000)
      .start();
    try {
      assert.equal(web.getHost(), '127.0.0.1');
      assert.equal((await api.env.mdk(['port', name('web')])).stdout, `80/tcp -> 127.0.0.1:${web.getMappedPort(80)}\n`, 'published on 127.0.0.1 only');
      assert.equal(await httpGet(web.getMappedPort(80)), 'hello from tc\n');
      const client = await new GenericContainer(api.image)
        .withName(name('client'))
        .withCommand(['sh', '-c', 'wget -q -O - http://mdk-test-web/ && echo fetched by alias'])
        .withNetwork(network)
        .withWaitStrategy(Wait.forLogMessage('fetched by alias'))
        .withStartupTimeout(30_000)
        .start();
      await client.stop();
    } finally {
      await web.stop();
      await network.stop();
    }
    const left = await api.leftovers();
    assert.deepEqual([left.containers, left.networks], [[], []]);
  });
});
