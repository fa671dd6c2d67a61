import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { monitorOps, parseExitRecord } from './monitor-ops.js';

describe('monitor ops', () => {
  test('every option becomes its op, on_exit one op per argument', () => {
    assert.deepEqual(
      monitorOps({
        log: { path: '/var/log/c.json', maxSize: 1024, maxFiles: 3 },
        stdinOpen: true,
        attachSocket: '/run/c/attach',
        exitFile: '/run/c/exit.json',
        onExit: ['/usr/bin/moby-dick', 'container-exited', 'abc'],
      }),
      [
        { op: 'log_json', path: '/var/log/c.json', maxSize: 1024, maxFiles: 3 },
        { op: 'stdin_open' },
        { op: 'attach_socket', path: '/run/c/attach' },
        { op: 'exit_file', path: '/run/c/exit.json' },
        { op: 'on_exit', arg: '/usr/bin/moby-dick' },
        { op: 'on_exit', arg: 'container-exited' },
        { op: 'on_exit', arg: 'abc' },
      ],
    );
  });

  test('health checks: their timing, then the command, one op per argument', () => {
    assert.deepEqual(monitorOps({ health: { command: ['/usr/bin/moby-dick', 'container-health', 'abc'], firstMs: 1000, everyMs: 30000, limitMs: 90000 } }), [
      { op: 'health_every', firstMs: 1000, everyMs: 30000, limitMs: 90000 },
      { op: 'health_cmd', arg: '/usr/bin/moby-dick' },
      { op: 'health_cmd', arg: 'container-health' },
      { op: 'health_cmd', arg: 'abc' },
    ]);
    assert.throws(() => monitorOps({ health: { command: ['moby-dick'], firstMs: 1, everyMs: 1, limitMs: 0 } }), /health check command "moby-dick" must be an absolute path/);
    assert.throws(() => monitorOps({ health: { command: ['/m'], firstMs: 1, everyMs: 0, limitMs: 0 } }), /health check interval must be a whole number >= 1/);
  });

  test('defaults: no rotation, one file; nothing asked, no ops', () => {
    assert.deepEqual(monitorOps({ log: { path: '/l' } }), [{ op: 'log_json', path: '/l', maxSize: 0, maxFiles: 1 }]);
    assert.deepEqual(monitorOps({}), []);
    assert.deepEqual(monitorOps({ stdinOpen: false, onExit: [] }), []);
  });

  test('refuses relative paths, bad sizes, a socket path too long for sun_path', () => {
    const bad = (o: Parameters<typeof monitorOps>[0], re: RegExp): void =>
      assert.throws(() => monitorOps(o), (e: unknown) => e instanceof MobyDickError && e.code === 'INVALID_CONFIG' && re.test(e.message));
    bad({ log: { path: 'log.json' } }, /log file "log.json" must be an absolute path/);
    bad({ exitFile: 'x' }, /exit file/);
    bad({ onExit: ['moby-dick'] }, /on-exit command/);
    bad({ log: { path: '/l', maxFiles: 0 } }, /max-file must be a whole number >= 1/);
    bad({ log: { path: '/l', maxSize: -1 } }, /max-size/);
    bad({ log: { path: '/l', maxSize: 1.5 } }, /max-size/);
    bad({ attachSocket: `/${'a'.repeat(107)}` }, /longer than 107 bytes/);
    assert.equal(monitorOps({ attachSocket: `/${'a'.repeat(106)}` }).length, 1);
  });
});

describe('exit record', () => {
  test('reads what the monitor writes', () => {
    assert.deepEqual(parseExitRecord('{"exitCode":137,"signal":"SIGKILL","finishedAt":"2026-11-29T11:10:29.1234Z"}'), {
      exitCode: 137,
      signal: 'SIGKILL',
      finishedAt: '2026-11-29T11:10:29.1234Z',
    });
    assert.deepEqual(parseExitRecord('{"exitCode":3,"signal":null,"finishedAt":"2026-11-29T11:10:29Z"}')?.signal, null);
    assert.equal(parseExitRecord('{"exitCode":3,"signal":null,"finishedAt":"2026-11-29T11:10:29Z"}')?.exitCode, 3);
    assert.equal(parseExitRecord('{"exitCode":161,"signal":33,"finishedAt":"x"}')?.signal, 33);
  });

  test('null for anything else', () => {
    assert.equal(parseExitRecord(''), null);
    assert.equal(parseExitRecord('{"exitCode":"3","signal":null,"finishedAt":"x"}'), null);
    assert.equal(parseExitRecord('{"exitCode":3,"signal":{},"finishedAt":"x"}'), null);
    assert.equal(parseExitRecord('null'), null);
  });
});
