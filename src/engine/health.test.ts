import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyResult, type Health, type HealthLogEntry, healthConfigError, healthFilterValue, healthSettings, healthText, imageHealthcheck, mergeHealthcheck, nextCheckDelay, probeArgv, probeOutput, runsChecks, startingHealth,
} from './health.js';

const STARTED = Date.parse('2026-12-06T10:00:00Z');
const at = (seconds: number, exitCode: number, output = ''): HealthLogEntry => ({
  Start: new Date(STARTED + seconds * 1000).toISOString(),
  End: new Date(STARTED + seconds * 1000 + 10).toISOString(),
  ExitCode: exitCode,
  Output: output,
});

/** the statuses and streaks after each result in turn */
function run(exitCodes: readonly number[], s = { retries: 3, startPeriod: 0 }, from: Health = startingHealth()): [string, number][] {
  let h = from;
  return exitCodes.map((code, i) => {
    h = applyResult(h, at(i + 1, code), s, STARTED);
    return [h.Status, h.FailingStreak];
  });
}

describe('health state machine', () => {
  test('starting until a result; unhealthy after RETRIES failures in a row; one success makes it healthy', () => {
    assert.deepEqual(run([1, 1, 1, 1, 0, 1]), [
      ['starting', 1],
      ['starting', 2],
      ['unhealthy', 3],
      ['unhealthy', 4],
      ['healthy', 0],
      ['healthy', 1],
    ]);
    assert.deepEqual(run([0, 1, 1, 0]), [['healthy', 0], ['healthy', 1], ['healthy', 2], ['healthy', 0]]);
    assert.deepEqual(run([1], { retries: 1, startPeriod: 0 }), [['unhealthy', 1]]);
  });

  test('any exit code but 0 is a failure, -1 (a timeout) too', () => {
    assert.deepEqual(run([2, 127, -1]), [['starting', 1], ['starting', 2], ['unhealthy', 3]]);
  });

  test('failures within the start period do not count while it is starting; after a success they do', () => {
    const s = { retries: 1, startPeriod: 2.5e9 };
    // results at 1 s, 2 s, 3 s after the start
    assert.deepEqual(run([1, 1, 1], s), [['starting', 0], ['starting', 0], ['unhealthy', 1]]);
    assert.deepEqual(run([0, 1], s), [['healthy', 0], ['unhealthy', 1]]);
  });

  test('the log keeps the last five results, oldest first; a new start keeps it and resets the rest', () => {
    let h = startingHealth();
    for (let i = 1; i <= 7; i++) h = applyResult(h, at(i, i % 2, `run ${i}`), { retries: 3, startPeriod: 0 }, STARTED);
    assert.deepEqual(h.Log.map((l) => l.Output), ['run 3', 'run 4', 'run 5', 'run 6', 'run 7']);
    assert.deepEqual(startingHealth(h), { Status: 'starting', FailingStreak: 0, Log: h.Log });
    assert.notEqual(startingHealth(h).Log, h.Log);
  });

  test("ps's words and the health filter's value", () => {
    assert.equal(healthText(startingHealth()), 'health: starting');
    assert.equal(healthText({ Status: 'healthy', FailingStreak: 0, Log: [] }), 'healthy');
    assert.equal(healthText({ Status: 'unhealthy', FailingStreak: 3, Log: [] }), 'unhealthy');
    assert.equal(healthFilterValue({}), 'none');
    assert.equal(healthFilterValue({ Health: startingHealth() }), 'starting');
  });
});

describe('health timing', () => {
  const s = healthSettings({ Test: ['CMD', 'true'] });
  test("Docker's defaults: 30s, 30s, 3 retries, no start period, 5s start interval", () => {
    assert.deepEqual(s, { interval: 30e9, timeout: 30e9, startPeriod: 0, startInterval: 5e9, retries: 3 });
    assert.equal(healthSettings({ Test: [], Retries: -2 }).retries, 3);
    assert.equal(healthSettings({ Test: [], Interval: 1e9, Retries: 1 }).interval, 1e9);
  });

  test('the interval; in the start period the start interval while starting, never past its end', () => {
    assert.equal(nextCheckDelay(s, STARTED, STARTED, 'starting'), 30_000);
    const p = healthSettings({ Test: [], Interval: 30e9, StartPeriod: 60e9, StartInterval: 2e9 });
    assert.equal(nextCheckDelay(p, STARTED, STARTED, 'starting'), 2000);
    assert.equal(nextCheckDelay(p, STARTED, STARTED + 10_000, 'healthy'), 30_000);
    // 40 s in: 20 s of the start period left, less than the interval
    assert.equal(nextCheckDelay(p, STARTED, STARTED + 40_000, 'starting'), 20_000);
    assert.equal(nextCheckDelay(p, STARTED, STARTED + 61_000, 'starting'), 30_000);
    assert.equal(nextCheckDelay(healthSettings({ Test: [], Interval: 1e5 }), STARTED, STARTED, 'healthy'), 1);
  });
});

