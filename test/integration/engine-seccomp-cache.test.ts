/**
 * The engine keeps compiled seccomp programs under its run root
 * (src/oci/seccomp-cache.ts): one per profile, so a container never gets the
 * program of another capability set's profile, and a file it cannot trust
 * (torn, or writable by others) is compiled afresh and replaced. Told by
 * behaviour: Docker's default profile refuses unshare(CLONE_NEWUSER)
 * without CAP_SYS_ADMIN, and allows it with.
 */
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runRoot } from '../../src/engine/paths.js';
import { compileSeccomp } from '../../src/oci/seccomp.js';
import { useEngine } from '../helpers/engine-env.js';

describe('engine: the seccomp cache', () => {
  const w = useEngine();
  const dir = () => join(runRoot(w.env.root, {}), 'seccomp');
  const files = () => readdirSync(dir()).sort();
  const allowAll = JSON.stringify(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }));
  const unshare = async (...flags: string[]) => (await w.env.mdk(['run', '--rm', ...flags, w.image, 'unshare', '-U', 'true'])).code;

  test('one program per profile: the default one refuses a user namespace, the one with CAP_SYS_ADMIN allows it', async () => {
    assert.notEqual(await unshare(), 0, 'refused by the default profile');
    const [first, ...more] = files();
    assert.ok(first !== undefined && more.length === 0, `one program: ${files().join(' ')}`);
    assert.equal(statSync(join(dir(), first)).mode & 0o777, 0o600);
    assert.equal(await unshare('--cap-add', 'SYS_ADMIN'), 0, 'allowed with CAP_SYS_ADMIN');
    assert.equal(files().length, 2, 'a program of its own');
    // each is found again, and the default one is still the default one
    assert.notEqual(await unshare(), 0);
    assert.equal(await unshare('--cap-add', 'SYS_ADMIN'), 0);
    assert.equal(files().length, 2);
  });

  test('a torn program, or one others may write, is not used: compiled afresh and replaced', async () => {
    assert.notEqual(await unshare(), 0);
    const names = files();
    for (const f of names) writeFileSync(join(dir(), f), '{');
    assert.notEqual(await unshare(), 0, 'still refused with the program torn');
    // the default profile's program is written again, the others are left
    const rewritten = names.filter((f) => readFileSync(join(dir(), f), 'utf8') !== '{');
    assert.equal(rewritten.length, 1);
    assert.deepEqual(files(), names);
    // an "allow everything" program in its place, writable by others
    const file = join(dir(), rewritten[0]!);
    writeFileSync(file, allowAll);
    chmodSync(file, 0o666);
    assert.notEqual(await unshare(), 0, 'still refused: the file was not believed');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.notEqual(readFileSync(file, 'utf8'), allowAll);
  });
});
