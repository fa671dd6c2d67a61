import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from './args.js';
import { CREATE_OPTIONS, createRequest } from './create-options.js';

const requestOf = (argv: string[]) => {
  const { values, operands } = parseCommandLine(argv, CREATE_OPTIONS, 'moby-dick run --help');
  return createRequest(values, operands);
};

test('--memory-reservation, --cpu-period and --cpu-quota reach the request as Docker names them', () => {
  const r = requestOf(['--memory-reservation', '256m', '--cpu-period', '50000', '--cpu-quota', '25000', 'busybox', 'true']);
  assert.deepEqual([r.memoryReservation, r.cpuPeriod, r.cpuQuota], [256 << 20, 50000, 25000]);
  const none = requestOf(['busybox']);
  assert.deepEqual([none.memoryReservation, none.cpuPeriod, none.cpuQuota], [undefined, undefined, undefined]);
  assert.throws(() => requestOf(['--cpu-quota', 'lots', 'busybox']), /--cpu-quota/);
});

test("StdinOnce as the docker CLI sets it: -i attached (no -d; -a stdin or no -a); not -d, not -a stdout alone, not without -i", () => {
  const once = (...flags: string[]) => requestOf([...flags, 'busybox']).stdinOnce;
  assert.equal(once('-i'), true);
  assert.equal(once('-i', '-a', 'stdin', '-a', 'stdout'), true);
  assert.equal(once('-i', '-d'), false);
  assert.equal(once('-i', '-a', 'stdout'), false);
  assert.equal(once('-t'), false);
  assert.equal(once(), false);
});
