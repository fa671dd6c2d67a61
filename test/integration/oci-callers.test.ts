/**
 * moby-dick-runtime under its real callers, each started here in isolation
 * (own roots, sockets, cgroup names and config under one mdk-test- temp dir):
 * containerd 1.6 through its runc shim (`ctr run --runc-binary`), Podman 4.3
 * through conmon (`podman --runtime`), and Docker 20.10 (`dockerd
 * --add-runtime`). Each check also asks moby-dick-runtime itself for the
 * container's state, so it is known which runtime ran it. Afterwards every
 * process, mount, cgroup and state directory they made is gone.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RUNTIME } from '../helpers/bundle.js';
import { buildBusyboxImage, type BusyboxImage } from '../helpers/busybox-image.js';
import {
  cgroupsNamed, CreatedPaths, killUnder, mountsUnder, type NetworkFacts, networkFacts, processesInCgroups, processesUnder, removeCgroups, unmountUnder,
} from '../helpers/caller-host.js';
import { type CliResult, PROJECT, run, sleep } from '../helpers/cli.js';
import { Daemon } from '../helpers/daemon.js';

const PTY_DRIVER = `${PROJECT}test/helpers/pty-driver.py`;
const TAG = `${process.pid}`;
/** a process that ends with 7 on SIGTERM (pid 1 ignores signals it has no handler for) */
const TRAP_TERM = ['sh', '-c', 'trap "exit 7" TERM; echo up; sleep 60 & wait'];

interface Cmd {
  (args: readonly string[], options?: { onStdout?: (s: string) => void; timeoutMs?: number }): Promise<CliResult>;
}

function command(file: string, base: readonly string[], env: NodeJS.ProcessEnv): Cmd {
  return (args, options = {}) => run(file, [...base, ...args], { until: 'exit', env, timeoutMs: 30_000, ...options });
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r;
}

/** Starts a long command and resolves once its stdout shows TEXT; `done` is its result. */
async function startUntil(cmd: Cmd, args: readonly string[], text: string): Promise<{ done: Promise<CliResult> }> {
  let out = '';
  let seen: () => void = () => {};
  const up = new Promise<void>((resolve) => (seen = resolve));
  const done = cmd(args, {
    timeoutMs: 40_000,
    onStdout: (s) => {
      out += s;
      if (out.includes(text)) seen();
    },
  });
  const first = await Promise.race([up.then(() => null), done]);
  if (first) assert.fail(`${args.join(' ')} ended before printing ${text}: exit ${first.code}\n${first.stdout}${first.stderr}`);
  return { done };
}

