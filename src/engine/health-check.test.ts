import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ContainerRecord } from './container-table.js';
import { healthOf } from './health-check.js';
import { containerPaths } from './paths.js';

describe("a container's State.Health from its health.json", () => {
  const root = mkdtempSync(join(tmpdir(), 'mdk-test-healthof-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const paths = containerPaths(root, join(root, 'run'), 'c1');
  mkdirSync(paths.dir, { recursive: true });
  const record = (startedAt: string | undefined, Test = ['CMD', 'true']): ContainerRecord =>
    ({ id: 'c1', healthcheck: { Test }, state: { restartCount: 0, ...(startedAt ? { startedAt } : {}) } }) as unknown as ContainerRecord;
  const log = [{ Start: 'a', End: 'b', ExitCode: 0, Output: 'ok' }];

  test('none without checks or before the first start; starting before the first result', () => {
    assert.equal(healthOf(record('2026-12-06T10:00:00Z', ['NONE']), paths), undefined);
    assert.equal(healthOf(record(undefined), paths), undefined);
    assert.deepEqual(healthOf(record('2026-12-06T10:00:00Z'), paths), { Status: 'starting', FailingStreak: 0, Log: [] });
  });

  test("the recorded health of this run; a later run's starts again, the log kept", () => {
    writeFileSync(join(root, 'containers', 'c1', 'health.json'), JSON.stringify({ startedAt: '2026-12-06T10:00:00Z', health: { Status: 'healthy', FailingStreak: 0, Log: log } }));
    assert.deepEqual(healthOf(record('2026-12-06T10:00:00Z'), paths), { Status: 'healthy', FailingStreak: 0, Log: log });
    assert.deepEqual(healthOf(record('2026-12-06T11:00:00Z'), paths), { Status: 'starting', FailingStreak: 0, Log: log });
  });
});
