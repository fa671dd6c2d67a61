import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { joinNegativeValues } from '../args.js';
import { command, updateRequest } from './container-update.js';

describe('update: its flags', () => {
  test("Docker's units and forms", () => {
    assert.deepEqual(
      updateRequest({
        memory: '64m', 'memory-swap': '-1', 'memory-reservation': '32m', cpus: '1.5', 'cpu-shares': '512', 'cpu-period': '50000', 'cpu-quota': '25000',
        'cpuset-cpus': '0-1', 'cpuset-mems': '0', 'pids-limit': '-1', 'blkio-weight': '300', restart: 'on-failure:3',
      }),
      {
        memory: 64 << 20, memorySwap: -1, memoryReservation: 32 << 20, nanoCpus: 1.5e9, cpuShares: 512, cpuPeriod: 50000, cpuQuota: 25000,
        cpusetCpus: '0-1', cpusetMems: '0', pidsLimit: -1, blkioWeight: 300, restart: { name: 'on-failure', maximumRetryCount: 3 },
      },
    );
    // --pids-limit 0 is "not given", as the docker CLI reads it
    assert.deepEqual(updateRequest({ 'pids-limit': '0' }), {});
  });

  test("values that do not parse, in Docker's words", () => {
    assert.throws(() => updateRequest({ memory: 'lots' }), /invalid argument "lots" for "--memory" flag: invalid size: 'lots'/);
    assert.throws(() => updateRequest({ cpus: 'x' }), /invalid argument "x" for "--cpus" flag: failed to parse x as a rational number/);
    assert.throws(() => updateRequest({ 'blkio-weight': '-5' }), /invalid argument "-5" for "--blkio-weight" flag: strconv.ParseUint: parsing "-5": invalid syntax/);
    assert.throws(() => updateRequest({ 'blkio-weight': '70000' }), /value out of range/);
    assert.throws(() => updateRequest({ 'pids-limit': '1.5' }), /invalid argument "1.5" for "--pids-limit" flag/);
    assert.throws(() => updateRequest({ restart: 'sometimes' }), /invalid restart policy: unknown policy 'sometimes'/);
  });

  test('a negative number after an option is its value (--pids-limit -1), as the docker CLI reads it', () => {
    const o = { 'pids-limit': { type: 'string' }, 'cpu-shares': { type: 'string', short: 'c' }, 'memory-swap': { type: 'string' }, cpus: { type: 'string' }, all: { type: 'boolean' } } as const;
    assert.deepEqual(joinNegativeValues(['--pids-limit', '-1', '-c', '-5', '--memory-swap', '-1', 'web'], o), ['--pids-limit=-1', '--cpu-shares=-5', '--memory-swap=-1', 'web']);
    assert.deepEqual(joinNegativeValues(['--cpus', '1', '-x', '-1', '--all', '-1'], o), ['--cpus', '1', '-x', '-1', '--all', '-1']);
  });

  test('the command reads --pids-limit -1 as the docker CLI does', async () => {
    // refused for the missing container, not for the value
    await assert.rejects(command.run(['--pids-limit', '-1']), /"moby-dick update" requires at least 1 argument/);
  });

  test('without a flag it is refused before any container is looked at', async () => {
    await assert.rejects(command.run(['mdk-test-none']), { message: 'you must provide one or more flags when using this command' });
    await assert.rejects(command.run([]), /"moby-dick update" requires at least 1 argument/);
  });
});
