/**
 * moby-dick-runtime as a CRI runtime drives it: containers that join a pod's
 * namespaces by path, exec into them, and the words containerd's shim and
 * CRI-O read when a container has ended.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { sleep } from '../helpers/cli.js';
import { useOci } from '../helpers/fixtures.js';

describe('moby-dick-runtime exec in a pod\'s namespaces', () => {
  const fx = useOci();
  const { rt, bundle, state } = fx;

  test('exec enters the namespaces the container joined by path, not the host\'s', async () => {
    // the "pause" container: its own network, IPC, UTS and pid namespaces, with a link only it has
    const pause = bundle((s) => {
      s.hostname = 'mdk-test-pod';
      s.process!.args = ['sleep', '60'];
    });
    assert.equal((await rt('run', '--detach', '--bundle', pause, 'mdk-test-pause')).code, 0);
    const { pid: podPid } = await state('mdk-test-pause');
    execFileSync('nsenter', ['-t', String(podPid), '-n', 'ip', 'link', 'add', 'mdk-test-d0', 'type', 'veth', 'peer', 'name', 'mdk-test-d1']);
    const app = bundle((s) => {
      s.hostname = undefined;
      s.process!.oomScoreAdj = 100; // written in the pod's pid namespace: ENOENT when exec stayed outside it
      s.linux!.namespaces = [
        { type: 'mount' }, { type: 'cgroup' },
        ...(['pid', 'network', 'ipc', 'uts'] as const).map((type) => ({ type, path: `/proc/${podPid}/ns/${type === 'network' ? 'net' : type}` })),
      ];
      s.process!.args = ['sleep', '61'];
    });
    assert.equal((await rt('run', '--detach', '--bundle', app, 'mdk-test-app')).code, 0);
    const e = await rt('exec', 'mdk-test-app', 'sh', '-c', 'hostname; ip -o link | grep -c ": mdk-test-d0@"; ps -o comm | grep -c sleep');
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(e.stdout.split('\n').slice(0, 3), ['mdk-test-pod', '1', '2'], 'the pod\'s hostname, its link, both containers\' processes');
  });

  test('kill of a container that has ended says "container not running", as runc (containerd and CRI-O match the words)', async () => {
    const b = bundle((s) => void (s.process!.args = ['true']));
    assert.equal((await rt('run', '--detach', '--bundle', b, 'mdk-test-ended')).code, 0);
    for (let i = 0; i < 200 && (await state('mdk-test-ended')).status !== 'stopped'; i++) await sleep(10);
    const k = await rt('kill', '--all', 'mdk-test-ended', '9');
    assert.equal(k.code, 1);
    assert.match(k.stderr, /container not running/);
  });
});
