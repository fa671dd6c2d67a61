import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authConfigOf, credentialsOf, registryAuth, registryConfigs } from './auth.js';
import { ApiError } from './errors.js';

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

test('X-Registry-Auth: base64url (or base64) JSON to credentials; none, empty or {} is no login (the stored ones are used)', () => {
  assert.deepEqual(registryAuth(b64url({ username: 'u', password: 'p+/?', serveraddress: 'r' })), { username: 'u', password: 'p+/?' });
  assert.deepEqual(registryAuth(Buffer.from(JSON.stringify({ username: 'u', password: 'p+/?' })).toString('base64')), { username: 'u', password: 'p+/?' });
  assert.deepEqual(registryAuth(b64url({ identitytoken: 't' })), { username: '', password: '', identityToken: 't' });
  assert.equal(registryAuth(undefined), undefined);
  assert.equal(registryAuth(''), undefined);
  assert.equal(registryAuth(b64url({})), undefined);
  assert.throws(() => registryAuth('not-json!'), (e: unknown) => e instanceof ApiError && e.status === 400);
  assert.throws(() => registryAuth(b64url({ username: 3 })), (e: unknown) => e instanceof ApiError && e.status === 400);
});

test('an auth body: its string fields kept, the rest dropped', () => {
  assert.deepEqual(authConfigOf({ username: 'u', password: 'p', email: 'e', serveraddress: 's', other: 1 }), { username: 'u', password: 'p', email: 'e', serveraddress: 's' });
  assert.deepEqual(authConfigOf(undefined), {});
  assert.throws(() => authConfigOf([]), ApiError);
  assert.equal(credentialsOf({ serveraddress: 'x' }), undefined);
});

test('registryConfigs: X-Registry-Config\'s logins by registry domain; a header that does not decode gives none', () => {
  const header = Buffer.from(JSON.stringify({ 'https://index.docker.io/v1/': { username: 'hub', password: 'p1' }, '127.0.0.1:5000': { username: 'me', password: 'p2' }, 'empty.example': {} })).toString('base64url');
  const m = registryConfigs(header);
  assert.deepEqual([...m.keys()].sort(), ['127.0.0.1:5000', 'docker.io']);
  assert.deepEqual(m.get('127.0.0.1:5000'), { username: 'me', password: 'p2' });
  assert.deepEqual(m.get('docker.io'), { username: 'hub', password: 'p1' });
  assert.equal(registryConfigs('%%%').size, 0);
  assert.equal(registryConfigs(undefined).size, 0);
  assert.equal(registryConfigs(Buffer.from('[1]').toString('base64')).size, 0);
});
