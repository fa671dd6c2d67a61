import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { checkContainerFilters, containerMatches, filtersShowStopped } from './container-filters.js';
import type { ContainerView } from './engine.js';

const view = (id: string, name: string, created: string): ContainerView =>
  ({ record: { id, name, image: 'busybox', created, labels: {}, volumes: {}, engine: { binds: [] } }, state: { Status: 'exited', Running: false, ExitCode: 0 } }) as unknown as ContainerView;

test('a filter on status, exit code, before or since shows stopped containers without -a (as Docker)', () => {
  for (const k of ['status', 'exited', 'before', 'since']) assert.ok(filtersShowStopped(new Map([[k, ['x']]])), k);
  assert.ok(!filtersShowStopped(new Map([['name', ['x']]])));
  assert.ok(!filtersShowStopped(new Map([['status', []]])));
});

test("container filters: Docker's words for a wrong key or value, and for a before/since container that does not exist", () => {
  assert.throws(() => checkContainerFilters(new Map([['colour', ['red']]])), (e: unknown) => e instanceof MobyDickError && e.message === "invalid filter 'colour'");
  assert.throws(() => checkContainerFilters(new Map([['exited', ['x']]])), /invalid filter 'exited=x'/);
  const a = view('aaa', 'mdk-test-a', '2026-01-01T00:00:00Z');
  assert.throws(() => containerMatches(a, new Map([['since', ['nope']]]), [a]), /No such container: nope/);
});

test('health=: the status of its checks, none without any; other values refused in Docker\'s words', () => {
  const plain = view('aaa', 'mdk-test-a', '2026-01-01T00:00:00Z');
  const checked = { ...plain, state: { ...plain.state, Health: { Status: 'healthy', FailingStreak: 0, Log: [] } } } as ContainerView;
  const health = (value: string) => new Map([['health', [value]]]);
  assert.deepEqual([plain, checked].map((v) => containerMatches(v, health('none'))), [true, false]);
  assert.deepEqual([plain, checked].map((v) => containerMatches(v, health('healthy'))), [false, true]);
  assert.deepEqual([plain, checked].map((v) => containerMatches(v, health('unhealthy'))), [false, false]);
  assert.throws(() => checkContainerFilters(health('sick')), (e: unknown) => e instanceof MobyDickError && e.message === 'Unrecognised filter value for health: sick');
});
