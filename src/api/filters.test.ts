import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerView } from '../engine/engine.js';
import { ApiError } from './errors.js';
import { checkContainerFilters, containerMatches, parseFilters } from './filters.js';

function view(id: string, name: string, status: 'running' | 'exited' | 'created', extra: { labels?: Record<string, string>; image?: string; created?: string; exit?: number } = {}): ContainerView {
  return {
    record: { id, name, image: extra.image ?? 'busybox', imageId: 'sha256:abcdef', created: extra.created ?? '2026-01-01T00:00:00Z', labels: extra.labels ?? {}, volumes: {}, engine: { binds: [] } },
    state: { Status: status, Running: status === 'running', Paused: false, Dead: false, ExitCode: extra.exit ?? 0, Error: '' },
  } as unknown as ContainerView;
}

test('filters: both JSON forms; bad ones refused', () => {
  assert.deepEqual([...parseFilters('{"name":["a","b"]}')], [['name', ['a', 'b']]]);
  assert.deepEqual([...parseFilters('{"status":{"running":true,"exited":false}}')], [['status', ['running']]]);
  assert.equal(parseFilters(null).size, 0);
  assert.throws(() => parseFilters('{'), ApiError);
  assert.throws(() => parseFilters('{"a":[1]}'), ApiError);
  assert.throws(() => checkContainerFilters(parseFilters('{"colour":["red"]}')), /invalid filter 'colour'/);
  assert.throws(() => checkContainerFilters(parseFilters('{"status":["sleeping"]}')), /invalid filter 'status=sleeping'/);
});

test('container filters: values of a key ORed, keys ANDed', () => {
  const a = view('aaa111', 'mdk-test-web', 'running', { labels: { tier: 'front', x: '' }, created: '2026-01-01T00:00:01Z' });
  const b = view('bbb222', 'mdk-test-db', 'exited', { labels: { tier: 'back' }, image: 'postgres', exit: 3, created: '2026-01-01T00:00:02Z' });
  const all = [a, b];
  const pick = (f: string) => all.filter((v) => containerMatches(v, parseFilters(f), all)).map((v) => v.record.name);
  assert.deepEqual(pick('{"name":["web","db"]}'), ['mdk-test-web', 'mdk-test-db']);
  assert.deepEqual(pick('{"name":["/mdk-test-web"]}'), ['mdk-test-web']);
  assert.deepEqual(pick('{"id":["bbb"]}'), ['mdk-test-db']);
  assert.deepEqual(pick('{"label":["tier=front"]}'), ['mdk-test-web']);
  assert.deepEqual(pick('{"label":["tier"]}'), ['mdk-test-web', 'mdk-test-db']);
  assert.deepEqual(pick('{"label":["tier","x"]}'), ['mdk-test-web'], 'labels are ANDed');
  assert.deepEqual(pick('{"status":["exited"]}'), ['mdk-test-db']);
  assert.deepEqual(pick('{"exited":["3"]}'), ['mdk-test-db']);
  assert.deepEqual(pick('{"ancestor":["postgres"]}'), ['mdk-test-db']);
  assert.deepEqual(pick('{"ancestor":["abcd"]}'), ['mdk-test-web', 'mdk-test-db'], 'an image ID prefix');
  assert.deepEqual(pick('{"since":["mdk-test-web"]}'), ['mdk-test-db']);
  assert.deepEqual(pick('{"before":["mdk-test-db"]}'), ['mdk-test-web']);
  assert.deepEqual(pick('{"status":["running"],"label":["tier=back"]}'), []);
});
