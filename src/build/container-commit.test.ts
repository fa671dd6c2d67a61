import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Engine } from '../engine/engine.js';
import type { NamespaceCommands } from '../rootless/namespace-commands.js';
import { applyChanges, commitConfig, containerChanges } from './container-commit.js';

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

/** Hidden commands that record what they were asked and answer with OUTPUT on stdout. */
function recording(output = ''): NamespaceCommands & { calls: (readonly string[])[] } {
  const calls: (readonly string[])[] = [];
  return {
    calls,
    run: async (args) => (calls.push(args), { code: 0, stdout: output, stderr: '' }),
    stream: async (args, out) => (calls.push(args), out.write(output), { code: 0, stderr: '' }),
  };
}

/** container C1 of an engine ROOTLESS or not, its upper dir missing */
function engineOf(rootless: boolean, namespace: NamespaceCommands): Engine {
  const view = { record: { id: 'c1', layers: [] }, paths: { upper: '/nonexistent/mdk-test/c1/diff' } };
  return { options: { rootless, namespace }, inspect: () => view } as unknown as Engine;
}

test('diff of a rootless engine\'s container asks rootless-layer for the list; root\'s never calls the hidden commands', async () => {
  const ns = recording('[{"kind":"A","path":"/made"}]\n');
  assert.deepEqual(await containerChanges(engineOf(true, ns), 'c1'), [{ kind: 'A', path: '/made' }]);
  const req = JSON.parse(ns.calls[0]![1]!) as { op: string; upper: string };
  assert.deepEqual([ns.calls[0]![0], req.op, req.upper], ['rootless-layer', 'list', '/nonexistent/mdk-test/c1/diff']);

  const unused = recording();
  // root's engine walks the upper dir itself: a missing one is its own error, and no hidden command ran
  await assert.rejects(containerChanges(engineOf(false, unused), 'c1'));
  assert.deepEqual(unused.calls, []);
});
