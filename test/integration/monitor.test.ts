/**
 * The monitor of detachable containers (native/src/watch.c): a container
 * started by a short-lived Node process that detaches and exits, its
 * json-file log with rotation, the exit file, on_exit, attach with and
 * without a tty, and the container's end when its starter dies before the
 * detach.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { attach, FrameDecoder } from '../../src/engine/attach.js';
import { type LogEntry, readLogs } from '../../src/engine/logs.js';
import { MobyDickError } from '../../src/errors.js';
import type { ContainerConfig } from '../../src/helper/config.js';
import { startContainer } from '../../src/jail/start.js';
import { type MonitorOptions, parseExitRecord } from '../../src/helper/monitor-ops.js';
import { run, sleep } from '../helpers/cli.js';
import { useRootfs } from '../helpers/fixtures.js';

const STARTER = new URL('../helpers/detach-starter.js', import.meta.url).pathname;
const MARK = 'mdk-test-marker-monitor';

interface Started {
  pid: number;
  monitorPid: number;
  /** a detached jail container's cgroup, left to its caller (Detached.cgroup) */
  cgroup?: string;
}

/** Removes a detached container's cgroup once it has ended, as its caller must, and its parent once empty. */
function removeCgroup(path: string): void {
  const root = '/sys/fs/cgroup';
  for (const h of readdirSync(root)) {
    for (const dir of [join(root, h, path), join(root, path), join(root, h, dirname(path)), join(root, dirname(path))]) {
      try {
        rmdirSync(dir);
      } catch {
        // not in this hierarchy, or gone already
      }
    }
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

function statField(pid: number, index: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[index - 3]!;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('container monitor', () => {
  let dir = '';
  const started: number[] = [];
  const cgroups: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync('/tmp/mdk-test-monitor-');
  });
  afterEach(async () => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* ended */
      }
    }
    await until('monitors to end', () => !readdirSync('/proc').some((p) => /^\d+$/.test(p) && isMonitorOf(Number(p), dir)));
    for (const c of cgroups.splice(0)) removeCgroup(c);
    rmSync(dir, { recursive: true, force: true });
  });
  // after our own cleanup: its leak check runs once the test's containers are gone
  const fx = useRootfs(MARK);

  /** a monitor process still working for this test's directory */
  function isMonitorOf(pid: number, d: string): boolean {
    try {
      return alive(pid) && readlinkSync(`/proc/${pid}/exe`).includes('mdk-init') &&
        readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(d);
          } catch {
            return false;
          }
        });
    } catch {
      return false;
    }
  }

  const paths = () => ({ log: join(dir, 'c.json'), exit: join(dir, 'exit.json'), sock: join(dir, 'attach.sock') });

  /** Starts a container from a starter process that detaches and exits. */
  async function startDetached(config: Omit<ContainerConfig, 'rootfs'>, monitor: MonitorOptions): Promise<Started & { starter: number }> {
    let starter = 0;
    const r = await run(process.execPath, [STARTER, JSON.stringify({ config: { rootfs: fx.rootfs, ...config }, monitor })], {
      onSpawn: (pid) => (starter = pid),
    });
    assert.equal(r.code, 0, `starter: ${r.stdout} ${r.stderr}`);
    const s = JSON.parse(r.stdout) as Started;
    started.push(s.pid);
    assert.match(s.cgroup ?? '', /^\/moby-dick-jail\/[0-9a-f]{16}$/, 'the detached container\'s cgroup is named to its caller');
    cgroups.push(s.cgroup!);
    return { ...s, starter };
  }

  const exitRecord = async () => {
    const { exit } = paths();
    await until('the exit file', () => existsSync(exit));
    return parseExitRecord(readFileSync(exit, 'utf8'));
  };

  test('a detached container outlives its starter; both streams land in the json log with their times', async () => {
    const { log, exit } = paths();
    const before = BigInt(Date.now()) * 1_000_000n;
    const s = await startDetached(
      { command: ['sh', '-c', `echo out-1; echo err-1 >&2; sleep 0.5; echo out-2 # ${MARK}`] },
      { log: { path: log }, exitFile: exit },
    );
    assert.equal(alive(s.starter), false);
    assert.ok(alive(s.pid), 'the container runs on');
    assert.ok(alive(s.monitorPid), 'its monitor runs on');
    // the monitor let go: its own session, no parent of ours, /dev/null for stdio, no fd 3 or 4
    assert.equal(statField(s.monitorPid, 6), String(s.monitorPid));
    assert.notEqual(statField(s.monitorPid, 4), String(s.starter));
    assert.equal(statField(s.pid, 4), String(s.monitorPid));
    for (const fd of ['0', '1', '2']) assert.equal(readlinkSync(`/proc/${s.monitorPid}/fd/${fd}`), '/dev/null');
    const fds = readdirSync(`/proc/${s.monitorPid}/fd`);
    assert.ok(!fds.includes('3') && !fds.includes('4'), `monitor fds: ${fds.map((fd) => `${fd}->${readlinkSync(`/proc/${s.monitorPid}/fd/${fd}`)}`).join(' ')}`);
    assert.equal(readlinkSync(`/proc/${s.monitorPid}/cwd`), '/');

    assert.deepEqual(await exitRecord(), { ...(await exitRecord())!, exitCode: 0, signal: null });
    const after = BigInt(Date.now()) * 1_000_000n;
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    for (const l of lines) assert.match(l, /^\{"log":".*","stream":"std(out|err)","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z"\}$/);
    const entries = await collect(readLogs(log));
    assert.deepEqual(entries.map((e) => [e.stream, e.log]).sort(), [['stderr', 'err-1\n'], ['stdout', 'out-1\n'], ['stdout', 'out-2\n']]);
    for (const e of entries) assert.ok(e.nanos >= before && e.nanos <= after, `${e.time} within the run`);
    const [o1, o2] = entries.filter((e) => e.stream === 'stdout');
    assert.ok(o2!.nanos - o1!.nanos >= 400_000_000n, 'out-2 came half a second later');
  });

  test("Docker's escaping, invalid UTF-8 as U+FFFD, 16 KiB partial entries, output without a final newline", async () => {
    const { log, exit } = paths();
    const script = `printf 'a\\t<b>&"\\\\\\377\\342\\200\\250\\r\\n'; head -c 40000 /dev/zero | tr '\\0' x; echo; printf tail # ${MARK}`;
    await startDetached({ command: ['sh', '-c', script] }, { log: { path: log }, exitFile: exit });
    await exitRecord();
    const raw = readFileSync(log, 'utf8').split('\n');
    assert.ok(raw[0]!.startsWith('{"log":"a\\u0009\\u003cb\\u003e\\u0026\\"\\\\\\ufffd\\u2028\\r\\n","stream":"stdout","time":"'), raw[0]);
    const entries = await collect(readLogs(log));
    assert.deepEqual(entries.map((e) => e.log.length), [12, 16384, 16384, 40000 - 2 * 16384 + 1, 4]);
    assert.equal(entries[0]!.log, 'a\t<b>&"\\\ufffd\u2028\r\n');
    assert.equal(entries[3]!.log, `${'x'.repeat(40000 - 2 * 16384)}\n`);
    assert.equal(entries[4]!.log, 'tail');
  });

  test('rotation keeps at most max-file files under max-size, and follow reads across it', async () => {
    const { log, exit } = paths();
    const script = `sleep 0.5; i=0; while [ $i -lt 60 ]; do echo line-$i; i=$((i+1)); sleep 0.01; done # ${MARK}`;
    const following = collect(readLogs(log, { follow: true, exitFile: exit, pollMs: 5 }));
    await startDetached({ command: ['sh', '-c', script] }, { log: { path: log, maxSize: 400, maxFiles: 3 }, exitFile: exit });
    const followed = await following;
    assert.deepEqual(followed.map((e) => e.log), Array.from({ length: 60 }, (_, i) => `line-${i}\n`));
    const files = readdirSync(dir).filter((f) => f.startsWith('c.json')).sort();
    assert.deepEqual(files, ['c.json', 'c.json.1', 'c.json.2']);
    for (const f of files) assert.ok(readFileSync(join(dir, f)).length <= 400, `${f} within max-size`);
    const kept = (await collect(readLogs(log))).map((e) => e.log);
    assert.equal(kept.at(-1), 'line-59\n');
    const first = Number(kept[0]!.slice(5));
    assert.deepEqual(kept, Array.from({ length: 60 - first }, (_, i) => `line-${first + i}\n`));
  });

  test('with max-file 1 the log is cut back in place', async () => {
    const { log, exit } = paths();
    const script = `i=0; while [ $i -lt 20 ]; do echo line-$i; i=$((i+1)); done # ${MARK}`;
    await startDetached({ command: ['sh', '-c', script] }, { log: { path: log, maxSize: 200, maxFiles: 1 }, exitFile: exit });
    await exitRecord();
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('c.json')), ['c.json']);
    assert.ok(readFileSync(log).length <= 200);
    assert.equal((await collect(readLogs(log))).at(-1)?.log, 'line-19\n');
  });

  test('the monitor killed after the detach takes its container along; no exit file claims an exit code', async () => {
    const { exit } = paths();
    const s = await startDetached({ command: ['sleep', '100'] }, { exitFile: exit });
    process.kill(s.monitorPid, 'SIGKILL');
    await until('the container to end with its monitor', () => !alive(s.pid), 3000);
    assert.equal(existsSync(exit), false);
  });

  test('the exit file records exit 3, and SIGKILL as 137 with the signal', async () => {
    const { exit } = paths();
    const before = Date.now();
    await startDetached({ command: ['sh', '-c', `exit 3 # ${MARK}`] }, { exitFile: exit });
    const r = await exitRecord();
    assert.equal(r?.exitCode, 3);
    assert.equal(r?.signal, null);
    const finished = Date.parse(r!.finishedAt);
    assert.ok(finished >= before - 1 && finished <= Date.now() + 1, r!.finishedAt);
    rmSync(exit);

    const s = await startDetached({ command: ['sleep', '100'] }, { exitFile: exit });
    process.kill(s.pid, 'SIGKILL');
    const k = await exitRecord();
    assert.equal(k?.exitCode, 137);
    assert.equal(k?.signal, 'SIGKILL');
  });

  test('on_exit runs after the exit file, with its arguments and only PATH', async () => {
    const { exit } = paths();
    const out = join(dir, 'on-exit');
    const onExit = ['/bin/sh', '-c', `cat "${exit}" > "${out}.exit"; printf '%s|' "$@" > "${out}.tmp"; env > "${out}.env"; mv "${out}.tmp" "${out}"`, 'sh', 'x y', 'z'];
    await startDetached({ command: ['sh', '-c', `exit 7 # ${MARK}`] }, { exitFile: exit, onExit });
    await until('on_exit', () => existsSync(out));
    assert.equal(readFileSync(out, 'utf8'), 'x y|z|');
    assert.equal(parseExitRecord(readFileSync(`${out}.exit`, 'utf8'))?.exitCode, 7);
    const env = readFileSync(`${out}.env`, 'utf8').split('\n').filter(Boolean).map((l) => l.split('=')[0]).sort();
    assert.deepEqual(env.filter((k) => k !== 'PWD' && k !== 'SHLVL'), ['PATH']);
  });

  test('attach: live output to several clients, stdin delivered, close-stdin ends cat', async () => {
    const { log, exit, sock } = paths();
    await startDetached({ command: ['cat'] }, { log: { path: log }, exitFile: exit, attachSocket: sock, stdinOpen: true });
    const out1 = new PassThrough();
    const out2 = new PassThrough();
    let text1 = '';
    let text2 = '';
    out1.on('data', (b: Buffer) => (text1 += b.toString()));
    out2.on('data', (b: Buffer) => (text2 += b.toString()));
    const stdin = new PassThrough();
    const a1 = attach(sock, { stdin, stdout: out1, stderr: out1, closeStdin: true });
    const a2 = attach(sock, { stdout: out2, stderr: out2 });
    await sleep(100);
    stdin.write('hello\n');
    await until('the echo', () => text1 === 'hello\n' && text2 === 'hello\n');
    stdin.write('more\n');
    await until('the second echo', () => text1 === 'hello\nmore\n');
    stdin.end();
    const [end1, end2] = await Promise.all([a1.done, a2.done]);
    assert.equal(end1.kind, 'exited');
    assert.equal(end1.kind === 'exited' && end1.exit?.exitCode, 0);
    assert.equal(end2.kind === 'exited' && end2.exit?.exitCode, 0);
    assert.equal(text2, 'hello\nmore\n');
    assert.deepEqual((await collect(readLogs(log))).map((e) => e.log), ['hello\n', 'more\n']);
    assert.equal(existsSync(sock), false, 'the monitor removes its socket');
  });

  test('attach: a megabyte of stdin reaches the container whole; a client that never reads does not hold it up', async () => {
    const { exit, sock } = paths();
    await startDetached({ command: ['sh', '-c', `wc -c; head -c 3000000 /dev/zero # ${MARK}`] }, { exitFile: exit, attachSocket: sock, stdinOpen: true });
    const stuck = createConnection(sock);
    stuck.pause(); // connected, reads nothing until the end
    const stuckFrames = new FrameDecoder();
    let stuckBytes = 0;
    let stuckExit = false;
    stuck.on('data', (b: Buffer) => {
      for (const f of stuckFrames.push(b)) {
        stuckBytes += f.data.length;
        stuckExit ||= f.stream === 3;
      }
    });
    const stuckClosed = new Promise((r) => stuck.on('close', r));
    stuck.on('error', () => {});
    let text = '';
    const out = new PassThrough();
    out.on('data', (b: Buffer) => {
      if (!text.includes('\n')) text += b.toString('latin1');
    });
    const stdin = new PassThrough();
    const a = attach(sock, { stdin, stdout: out, stderr: out, closeStdin: true });
    await sleep(100);
    stdin.end(Buffer.alloc(1 << 20, 0x61));
    const end = await a.done;
    assert.equal(end.kind === 'exited' && end.exit?.exitCode, 0);
    assert.equal(text.split('\n')[0]!.trim(), '1048576');
    stuck.resume();
    await stuckClosed;
    assert.ok(stuckBytes < 3_000_000 && !stuckExit, `the stuck client was dropped (it got ${stuckBytes} bytes)`);
  });

  test('attach with -t: the pty echoes, takes the window size, and the detach keys leave it running', async () => {
    const { log, exit, sock } = paths();
    const script = `read x; echo "got-$x"; stty size; read y; echo "second-$y" # ${MARK}`;
    await startDetached({ command: ['sh', '-c', script], tty: true }, { log: { path: log }, exitFile: exit, attachSocket: sock, stdinOpen: true });
    let text = '';
    const out = new PassThrough();
    out.on('data', (b: Buffer) => (text += b.toString()));
    const stdin = new PassThrough();
    const a = attach(sock, { stdin, stdout: out, stderr: out, tty: true });
    await sleep(100);
    a.resize(33, 101);
    stdin.write('hi\r');
    await until('the answer', () => text.includes('33 101'));
    assert.match(text, /hi\r\ngot-hi\r\n33 101\r\n/);
    stdin.write('\x10\x11');
    assert.deepEqual(await a.done, { kind: 'detached' });
    assert.equal(existsSync(exit), false, 'still running after the detach keys');

    let text2 = '';
    const out2 = new PassThrough();
    out2.on('data', (b: Buffer) => (text2 += b.toString()));
    const stdin2 = new PassThrough();
    const b = attach(sock, { stdin: stdin2, stdout: out2, stderr: out2, tty: true });
    await sleep(100);
    stdin2.write('again\r');
    const end = await b.done;
    assert.equal(end.kind === 'exited' && end.exit?.exitCode, 0);
    assert.match(text2, /second-again/);
    const logged = (await collect(readLogs(log))).map((e) => e.log).join('');
    assert.match(logged, /got-hi\r\n33 101\r\n.*second-again\r\n/s);
  });

  test('killing the starter before the detach takes the monitor and the container with it', async () => {
    const { exit } = paths();
    let starter = 0;
    let line = '';
    const running = run(process.execPath, [STARTER, JSON.stringify({ config: { rootfs: fx.rootfs, command: ['sleep', '100'] }, monitor: { exitFile: exit }, stay: true })], {
      onSpawn: (pid) => (starter = pid),
      onStdout: (t) => (line += t),
    });
    await until('the starter', () => line.includes('\n'));
    const s = JSON.parse(line) as Started;
    started.push(s.pid);
    // its cgroup, which nobody removes when its starter is killed: the test does
    const jailCgroup = /^\d+:[^:\n]*:(\/moby-dick-jail\/[0-9a-f]{16})$/m.exec(readFileSync(`/proc/${s.pid}/cgroup`, 'utf8'))?.[1];
    if (jailCgroup) cgroups.push(jailCgroup);
    assert.ok(alive(s.pid) && alive(s.monitorPid));
    process.kill(starter, 'SIGKILL');
    await running;
    await until('the container to die with its starter', () => !alive(s.pid) && !alive(s.monitorPid), 3000);
    await sleep(100);
    assert.equal(existsSync(exit), false, 'a monitor killed with its starter writes nothing');
  });

  test('in the foreground a monitored container reports its exit as usual, and setup errors reject detach()', async () => {
    const { log } = paths();
    const c = startContainer({ rootfs: fx.rootfs, command: ['sh', '-c', 'echo fg; exit 5'] }, { monitor: { log: { path: log } } });
    assert.equal(c.stdout, null);
    const status = await c.wait();
    assert.deepEqual(status, { exitCode: 5, cgroup: status.cgroup }, 'its cgroup named, and removed at the end as without a monitor');
    assert.match(status.cgroup ?? '', /^\/moby-dick-jail\/[0-9a-f]{16}$/);
    assert.deepEqual((await collect(readLogs(log))).map((e) => e.log), ['fg\n']);

    const bad = startContainer({ rootfs: fx.rootfs, command: ['mdk-test-nosuch'] }, { monitor: { log: { path: log } } });
    await assert.rejects(bad.detach(), (e: unknown) => e instanceof MobyDickError && e.code === 'COMMAND_NOT_FOUND');

    const plain = startContainer({ rootfs: fx.rootfs, command: ['true'] }, { stdio: 'pipe' });
    await assert.rejects(plain.detach(), (e: unknown) => e instanceof MobyDickError && e.code === 'USAGE');
    await plain.wait();

    await assert.rejects(
      startContainer({ rootfs: fx.rootfs, command: ['true'] }, { monitor: { log: { path: join(dir, 'no/such/dir/log') } } }).wait(),
      (e: unknown) => e instanceof MobyDickError && /opening the log file/.test(e.message),
    );
  });
});
