import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import type { PublishedPort } from '../network/network-table.js';
import { CONTAINER_FILTERS, checkContainerFilters, containerMatches, filtersShowStopped, summaryPorts } from './container-filters.js';
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

test('publish= a host port of its published ones, expose= a port it exposes or publishes (ranges, /udp); either one passes both, as Docker', () => {
  const running = (id: string, exposed: string[]): ContainerView => {
    const v = view(id, `mdk-test-${id}`, '2026-01-01T00:00:00Z');
    return { ...v, record: { ...v.record, exposedPorts: exposed }, state: { ...v.state, Status: 'running', Running: true } } as ContainerView;
  };
  const web = running('web', ['80/tcp']);
  const dns = running('dns', ['53/udp', '8080/tcp']);
  const stopped = { ...running('old', ['9000/tcp']), state: { Status: 'exited', Running: false, ExitCode: 0 } } as ContainerView;
  const published = [{ containerId: 'web', containerIp: '10.0.0.2', hostIp: '', hostPort: 32768, containerPort: 80, protocol: 'tcp' }] as PublishedPort[];
  const pick = (k: string, value: string): string[] =>
    [web, dns, stopped].filter((v) => containerMatches(v, new Map([[k, [value]]]), [], (x) => summaryPorts(x, published))).map((v) => v.record.id);
  assert.deepEqual(pick('publish', '32768'), ['web']);
  assert.deepEqual(pick('publish', '80'), []);
  assert.deepEqual(pick('publish', '32760-32770/tcp'), ['web']);
  assert.deepEqual(pick('publish', '32768/udp'), []);
  assert.deepEqual(pick('expose', '80'), ['web']);
  assert.deepEqual(pick('expose', '53'), []);
  assert.deepEqual(pick('expose', '53/udp'), ['dns']);
  assert.deepEqual(pick('expose', '8000-8080'), ['dns']);
  // a stopped container lists no port
  assert.deepEqual(pick('expose', '9000'), []);
  // Docker's: one port matching either filter passes both
  const both = new Map([['publish', ['1']], ['expose', ['8080']]]);
  assert.deepEqual([web, dns].filter((v) => containerMatches(v, both, [], (x) => summaryPorts(x, published))).map((v) => v.record.id), ['dns']);
  assert.throws(() => checkContainerFilters(new Map([['publish', ['0.0.0.0:80']]])), (e: unknown) => e instanceof MobyDickError && e.message === "filter for 'publish' should not contain ':': 0.0.0.0:80");
  for (const bad of ['http', '90-80', '70000', '80/']) {
    assert.throws(() => checkContainerFilters(new Map([['expose', [bad]]])), /error while looking up for expose/, bad);
  }
});

test("isolation=default passes every container (Linux's one isolation); every filter Docker documents for ps is accepted", () => {
  const a = view('aaa', 'mdk-test-a', '2026-01-01T00:00:00Z');
  assert.equal(containerMatches(a, new Map([['isolation', ['default']]])), true);
  assert.equal(containerMatches(a, new Map([['isolation', ['hyperv']]])), false);
  const documented = ['id', 'name', 'label', 'exited', 'status', 'ancestor', 'before', 'since', 'volume', 'network', 'publish', 'expose', 'health', 'isolation', 'is-task'];
  assert.deepEqual([...CONTAINER_FILTERS].sort(), [...documented].sort());
});
