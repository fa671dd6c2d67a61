import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerConfig, mergeEnv } from './container-config.js';

const none = { command: [], env: [], labels: {}, expose: [] };
const image = { Cmd: ['sh'], Entrypoint: ['/entry'], Env: ['PATH=/bin', 'A=1'], WorkingDir: '/w', User: 'nobody', Labels: { l: 'image' }, ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGINT', Volumes: { '/v': {} }, OnBuild: ['RUN x'] };

test('without overrides the container has the image\'s config', () => {
  const c = containerConfig(image, none);
  assert.deepEqual(c.Cmd, ['sh']);
  assert.deepEqual(c.Entrypoint, ['/entry']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=1']);
  assert.equal(c.WorkingDir, '/w');
  assert.equal(c.User, 'nobody');
  assert.deepEqual(c.Labels, { l: 'image' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {} });
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.Volumes, { '/v': {} });
  assert.deepEqual(c.OnBuild, ['RUN x']);
});

test('create\'s command, env, workdir, user, labels, --expose and stop signal go on top', () => {
  const c = containerConfig(image, { command: ['echo', 'hi'], env: ['A=2', 'B=3'], workdir: '/x', user: '1000', labels: { l: 'mine', m: '1' }, expose: ['53/udp', '8080'], stopSignal: 'SIGKILL' });
  assert.deepEqual(c.Cmd, ['echo', 'hi']);
  assert.deepEqual(c.Entrypoint, ['/entry']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.equal(c.WorkingDir, '/x');
  assert.equal(c.User, '1000');
  assert.deepEqual(c.Labels, { l: 'mine', m: '1' });
  assert.deepEqual(Object.keys(c.ExposedPorts).sort(), ['53/udp', '80/tcp', '8080/tcp']);
  assert.equal(c.StopSignal, 'SIGKILL');
});

test('--entrypoint replaces the image\'s and drops its Cmd; "" clears it', () => {
  assert.deepEqual([containerConfig(image, { ...none, entrypoint: 'sh' }).Entrypoint, containerConfig(image, { ...none, entrypoint: 'sh' }).Cmd], [['sh'], null]);
  const cleared = containerConfig(image, { ...none, entrypoint: '', command: ['ls'] });
  assert.equal(cleared.Entrypoint, null);
  assert.deepEqual(cleared.Cmd, ['ls']);
  assert.equal(containerConfig({}, none).Cmd, null);
});

test('mergeEnv keeps the place of a name it replaces', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4', 'A']), ['A', 'B=3', 'C=4']);
});
