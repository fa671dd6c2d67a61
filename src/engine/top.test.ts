import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterPsOutput } from './top.js';

const PS = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:02 /sbin/init
root         200     100  0 10:01 ?        00:00:00 sh -c sleep 1 &  wait
root         201     200  0 10:01 ?        00:00:00 sleep 1
`;

describe('top: ps output filtered to the container', () => {
  test('keeps the rows of its pids; the last column keeps its words', () => {
    const r = filterPsOutput(PS, new Set([200, 201]));
    assert.deepEqual(r.titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.deepEqual(r.processes, [
      ['root', '200', '100', '0', '10:01', '?', '00:00:00', 'sh -c sleep 1 & wait'],
      ['root', '201', '200', '0', '10:01', '?', '00:00:00', 'sleep 1'],
    ]);
  });

  test('the PID column is found wherever ps put it', () => {
    const r = filterPsOutput('COMMAND PID\nsleep 7\ninit 1\n', new Set([7]));
    assert.deepEqual(r.processes, [['sleep', '7']]);
  });

  test('output without a PID column is refused', () => {
    assert.throws(() => filterPsOutput('COMMAND\nsleep\n', new Set([1])), /Couldn't find PID field in ps output/);
  });
});
