import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { defaultSpec } from './default-spec.js';
import { parseProcess, parseSpec } from './validate.js';

const withChange = (change: (c: Record<string, any>) => void): string => {
  const c = structuredClone(defaultSpec()) as Record<string, any>;
  change(c);
  return JSON.stringify(c);
};

const rejects = (text: string, message: RegExp): void => {
  assert.throws(() => parseSpec(text, 'config.json'), (e: unknown) => {
    assert.ok(e instanceof MobyDickError);
    assert.equal(e.code, 'INVALID_CONFIG');
    assert.match(e.message, message);
    return true;
  });
};

describe('parseSpec', () => {
  test('accepts the default spec', () => {
    const spec = parseSpec(JSON.stringify(defaultSpec()));
    assert.equal(spec.process?.args[0], 'sh');
    assert.equal(spec.mounts?.length, 7);
  });

  test('names the field path of each problem', () => {
    rejects(withChange((c) => (c.process.cwd = 'relative')), /config\.json: process\.cwd: must be an absolute path/);
    rejects(withChange((c) => (c.process.args = [])), /process\.args: must name the command to run/);
    rejects(withChange((c) => (c.mounts[2].options = 'nosuid')), /mounts\[2\]\.options: expected array, received string/);
    rejects(withChange((c) => (c.linux.namespaces[0].type = 'bogus')), /linux\.namespaces\[0\]\.type: invalid enum value/);
    rejects(withChange((c) => (c.process.user.uid = -1)), /process\.user\.uid: number must be greater than or equal to 0/);
    rejects(withChange((c) => (c.process.rlimits[0].type = 'NOFILE')), /process\.rlimits\[0\]\.type: must be RLIMIT_<NAME>/);
    rejects(withChange((c) => (c.process.capabilities.bounding = ['chown'])), /process\.capabilities\.bounding\[0\]: must be a capability name/);
    rejects(withChange((c) => (c.process.env = ['NOEQUALS'])), /process\.env\[0\]: must be KEY=VALUE/);
  });

  test('reports unknown fields in Linux sections, and several problems at once', () => {
    rejects(withChange((c) => (c.linux.bogus = 1)), /linux: unknown field bogus/);
    rejects(
      withChange((c) => {
        c.process.cwd = 'x';
        c.hostname = 5;
      }),
      /process\.cwd: .*; hostname: expected string/,
    );
  });

  test('requires ociVersion, root and process', () => {
    rejects(withChange((c) => delete c.ociVersion), /ociVersion: required/);
    rejects(withChange((c) => delete c.root), /root: required/);
    rejects(withChange((c) => delete c.process), /process: required/);
  });

  test('leaves other platforms\' sections alone', () => {
    assert.doesNotThrow(() => parseSpec(withChange((c) => (c.windows = { anything: true }))));
  });

  test('a broken file is one clear line', () => {
    rejects('{"ociVersion":', /config\.json: not valid JSON/);
  });
});

describe('parseProcess', () => {
  test('validates a process.json for exec', () => {
    const p = parseProcess(JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['ls'], cwd: '/' }), 'p.json');
    assert.deepEqual(p.args, ['ls']);
    assert.throws(() => parseProcess('{"args":["ls"],"cwd":"/"}', 'p.json'), /p\.json: user: required/);
  });
});
