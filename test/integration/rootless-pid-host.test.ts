/**
 * `run --pid host` as an ordinary user (rootless): a user namespace that
 * has no PID namespace of its own may not mount a fresh proc (EPERM), so
 * the container gets the host's /proc bound (rbind), as rootless Podman
 * does, with Docker's masked and read-only paths applied on it. The
 * container sees the host's processes; the masked files read empty, the
 * masked directories are empty, the read-only ones are mounted read-only.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { MASKED_PATHS, READONLY_PATHS } from '../../src/spec/defaults.js';
import { CLI } from '../helpers/cli.js';
import { useRootlessBusybox } from '../helpers/rootless-image.js';
import type { TestUser } from '../helpers/test-user.js';

describe('rootless engine: run --pid host as an ordinary user', () => {
  let user: TestUser;
  let image = '';
  useRootlessBusybox('mdk-test/rootless-pidhost', (m) => ({ user, image } = m));

  let sleeper: ChildProcess | undefined;
  after(() => {
    sleeper?.kill('SIGKILL');
  });

  test("ps inside lists the host's processes; the masked paths are masked and the read-only ones read-only on the host's /proc", async () => {
    // a host process the container must see, with a mark of its own
    const mark = `${process.pid}.25`;
    sleeper = spawn('sleep', [mark], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    const procMasked = MASKED_PATHS.filter((p) => p.startsWith('/proc/') && existsSync(p));
    const files = procMasked.filter((p) => !statSync(p).isDirectory());
    const dirs = procMasked.filter((p) => statSync(p).isDirectory());
    const readonly = READONLY_PATHS.filter((p) => existsSync(p));
    assert.ok(files.length > 0, 'a masked file of /proc exists on this host');
    const script = [
      'ps -o pid,args',
      'echo @@files',
      ...files.map((f) => `printf "%s %s\\n" ${f} "$(wc -c < ${f})"`),
      'echo @@dirs',
      ...dirs.map((d) => `printf "%s %s\\n" ${d} "$(ls -A ${d} | wc -l)"`),
      'echo @@mounts',
      'cat /proc/self/mountinfo',
    ].join('; ');
    const r = await user.run(CLI, ['run', '--rm', '--pid', 'host', '--network', 'none', image, 'sh', '-c', script]);
    sleeper.kill('SIGKILL');
    assert.equal(r.code, 0, r.stderr);
    const [ps, fileLines, dirLines, mountinfo] = r.stdout.split(/^@@\w+$/m) as [string, string, string, string];

    assert.match(ps, new RegExp(`^ *${pid} +sleep ${mark.replace('.', '\\.')}$`, 'm'), 'the host process, under its host pid');
    assert.doesNotMatch(ps, /^ *1 +sh -c/m, 'pid 1 is the host\'s init, not the container\'s shell');

    for (const f of files) assert.match(fileLines, new RegExp(`^${f} +0$`, 'm'), `${f} reads empty`);
    for (const d of dirs) assert.match(dirLines, new RegExp(`^${d} +0$`, 'm'), `${d} is empty`);

    const mounts = new Map(mountinfo.trim().split('\n').map((l) => {
      const f = l.split(' ');
      return [f[4]!, { options: f[5]!.split(','), fstype: f[f.indexOf('-') + 1]! }] as const;
    }));
    assert.equal(mounts.get('/proc')?.fstype, 'proc', '/proc is procfs');
    for (const p of [...files, ...dirs]) assert.ok(mounts.has(p), `${p} is mounted over`);
    for (const p of readonly) assert.ok(mounts.get(p)?.options.includes('ro'), `${p} is read-only: ${JSON.stringify(mounts.get(p))}`);
  });
});
