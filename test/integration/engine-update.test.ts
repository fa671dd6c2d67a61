/**
 * `moby-dick update` on real containers: the limits of a running
 * container's cgroup as the host reads them (v1's memory.limit_in_bytes,
 * pids.max, cpu.cfs_quota_us, cpuset.cpus; v2's memory.max, pids.max,
 * cpu.max, cpuset.cpus), inspect's HostConfig, the limits kept across a
 * restart, a stopped container's record alone changed, and Docker's errors.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readCgroupLayout } from '../../src/cgroups/layout.js';
import { cgroupDirsOf } from '../../src/engine/leftovers.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';
import { ENGINE_CGROUP_PARENT } from '../helpers/image-env.js';

const V1 = readCgroupLayout().version === 1;
const MIB = 1024 * 1024;

/** a cgroup file of container ID as the host reads it: the hierarchy that has FILE */
function cgroupValue(id: string, file: string): string {
  const dir = cgroupDirsOf(`/${ENGINE_CGROUP_PARENT}/${id}`).find((d) => existsSync(join(d, file)));
  assert.ok(dir, `no cgroup of ${id} has ${file}`);
  return readFileSync(join(dir, file), 'utf8').trim();
}

/** memory limit, pids limit, CFS quota and period of ID's cgroup, as numbers or 'max' */
function limits(id: string): { memory: string; pids: string; quota: string; cpus: string } {
  if (V1) {
    return {
      memory: cgroupValue(id, 'memory.limit_in_bytes'),
      pids: cgroupValue(id, 'pids.max'),
      quota: `${cgroupValue(id, 'cpu.cfs_quota_us')} ${cgroupValue(id, 'cpu.cfs_period_us')}`,
      cpus: cgroupValue(id, 'cpuset.cpus'),
    };
  }
  return { memory: cgroupValue(id, 'memory.max'), pids: cgroupValue(id, 'pids.max'), quota: cgroupValue(id, 'cpu.max'), cpus: cgroupValue(id, 'cpuset.cpus') };
}