describe('health config', () => {
  test("the image's under the user's: an empty Test and zero values are the image's", () => {
    const image = { Test: ['CMD', 'curl', 'x'], Interval: 10e9, Retries: 5 };
    assert.deepEqual(mergeHealthcheck(image, undefined), image);
    assert.deepEqual(mergeHealthcheck(undefined, { Test: ['CMD-SHELL', 'a'] }), { Test: ['CMD-SHELL', 'a'] });
    assert.deepEqual(mergeHealthcheck(image, { Test: [], Interval: 1e9 }), { Test: ['CMD', 'curl', 'x'], Interval: 1e9, Retries: 5 });
    assert.deepEqual(mergeHealthcheck(image, { Test: ['NONE'] }), { Test: ['NONE'], Interval: 10e9, Retries: 5 });
    assert.equal(runsChecks(mergeHealthcheck(image, { Test: ['NONE'] })), false);
    assert.equal(runsChecks(mergeHealthcheck(undefined, { Test: [], Interval: 1e9 })), false);
    assert.equal(runsChecks(image), true);
  });

  test("an image config's Healthcheck is read with care", () => {
    assert.deepEqual(imageHealthcheck({ Test: ['CMD-SHELL', 'true'], Interval: 5e9, Bogus: 1, Retries: 'x' }), { Test: ['CMD-SHELL', 'true'], Interval: 5e9 });
    assert.equal(imageHealthcheck({ Test: 'true' }), undefined);
    assert.equal(imageHealthcheck(null), undefined);
  });

  test("dockerd's checks, in its words", () => {
    assert.equal(healthConfigError({ Test: ['CMD', 'true'], Interval: 1e6, Timeout: 0 }), undefined);
    assert.equal(healthConfigError({ Test: ['CMD', 'true'], Interval: 999_999 }), 'Interval in Healthcheck cannot be less than 1ms');
    assert.equal(healthConfigError({ Test: [], Timeout: 5 }), 'Timeout in Healthcheck cannot be less than 1ms');
    assert.equal(healthConfigError({ Test: [], StartPeriod: 5 }), 'StartPeriod in Healthcheck cannot be less than 1ms');
    assert.equal(healthConfigError({ Test: [], StartInterval: 5 }), 'StartInterval in Healthcheck cannot be less than 1ms');
    assert.equal(healthConfigError({ Test: [], Retries: -1 }), 'Retries in Healthcheck cannot be negative');
    assert.match(healthConfigError({ Test: ['CMD'] }) ?? '', /needs a command/);
  });

  test('what a check runs: CMD as is, CMD-SHELL under the shell', () => {
    assert.deepEqual(probeArgv({ Test: ['CMD', 'test', '-f', '/ok'] }), ['test', '-f', '/ok']);
    assert.deepEqual(probeArgv({ Test: ['CMD-SHELL', 'test -f /ok'] }), ['/bin/sh', '-c', 'test -f /ok']);
    assert.deepEqual(probeArgv({ Test: ['CMD-SHELL', 'x'] }, ['/bin/bash', '-ec']), ['/bin/bash', '-ec', 'x']);
  });

  test('output: the first 4096 bytes, "..." after more', () => {
    assert.equal(probeOutput(Buffer.from('ok\n'), false), 'ok\n');
    const long = probeOutput(Buffer.alloc(5000, 'a'), false);
    assert.equal(long, `${'a'.repeat(4096)}...`);
    assert.equal(probeOutput(Buffer.from('x'), true), 'x...');
  });
});
