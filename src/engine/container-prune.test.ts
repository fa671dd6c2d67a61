import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerRecord } from './container-table.js';
import { parsePruneFilters, pruneSelects } from './container-prune.js';

const rec = (created: string, labels: Record<string, string>): ContainerRecord => ({ created, labels }) as ContainerRecord;
const time = (t: string): number => Date.parse(t);

describe('container prune filters', () => {
  test('until= keeps what was created at or after the time', () => {
    const f = parsePruneFilters(['until=2024-01-02T00:00:00Z'], time);
    assert.equal(pruneSelects(rec('2024-01-01T00:00:00Z', {}), f), true);
    assert.equal(pruneSelects(rec('2024-01-02T00:00:00Z', {}), f), false);
  });

  test('label=KEY, label=KEY=VALUE, label!=...', () => {
    const f = parsePruneFilters(['label=team', 'label!=keep=yes'], time);
    assert.equal(pruneSelects(rec('2024-01-01T00:00:00Z', { team: 'a' }), f), true);
    assert.equal(pruneSelects(rec('2024-01-01T00:00:00Z', {}), f), false);
    assert.equal(pruneSelects(rec('2024-01-01T00:00:00Z', { team: 'a', keep: 'yes' }), f), false);
    assert.equal(pruneSelects(rec('2024-01-01T00:00:00Z', { team: 'a', keep: 'no' }), f), true);
  });

  test('other filters are refused by name', () => {
    assert.throws(() => parsePruneFilters(['status=exited'], time), /invalid filter 'status'/);
  });
});
