import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { defaultSpec } from '../spec/default-spec.js';
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
    // V8 quotes the text around some errors, newlines and all; others give a position
    for (const [text, message] of [
      ['{\n  "ociVersion": x\n}\n', /^config\.json: not valid JSON: unexpected token 'x'$/],
      ['{\n  "ociVersion": "1.2.0",\n}\n', /^config\.json: not valid JSON: expected double-quoted property name at line 3, column 1$/],
      ['{"a": "b\nc"}', /^config\.json: not valid JSON: bad control character in string literal at line 1, column 9$/],
      ['{}\n{}', /^config\.json: not valid JSON: unexpected non-whitespace character after JSON at line 2, column 1$/],
    ] as const) {
      assert.throws(() => parseSpec(text, 'config.json'), (e: unknown) => {
        assert.ok(e instanceof MobyDickError);
        assert.match(e.message, message);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      }, JSON.stringify(text));
    }
  });

  test('seccomp architectures: runc\'s names, nothing else', () => {
    assert.doesNotThrow(() => parseSpec(withChange((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_S390X'] }))));
    rejects(
      withChange((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'x86_64'] })),
      /config\.json: linux\.seccomp\.architectures\[1\]: unknown architecture "x86_64"/,
    );
  });
});

describe('parseProcess', () => {
  test('validates a process.json for exec', () => {
    const p = parseProcess(JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['ls'], cwd: '/' }), 'p.json');
    assert.deepEqual(p.args, ['ls']);
    assert.throws(() => parseProcess('{"args":["ls"],"cwd":"/"}', 'p.json'), /p\.json: user: required/);
  });
});
