import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { imageEnv, runSettings } from './run-settings.js';

const IMAGE = { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], WorkingDir: '/srv', User: 'www', Env: ['PATH=/opt/bin:/bin', 'LANG=C.UTF-8'], StopSignal: 'SIGQUIT' };

describe('run settings from an image and the command line', () => {
  test('the image alone: Entrypoint + Cmd, its WorkingDir, User and StopSignal', () => {
    assert.deepEqual(runSettings(IMAGE, { command: [] }, 'nginx'), {
      argv: ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'],
      entrypointLength: 1,
      cwd: '/srv',
      user: 'www',
      stopSignal: 'SIGQUIT',
    });
  });

  test('a COMMAND replaces Cmd and keeps the Entrypoint', () => {
    assert.deepEqual(runSettings(IMAGE, { command: ['sh'] }, 'nginx').argv, ['/docker-entrypoint.sh', 'sh']);
  });

  test('--entrypoint replaces the Entrypoint and drops Cmd; "" clears it', () => {
    assert.deepEqual(runSettings(IMAGE, { command: [], entrypoint: '/bin/date' }, 'nginx').argv, ['/bin/date']);
    assert.deepEqual(runSettings(IMAGE, { command: ['-u'], entrypoint: '/bin/date' }, 'nginx').argv, ['/bin/date', '-u']);
    assert.deepEqual(runSettings(IMAGE, { command: ['echo', 'hi'], entrypoint: '' }, 'nginx').argv, ['echo', 'hi']);
    assert.equal(runSettings(IMAGE, { command: ['echo', 'hi'], entrypoint: '' }, 'nginx').entrypointLength, 0, 'inspect shows no Entrypoint');
  });

  test('-w and -u win; a relative WorkingDir is taken from /; defaults', () => {
    const s = runSettings({ Cmd: ['sh'], WorkingDir: 'app' }, { command: [] }, 'x');
    assert.equal(s.cwd, '/app');
    assert.equal(s.user, '');
    assert.equal(s.stopSignal, 'SIGTERM');
    const o = runSettings(IMAGE, { command: [], workdir: '/tmp', user: '0:0' }, 'nginx');
    assert.deepEqual([o.cwd, o.user], ['/tmp', '0:0']);
  });

  test('nothing to run is an error naming the image', () => {
    assert.throws(() => runSettings({}, { command: [] }, 'scratchy'), /no command specified for scratchy/);
    assert.throws(() => runSettings(IMAGE, { command: [], entrypoint: '' }, 'nginx'), /no command specified/);
  });
});

describe('the environment of an image', () => {
  test('its Env first, PATH kept, HOSTNAME and HOME added', () => {
    assert.deepEqual(imageEnv(IMAGE, 'h1', '/home/www', false), ['PATH=/opt/bin:/bin', 'LANG=C.UTF-8', 'HOSTNAME=h1', 'HOME=/home/www']);
  });

  test('without PATH it gets Docker\'s; TERM with a tty; an image HOME stays', () => {
    const env = imageEnv({ Env: ['HOME=/data'] }, 'h2', '/root', true);
    assert.match(env[0]!, /^PATH=\/usr\/local\/sbin:/);
    assert.deepEqual(env.slice(1), ['HOME=/data', 'HOSTNAME=h2', 'TERM=xterm']);
  });
});
