import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from './errors.js';
import { Router } from './router.js';
import { compareVersions, splitVersion } from './version.js';

const noop = (): void => {};

test('routes match with their parameters decoded, several segments for {name*}', () => {
  const r = new Router([
    { method: 'GET', path: '/containers/{id}/json', handler: noop },
    { method: 'GET', path: '/images/{name*}/json', handler: noop },
    { method: 'POST', path: '/containers/{id}/start', handler: noop },
  ]);
  assert.deepEqual(r.match('GET', '/containers/mdk%2Dtest/json').params, { id: 'mdk-test' });
  assert.deepEqual(r.match('GET', '/containers/abc/json/').params, { id: 'abc' });
  assert.deepEqual(r.match('GET', '/images/127.0.0.1:5000/x/busybox:1/json').params, { name: '127.0.0.1:5000/x/busybox:1' });
  assert.equal(r.match('HEAD', '/containers/abc/json').route.method, 'GET', 'HEAD is served by GET');
  assert.throws(() => r.match('GET', '/containers/abc/start'), (e: unknown) => e instanceof ApiError && e.status === 405);
  assert.throws(() => r.match('GET', '/nope'), (e: unknown) => e instanceof ApiError && e.status === 404);
  assert.throws(() => r.match('GET', '/containers/%E0%A4%A/json'), (e: unknown) => e instanceof ApiError && e.status === 400);
});

test('a HEAD route of its own is preferred over GET', () => {
  const r = new Router([
    { method: 'GET', path: '/_ping', handler: noop },
    { method: 'HEAD', path: '/_ping', handler: noop },
  ]);
  assert.equal(r.match('HEAD', '/_ping').route.method, 'HEAD');
});

test('versioned and unversioned paths; versions outside 1.24..1.43 refused with Docker\'s words', () => {
  assert.deepEqual(splitVersion('/v1.41/containers/json'), { version: '1.41', path: '/containers/json' });
  assert.deepEqual(splitVersion('/containers/json'), { version: '1.43', path: '/containers/json' });
  assert.deepEqual(splitVersion('/v1.24/_ping'), { version: '1.24', path: '/_ping' });
  assert.throws(() => splitVersion('/v1.44/info'), /client version 1.44 is too new. Maximum supported API version is 1.43/);
  assert.throws(() => splitVersion('/v1.12/info'), /client version 1.12 is too old. Minimum supported API version is 1.24/);
  assert.throws(() => splitVersion('/v1.2.3/info'), (e: unknown) => e instanceof ApiError && e.status === 400);
  assert.ok(compareVersions('1.9', '1.10') < 0, 'numbers, not strings');
  assert.equal(compareVersions('1.43', '1.43'), 0);
});