/** moby-dick-runtime's own view of a container: proof that it is the runtime that ran it. */
async function runtimeState(root: string | null, id: string): Promise<{ status: string; pid: number }> {
  const r = await run(RUNTIME, [...(root ? ['--root', root] : []), 'state', id], { until: 'exit' });
  assert.equal(r.code, 0, `moby-dick-runtime state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

/** The terminal checks, driven on a real pty: a shell prompt, the terminal's name and size, the exit status. */
const SHELL_ON_PTY = JSON.stringify([
  { expect: '/ # ' },
  { send: 'tty; stty size; echo mdk-$((6*7))\r' },
  { expect: 'mdk-42' },
  { send: 'exit 5\r' },
]);

/** what that shell printed: a pty of the container's, the size set on the outer terminal (ctr adds a \r of its own) */
const SHELL_SAW = /\/dev\/pts\/\d+\r+\n30 100\r+\nmdk-42/;

async function onPty(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return run('python3', [PTY_DRIVER, '30', '100', SHELL_ON_PTY, ...argv], { until: 'exit', env, timeoutMs: 30_000 });
}

/** The directory named NAME somewhere under ROOT, or ''. */
function findDir(root: string, name: string): string {
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const path = join(root, e.name);
    if (e.name === name && existsSync(join(path, 'state.json'))) return path;
    const below = findDir(path, name);
    if (below) return below;
  }
  return '';
}

/** What each caller leaves once stopped: no process, no mount, only empty cgroups (removed here). */
async function assertCallerGone(dir: string, cgroup: string): Promise<void> {
  for (let i = 0; i < 100 && processesUnder(dir).length > 0; i++) await sleep(50);
  assert.deepEqual(processesUnder(dir), [], 'processes left behind');
  assert.deepEqual(mountsUnder(dir), [], 'mounts left behind');
  assert.deepEqual(processesInCgroups(cgroup), [], `processes left in the cgroup ${cgroup}`);
  await removeCgroups(cgroup);
  assert.deepEqual(cgroupsNamed(cgroup), [], 'cgroups left behind');
}

describe('moby-dick-runtime under containerd, Podman and Docker', () => {
  let dir = '';
  let image: BusyboxImage;
  let paths: CreatedPaths;
  let net: NetworkFacts;
  /**
   * the environment of every caller: temporary files in the test's dir, not /var/tmp; the runtime's compile
   * service (which serves their creates and execs) ends 2 s after their last one, so that nothing of theirs is left
   */
  const envWith = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, TMPDIR: join(dir, 'tmp'), MOBY_DICK_COMPILE_IDLE_SECONDS: '2', ...extra });
  const cgroups = { ctr: `mdk-test-ctr-${TAG}`, podman: `mdk-test-podman-${TAG}`, docker: `mdk-test-docker-${TAG}` };

  before(() => {
    paths = new CreatedPaths();
    net = networkFacts();
    dir = mkdtempSync('/tmp/mdk-test-callers-');
    chmodSync(dir, 0o755);
    image = buildBusyboxImage(dir);
  });

  after(async () => {
    if (!dir) return;
    // whatever a failed check left: processes, mounts, cgroups, state dirs
    await killUnder(dir);
    unmountUnder(dir);
    for (const name of Object.values(cgroups)) await removeCgroups(name);
    paths.remove();
    if (dir.includes('mdk-test-')) rmSync(dir, { recursive: true, force: true });
  });

  describe('containerd: ctr run --runc-binary', () => {
    let c = '';
    let daemon: Daemon | null = null;
    let ctr: Cmd;
    const ns = cgroups.ctr; // containerd puts a container in the cgroup /NAMESPACE/ID
    const img = 'docker.io/library/busybox:latest';
    const runArgs = (): string[] => ['--runc-binary', RUNTIME, '--runc-root', `${c}/runc`, '--fifo-dir', `${c}/fifo`];

    before(async () => {
      c = join(dir, 'containerd');
      mkdirSync(c);
      writeFileSync(
        join(c, 'config.toml'),
        [
          'version = 2',
          `root = "${c}/root"`,
          `state = "${c}/state"`,
          'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
          '[grpc]', `  address = "${c}/containerd.sock"`,
          '[ttrpc]', `  address = "${c}/containerd.sock.ttrpc"`,
          '[debug]', '  address = ""',
          '[metrics]', '  address = ""',
          '[plugins."io.containerd.internal.v1.opt"]', `  path = "${c}/opt"`,
          '[plugins."io.containerd.monitor.v1.cgroups"]', '  no_prometheus = true',
          '',
        ].join('\n'),
      );
      daemon = new Daemon('containerd', 'containerd', ['--config', join(c, 'config.toml')], join(c, 'containerd.log'), envWith());
      ctr = command('ctr', ['--address', join(c, 'containerd.sock'), '--namespace', ns], envWith());
      await daemon.ready(async () => (await ctr(['version'])).code === 0);
      ok(await ctr(['images', 'import', image.archive]), 'ctr images import');
    });

    after(async () => {
      if (!c) return; // never started
      await daemon?.stop(5000);
      await killUnder(c);
      unmountUnder(c);
      await removeCgroups(ns);
    });

    test('ctr run --rm: the output of echo hi, exit status 0', async () => {
      const r = ok(await ctr(['run', '--rm', ...runArgs(), img, 'mdk-test-c1', 'echo', 'hi']), 'ctr run');
      assert.equal(r.stdout, 'hi\n');
    });

    test('ctr run -t: a shell on the console socket\'s terminal, its size, its exit status', async () => {
      const argv = ['ctr', '--address', join(c, 'containerd.sock'), '--namespace', ns, 'run', '-t', '--rm', ...runArgs(), img, 'mdk-test-ct', 'sh'];
      const r = await onPty(argv, envWith());
      assert.equal(r.code, 5, r.stdout);
      assert.match(r.stdout, SHELL_SAW);
    });

    test('our runtime runs it (its state, under --runc-root); exec; kill TERM ends ctr run with the trap\'s status', async () => {
      const { done } = await startUntil(ctr, ['run', '--rm', ...runArgs(), img, 'mdk-test-c2', ...TRAP_TERM], 'up');
      const task = ok(await ctr(['tasks', 'ls']), 'ctr tasks ls').stdout.split('\n').find((l) => l.startsWith('mdk-test-c2 '));
      const st = await runtimeState(`${c}/runc/${ns}`, 'mdk-test-c2');
      assert.equal(st.status, 'running');
      assert.equal(String(st.pid), task?.split(/\s+/)[1], 'the pid containerd knows is the one moby-dick-runtime started');
      const ex = await ctr(['tasks', 'exec', '--exec-id', 'mdk-test-e1', '--fifo-dir', `${c}/fifo`, 'mdk-test-c2', 'sh', '-c', 'echo in; exit 4']);
      assert.deepEqual([ex.code, ex.stdout], [4, 'in\n'], ex.stderr);
      ok(await ctr(['tasks', 'kill', '--signal', 'TERM', 'mdk-test-c2']), 'ctr tasks kill');
      const r = await done;
      assert.deepEqual([r.code, r.stdout], [7, 'up\n'], r.stderr);
    });

    test('stopping containerd leaves no container, process, mount or cgroup', async () => {
      assert.equal(ok(await ctr(['containers', 'list', '--quiet']), 'ctr containers list').stdout, '');
      // the compile service's directory goes with the service, 2 s after the last create or exec (envWith)
      for (let i = 0; i < 100 && readdirSync(`${c}/runc/${ns}`).length > 0; i++) await sleep(50);
      assert.deepEqual(readdirSync(`${c}/runc/${ns}`), [], 'moby-dick-runtime state left');
      await daemon?.stop(10_000);
      await assertCallerGone(c, ns);
    });
  });

  describe('Podman: podman --runtime', () => {
    let p = '';
    let podman: Cmd;
    let env: NodeJS.ProcessEnv = {};
    let plain: Cmd; // later commands find the container's runtime themselves
    const cg = cgroups.podman;
    const ids: string[] = [];

    before(async () => {
      p = join(dir, 'podman');
      mkdirSync(p);
      // root here lacks CAP_SYS_RESOURCE: Podman's defaults for root (nofile 1048576, nproc max) fail in setrlimit
      const hard = (name: string): string => {
        const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name)) ?? '';
        const v = line.slice(name.length).trim().split(/\s+/)[1] ?? '1024';
        return v === 'unlimited' ? '32768' : String(Math.min(Number(v), 32768));
      };
      const nofile = hard('Max open files');
      const nproc = hard('Max processes');
      writeFileSync(
        join(p, 'containers.conf'),
        [
          '[containers]',
          `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
          'netns = "none"',
          '[engine]',
          'cgroup_manager = "cgroupfs"', // no systemd as pid 1 here
          'events_logger = "file"',
          `events_logfile_path = "${p}/events.log"`,
          `tmp_dir = "${p}/tmp"`,
          `image_copy_tmp_dir = "${p}/tmp"`,
          `volume_path = "${p}/volumes"`,
          '[network]',
          `network_config_dir = "${p}/networks"`,
          '',
        ].join('\n'),
      );
      writeFileSync(join(p, 'storage.conf'), ['[storage]', 'driver = "overlay"', `runroot = "${p}/run"`, `graphroot = "${p}/root"`, ''].join('\n'));
      env = envWith({ CONTAINERS_CONF: join(p, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(p, 'storage.conf') });
      podman = command('podman', ['--runtime', RUNTIME], env);
      plain = command('podman', [], env);
      ok(await plain(['load', '--quiet', '--input', image.archive]), 'podman load');
    });

    after(async () => {
      if (!p) return; // never started
      await plain?.(['rm', '--all', '--force', '--time', '0']);
      await killUnder(p);
      unmountUnder(p);
      await removeCgroups(cg);
      // podman's runtime root is moby-dick-runtime's default: delete what a failed check left there
      for (const id of ids) await run(RUNTIME, ['delete', '--force', id], { until: 'exit' });
    });

    test('podman run --rm busybox echo hi', async () => {
      const r = ok(await podman(['run', '--rm', '--pull', 'never', '--cgroup-parent', `/${cg}`, 'busybox', 'echo', 'hi']), 'podman run');
      assert.equal(r.stdout, 'hi\n');
    });

    test('podman run -it: a shell on the console socket\'s terminal, its size, its exit status', async () => {
      const r = await onPty(['podman', '--runtime', RUNTIME, 'run', '-it', '--rm', '--pull', 'never', '--cgroup-parent', `/${cg}`, 'busybox', 'sh'], env);
      assert.equal(r.code, 5, r.stdout);
      assert.match(r.stdout, SHELL_SAW);
    });

    test('run -d, our runtime\'s state, exec, exec -it, stop (SIGTERM reaches it), kill', async () => {
      const id = ok(await podman(['run', '-d', '--pull', 'never', '--name', 'mdk-test-p1', '--cgroup-parent', `/${cg}`, 'busybox', ...TRAP_TERM]), 'podman run -d').stdout.trim();
      ids.push(id);
      const pid = ok(await plain(['inspect', '--format', '{{.State.Pid}}', id]), 'podman inspect').stdout.trim();
      const st = await runtimeState(null, id);
      assert.deepEqual([st.status, String(st.pid)], ['running', pid]);

      const ex = await plain(['exec', 'mdk-test-p1', 'sh', '-c', 'echo in; exit 4']);
      assert.deepEqual([ex.code, ex.stdout], [4, 'in\n'], ex.stderr);
      const tty = await onPty(['podman', 'exec', '-it', 'mdk-test-p1', 'sh'], env);
      assert.equal(tty.code, 5, tty.stdout);
      assert.match(tty.stdout, SHELL_SAW);

      ok(await plain(['stop', '--time', '10', 'mdk-test-p1']), 'podman stop');
      assert.equal(ok(await plain(['inspect', '--format', '{{.State.ExitCode}}', id]), 'inspect').stdout.trim(), '7');
      ok(await plain(['rm', 'mdk-test-p1']), 'podman rm');

      const id2 = ok(await podman(['run', '-d', '--pull', 'never', '--name', 'mdk-test-p2', '--cgroup-parent', `/${cg}`, 'busybox', 'sleep', '60']), 'run -d').stdout.trim();
      ids.push(id2);
      ok(await plain(['kill', 'mdk-test-p2']), 'podman kill');
      assert.equal(ok(await plain(['wait', 'mdk-test-p2']), 'podman wait').stdout.trim(), '137');
      ok(await plain(['rm', 'mdk-test-p2']), 'podman rm');
      for (const gone of [id, id2]) {
        const r = await run(RUNTIME, ['state', gone], { until: 'exit' });
        assert.match(r.stderr, /does not exist/, 'podman had moby-dick-runtime delete it');
      }
    });

    test('once its containers are removed, Podman leaves no process, mount or cgroup', async () => {
      assert.equal(ok(await plain(['ps', '--all', '--quiet']), 'podman ps').stdout, '');
      await assertCallerGone(p, cg);
    });
  });

  describe('Docker: dockerd --add-runtime', () => {
    let d = '';
    let daemon: Daemon | null = null;
    let docker: Cmd;
    const cg = cgroups.docker;

    before(async () => {
      d = join(dir, 'docker');
      mkdirSync(d);
      writeFileSync(join(d, 'daemon.json'), '{}\n'); // not the host's /etc/docker/daemon.json
      daemon = new Daemon('dockerd', 'dockerd', [
        '--config-file', join(d, 'daemon.json'),
        '--data-root', join(d, 'data'),
        '--exec-root', join(d, 'exec'),
        '--pidfile', join(d, 'docker.pid'),
        '--host', `unix://${d}/docker.sock`,
        // nothing global: no bridge, no iptables rules, no forwarding switched on
        '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
        '--userland-proxy=false',
        '--exec-opt', 'native.cgroupdriver=cgroupfs',
        '--cgroup-parent', `/${cg}`,
        '--shutdown-timeout', '2',
        '--add-runtime', `moby=${RUNTIME}`,
      ], join(d, 'dockerd.log'), envWith());
      // /usr/bin/docker is docker.io's client; a newer one may sit earlier in PATH
      docker = command('/usr/bin/docker', [], envWith({ DOCKER_HOST: `unix://${d}/docker.sock`, DOCKER_CONFIG: join(d, 'cli') }));
      await daemon.ready(async () => (await docker(['version'])).code === 0);
      ok(await docker(['load', '--quiet', '--input', image.archive]), 'docker load');
    });

    after(async () => {
      if (!d) return; // never started
      await docker?.(['rm', '--force', 'mdk-test-d1', 'mdk-test-d2']);
      await daemon?.stop(10_000);
      await killUnder(d);
      unmountUnder(d);
      await removeCgroups(cg);
    });

    test('docker run --runtime moby --rm busybox echo hi; with -t, a terminal', async () => {
      const r = ok(await docker(['run', '--pull', 'never', '--runtime', 'moby', '--rm', 'busybox', 'echo', 'hi']), 'docker run');
      assert.equal(r.stdout, 'hi\n');
      const t = ok(await docker(['run', '--pull', 'never', '--runtime', 'moby', '--rm', '-t', 'busybox', 'tty']), 'docker run -t');
      assert.match(t.stdout, /^\/dev\/pts\/\d+\r\n$/);
    });

    test('run -d, our runtime\'s state, exec, stop (SIGTERM reaches it), kill', async () => {
      const id = ok(await docker(['run', '-d', '--pull', 'never', '--runtime', 'moby', '--name', 'mdk-test-d1', 'busybox', ...TRAP_TERM]), 'docker run -d').stdout.trim();
      const pid = ok(await docker(['inspect', '--format', '{{.State.Pid}}', id]), 'docker inspect').stdout.trim();
      const stateDir = findDir(join(d, 'exec'), id);
      assert.ok(stateDir, `a state directory of ${id} under the exec root`);
      const st = await runtimeState(join(stateDir, '..'), id);
      assert.deepEqual([st.status, String(st.pid)], ['running', pid]);

      const ex = await docker(['exec', 'mdk-test-d1', 'sh', '-c', 'echo in; exit 4']);
      assert.deepEqual([ex.code, ex.stdout], [4, 'in\n'], ex.stderr);
      ok(await docker(['stop', '--time', '10', 'mdk-test-d1']), 'docker stop');
      assert.equal(ok(await docker(['inspect', '--format', '{{.State.ExitCode}}', id]), 'inspect').stdout.trim(), '7');
      ok(await docker(['rm', 'mdk-test-d1']), 'docker rm');
      assert.equal(findDir(join(d, 'exec'), id), '', 'the shim had moby-dick-runtime delete its state');

      ok(await docker(['run', '-d', '--pull', 'never', '--runtime', 'moby', '--name', 'mdk-test-d2', 'busybox', 'sleep', '60']), 'docker run -d');
      ok(await docker(['kill', 'mdk-test-d2']), 'docker kill');
      assert.equal(ok(await docker(['wait', 'mdk-test-d2']), 'docker wait').stdout.trim(), '137');
      ok(await docker(['rm', 'mdk-test-d2']), 'docker rm');
    });

    test('stopping dockerd leaves no container, process, mount or cgroup', async () => {
      assert.equal(ok(await docker(['ps', '--all', '--quiet']), 'docker ps').stdout, '');
      await daemon?.stop(10_000);
      await assertCallerGone(d, cg);
    });
  });

  test('nothing global changed: no state dirs, bridges or iptables rules of theirs, ip_forward as it was', async () => {
    const created = paths.created();
    paths.remove();
    assert.deepEqual(paths.created(), [], `created and not removable: ${created.join(', ')}`);
    assert.deepEqual(networkFacts(), net);
    assert.deepEqual(processesUnder(dir), []);
    assert.deepEqual(mountsUnder(dir), []);
    for (const name of Object.values(cgroups)) assert.deepEqual(cgroupsNamed(name), [], name);
  });
});
