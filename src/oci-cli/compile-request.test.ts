import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandRefusal, namespaceRefusal, requestRefusal } from './compile-request.js';

const CREATE = ['--root', '/r', '--log', '/l.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/p', '--console-socket', '/s', '--preserve-fds', '2', '--no-pivot', 'c1'];

describe('compile service requests', () => {
  test('what containerd and conmon pass for create is served', () => {
    assert.equal(commandRefusal(CREATE), undefined);
    assert.equal(commandRefusal(['create', '-b', '/b', 'c1']), undefined);
    assert.equal(commandRefusal(['create', '--bundle=/b', '--no-new-keyring', 'c1']), undefined);
    assert.equal(commandRefusal(['--root', '/r', 'exec', '--process', '/p.json', '--detach', '--pid-file', '/x.pid', '--console-socket', '/s', 'c1']), undefined);
  });

  test('run (foreground or --detach) and a foreground exec are served; exec\'s command after the id is the command\'s', () => {
    assert.equal(commandRefusal(['--root', '/r', 'run', '--bundle', '/b', '--pid-file', '/p', 'c1']), undefined);
    assert.equal(commandRefusal(['run', '-d', '--keep', '--console-socket', '/s', '-b', '/b', 'c1']), undefined);
    assert.equal(commandRefusal(['exec', '--process', '/p.json', 'c1']), undefined);
    assert.equal(commandRefusal(['exec', '-t', '--cwd', '/tmp', '-e', 'A=1', '--user', '1:1', 'c1', 'sh', '-c', 'exit 3', '--tty']), undefined);
  });

  test('other commands, flags, relative paths, no bundle, not one id: refused', () => {
    const refused: [string[], RegExp][] = [
      [['start', 'c1'], /not create, run or exec/],
      [['run', 'c1'], /no --bundle/],
      [['run', '--bundle', 'b', 'c1'], /--bundle is a relative/],
      [['run', '--explain', '--bundle', '/b', 'c1'], /flags/],
      [['run', '--bundle', '/b', 'c1', 'c2'], /exactly one/],
      [['exec', '--detach'], /no container id/],
      [['exec', '--detach', '--process', 'p', 'c1'], /--process is a relative/],
      [['exec', '--explain', '--process', '/p', 'c1'], /flags/],
      [['exec', '--pid-file', 'x.pid', 'c1', 'true'], /--pid-file is a relative/],
      [['--debug', 'create', '--bundle', '/b', 'c1'], /flags/],
      [['create', '--explain', '--bundle', '/b', 'c1'], /flags/],
      [['--systemd-cgroup', 'create', '--bundle', '/b', 'c1'], /flags/],
      [['create', '--bundle', 'b', 'c1'], /--bundle is a relative path/],
      [['--root', 'r', 'create', '--bundle', '/b', 'c1'], /--root is a relative/],
      [['--log', 'l', 'create', '--bundle', '/b', 'c1'], /--log is a relative/],
      [['create', '--bundle', '/b', '--pid-file', 'p', 'c1'], /--pid-file is a relative/],
      [['create', '--bundle', '/b', '--console-socket', 's', 'c1'], /--console-socket is a relative/],
      [['create', 'c1'], /no --bundle/],
      [['create', '--bundle', '/b'], /exactly one/],
      [['create', '--bundle', '/b', 'c1', 'c2'], /exactly one/],
    ];
    for (const [argv, why] of refused) assert.match(commandRefusal(argv) ?? 'served', why, argv.join(' '));
  });

  test('another build, umask or MOBY_DICK_* environment: refused; other variables do not matter', () => {
    const self = { stamp: 's1', umask: 0o22, env: { MOBY_DICK_HELPER: '/h', MOBY_DICK_COMPILE_STAMP: 's1', PATH: '/bin' } };
    const request = { stamp: 's1', cwd: '/x', umask: 0o22, argv: CREATE, env: { MOBY_DICK_HELPER: '/h' } };
    assert.equal(requestRefusal(request, self), undefined);
    assert.equal(requestRefusal({ ...request, env: { MOBY_DICK_HELPER: '/h', HOME: '/root' } }, self), undefined);
    assert.match(requestRefusal({ ...request, stamp: 's2' }, self)!, /another build/);
    assert.match(requestRefusal({ ...request, umask: 0o77 }, self)!, /umask/);
    assert.match(requestRefusal({ ...request, env: {} }, self)!, /another MOBY_DICK_HELPER/);
    assert.match(requestRefusal({ ...request, env: { MOBY_DICK_HELPER: '/h', MOBY_DICK_X: '1' } }, self)!, /another MOBY_DICK_X/);
    assert.match(requestRefusal({ ...request, argv: ['create', 'c1'] }, self)!, /no --bundle/);
  });

  test('a caller in another namespace or root directory, or one whose namespaces are unknown: refused', () => {
    const ours = { mnt: 'mnt:[1]', pid: 'pid:[2]', cgroup: 'cgroup:[3]', user: 'user:[4]', net: 'net:[5]', ipc: 'ipc:[6]', uts: 'uts:[7]', root: '1:2' };
    assert.equal(namespaceRefusal({ ...ours }, ours), undefined);
    assert.match(namespaceRefusal({ ...ours, mnt: 'mnt:[9]' }, ours)!, /another mnt namespace/);
    assert.match(namespaceRefusal({ ...ours, pid: undefined }, ours)!, /another pid namespace/);
    assert.match(namespaceRefusal({ ...ours, root: '1:3' }, ours)!, /another root directory/);
  });
});
