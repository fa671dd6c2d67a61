import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { containerState, statusText } from './status.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');

describe('container state as Docker reports it', () => {
  test('never started: Created', () => {
    const s = containerState({ started: false });
    assert.equal(s.Status, 'created');
    assert.equal(statusText(s, undefined, NOW), 'Created');
  });

  test('running and paused, from the runtime', () => {
    const r = containerState({ started: true, runtime: 'running' });
    assert.equal(statusText(r, '2026-11-29T11:59:57Z', NOW), 'Up 3 seconds');
    const p = containerState({ started: true, runtime: 'paused' });
    assert.deepEqual([p.Running, p.Paused], [true, true]);
    assert.equal(statusText(p, '2026-11-29T11:58:00Z', NOW), 'Up 2 minutes (Paused)');
  });

  test('ended: the monitor\'s exit file gives code and time', () => {
    const s = containerState({ started: true, runtime: 'stopped', exit: { exitCode: 137, finishedAt: '2026-11-29T10:59:00.5Z' } });
    assert.equal(s.ExitCode, 137);
    assert.equal(statusText(s, undefined, NOW), 'Exited (137) About an hour ago');
  });

  test('a start killed between the runtime\'s create and start: Created, not Dead', () => {
    for (const runtime of ['created', 'creating'] as const) {
      const s = containerState({ started: true, runtime });
      assert.equal(s.Status, 'created');
      assert.equal(statusText(s, '2026-11-29T11:59:57Z', NOW), 'Created');
    }
  });

  test('ended without an exit file (monitor killed, host rebooted): Dead, and says why', () => {
    const s = containerState({ started: true, runtime: 'stopped' });
    assert.equal(s.Status, 'dead');
    assert.match(s.Error, /monitor ended/);
    assert.equal(statusText(containerState({ started: true }), undefined, NOW), 'Dead');
  });
});
