/**
 * Events, one history: what the CLI does (the pull of the test image, run --rm, network and volume
 * create/rm, tag/rmi) read back by `moby-dick events --since --until` and by
 * the docker CLI's `docker events` against `moby-dick system service`, in
 * order with Docker's attributes; and `docker events` following live while
 * a container starts and dies (its die recorded by container-exited).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ServiceProcess, spawnService } from '../helpers/api-service.js';
import { run, sleep } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

describe('events', () => {
  const w = useEngine();
  let dir = '';
  let sock = '';
  let service: ServiceProcess | undefined;
  const docker = (args: readonly string[]) =>
    run('/usr/bin/docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') }, timeoutMs: 60_000 });

  before(async () => {
    dir = mkdtempSync('/tmp/mdk-test-events-');
    sock = join(dir, 'api.sock');
    service = await spawnService(['--host', `unix://${sock}`, '--timeout', '0'], w.env.env);
  });

  after(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  checkEachTest(w);

  test('the CLI\'s doings, read by moby-dick events and docker events alike', async () => {
    // the store is this suite's own: from 10 minutes back is from its start (useEngine's pull of the test image)
    const since = '10m';
    const ok = async (args: string[]) => {
      const r = await w.env.mdk(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const ran = await w.env.mdk(['run', '--rm', '--name', 'mdk-test-ev1', '--network', 'none', w.image, 'sh', '-c', 'exit 3']);
    assert.equal(ran.code, 3, ran.stderr);
    await ok(['network', 'create', 'mdk-test-evnet']);
    await ok(['network', 'rm', 'mdk-test-evnet']);
    await ok(['volume', 'create', 'mdk-test-evvol']);
    await ok(['volume', 'rm', 'mdk-test-evvol']);
    await ok(['tag', w.image, 'mdk-test-evimg:1']);
    await ok(['rmi', 'mdk-test-evimg:1']);
    await sleep(300);
    const until = (Date.now() / 1000).toFixed(3);
    const lines = (await ok(['events', '--since', since, '--until', until])).trim().split('\n');
    const shape = lines.map((l) => l.split(' ').slice(1, 3).join(' '));
    assert.deepEqual(shape, [
      'image pull', 'container create', 'container start', 'container die', 'container destroy',
      'network create', 'network destroy', 'volume create', 'volume destroy', 'image tag', 'image untag',
    ], lines.join('\n'));
    assert.match(lines[0]!, / image pull \S+ \(name=\S+\)$/);
    assert.match(lines[3]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container die [0-9a-f]{64} \(exitCode=3, image=[^,]+, name=mdk-test-ev1\)$/);
    assert.match(lines[9]!, /image tag sha256:[0-9a-f]{64} \(name=mdk-test-evimg:1\)/);
    const filtered = (await ok(['events', '--since', since, '--until', until, '--filter', 'type=container', '--filter', 'event=die', '--format', '{{.Actor.Attributes.exitCode}} {{.Status}}'])).trim();
    assert.equal(filtered, '3 die');
    const d = await docker(['events', '--since', since, '--until', until]);
    assert.equal(d.code, 0, d.stderr + service?.log());
    const dshape = d.stdout.trim().split('\n').map((l) => l.split(' ').slice(1, 3).join(' '));
    assert.deepEqual(dshape, shape, d.stdout);
    assert.match(d.stdout, /container die [0-9a-f]{64} \(exitCode=3, image=[^,]+, name=mdk-test-ev1\)/);
  });

  test('docker events follows live while a container starts and dies', async () => {
    const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'docker-config') };
    const follower = spawn('/usr/bin/docker', ['events', '--filter', 'container=mdk-test-ev2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await sleep(500);
      const r = await w.env.mdk(['run', '-d', '--name', 'mdk-test-ev2', '--network', 'none', w.image, 'sh', '-c', 'sleep 0.3; exit 7']);
      assert.equal(r.code, 0, r.stderr);
      for (let i = 0; i < 100 && !/container die/.test(out); i++) await sleep(100);
      assert.match(out, /container start [0-9a-f]{64} \(image=[^,]+, name=mdk-test-ev2\)/, out);
      assert.match(out, /container die [0-9a-f]{64} \(exitCode=7, image=[^,]+, name=mdk-test-ev2\)/, out);
    } finally {
      follower.kill('SIGTERM');
      await w.env.mdk(['rm', '-f', 'mdk-test-ev2']);
    }
  });

  test('a container on a network with a volume: connect and disconnect, mount and unmount, filtered by network and volume', async () => {
    const t0 = (Date.now() / 1000).toFixed(3);
    for (const args of [['network', 'create', 'mdk-test-evnet2'], ['volume', 'create', 'mdk-test-evvol2']]) {
      const r = await w.env.mdk(args);
      assert.equal(r.code, 0, r.stderr);
    }
    try {
      const r = await w.env.mdk(['run', '--rm', '--name', 'mdk-test-ev3', '--network', 'mdk-test-evnet2', '-v', 'mdk-test-evvol2:/data', w.image, 'true']);
      assert.equal(r.code, 0, r.stderr);
      await sleep(200);
      const until = (Date.now() / 1000).toFixed(3);
      const net = await w.env.mdk(['events', '--since', t0, '--until', until, '--filter', 'network=mdk-test-evnet2', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
      assert.deepEqual(net.stdout.trim().split('\n'), ['network create mdk-test-evnet2', 'network connect mdk-test-evnet2', 'network disconnect mdk-test-evnet2'], net.stderr);
      const vol = await w.env.mdk(['events', '--since', t0, '--until', until, '--filter', 'volume=mdk-test-evvol2', '--format', '{{json .}}']);
      const msgs = vol.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
      assert.deepEqual(msgs.map((m) => m.Action), ['create', 'mount', 'unmount'], vol.stdout);
      assert.equal(msgs[1]!.Actor.Attributes.destination, '/data');
    } finally {
      await w.env.mdk(['network', 'rm', 'mdk-test-evnet2']);
      await w.env.mdk(['volume', 'rm', '-f', 'mdk-test-evvol2']);
    }
  });
});
