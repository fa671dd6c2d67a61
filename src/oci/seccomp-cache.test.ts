import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { BUILD_ID, buildPrefix, cacheFile, cachedSeccomp } from './seccomp-cache.js';
import { type CompiledSeccomp, compileSeccomp } from './seccomp.js';
import type { Spec } from '../spec/schema.js';

type Seccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;

const PROFILE: Seccomp = {
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }],
};
const OTHER: Seccomp = { ...PROFILE, syscalls: [{ names: ['read', 'write', 'exit_group', 'getpid'], action: 'SCMP_ACT_ALLOW' }] };

describe('seccomp cache: a profile is compiled once per build, and only our own files are believed', () => {
  const top = mkdtempSync('/tmp/mdk-test-seccomp-cache-');
  let dir = '';
  let n = 0;
  let compiles = 0;
  const compile = (p: Seccomp): CompiledSeccomp => {
    compiles++;
    return compileSeccomp(p);
  };
  const keyFile = (p: Seccomp, build = 'build-a') => join(dir, cacheFile(p, build));
  beforeEach(() => {
    dir = join(top, `c${n++}`);
    compiles = 0;
  });
  after(() => rmSync(top, { recursive: true, force: true }));

  test('the second time, the program comes from the cache: the same program, not compiled again', () => {
    const first = cachedSeccomp(PROFILE, dir, compile, 'build-a');
    const second = cachedSeccomp(PROFILE, dir, compile, 'build-a');
    assert.equal(compiles, 1);
    assert.deepEqual(second, first);
    assert.deepEqual(second, compileSeccomp(PROFILE));
    assert.deepEqual(readdirSync(dir), [cacheFile(PROFILE, 'build-a')]);
  });

  test('another profile, or another build of the compiler, compiles again', () => {
    cachedSeccomp(PROFILE, dir, compile, 'build-a');
    const other = cachedSeccomp(OTHER, dir, compile, 'build-a');
    assert.equal(compiles, 2);
    assert.deepEqual(other, compileSeccomp(OTHER));
    assert.notDeepEqual(other.program, compileSeccomp(PROFILE).program);
    assert.equal(readdirSync(dir).length, 2);
    // and each is then found
    cachedSeccomp(PROFILE, dir, compile, 'build-a');
    cachedSeccomp(OTHER, dir, compile, 'build-a');
    assert.equal(compiles, 2);
    // the same profile from another build: compiled again, and the other build's programs go
    cachedSeccomp(PROFILE, dir, compile, 'build-b');
    assert.equal(compiles, 3);
    assert.deepEqual(readdirSync(dir), [cacheFile(PROFILE, 'build-b')]);
    assert.ok(cacheFile(PROFILE, 'build-b').startsWith(buildPrefix('build-b')));
    assert.notEqual(buildPrefix('build-a'), buildPrefix('build-b'));
    cachedSeccomp(PROFILE, dir, compile, 'build-b');
    assert.equal(compiles, 3);
  });

  test('no directory, or no build id (modules not bundled): compiled every time, nothing written', () => {
    cachedSeccomp(PROFILE, undefined, compile, 'build-a');
    cachedSeccomp(PROFILE, undefined, compile, 'build-a');
    cachedSeccomp(PROFILE, dir, compile, undefined);
    cachedSeccomp(PROFILE, dir, compile, undefined);
    assert.equal(compiles, 4);
    assert.throws(() => readdirSync(dir), { code: 'ENOENT' });
    // the unit tests run the modules as tsc compiled them: no build id
    assert.equal(BUILD_ID, undefined);
  });

  test('a torn or made-up file is compiled afresh and replaced', () => {
    for (const bad of ['', '{"flags":0,"program":"00', '{"flags":0,"program":"0000000000000000","instructions":2}', '{"flags":0,"program":"zz00000000000000","instructions":1}', 'null']) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(keyFile(PROFILE), bad, { mode: 0o600 });
      const before = compiles;
      assert.deepEqual(cachedSeccomp(PROFILE, dir, compile, 'build-a'), compileSeccomp(PROFILE));
      assert.equal(compiles, before + 1, `compiled again after ${JSON.stringify(bad)}`);
      assert.deepEqual(JSON.parse(readFileSync(keyFile(PROFILE), 'utf8')), { ...compileSeccomp(PROFILE), profile: JSON.stringify(PROFILE) });
    }
  });

  test('a file others may write, a symlink, or a directory others may write is not believed', () => {
    // an "allow everything" program in place of the real one
    const allowAll = JSON.stringify(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }));
    const real = compileSeccomp(PROFILE);
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(keyFile(PROFILE), allowAll);
    chmodSync(keyFile(PROFILE), 0o666);
    assert.deepEqual(cachedSeccomp(PROFILE, dir, compile, 'build-a'), real);
    assert.equal(compiles, 1);

    rmSync(keyFile(PROFILE));
    const elsewhere = join(top, `allow-all-${n}.json`);
    writeFileSync(elsewhere, allowAll, { mode: 0o600 });
    symlinkSync(elsewhere, keyFile(PROFILE));
    assert.deepEqual(cachedSeccomp(PROFILE, dir, compile, 'build-a'), real);
    assert.equal(compiles, 2);

    rmSync(keyFile(PROFILE), { force: true });
    writeFileSync(keyFile(PROFILE), allowAll, { mode: 0o600 });
    chmodSync(dir, 0o777);
    assert.deepEqual(cachedSeccomp(PROFILE, dir, compile, 'build-a'), real);
    assert.equal(compiles, 3);
    // nor written there
    assert.equal(readFileSync(keyFile(PROFILE), 'utf8'), allowAll);
  });

  test('a file whose profile is another (a colliding name) is not believed', () => {
    const allowAll = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' });
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(keyFile(PROFILE), JSON.stringify({ ...allowAll, profile: JSON.stringify(OTHER) }), { mode: 0o600 });
    assert.deepEqual(cachedSeccomp(PROFILE, dir, compile, 'build-a'), compileSeccomp(PROFILE));
    assert.equal(compiles, 1);
  });

  test('a directory that cannot be made: compiled, no error', () => {
    const file = join(top, `file-${n}`);
    writeFileSync(file, '');
    assert.deepEqual(cachedSeccomp(PROFILE, join(file, 'cache'), compile, 'build-a'), compileSeccomp(PROFILE));
    assert.deepEqual(cachedSeccomp(PROFILE, join(file, 'cache'), compile, 'build-a'), compileSeccomp(PROFILE));
    assert.equal(compiles, 2);
  });

  test('a profile the compiler refuses is refused, and nothing is cached', () => {
    const bad = { ...PROFILE, defaultAction: 'SCMP_ACT_NOTIFY' } as Seccomp;
    assert.throws(() => cachedSeccomp(bad, dir, compile, 'build-a'), /SCMP_ACT_NOTIFY is not supported/);
    assert.throws(() => cachedSeccomp(bad, dir, compile, 'build-a'), /SCMP_ACT_NOTIFY is not supported/);
    assert.equal(compiles, 2);
  });
});
