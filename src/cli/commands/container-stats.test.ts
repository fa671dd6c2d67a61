import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderStats, statsFields } from './container-stats.js';
import { topTable } from './container-top.js';

const sample = (cpuNs: number, systemNs: number) => ({ cpuNs, systemNs, onlineCpus: 2, memUsage: 1_597_000, memLimit: 64 * 1024 * 1024, pids: 3, blkRead: 4096, blkWrite: 0, netRx: 2_048_000, netTx: 648 });

describe('stats and top output', () => {
  const row = statsFields({ given: 'web', id: 'a'.repeat(64), name: 'web' }, sample(0, 0), sample(5e8, 2e9), false);

  test('Docker\'s fields', () => {
    assert.deepEqual(row, {
      Container: 'web', ID: 'a'.repeat(12), Name: 'web', CPUPerc: '50.00%', MemUsage: '1.523MiB / 64MiB', MemPerc: '2.38%',
      NetIO: '2.05MB / 648B', BlockIO: '4.1kB / 0B', PIDs: '3',
    });
  });

  test('table, "table TEMPLATE" with \\t, a template, json', () => {
    assert.equal(
      renderStats('table', [row]),
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O         BLOCK I/O    PIDS\n' +
        'aaaaaaaaaaaa   web       50.00%    1.523MiB / 64MiB    2.38%     2.05MB / 648B   4.1kB / 0B   3\n',
    );
    assert.equal(renderStats('table {{.Name}}\\t{{.PIDs}}', [row]), 'NAME      PIDS\nweb       3\n');
    assert.equal(renderStats('{{.Name}}: {{.CPUPerc}}', [row]), 'web: 50.00%\n');
    assert.equal(JSON.parse(renderStats('json', [row])).MemPerc, '2.38%');
    assert.deepEqual(Object.keys(JSON.parse(renderStats('json', [row]))), ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs'], 'sorted, as Go marshals the context');
  });

  test('top\'s columns: at least 20 wide, 3 spaces of padding, the last one as it is', () => {
    assert.equal(topTable([['UID', 'CMD'], ['root', 'sleep 1']]), `UID${' '.repeat(17)}CMD\nroot${' '.repeat(16)}sleep 1\n`);
    const long = 'x'.repeat(25);
    assert.equal(topTable([[long, 'a']]), `${long}   a\n`);
  });
});
