/**
 * More of the engine as an ordinary user (rootless), as a test user with a
 * subuid range, on an image pulled from a registry this test serves on
 * 127.0.0.1: named and anonymous volumes and binds of the user's own
 * directories. Files written in them from inside land with the user's ids
 * outside (0 inside is the user, 1000 inside the range's 1000th id), are
 * removed by `volume rm` and `rm -v` although the user alone could not, and
 * nothing in the user's store belongs to the host's root. A host directory
 * the user cannot read is refused by the kernel, said in one line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';
import { owners, useRootlessBusybox } from '../helpers/rootless-image.js';
import type { TestUser } from '../helpers/test-user.js';

describe('rootless engine: volumes and binds as an ordinary user', () => {
  let user: TestUser;
  let store: string;
  let image = '';
  const ref = (): string => image;
  /** what only the user's ids may own */
  const foreignIn = (dir: string) => owners(dir).filter((o) => !(o.uid === user.uid || (o.uid >= user.sub!.start && o.uid < user.sub!.start + user.sub!.count)));

  useRootlessBusybox('mdk-test/rootless2', (m) => ({ user, store, image } = m));

  test('volume create, ls, inspect; -v NAME:/path keeps what a container wrote, with its owners; volume rm removes the range\'s files', async () => {
    const { uid, sub } = user;
    const vol = `${TEST_PREFIX}rl-vol-${process.pid}`;
    const made = await user.run(CLI, ['volume', 'create', vol]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout, `${vol}\n`);
    const ls = await user.run(CLI, ['volume', 'ls', '-q']);
    assert.equal(ls.stdout, `${vol}\n`);
    const mountpoint = (await user.run(CLI, ['volume', 'inspect', '--format', '{{.Mountpoint}}', vol])).stdout.trim();
    assert.equal(mountpoint, join(store, 'volumes', vol, '_data'));
    assert.equal(lstatSync(mountpoint).uid, uid);

    const w = await user.run(CLI, ['run', '--rm', '--network', 'none', '-v', `${vol}:/data`, ref(), 'sh', '-c',
      'echo kept > /data/f && mkdir /data/d && echo x > /data/d/g && chown -R 1000:2000 /data/d && stat -c "%u %g" /data /data/f']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, '0 0\n0 0\n');
    // outside: 0 inside is the user, 1000 the range's 1000th id
    assert.deepEqual([lstatSync(join(mountpoint, 'f')).uid, lstatSync(join(mountpoint, 'f')).gid], [uid, user.gid]);
    assert.deepEqual([lstatSync(join(mountpoint, 'd/g')).uid, lstatSync(join(mountpoint, 'd/g')).gid], [sub!.start + 999, sub!.start + 1999]);

    const r = await user.run(CLI, ['run', '--rm', '--network', 'none', '-v', `${vol}:/data:ro`, ref(), 'sh', '-c', 'cat /data/f; stat -c "%u %g" /data/d/g; touch /data/no 2>/dev/null || echo read-only']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'kept\n1000 2000\nread-only\n');
    assert.deepEqual(foreignIn(store), [], 'nothing of the host\'s root or another user in the store');

    const rm = await user.run(CLI, ['volume', 'rm', vol]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, `${vol}\n`);
    assert.equal(existsSync(join(store, 'volumes', vol)), false, 'the range\'s files removed too');
    assert.equal((await user.run(CLI, ['volume', 'ls', '-q'])).stdout, '');
  });

  test('anonymous volumes: run --rm and rm -v remove them with the range\'s files', async () => {
    const once = await user.run(CLI, ['run', '--rm', '--network', 'none', '-v', '/anon', ref(), 'sh', '-c', 'mkdir /anon/d && chown 1000:1000 /anon/d && touch /anon/d/f']);
    assert.equal(once.code, 0, once.stderr);
    const name = `${TEST_PREFIX}rl-anon-${process.pid}`;
    const c = await user.run(CLI, ['create', '--name', name, '--network', 'none', '-v', '/anon', ref(), 'true']);
    assert.equal(c.code, 0, c.stderr);
    const started = await user.run(CLI, ['start', '-a', name]);
    assert.equal(started.code, 0, started.stderr);
    const ex = await user.run(CLI, ['run', '--rm', '--network', 'none', '--volumes-from', name, ref(), 'sh', '-c', 'mkdir /anon/e && chown 1000:1000 /anon/e && touch /anon/e/f']);
    assert.equal(ex.code, 0, ex.stderr);
    const vols = readdirSync(join(store, 'volumes'));
    assert.equal(vols.length, 1, vols.join(' '));
    assert.equal(lstatSync(join(store, 'volumes', vols[0]!, '_data', 'e')).uid, user.sub!.start + 999);
    const rm = await user.run(CLI, ['rm', '-v', name]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(readdirSync(join(store, 'volumes')), []);
  });

  test('-v HOSTDIR:/path binds a directory of the user\'s: written with the user\'s ids; one the user cannot read is refused by the kernel, in one line', async () => {
    const { uid, sub } = user;
    const dir = join(user.home, 'tmp', 'bind');
    const mk = await user.run('mkdir', [dir]);
    assert.equal(mk.code, 0, mk.stderr);
    const w = await user.run(CLI, ['run', '--rm', '--network', 'none', '-v', `${dir}:/h`, ref(), 'sh', '-c', 'echo from-inside > /h/f && mkdir /h/d && chown 1000:1000 /h/d && stat -c "%u" /h']);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, '0\n');
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'from-inside\n');
    assert.equal(lstatSync(join(dir, 'f')).uid, uid);
    assert.equal(lstatSync(join(dir, 'd')).uid, sub!.start + 999);

    // root's own directories: one the user may not even look in, one the user may reach but not read
    const closed = mkdtempSync(join('/tmp', `${TEST_PREFIX}rl-closed-`));
    try {
      chmodSync(closed, 0o711);
      mkdirSync(join(closed, 'hidden', 'sub'), { recursive: true, mode: 0o700 });
      mkdirSync(join(closed, 'unread'), { mode: 0o700 });
      for (const [source, words] of [
        [join(closed, 'hidden', 'sub'), `^moby-dick: invalid mount config for type "bind": bind source path ${join(closed, 'hidden', 'sub')}: permission denied \\(rootless: the kernel lets an ordinary user bind only what the user can reach\\)`],
        [join(closed, 'new'), `^moby-dick: invalid mount config for type "bind": cannot create bind source path ${join(closed, 'new')}: permission denied`],
      ] as const) {
        const r = await user.run(CLI, ['run', '--rm', '--network', 'none', '-v', `${source}:/h`, ref(), 'true']);
        assert.equal(r.code, 125, r.stderr);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, new RegExp(words));
      }
      assert.equal(existsSync(join(closed, 'new')), false);
      // reachable, so bound; reading it is refused by the kernel inside as outside (root inside is the user)
      const r = await user.run(CLI, ['run', '--rm', '--network', 'none', '-v', `${join(closed, 'unread')}:/h`, ref(), 'sh', '-c', 'ls /h || echo refused; touch /h/x || echo refused']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'refused\nrefused\n');
      assert.match(r.stderr, /Permission denied/);
      assert.deepEqual(readdirSync(join(closed, 'unread')), []);
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
    assert.deepEqual(readdirSync(join(store, 'containers')), [], 'nothing left of the refused container');
    assert.deepEqual(foreignIn(store), []);
  });

  test('export: the container\'s files with the owners seen inside (range id -> in-namespace id), a symlink kept as a symlink, a removed file left out', async () => {
    const name = `${TEST_PREFIX}rl-export-${process.pid}`;
    const r = await user.run(CLI, ['run', '--name', name, '--network', 'none', ref(), 'sh', '-c',
      'echo mine > /mine && chown 1000:2000 /mine && ln -s /etc /esc && ln -s ../../etc/passwd /bin/up && rm /bin/true']);
    assert.equal(r.code, 0, r.stderr);
    try {
      const archive = join(user.home, 'tmp', 'exported.tar');
      const ex = await user.run(CLI, ['export', '-o', archive, name]);
      assert.equal(ex.code, 0, ex.stderr);
      assert.equal(lstatSync(archive).uid, user.uid);
      const list = execFileSync('tar', ['--numeric-owner', '-tvf', archive], { encoding: 'utf8' }).split('\n');
      const entry = (path: string) => list.find((l) => l.endsWith(` ${path}`) || l.includes(` ${path} -> `));
      assert.match(entry('mine') ?? '', /^-rw-r--r-- 1000\/2000 /);
      assert.match(entry('bin/busybox') ?? '', /^-rwxr-xr-x 0\/0 /);
      assert.match(entry('esc') ?? '', /^l.* esc -> \/etc$/);
      assert.match(entry('bin/up') ?? '', /^l.* bin\/up -> \.\.\/\.\.\/etc\/passwd$/);
      assert.equal(entry('bin/true'), undefined, 'the removed file is not exported');
      assert.deepEqual(list.filter((l) => / esc\//.test(l)), [], 'nothing through the symlink');
      const passwd = execFileSync('tar', ['-xOf', archive, 'etc/passwd'], { encoding: 'utf8' });
      assert.ok(!passwd.includes(user.name), 'the container\'s /etc/passwd, not the host\'s');
    } finally {
      const rm = await user.run(CLI, ['rm', name]);
      assert.equal(rm.code, 0, rm.stderr);
    }
    assert.deepEqual(foreignIn(store), []);
  });
});
