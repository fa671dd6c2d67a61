/**
 * `cp` and `export`, as a Docker user checks them: both directions, running
 * and stopped containers, -a, tar streams, and hostile symlinks in the
 * container (absolute, relative, and to a host path) that must never send a
 * read or a write to the host.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { openTarReader, readBody } from '../../src/images/tar/tar-reader.js';
import { TarWriter } from '../../src/images/tar/tar-writer.js';
import { CLI } from '../helpers/cli.js';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';
import { PassThrough } from 'node:stream';

const CONTAINER_PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n';

async function tarEntries(data: Buffer): Promise<Map<string, { type: string; uid: number; body: string; linkname: string; mode: number }>> {
  const out = new Map<string, { type: string; uid: number; body: string; linkname: string; mode: number }>();
  for await (const e of openTarReader((async function* () { yield data; })())) {
    const body = e.header.type === 'file' ? (await readBody(e)).toString() : '';
    out.set(e.header.name, { type: e.header.type, uid: e.header.uid, body, linkname: e.header.linkname, mode: e.header.mode });
  }
  return out;
}

describe('engine: cp and export', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  /** the CLI with binary stdout (a tar) */
  const mdkBytes = (args: string[], input?: Buffer): Buffer => execFileSync(CLI, args, { env: w.env.env, input, maxBuffer: 64 << 20 });
  let host: string;
  before(() => {
    host = mkdtempSync('/tmp/mdk-test-cp-');
  });
  after(() => rmSync(host, { recursive: true, force: true }));
  checkEachTest(w);
  beforeEach(() => {
    rmSync(host, { recursive: true, force: true });
    mkdirSync(host);
  });

  const cat = async (id: string, path: string) => (await mdk('exec', id, 'cat', path)).stdout;

  /** a running container with hostile symlinks: absolute and relative to /etc, and one to a host-only path */
  async function hostile(running: boolean): Promise<string> {
    const decoy = join(host, 'decoy');
    mkdirSync(decoy);
    const script = `ln -s /etc /abs; ln -s ../../../../../etc /tmp/rel; ln -s ${decoy} /tohost; ln -s /etc/passwd /pw; ln -s /proc/self/root /magic; ln -s /proc/1/root/etc /magic1; mkdir /data; echo in-ctr > /data/f`;
    const id = (await mdk('run', '-d', w.image, 'sh', '-c', `${script}; ${running ? 'sleep 60' : 'true'}`)).stdout.trim();
    if (!running) assert.equal((await mdk('wait', id)).stdout, '0\n');
    else for (let i = 0; i < 100 && (await mdk('exec', id, 'cat', '/data/f')).stdout !== 'in-ctr\n'; i++);
    return id;
  }

  for (const running of [true, false]) {
    const state = running ? 'running' : 'stopped';

    test(`${state}: files and directories both ways, owners with -a, modes and times kept`, async () => {
      const id = await hostile(running);
      // out: a file, a directory, a symlink copied as a symlink, -L following it inside the container
      assert.equal((await mdk('cp', `${id}:/data/f`, join(host, 'f'))).code, 0);
      assert.equal(readFileSync(join(host, 'f'), 'utf8'), 'in-ctr\n');
      assert.equal((await mdk('cp', `${id}:/data`, host)).code, 0);
      assert.equal(readFileSync(join(host, 'data/f'), 'utf8'), 'in-ctr\n');
      assert.equal((await mdk('cp', `${id}:/pw`, join(host, 'pw'))).code, 0);
      assert.equal(readlinkSync(join(host, 'pw')), '/etc/passwd', 'a symlink is copied as a symlink');
      assert.equal((await mdk('cp', '-L', `${id}:/pw`, join(host, 'pw-followed'))).code, 0);
      assert.equal(readFileSync(join(host, 'pw-followed'), 'utf8'), CONTAINER_PASSWD, 'followed inside the container');
      // in: a directory with a file owned 1234:5678, mode 0640, an old mtime, and a symlink
      const src = join(host, 'src');
      mkdirSync(src);
      writeFileSync(join(src, 'owned'), 'hello\n', { mode: 0o640 });
      chownSync(join(src, 'owned'), 1234, 5678);
      utimesSync(join(src, 'owned'), 1_000_000_000, 1_000_000_000);
      symlinkSync('/etc/shadow', join(src, 'link'));
      const r = await mdk('cp', src, `${id}:/tmp/`);
      assert.equal(r.code, 0, r.stderr);
      const r2 = await mdk('cp', '-a', join(src, 'owned'), `${id}:/tmp/kept`);
      assert.equal(r2.code, 0, r2.stderr);
      // look from the host again (works for a stopped container too)
      assert.equal((await mdk('cp', '-a', `${id}:/tmp/src`, join(host, 'back'))).code, 0);
      const back = statSync(join(host, 'back/owned'));
      assert.equal(readFileSync(join(host, 'back/owned'), 'utf8'), 'hello\n');
      assert.equal(back.mode & 0o7777, 0o640);
      assert.equal(back.mtimeMs, 1_000_000_000_000);
      assert.deepEqual([back.uid, back.gid], [0, 0], 'without -a what lands in the container is root\'s');
      assert.equal(readlinkSync(join(host, 'back/link')), '/etc/shadow');
      assert.equal((await mdk('cp', '-a', `${id}:/tmp/kept`, join(host, 'kept'))).code, 0);
      assert.deepEqual([statSync(join(host, 'kept')).uid, statSync(join(host, 'kept')).gid], [1234, 5678], '-a keeps owners');
      // Docker's rules: a directory onto a file, a missing parent, a missing source
      const dirOnFile = await mdk('cp', src, `${id}:/data/f`);
      assert.equal(dirOnFile.code, 1);
      assert.match(dirOnFile.stderr, /^moby-dick: cannot copy a directory to a file/);
      const missing = await mdk('cp', `${id}:/mdk-test-nothing`, host);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`^moby-dick: Could not find the file /mdk-test-nothing in container ${id}`));
      if (running) {
        assert.equal(await cat(id, '/tmp/src/owned'), 'hello\n');
      } else {
        // the writable layer written through a detached overlay still mounts: the container starts
        const s = await mdk('start', '-a', id);
        assert.equal(s.code, 0, s.stderr);
      }
    });

    test(`${state}: symlinks in the container never lead to the host`, async () => {
      const id = await hostile(running);
      const hostPasswd = readFileSync('/etc/passwd', 'utf8');
      assert.notEqual(hostPasswd, CONTAINER_PASSWD);
      // reading through absolute and relative links that point out: the container's /etc
      for (const p of ['/abs/passwd', '/tmp/rel/passwd']) {
        rmSync(join(host, 'out'), { force: true });
        const r = await mdk('cp', `${id}:${p}`, join(host, 'out'));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(readFileSync(join(host, 'out'), 'utf8'), CONTAINER_PASSWD, p);
      }
      // magic links (/proc/PID/root) are never followed: refused, whoever "self" would be
      for (const p of ['/magic/etc/passwd', '/magic1/passwd']) {
        rmSync(join(host, 'magic'), { force: true });
        const r = await mdk('cp', `${id}:${p}`, join(host, 'magic'));
        assert.equal(r.code, 1, `${p}: ${r.stderr}`);
        assert.equal(existsSync(join(host, 'magic')), false);
      }
      // a link to a path that exists only on the host: not found in the container
      writeFileSync(join(host, 'decoy', 'secret'), 'host secret\n');
      const through = await mdk('cp', `${id}:/tohost/secret`, join(host, 'leak'));
      assert.equal(through.code, 1);
      assert.equal(existsSync(join(host, 'leak')), false);
      // writing through them: lands in the container's /etc, never the host's
      writeFileSync(join(host, 'payload'), 'payload\n');
      for (const dst of ['/abs/mdk-test-cp-abs', '/tmp/rel/mdk-test-cp-rel']) {
        const r = await mdk('cp', join(host, 'payload'), `${id}:${dst}`);
        assert.equal(r.code, 0, r.stderr);
      }
      const wrote = await mdk('cp', join(host, 'payload'), `${id}:/tohost/mdk-test-cp-host`);
      assert.equal(wrote.code, 1, 'the host directory does not exist in the container');
      assert.deepEqual(readdirSync(join(host, 'decoy')), ['secret'], 'nothing written to the host through /tohost');
      assert.equal(existsSync('/etc/mdk-test-cp-abs'), false);
      assert.equal(existsSync('/etc/mdk-test-cp-rel'), false);
      // a tar from stdin whose names climb out, and one whose directory is a link out
      const tar = new PassThrough();
      const chunks: Buffer[] = [];
      tar.on('data', (c: Buffer) => chunks.push(c));
      const tw = new TarWriter(tar);
      await tw.addFile({ name: '../../../etc/mdk-test-cp-climb' }, Buffer.from('climb\n'));
      await tw.addFile({ name: 'abs/mdk-test-cp-tar' }, Buffer.from('tar\n'));
      await tw.finish();
      tar.end();
      mdkBytes(['cp', '-', `${id}:/`], Buffer.concat(chunks));
      assert.equal(existsSync('/etc/mdk-test-cp-climb'), false);
      assert.equal(existsSync('/etc/mdk-test-cp-tar'), false);
      const view = await tarEntries(mdkBytes(['cp', `${id}:/etc/.`, '-']));
      assert.equal(view.get('mdk-test-cp-abs')?.body, 'payload\n');
      assert.equal(view.get('mdk-test-cp-rel')?.body, 'payload\n');
      assert.equal(view.get('mdk-test-cp-climb')?.body, 'climb\n', '".." stays under the destination');
      assert.equal(view.get('mdk-test-cp-tar')?.body, 'tar\n');
      assert.equal(view.get('passwd')?.body, CONTAINER_PASSWD);
    });
  }

  test('a start waits for a cp into the stopped container (both hold its lock)', async () => {
    const id = (await mdk('create', w.image, 'cat', '/slow')).stdout.trim();
    // cp - reads its tar from a stdin we hold open: it holds the container's lock until we end it
    const tar = new PassThrough();
    const tw = new TarWriter(tar);
    const cp = spawn(CLI, ['cp', '-', `${id}:/`], { env: w.env.env, stdio: ['pipe', 'ignore', 'pipe'] });
    tar.pipe(cp.stdin!);
    const cpDone = new Promise<number | null>((r) => cp.on('exit', r));
    await tw.addFile({ name: 'slow' }, Buffer.from('written before the start\n'));
    // wait until cp holds the container's lock (a FLOCK on run/locks/ID in /proc/locks)
    const lockFile = join(w.env.root, 'run', 'locks', id);
    const held = () => existsSync(lockFile) && readFileSync('/proc/locks', 'utf8').split('\n').some((l) => l.includes('FLOCK') && l.split(/\s+/)[5]?.endsWith(`:${statSync(lockFile).ino}`));
    for (let i = 0; i < 200 && !held(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(held(), 'cp holds the container\'s lock');
    let started = 0;
    const start = mdk('start', '-a', id).then((r) => ((started = Date.now()), r));
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(started, 0, 'start waits while cp holds the container');
    const ended = Date.now();
    await tw.finish();
    tar.end();
    assert.equal(await cpDone, 0);
    const s = await start;
    assert.ok(started >= ended, 'start went on after cp ended');
    assert.equal(s.stdout, 'written before the start\n', `stderr: ${s.stderr} code ${s.code}`);
  });

  test('a --read-only container: refused as Docker refuses it, running or stopped; its volume stays writable', async () => {
    writeFileSync(join(host, 'f'), 'f\n');
    const vol = join(host, 'vol');
    const id = (await mdk('run', '-d', '--read-only', '-v', `${vol}:/vol`, w.image, 'sleep', '60')).stdout.trim();
    const refused = await mdk('cp', join(host, 'f'), `${id}:/tmp/f`);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'moby-dick: container rootfs is marked read-only\n');
    const intoVolume = await mdk('cp', join(host, 'f'), `${id}:/vol/f`);
    assert.equal(intoVolume.code, 0, intoVolume.stderr);
    assert.equal(readFileSync(join(vol, 'f'), 'utf8'), 'f\n');
    assert.equal((await mdk('stop', '-t', '0', id)).code, 0);
    const stopped = await mdk('cp', join(host, 'f'), `${id}:/tmp/f`);
    assert.equal(stopped.code, 1);
    assert.equal(stopped.stderr, 'moby-dick: container rootfs is marked read-only\n');
  });

  test('cp to stdout is a tar of the source; export is the container\'s filesystem without its volumes', async () => {
    const id = (await mdk('run', '-d', '-v', 'mdk-test-cp-vol:/vol', w.image, 'sh', '-c', 'echo v > /vol/in-volume; echo new > /new; rm /etc/group; ln /new /new-link; mkfifo /fifo; sleep 60')).stdout.trim();
    for (let i = 0; i < 100 && (await mdk('exec', id, 'ls', '/fifo')).code !== 0; i++);
    const one = await tarEntries(mdkBytes(['cp', `${id}:/new`, '-']));
    assert.deepEqual([...one.keys()], ['new']);
    const volume = await tarEntries(mdkBytes(['cp', `${id}:/vol`, '-']));
    assert.equal(volume.get('vol/in-volume')?.body, 'v\n', 'cp sees volumes, as Docker');
    const file = join(host, 'export.tar');
    const r = await mdk('export', '-o', file, id);
    assert.equal(r.code, 0, r.stderr);
    const entries = await tarEntries(readFileSync(file));
    assert.equal(entries.get('new')?.body, 'new\n');
    assert.equal(entries.get('new-link')?.type, 'hardlink');
    assert.equal(entries.get('new-link')?.linkname, 'new');
    assert.equal(entries.get('fifo')?.type, 'fifo');
    assert.equal(entries.get('etc/passwd')?.body, CONTAINER_PASSWD);
    assert.equal(entries.has('etc/group'), false, 'a file the container removed is not exported');
    assert.equal(entries.get('bin/sh')?.type, 'symlink');
    assert.equal(entries.get('bin/busybox')?.mode, 0o755);
    assert.equal(entries.has('vol/in-volume'), false, 'volumes are not exported');
    assert.ok([...entries.keys()].every((n) => !n.startsWith('/') && !n.startsWith('./')));
    // GNU tar reads it
    const listed = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n');
    assert.ok(listed.includes('bin/busybox'));
    assert.equal((await mdk('stop', '-t', '0', id)).code, 0);
    const stopped = await tarEntries(mdkBytes(['export', id]));
    assert.equal(stopped.get('new')?.body, 'new\n', 'a stopped container exports the same');
    assert.equal(stopped.has('vol/in-volume'), false, 'without its volumes');
    // a stopped container's cp sees its volumes too, both ways (bound onto the detached overlay)
    const stoppedVolume = await tarEntries(mdkBytes(['cp', `${id}:/vol`, '-']));
    assert.equal(stoppedVolume.get('vol/in-volume')?.body, 'v\n');
    writeFileSync(join(host, 'g'), 'g\n');
    const into = await mdk('cp', join(host, 'g'), `${id}:/vol/g`);
    assert.equal(into.code, 0, into.stderr);
    assert.equal(readFileSync(join(w.env.root, 'volumes', 'mdk-test-cp-vol', '_data', 'g'), 'utf8'), 'g\n');
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes('mdk-test-cp-vol'), 'nothing mounted on the host');
    const missing = await mdk('export', '-o', join(host, 'none.tar'), 'mdk-test-nothing');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^moby-dick: No such container: mdk-test-nothing/);
    assert.equal(existsSync(join(host, 'none.tar')), false);
    assert.equal(lstatSync(host).isDirectory(), true);
  });

  /** the CLI with binary stdout: its exit code, stdout and stderr */
  const cpRaw = (args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> =>
    new Promise((resolve) => {
      const p = spawn(CLI, args, { env: w.env.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let stderr = '';
      p.stdout.on('data', (c: Buffer) => out.push(c));
      p.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    });

  test('cp CONTAINER:/ of a running container: its files and volumes; /proc, /sys and /dev as empty directories, as docker cp has them', async () => {
    const id = (await mdk('run', '-d', '-v', 'mdk-test-cp-rootvol:/vol', w.image, 'sh', '-c', 'echo v > /vol/in-volume; echo top > /top; sleep 60')).stdout.trim();
    for (let i = 0; i < 100 && (await mdk('exec', id, 'cat', '/top')).stdout !== 'top\n'; i++);
    const r = await cpRaw(['cp', `${id}:/`, '-']);
    assert.equal(r.code, 0, r.stderr);
    const entries = await tarEntries(r.stdout);
    assert.equal(entries.get('top')?.body, 'top\n');
    assert.equal(entries.get('etc/passwd')?.body, CONTAINER_PASSWD);
    assert.equal(entries.get('vol/in-volume')?.body, 'v\n', 'volumes are copied');
    for (const dir of ['proc', 'sys', 'dev']) {
      assert.equal(entries.get(`${dir}/`)?.type, 'directory', dir);
      const inside = [...entries.keys()].filter((n) => n.startsWith(`${dir}/`) && n !== `${dir}/`);
      assert.deepEqual(inside, [], `nothing of the kernel's ${dir}`);
    }
    // onto the host too
    const r2 = await mdk('cp', `${id}:/`, join(host, 'root'));
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(readdirSync(join(host, 'root', 'proc')), []);
    assert.equal(readFileSync(join(host, 'root', 'top'), 'utf8'), 'top\n');
    // a file of the kernel's is not the container's: not found, as in docker cp
    for (const p of ['/proc/cpuinfo', '/sys/kernel/hostname', '/dev/null', '/proc/1/status']) {
      const f = await mdk('cp', `${id}:${p}`, join(host, 'kernel'));
      assert.equal(f.code, 1, `${p}: ${f.stderr}`);
      assert.match(f.stderr, new RegExp(`^moby-dick: Could not find the file ${p} in container ${id}`));
      assert.equal(f.stderr.split('\n').length, 2, f.stderr);
    }
    assert.equal((await mdk('rm', '-f', '-v', id)).code, 0);
    await mdk('volume', 'rm', 'mdk-test-cp-rootvol');
  });

  test('a container swapping a directory for a symlink while cp reads it: each copy works or fails in one line, never an internal error, never a read outside the container', async () => {
    const decoy = join(host, 'decoy');
    mkdirSync(decoy);
    writeFileSync(join(decoy, 'secret'), 'mdk-test host secret\n');
    // /race/d is a directory with files, then a symlink to the host's decoy path, then a directory again, ...
    const loop = `mkdir -p /race; while true; do rm -rf /race/d; mkdir -p /race/d/sub; echo in-ctr > /race/d/f; echo in-ctr > /race/d/sub/g; rm -rf /race/d; ln -s ${decoy} /race/d; rm -f /race/d; done`;
    const id = (await mdk('run', '-d', w.image, 'sh', '-c', loop)).stdout.trim();
    for (let i = 0; i < 100 && (await mdk('exec', id, 'ls', '/race')).code !== 0; i++);
    let ok = 0;
    for (let i = 0; i < 24; i++) {
      const src = i % 2 ? `${id}:/race` : `${id}:/race/d/.`;
      const r = await cpRaw(['cp', src, '-']);
      assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, `${src}: ${r.stderr}`);
      assert.ok(!r.stdout.includes('mdk-test host secret'), 'nothing of the host read');
      if (r.code === 0) {
        ok++;
        const entries = await tarEntries(r.stdout);
        for (const [name, e] of entries) if (e.type === 'file') assert.equal(e.body, 'in-ctr\n', name);
      } else {
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
      }
    }
    assert.ok(ok > 0, 'some copies work');
    assert.deepEqual(readdirSync(decoy), ['secret'], 'nothing written on the host');
  });
});
