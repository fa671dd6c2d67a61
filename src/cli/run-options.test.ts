import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { expandEnvEntry, mergeEnv, parseEnvFile, parseUser } from './run-options.js';

describe('parseUser', () => {
  test('UID and UID:GID', () => {
    assert.deepEqual(parseUser('1000'), { uid: 1000, gid: 0 });
    assert.deepEqual(parseUser('1000:100'), { uid: 1000, gid: 100 });
  });
  test('refuses names and junk with a usage error', () => {
    assert.throws(() => parseUser('nobody'), /invalid user "nobody"/);
    assert.throws(() => parseUser('1:'), /invalid user/);
  });
});

describe('environment', () => {
  test('KEY=VALUE stays; a bare KEY takes the caller\'s value or is dropped', () => {
    assert.equal(expandEnvEntry('A=1=2', {}), 'A=1=2');
    assert.equal(expandEnvEntry('HOME', { HOME: '/h' }), 'HOME=/h');
    assert.equal(expandEnvEntry('UNSET', {}), null);
    assert.throws(() => expandEnvEntry('=x', {}), /invalid environment variable/);
  });

  test('env files skip comments and blank lines', () => {
    assert.deepEqual(parseEnvFile('# c\n\nA=1\r\n  B=two words\nC\n', { C: 'c' }), ['A=1', 'B=two words', 'C=c']);
  });

  test('later definitions win: base, then env files, then -e', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdk-test-'));
    try {
      const file = join(dir, 'env');
      writeFileSync(file, 'A=file\nB=file\n');
      const env = mergeEnv(['A=base', 'PATH=/bin'], { env: ['B=flag'], 'env-file': [file] }, {});
      assert.deepEqual(env, ['PATH=/bin', 'A=file', 'B=flag']);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test('an unreadable env file is a usage error naming it', () => {
    assert.throws(() => mergeEnv([], { env: [], 'env-file': ['/nonexistent/env'] }, {}), /cannot read env file \/nonexistent\/env: ENOENT/);
  });
});
