/**
 * The engine hands the runtime the spec it built without a second
 * validation (lifecycle.ts loadSpec, engine.ts start): that is sound only if
 * every spec buildSpec makes is one the runtime's schema accepts as it is,
 * with nothing rejected and nothing stripped. Checked here over the
 * engine's settings, one at a time and together.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSpec } from '../oci/validate.js';
import { buildSpec, type EngineContainer, RUN_DEFAULTS } from '../spec/spec-builder.js';

const BASE: EngineContainer = {
  ...RUN_DEFAULTS,
  id: 'mdk-test-trust',
  rootfs: '/var/lib/moby-dick/containers/mdk-test-trust/merged',
  argv: ['sh', '-c', 'true'],
  env: ['PATH=/bin', 'HOSTNAME=mdk-test-trust'],
  cwd: '/',
  user: { uid: 0, gid: 0, additionalGids: [] },
  hostname: 'mdk-test-trust',
  cgroupsPath: '/moby-dick/mdk-test-trust',
};

const CHANGES: Record<string, Partial<EngineContainer>> = {
  defaults: {},
  'read-only root, tty, workdir, a user with groups': { readOnly: true, tty: true, cwd: '/tmp', user: { uid: 1000, gid: 1000, additionalGids: [10, 20] } },
  'binds and tmpfs': {
    binds: [
      { source: '/srv/mdk-test-data', destination: '/data', readOnly: true },
      { source: '/srv/mdk-test-rw', destination: '/rw', readOnly: false, propagation: 'rshared' },
    ],
    tmpfs: [{ destination: '/run', options: ['size=1m', 'mode=1777'] }],
  },
  limits: { memory: 1 << 28, memorySwap: -1, nanoCpus: 1.5e9, cpuShares: 512, pidsLimit: 64, ulimits: [{ name: 'nofile', soft: 100, hard: 200 }, { name: 'core', soft: 0, hard: 0 }] },
  'capabilities added and dropped': { capAdd: ['NET_ADMIN', 'SYS_PTRACE'], capDrop: ['CHOWN', 'MKNOD'] },
  'all capabilities dropped, no new privileges': { capDrop: ['ALL'], noNewPrivileges: true },
  privileged: { privileged: true },
  'seccomp unconfined': { seccomp: 'unconfined' },
  'host network': { network: { mode: 'host' } },
  'a network namespace to join': { network: { mode: 'path', path: '/run/netns/mdk-test-trust' } },
  labels: { labels: { 'mdk-test.label': 'x' } },
};

describe('the specs the engine builds are ones the runtime accepts unchanged', () => {
  for (const [name, change] of Object.entries(CHANGES)) {
    test(name, () => {
      const json = JSON.stringify(buildSpec({ ...BASE, ...change }));
      assert.deepEqual(parseSpec(json, 'config.json'), JSON.parse(json));
    });
  }

  test('all of them together', () => {
    const all = Object.assign({}, BASE, ...Object.values(CHANGES).filter((c) => !('privileged' in c) && !('seccomp' in c))) as EngineContainer;
    const json = JSON.stringify(buildSpec(all));
    assert.ok(JSON.parse(json).linux.seccomp, 'the default seccomp profile is in it');
    assert.deepEqual(parseSpec(json, 'config.json'), JSON.parse(json));
  });
});
