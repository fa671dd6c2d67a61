import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges, commitConfig } from './container-commit.js';

const container = { Cmd: ['serve', '--port', '80'], Entrypoint: ['/entry'], Env: ['PATH=/bin', 'A=1'], WorkingDir: '/srv', User: 'app', Labels: { l: 'c' }, ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGINT' };

test('without changes the image gets the container\'s own config', () => {
  assert.deepEqual(commitConfig(container, {}), container);
});

test('--change goes on top: CMD keeps the Entrypoint, ENV and LABEL and EXPOSE merge', async () => {
  const c = commitConfig(container, await applyChanges({}, ['CMD ["other"]', 'ENV A=2 B=3', 'LABEL m=1', 'EXPOSE 53/udp', 'WORKDIR /x', 'USER root']));
  assert.deepEqual(c.Cmd, ['other']);
  assert.deepEqual(c.Entrypoint, ['/entry']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(c.Labels, { l: 'c', m: '1' });
  assert.deepEqual(Object.keys(c.ExposedPorts ?? {}).sort(), ['53/udp', '80/tcp']);
  assert.equal(c.WorkingDir, '/x');
  assert.equal(c.User, 'root');
  assert.equal(c.StopSignal, 'SIGINT');
});

test('a new ENTRYPOINT comes with no Cmd unless one is given, as Docker\'s commit', async () => {
  const c = commitConfig(container, await applyChanges({}, ['ENTRYPOINT ["/other"]']));
  assert.deepEqual([c.Entrypoint, c.Cmd], [['/other'], null]);
  const both = commitConfig(container, await applyChanges({}, ['ENTRYPOINT ["/other"]', 'CMD ["x"]']));
  assert.deepEqual([both.Entrypoint, both.Cmd], [['/other'], ['x']]);
});

test('the API body\'s config goes over the container\'s, the changes over the body', async () => {
  const c = commitConfig(container, await applyChanges({ Cmd: ['from-body'], Env: ['A=body'] }, ['ENV A=change']));
  assert.deepEqual(c.Cmd, ['from-body']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=change']);
});