describe('engine: update', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w);

  const runD = async (...args: string[]): Promise<string> => {
    const r = await mdk('run', '-d', '--network', 'none', ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const hostConfig = async (ref: string): Promise<Record<string, unknown>> => JSON.parse((await mdk('inspect', '--format', '{{json .HostConfig}}', ref)).stdout);

  test('a running container: --memory, --pids-limit, --cpus, --cpuset-cpus change its cgroup at once; inspect shows them; a restart keeps them', async () => {
    const id = await runD('--name', 'mdk-test-upd', w.image, 'sleep', '300');
    const r = await mdk('update', '--memory', '64m', '--pids-limit', '20', '--cpus', '0.5', '--cpuset-cpus', '0', 'mdk-test-upd');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'mdk-test-upd\n');
    const want = { memory: String(64 * MIB), pids: '20', quota: '50000 100000', cpus: '0' };
    assert.deepEqual(limits(id), want);
    if (V1) assert.equal(cgroupValue(id, 'memory.memsw.limit_in_bytes'), String(128 * MIB), 'memory+swap: twice the memory, as run -m');
    const hc = await hostConfig(id);
    assert.deepEqual([hc.Memory, hc.MemorySwap, hc.PidsLimit, hc.NanoCpus, hc.CpusetCpus], [64 * MIB, 128 * MIB, 20, 5e8, '0']);
    // its processes are held to the new pids limit: the 20th fork or so fails
    const forks = await mdk('exec', id, 'sh', '-c', 'for i in $(seq 30); do sleep 5 & done; echo all forked');
    assert.equal(forks.code, 2);
    assert.match(forks.stderr, /can't fork: Resource temporarily unavailable/);
    const restarted = await mdk('restart', '-t', '0', id);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.deepEqual(limits(id), want, 'the restarted container has the updated limits');
    // --pids-limit -1 lifts the limit; --cpus again replaces the quota
    const again = await mdk('update', '--pids-limit', '-1', '--cpus', '1.5', id);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(limits(id), { ...want, pids: 'max', quota: '150000 100000' });
    assert.equal((await hostConfig(id)).PidsLimit, null);
  });

  test('a stopped container: only its record changes; its next start has the limits; --restart is kept', async () => {
    const id = (await mdk('create', '--name', 'mdk-test-upd-stopped', '--network', 'none', w.image, 'sleep', '300')).stdout.trim();
    const r = await mdk('update', '-m', '48m', '--memory-swap', '96m', '--pids-limit', '30', '--restart', 'on-failure:2', id);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(cgroupDirsOf(`/${ENGINE_CGROUP_PARENT}/${id}`), [], 'no cgroup made for a stopped container');
    const hc = await hostConfig(id);
    assert.deepEqual([hc.Memory, hc.MemorySwap, hc.PidsLimit, hc.RestartPolicy], [48 * MIB, 96 * MIB, 30, { Name: 'on-failure', MaximumRetryCount: 2 }]);
    assert.equal((await mdk('start', id)).code, 0);
    assert.equal(limits(id).memory, String(48 * MIB));
    assert.equal(limits(id).pids, '30');
  });

  test("Docker's errors: each container in turn (exit 1), the others still updated; no flag; swap below memory; a conflict; --rm and a restart policy", async () => {
    const id = await runD('--name', 'mdk-test-upd-err', '-m', '32m', w.image, 'sleep', '300');
    const both = await mdk('update', '--pids-limit', '40', 'mdk-test-nope', 'mdk-test-upd-err');
    assert.equal(both.code, 1);
    assert.equal(both.stdout, 'mdk-test-upd-err\n');
    assert.equal(both.stderr, 'moby-dick: No such container: mdk-test-nope\n');
    assert.equal(limits(id).pids, '40');
    const none = await mdk('update', id);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^moby-dick: you must provide one or more flags when using this command/);
    const swap = await mdk('update', '-m', '64m', '--memory-swap', '32m', id);
    assert.equal(swap.stderr, 'moby-dick: Minimum memoryswap limit should be larger than memory limit, see usage\n');
    const above = await mdk('update', '-m', '80m', id);
    assert.equal(above.stderr, `moby-dick: Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n`);
    const small = await mdk('update', '-m', '4m', id);
    assert.equal(small.stderr, 'moby-dick: Minimum memory limit allowed is 6MB\n');
    assert.equal(limits(id).memory, String(32 * MIB), 'nothing changed by the refused updates');
    const rm = await runD('--rm', '--name', 'mdk-test-upd-rm', w.image, 'sleep', '300');
    const policy = await mdk('update', '--restart', 'always', rm);
    assert.equal(policy.stderr, `moby-dick: Cannot update container ${rm}: Restart policy cannot be updated because AutoRemove is enabled for the container\n`);
  });

  test('a memory limit below what the container uses: the kernel refuses (v1), in runc\'s words; the container runs on', { skip: V1 ? false : 'cgroup v2 reclaims or OOM-kills instead of refusing' }, async () => {
    const id = await runD('--name', 'mdk-test-upd-busy', '-m', '64m', w.image, 'sh', '-c', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; exec sleep 300');
    for (let i = 0; i < 100 && Number(cgroupValue(id, 'memory.usage_in_bytes')) < 24 * MIB; i++) await new Promise((r) => setTimeout(r, 50));
    const r = await mdk('update', '-m', '8m', '--memory-swap', '16m', id);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^moby-dick: Cannot update container ${id}: unable to set memory limit to 8388608 \\(current usage: \\d+, peak usage: \\d+\\)`));
    assert.equal(cgroupValue(id, 'memory.limit_in_bytes'), String(64 * MIB));
    assert.equal((await hostConfig(id)).Memory, 64 * MIB);
    assert.equal((await mdk('exec', id, 'true')).code, 0);
  });
});
