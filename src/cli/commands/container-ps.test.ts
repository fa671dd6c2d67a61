import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerView } from '../../engine/engine.js';
import { shownContainers, sizeText } from './container-ps.js';

const view = (name: string, created: string, running: boolean, labels: Record<string, string> = {}): ContainerView =>
  ({ record: { id: `${name}-id`, name, image: 'busybox', created, labels, volumes: {}, engine: { binds: [] } }, state: { Status: running ? 'running' : 'exited', Running: running, ExitCode: 0 } }) as unknown as ContainerView;

const a = view('a', '2026-01-01T00:00:01Z', true, { tier: 'web' });
const b = view('b', '2026-01-01T00:00:02Z', false);
const c = view('c', '2026-01-01T00:00:03Z', true);
const names = (vs: ContainerView[]): string[] => vs.map((v) => v.record.name);
const none = new Map<string, string[]>();

test('ps shows running containers newest first; -a every one', () => {
  assert.deepEqual(names(shownContainers([a, b, c], { all: false, filters: none })), ['c', 'a']);
  assert.deepEqual(names(shownContainers([a, b, c], { all: true, filters: none })), ['c', 'b', 'a']);
});

test('ps -n N: the last N created, in every state; -l is -n 1; -n 0 shows none', () => {
  assert.deepEqual(names(shownContainers([a, b, c], { all: false, last: 2, filters: none })), ['c', 'b']);
  assert.deepEqual(names(shownContainers([c, a, b], { all: false, last: 1, filters: none })), ['c']);
  assert.deepEqual(names(shownContainers([a, b, c], { all: false, last: 0, filters: none })), []);
  assert.deepEqual(names(shownContainers([a, b, c], { all: false, last: 2, filters: new Map([['label', ['tier']]]) })), ['a'], 'filters first, then the last N');
});

test('ps --filter: the engine\'s matchers; status=exited shows stopped ones without -a', () => {
  assert.deepEqual(names(shownContainers([a, b, c], { all: false, filters: new Map([['status', ['exited']]]) })), ['b']);
  assert.deepEqual(names(shownContainers([a, b, c], { all: false, filters: new Map([['since', ['a']]]) })), ['c', 'b']);
  assert.deepEqual(names(shownContainers([a, b, c], { all: false, filters: new Map([['label', ['tier=web']]]) })), ['a']);
});

test("ps -s's SIZE as Docker: the writable layer and, in brackets, with the image (3 significant digits)", () => {
  assert.equal(sizeText(0, 4_261_234), '0B (virtual 4.26MB)');
  assert.equal(sizeText(12_345, 4_273_579), '12.3kB (virtual 4.27MB)');
});
