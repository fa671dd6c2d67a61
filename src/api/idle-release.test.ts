/** The idle release schedule (idle-release.ts), on a clock of its own. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdleReleaseSchedule } from './idle-release.js';

function schedule(): { s: IdleReleaseSchedule; ran: string[] } {
  const ran: string[] = [];
  const s = new IdleReleaseSchedule(
    [
      { afterMs: 10_000, run: () => ran.push('pages') },
      { afterMs: 2_000, run: () => ran.push('heap') },
    ],
    0,
  );
  return { s, ran };
}

test('nothing is due before a connection has come and gone', () => {
  const { s, ran } = schedule();
  assert.equal(s.tick(60_000), 0);
  assert.deepEqual(ran, []);
});

test('after a connection, each step once after its time, in the order of their times', () => {
  const { s, ran } = schedule();
  s.busy();
  assert.equal(s.tick(5_000), 0, 'not while a connection is open');
  s.idle(5_000);
  assert.equal(s.tick(6_999), 0);
  assert.equal(s.tick(7_000), 1);
  assert.deepEqual(ran, ['heap']);
  assert.equal(s.tick(14_999), 0);
  assert.equal(s.tick(15_000), 1);
  assert.deepEqual(ran, ['heap', 'pages']);
  assert.equal(s.tick(60_000), 0, 'once per idle spell');
  assert.deepEqual(ran, ['heap', 'pages']);
});

test('a tick late for both runs both, in order', () => {
  const { s, ran } = schedule();
  s.busy();
  s.idle(1_000);
  assert.equal(s.tick(30_000), 2);
  assert.deepEqual(ran, ['heap', 'pages']);
});

test('a connection ends the spell: the steps not run wait for the next, and all are due again', () => {
  const { s, ran } = schedule();
  s.busy();
  s.idle(0);
  s.tick(3_000);
  assert.deepEqual(ran, ['heap']);
  s.busy();
  assert.equal(s.tick(20_000), 0, 'not while busy');
  s.idle(20_000);
  s.tick(21_000);
  assert.deepEqual(ran, ['heap'], 'the idle time counts from the new spell');
  s.tick(22_000);
  assert.deepEqual(ran, ['heap', 'heap']);
  s.tick(30_000);
  assert.deepEqual(ran, ['heap', 'heap', 'pages']);
});
