import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseBytes, parseCpus, parseDurationFlag, parseHealthFlags, parseLabels, parseLogOpts, parsePullPolicy, parseMount, parseRestart, parseSecurityOpts, parseSwap, parseTmpfs, parseUlimit, parseVolume,
} from './container-flags.js';
import { MobyDickError } from '../errors.js';

describe('Docker\'s container flag values', () => {
  test('sizes in binary units', () => {
    assert.equal(parseBytes('512m', '--memory'), 512 * 1024 * 1024);
    assert.equal(parseBytes('1g', '--memory'), 1024 ** 3);
    assert.equal(parseBytes('1.5GB', '--memory'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('4096', '--memory'), 4096);
    assert.equal(parseBytes('10k', '--memory'), 10240);
    assert.throws(() => parseBytes('lots', '--memory'), /invalid argument "lots" for "--memory" flag: invalid size/);
    assert.equal(parseSwap('-1'), -1);
  });

  test('--cpus', () => {
    assert.equal(parseCpus('1.5'), 1.5e9);
    assert.equal(parseCpus('0.25'), 2.5e8);
    assert.throws(() => parseCpus('many'), /failed to parse many as a rational number/);
  });

  test('-v: binds, named and anonymous volumes, options', () => {
    assert.deepEqual(parseVolume('/srv/data:/data'), { kind: 'bind', source: '/srv/data', destination: '/data', readOnly: false });
    assert.deepEqual(parseVolume('/srv:/data/:ro'), { kind: 'bind', source: '/srv', destination: '/data', readOnly: true });
    assert.deepEqual(parseVolume('cache:/var/cache:rw,rshared'), { kind: 'volume', source: 'cache', destination: '/var/cache', readOnly: false, propagation: 'rshared' });
    assert.deepEqual(parseVolume('/scratch'), { kind: 'volume', source: '', destination: '/scratch', readOnly: false });
    assert.throws(() => parseVolume('/a:data'), /destination "data" must be an absolute path/);
    assert.throws(() => parseVolume('/a:/'), /destination can't be '\/'/);
    assert.throws(() => parseVolume('/a:/b:fast'), /invalid mode: fast/);
    assert.throws(() => parseVolume('a b:/b'), /invalid characters for a local volume name/);
  });

  test('--mount', () => {
    assert.deepEqual(parseMount('type=bind,source=/srv,target=/data,readonly'), { type: 'bind', source: '/srv', destination: '/data', readOnly: true });
    assert.deepEqual(parseMount('type=volume,src=v1,dst=/v'), { type: 'volume', source: 'v1', destination: '/v', readOnly: false });
    assert.deepEqual(parseMount('type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770'), { type: 'tmpfs', source: '', destination: '/t', readOnly: false, tmpfsSize: 1048576, tmpfsMode: 0o1770 });
    assert.throws(() => parseMount('type=bind,target=/x'), /source is required/);
    assert.throws(() => parseMount('type=nfs,target=/x'), /unexpected type 'nfs'/);
    assert.throws(() => parseMount('type=bind,source=/a'), /target is required/);
  });

  test('--tmpfs and --ulimit', () => {
    assert.deepEqual(parseTmpfs('/run:size=64m,mode=755'), { destination: '/run', options: ['size=64m', 'mode=755'] });
    assert.deepEqual(parseUlimit('nofile=1024:2048'), { name: 'nofile', soft: 1024, hard: 2048 });
    assert.deepEqual(parseUlimit('nproc=50'), { name: 'nproc', soft: 50, hard: 50 });
    assert.throws(() => parseUlimit('nofile=10:5'), /soft limit must be less than or equal to hard limit/);
    assert.throws(() => parseUlimit('speed=1'), /invalid ulimit type: speed/);
  });

  test('--security-opt', () => {
    assert.deepEqual(parseSecurityOpts([]), { noNewPrivileges: false, seccomp: 'default' });
    assert.deepEqual(parseSecurityOpts(['no-new-privileges', 'seccomp=unconfined']), { noNewPrivileges: true, seccomp: 'unconfined' });
    assert.deepEqual(parseSecurityOpts(['no-new-privileges:false', 'seccomp:/p.json']), { noNewPrivileges: false, seccomp: '/p.json' });
    assert.throws(() => parseSecurityOpts(['privileged-ish']), /invalid --security-opt/);
  });

  test('--restart', () => {
    assert.deepEqual(parseRestart('no'), { name: 'no', maximumRetryCount: 0 });
    assert.deepEqual(parseRestart('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
    assert.deepEqual(parseRestart('unless-stopped'), { name: 'unless-stopped', maximumRetryCount: 0 });
    assert.throws(() => parseRestart('always:2'), /maximum retry count cannot be used/);
    assert.throws(() => parseRestart('sometimes'), /unknown policy 'sometimes'/);
  });

  test('--log-opt and --label', () => {
    assert.deepEqual(parseLogOpts(['max-size=1k', 'max-file=3']), { maxSize: 1024, maxFiles: 3 });
    assert.deepEqual(parseLogOpts([]), { maxSize: 0, maxFiles: 1 });
    assert.throws(() => parseLogOpts(['max-file=3']), /max-file cannot be set without max-size/);
    assert.throws(() => parseLogOpts(['compress=true']), /unknown log opt 'compress'/);
    assert.deepEqual(parseLabels(['a=1', 'b', 'c=x=y']), { a: '1', b: '', c: 'x=y' });
  });

  test('--health-*: durations in nanoseconds, a shell command, only what is given', () => {
    assert.equal(parseHealthFlags({}), undefined);
    assert.deepEqual(parseHealthFlags({ cmd: 'test -f /tmp/ok', interval: '1s', timeout: '500ms', retries: '2', startPeriod: '1m', startInterval: '2s' }), {
      Test: ['CMD-SHELL', 'test -f /tmp/ok'],
      Interval: 1e9,
      Timeout: 5e8,
      StartPeriod: 60e9,
      StartInterval: 2e9,
      Retries: 2,
    });
    // timing alone keeps the image's command (an empty Test)
    assert.deepEqual(parseHealthFlags({ interval: '2s' }), { Test: [], Interval: 2e9 });
    // zero values are as good as absent, as the docker CLI's
    assert.equal(parseHealthFlags({ interval: '0', retries: '0' }), undefined);
    assert.deepEqual(parseHealthFlags({ none: true }), { Test: ['NONE'] });
  });

  test('--health-* refused in the docker CLI\'s words', () => {
    const refused = (f: Parameters<typeof parseHealthFlags>[0], message: string): void =>
      assert.throws(() => parseHealthFlags(f), (e: unknown) => e instanceof MobyDickError && (e.code === 'USAGE' || e.code === 'FLAG') && e.message === message);
    refused({ interval: '10' }, 'invalid argument "10" for "--health-interval" flag: time: missing unit in duration "10"');
    refused({ timeout: 'soon' }, 'invalid argument "soon" for "--health-timeout" flag: time: invalid duration "soon"');
    refused({ startPeriod: '5x' }, 'invalid argument "5x" for "--health-start-period" flag: time: unknown unit "x" in duration "5x"');
    refused({ retries: 'x' }, 'invalid argument "x" for "--health-retries" flag: strconv.ParseInt: parsing "x": invalid syntax');
    refused({ interval: '-1s' }, '--health-interval cannot be negative');
    refused({ cmd: 'true', retries: '-1' }, '--health-retries cannot be negative');
    refused({ startInterval: '-5s' }, '--health-start-interval cannot be negative');
    refused({ none: true, cmd: 'true' }, '--no-healthcheck conflicts with --health-* options');
    refused({ none: true, retries: '2' }, '--no-healthcheck conflicts with --health-* options');
    assert.equal(parseDurationFlag('1m30s', '--x'), 90e9);
  });

  test('--pull', () => {
    assert.equal(parsePullPolicy('always'), 'always');
    assert.equal(parsePullPolicy('missing'), 'missing');
    assert.equal(parsePullPolicy('never'), 'never');
    assert.throws(() => parsePullPolicy('sometimes'), /^MobyDickError: invalid pull option: 'sometimes': must be one of "always", "missing" or "never"$/);
  });
});

test('signalName: names with or without SIG, numbers 1 to 64; anything else is Docker\'s "Invalid signal"', async () => {
  const { signalName } = await import('./container-flags.js');
  assert.equal(signalName('kill'), 'SIGKILL');
  assert.equal(signalName('SIGTERM'), 'SIGTERM');
  assert.equal(signalName('hup'), 'SIGHUP');
  assert.equal(signalName('9'), '9');
  for (const bad of ['NOSIG', '0', '65', 'SIG', '']) assert.throws(() => signalName(bad), /Invalid signal: /, bad);
});
