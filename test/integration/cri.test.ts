/**
 * Kubernetes' path: a private containerd 1.6 with its CRI plugin (own root,
 * state, socket and config under an mdk-test- temp dir; CNI bridge networking
 * of its own; a pause image built here; see test/helpers/cri/cri-host.ts),
 * driven by a CRI v1 gRPC client as the kubelet drives it, once with the
 * runtime handler `runc` (the baseline that proves the test right) and once
 * with `moby` (the runc shim running moby-dick-runtime). Each pod and
 * container is checked from inside (ExecSync) and from the host (namespaces,
 * cgroup files, the runtime's own state), and after the teardown nothing of
 * it is left: no shim, mount, netns, veth, address, cgroup or state.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CALLER_GLOBAL_PATHS, cgroupsNamed, CreatedPaths, type NetworkFacts, networkFacts } from '../helpers/caller-host.js';
import { run, sleep, until } from '../helpers/cli.js';
import {
  type ContainerConfig, type ContainerState, type CriClient, CriError, type LinuxContainerResources, type PodSandboxConfig,
} from '../helpers/cri/client.js';
import { stream } from '../helpers/cri/stream.js';
import { BUSYBOX_IMAGE, CriHost, type Handler, HANDLER_BINARY, linkExists } from '../helpers/cri/cri-host.js';

const TAG = `${process.pid % 100000}`;
const SUBNET = '10.88.231.0/24';
const MiB = 1024 * 1024;
/** what containerd or a CNI plugin could make outside its configured dirs */
const GLOBAL_PATHS = [...CALLER_GLOBAL_PATHS, '/var/lib/cni', '/var/lib/cni/results', '/var/run/netns', '/run/netns', '/etc/cni', '/opt/cni', '/var/log/pods'];

const text = (b: Buffer): string => b.toString('utf8');

type SecurityContext = NonNullable<NonNullable<ContainerConfig['linux']>['security_context']>;

/** The pid of a pod's sandbox process or a container's process, from the verbose info of its status. */
function pidOf(info: Record<string, string>): number {
  const doc = JSON.parse(info.info ?? '{}') as { pid?: number };
  assert.ok(doc.pid && doc.pid > 0, `a pid in the status's info: ${info.info}`);
  return doc.pid;
}

const ns = (pid: number, kind: string): string => readlinkSync(`/proc/${pid}/ns/${kind}`);

/** A line of /proc/PID/status. */
function statusField(status: string, field: string): string {
  return status.split('\n').find((l) => l.startsWith(`${field}:`))?.split(/:\s*/)[1]?.trim() ?? '';
}

describe('Kubernetes CRI: containerd 1.6 with runtime handlers runc and moby (moby-dick-runtime)', () => {
  let dir = '';
  let host: CriHost;
  let cri: CriClient;
  let paths: CreatedPaths;
  let net: NetworkFacts;
  // the runtime's compile service (creates and execs) ends 2 s after the last one: nothing of the runtime's is left
  const envWith = (): NodeJS.ProcessEnv => ({ ...process.env, TMPDIR: join(dir, 'tmp'), MOBY_DICK_COMPILE_IDLE_SECONDS: '2' });

  before(async () => {
    paths = new CreatedPaths(GLOBAL_PATHS);
    net = networkFacts();
    dir = mkdtempSync('/tmp/mdk-test-cri-');
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'tmp'));
    host = new CriHost({ dir, tag: TAG, subnet: SUBNET });
    await host.start(envWith());
    cri = host.client;
  });

  after(async () => {
    if (!dir) return;
    await host?.stop();
    paths.remove();
    if (dir.includes('mdk-test-')) rmSync(dir, { recursive: true, force: true });
  });

  test('Version: containerd serves CRI runtime.v1', async () => {
    const v = await cri.call('Version', { version: 'v1' });
    assert.equal(v.runtime_name, 'containerd');
    assert.equal(v.runtime_api_version, 'v1');
    assert.match(v.runtime_version, /^v?1\.6\./);
  });

  // MDK_TEST_CRI_HANDLERS=runc runs the baseline alone (while developing the test)
  const only = process.env.MDK_TEST_CRI_HANDLERS?.split(',');
  for (const handler of ['runc', 'moby'] as const) if (!only || only.includes(handler)) describe(`runtime handler ${handler}`, () => handlerCases(handler));

  /** The same checks for each handler. */
  function handlerCases(handler: Handler): void {
    const pods: string[] = [];
    const parent = (pod: string): string => `/mdk-test-cri-${TAG}/${handler}-${pod}`;
    const hostname = `mdkt-${handler}-pod`;
    let pod = '';
    let podConfig: PodSandboxConfig;
    let podPid = 0;
    let podIp = '';
    let main = '';

    function sandboxConfig(name: string, pid: 'POD' | 'CONTAINER'): PodSandboxConfig {
      const logs = join(dir, 'logs', `${handler}-${name}`);
      mkdirSync(logs, { recursive: true });
      return {
        metadata: { name: `mdk-test-${handler}-${name}`, uid: `mdk-test-${TAG}-${handler}-${name}`, namespace: 'mdk-test', attempt: 0 },
        hostname,
        log_directory: logs,
        labels: { 'mdk-test': TAG },
        linux: {
          cgroup_parent: parent(name),
          security_context: { namespace_options: { network: 'POD', pid, ipc: 'POD' } },
        },
      };
    }

    async function runPod(config: PodSandboxConfig): Promise<string> {
      const { pod_sandbox_id: id } = await cri.call('RunPodSandbox', { config, runtime_handler: handler });
      pods.push(id);
      return id;
    }

    /** A container of the busybox image; its namespace options are its pod's, as the kubelet gives them. */
    function containerConfig(name: string, pid: 'POD' | 'CONTAINER', command: string[], security: SecurityContext = {}, resources?: LinuxContainerResources): ContainerConfig {
      return {
        metadata: { name: `mdk-test-${name}` },
        image: { image: BUSYBOX_IMAGE },
        command,
        log_path: `${name}.log`,
        labels: { 'mdk-test': TAG },
        linux: { ...(resources ? { resources } : {}), security_context: { namespace_options: { network: 'POD', pid, ipc: 'POD' }, ...security } },
      };
    }

    async function startContainer(podId: string, config: PodSandboxConfig, c: ContainerConfig): Promise<string> {
      const { container_id: id } = await cri.call('CreateContainer', { pod_sandbox_id: podId, config: c, sandbox_config: config });
      await cri.call('StartContainer', { container_id: id });
      return id;
    }

    async function stateOf(id: string): Promise<{ state: ContainerState; exit_code: number; reason: string; pid: number }> {
      const r = await cri.call('ContainerStatus', { container_id: id, verbose: true });
      const pid = r.status.state === 'CONTAINER_RUNNING' ? pidOf(r.info) : 0;
      return { state: r.status.state, exit_code: r.status.exit_code, reason: r.status.reason, pid };
    }

    /** Waits up to MS for the container to be EXITED; its final status. */
    async function exited(id: string, ms: number): Promise<{ state: ContainerState; exit_code: number; reason: string }> {
      let s = await cri.call('ContainerStatus', { container_id: id });
      for (let t = 0; t < ms && s.status.state !== 'CONTAINER_EXITED'; t += 100) {
        await sleep(100);
        s = await cri.call('ContainerStatus', { container_id: id });
      }
      return { state: s.status.state, exit_code: s.status.exit_code, reason: s.status.reason };
    }

    async function exec(id: string, cmd: string[]): Promise<{ stdout: string; stderr: string; exit_code: number }> {
      const r = await cri.call('ExecSync', { container_id: id, cmd, timeout: 20 }, 30_000);
      return { stdout: text(r.stdout), stderr: text(r.stderr), exit_code: r.exit_code };
    }

    /** The runtime's own view of a container: proof that this handler's runtime runs it. */
    async function runtimeState(id: string): Promise<{ status: string; pid: number }> {
      const r = await run(HANDLER_BINARY[handler], ['--root', host.runtimeRoot(handler), 'state', id], { until: 'exit' });
      assert.equal(r.code, 0, `${handler} state ${id}: ${r.stderr}`);
      return JSON.parse(r.stdout) as { status: string; pid: number };
    }

    after(async () => {
      // what the runtime logged as errors, for a failed check to be read by
      for (const line of host.runtimeErrors()) console.log(`# ${handler} runtime log: ${line}`);
      // whatever a failed check left: the pods go, with their containers
      for (const id of pods.reverse()) {
        await cri.call('StopPodSandbox', { pod_sandbox_id: id }, 15_000).catch(() => {});
        await cri.call('RemovePodSandbox', { pod_sandbox_id: id }, 15_000).catch(() => {});
      }
    });

    test('RunPodSandbox: READY, an address of the CNI subnet, the pause process run by the handler\'s runtime', async () => {
      podConfig = sandboxConfig('pod1', 'CONTAINER');
      pod = await runPod(podConfig);
      const st = await cri.call('PodSandboxStatus', { pod_sandbox_id: pod, verbose: true });
      assert.equal(st.status.state, 'SANDBOX_READY');
      assert.equal(st.status.runtime_handler, handler);
      podIp = st.status.network?.ip ?? '';
      assert.match(podIp, /^10\.88\.231\.\d+$/, 'the pod has an address of the conflist\'s subnet');
      podPid = pidOf(st.info);
      // runc's start returns once its init is told to go: the exec of /pause may come a moment later
      const cmdline = (): string => readFileSync(`/proc/${podPid}/cmdline`, 'utf8');
      await until(async () => cmdline() !== 'runc\0init\0', 2000).catch(() => {});
      assert.equal(cmdline(), '/pause\0');
      const rs = await runtimeState(pod);
      assert.deepEqual([rs.status, rs.pid], ['running', podPid]);
      assert.match(readFileSync(`/proc/${podPid}/cgroup`, 'utf8'), new RegExp(`:memory:${parent('pod1')}/${pod}\\n`), 'the sandbox in its cgroup_parent');
      const listed = await cri.call('ListPodSandbox', { filter: { id: pod } });
      assert.deepEqual(listed.items.map((p) => [p.id, p.state, p.runtime_handler]), [[pod, 'SANDBOX_READY', handler]]);
    });

    test('CreateContainer + StartContainer: RUNNING, run by the handler\'s runtime, in the pod\'s net, ipc and uts namespaces', async () => {
      main = await startContainer(pod, podConfig, containerConfig(`${handler}-main`, 'CONTAINER', ['sh', '-c', 'trap "exit 7" TERM; echo up; sleep 3600 & wait']));
      const s = await stateOf(main);
      assert.equal(s.state, 'CONTAINER_RUNNING');
      const rs = await runtimeState(main);
      assert.deepEqual([rs.status, rs.pid], ['running', s.pid]);
      for (const kind of ['net', 'ipc', 'uts']) assert.equal(ns(s.pid, kind), ns(podPid, kind), `the container joins the pod's ${kind} namespace`);
      for (const kind of ['pid', 'mnt']) assert.notEqual(ns(s.pid, kind), ns(podPid, kind), `the container has a ${kind} namespace of its own`);
    });

    test('ExecSync: output, stderr and exit codes', async () => {
      assert.deepEqual(await exec(main, ['sh', '-c', 'echo out; echo err >&2; exit 5']), { stdout: 'out\n', stderr: 'err\n', exit_code: 5 });
      assert.deepEqual(await exec(main, ['false']), { stdout: '', stderr: '', exit_code: 1 });
      assert.deepEqual(await exec(main, ['true']), { stdout: '', stderr: '', exit_code: 0 });
    });

    test('ExecSync: in the pod\'s net, uts and ipc namespaces and the container\'s pid and mount namespaces', async () => {
      const s = await stateOf(main);
      const inside = await exec(main, ['sh', '-c', 'for n in net uts ipc pid mnt; do echo $n $(readlink /proc/self/ns/$n); done']);
      const expected = { net: ns(podPid, 'net'), uts: ns(podPid, 'uts'), ipc: ns(podPid, 'ipc'), pid: ns(s.pid, 'pid'), mnt: ns(s.pid, 'mnt') };
      const seen = Object.fromEntries(inside.stdout.trim().split('\n').map((l) => [l.split(' ')[0], l.split(' ')[1] ?? '(none)']));
      assert.deepEqual(seen, expected, `the exec'd process's namespaces (stderr: ${inside.stderr.trim()})`);
      const pid1 = await exec(main, ['cat', '/proc/1/cmdline']);
      assert.match(pid1.stdout, /^sh\0-c\0trap/, 'pid 1 of the exec is the container\'s process');
    });

    test('ExecSync: the pod\'s hostname', async () => {
      assert.deepEqual(await exec(main, ['hostname']), { stdout: `${hostname}\n`, stderr: '', exit_code: 0 });
    });

    test('ExecSync: the pod\'s interfaces (lo, eth0) and its CNI address, none of the host\'s', async () => {
      const dev = await exec(main, ['cat', '/proc/net/dev']);
      const ifaces = dev.stdout.split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]).sort();
      assert.deepEqual(ifaces, ['eth0', 'lo'], 'the pod\'s interfaces, not the host\'s');
      const ip = await exec(main, ['ip', '-o', '-4', 'addr', 'show']);
      assert.equal(ip.exit_code, 0, ip.stderr);
      const addrs = (out: string): string[] => [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1] ?? '').filter((a) => a !== '127.0.0.1');
      const hostAddrs = addrs(execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }));
      assert.deepEqual(addrs(ip.stdout), [podIp], `only the pod's address inside, none of the host's (${hostAddrs.join(', ')})`);
      assert.match(ip.stdout, new RegExp(`eth0\\s+inet ${podIp.replaceAll('.', '\\.')}/24 `), 'eth0 carries the CNI address');
      assert.ok(!hostAddrs.includes(podIp), 'the pod\'s address is not the host\'s');
    });

    test('Exec over the streaming server (WebSocket, v4.channel.k8s.io): stdout, stderr, the pod\'s hostname, the exit code', async () => {
      const { url } = await cri.call('Exec', { container_id: main, cmd: ['sh', '-c', 'echo out; echo err >&2; hostname; exit 4'], stdout: true, stderr: true });
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\//, 'the streaming server listens on the loopback only');
      const r = await stream(url);
      assert.deepEqual([r.stdout, r.stderr, r.exitCode], [`out\n${hostname}\n`, 'err\n', 4], r.status);
    });

    test('ListContainers: the pod\'s containers with their state, filtered by pod, state and label', async () => {
      const all = await cri.call('ListContainers', { filter: { pod_sandbox_id: pod } });
      assert.deepEqual(all.containers.map((c) => [c.id, c.state, c.metadata?.name, c.pod_sandbox_id]), [[main, 'CONTAINER_RUNNING', `mdk-test-${handler}-main`, pod]]);
      const running = await cri.call('ListContainers', { filter: { state: { state: 'CONTAINER_RUNNING' }, label_selector: { 'mdk-test': TAG } } });
      assert.ok(running.containers.some((c) => c.id === main));
      const byId = await cri.call('ListContainers', { filter: { id: main } });
      assert.equal(byId.containers.length, 1);
    });

    test('Attach over the streaming server: the output of a running container', async () => {
      const id = await startContainer(pod, podConfig, containerConfig(`${handler}-ticker`, 'CONTAINER', ['sh', '-c', 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.2; done']));
      const { url } = await cri.call('Attach', { container_id: id, stdout: true, stderr: true });
      const r = await stream(url, { untilStdout: /tick \d+\n/, timeoutMs: 10_000 });
      assert.match(r.stdout, /tick \d+\n/);
      // left running: StopPodSandbox stops it with the pod
    });

    test('a container running sh -c "exit 3": EXITED with exit code 3', async () => {
      const id = await startContainer(pod, podConfig, containerConfig(`${handler}-exit3`, 'CONTAINER', ['sh', '-c', 'exit 3']));
      const s = await exited(id, 10_000);
      assert.deepEqual(s, { state: 'CONTAINER_EXITED', exit_code: 3, reason: 'Error' }, `containerd's log:\n${host.logTail(20)}`);
      const full = await cri.call('ContainerStatus', { container_id: id });
      // (containerd takes started_at after the runtime's start returns: a process this short may have finished before)
      assert.ok(full.status.started_at > 0 && full.status.finished_at > 0, `started and finished times: ${full.status.started_at}, ${full.status.finished_at}`);
      await cri.call('RemoveContainer', { container_id: id });
      await assert.rejects(cri.call('ContainerStatus', { container_id: id }), (e: unknown) => e instanceof CriError && /not found|does not exist/.test(e.details));
    });

    const limits = { memory_limit_in_bytes: 64 * MiB, cpu_shares: 512, cpu_period: 100_000, cpu_quota: 50_000, cpuset_cpus: '0' };
    let res = '';
    const readLimits = (): Record<string, string> => {
      const p = parent('pod1');
      return {
        memory: CriHost.cgroupFile('memory', p, res, 'memory.limit_in_bytes'),
        shares: CriHost.cgroupFile('cpu', p, res, 'cpu.shares'),
        period: CriHost.cgroupFile('cpu', p, res, 'cpu.cfs_period_us'),
        quota: CriHost.cgroupFile('cpu', p, res, 'cpu.cfs_quota_us'),
        cpus: CriHost.cgroupFile('cpuset', p, res, 'cpuset.cpus'),
      };
    };
    const expectLimits = (r: typeof limits): Record<string, string> => ({
      memory: String(r.memory_limit_in_bytes), shares: String(r.cpu_shares), period: String(r.cpu_period), quota: String(r.cpu_quota), cpus: r.cpuset_cpus,
    });

    test('resources: memory limit, cpu shares and quota, cpuset as created, in the container\'s cgroup under the pod\'s cgroup_parent', async () => {
      res = await startContainer(pod, podConfig, containerConfig(`${handler}-res`, 'CONTAINER', ['sleep', '3600'], {}, limits));
      const pid = (await stateOf(res)).pid;
      assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`:memory:${parent('pod1')}/${res}\\n`));
      assert.deepEqual(readLimits(), expectLimits(limits));
    });

    test('resources: UpdateContainerResources up (memory 128 MiB, shares 1024, quota 1.5 cpus, cpuset 0-1)', async () => {
      const up = { memory_limit_in_bytes: 128 * MiB, cpu_shares: 1024, cpu_period: 100_000, cpu_quota: 150_000, cpuset_cpus: '0-1' };
      await cri.call('UpdateContainerResources', { container_id: res, linux: up });
      assert.deepEqual(readLimits(), expectLimits(up));
    });

    test('resources: UpdateContainerResources down (memory 32 MiB, shares 256, quota 0.4 cpus in a 50 ms period, cpuset 1)', async () => {
      const down = { memory_limit_in_bytes: 32 * MiB, cpu_shares: 256, cpu_period: 50_000, cpu_quota: 20_000, cpuset_cpus: '1' };
      await cri.call('UpdateContainerResources', { container_id: res, linux: down });
      assert.deepEqual(readLimits(), expectLimits(down));
      assert.equal((await stateOf(res)).state, 'CONTAINER_RUNNING');
    });

    test('StopContainer: a pid 1 without a SIGTERM handler is killed once the timeout (2 s) passes, 137; RemoveContainer removes its cgroups', async () => {
      const t0 = Date.now();
      await cri.call('StopContainer', { container_id: res, timeout: 2 });
      const took = Date.now() - t0;
      assert.ok(took >= 1900 && took < 7000, `StopContainer with timeout 2 took ${took} ms`);
      assert.deepEqual(await exited(res, 0), { state: 'CONTAINER_EXITED', exit_code: 137, reason: 'Error' });
      await cri.call('RemoveContainer', { container_id: res });
      assert.deepEqual(host.cgroupsBelow(parent('pod1')).dirs.filter((d) => d.endsWith(res)), [], 'the container\'s cgroups are removed with it');
    });

    test('shareProcessNamespace (pid POD): the pause process is pid 1 for the container and for ExecSync', async () => {
      const config = sandboxConfig('shared', 'POD');
      const shared = await runPod(config);
      const st = await cri.call('PodSandboxStatus', { pod_sandbox_id: shared, verbose: true });
      const sandboxPid = pidOf(st.info);
      const id = await startContainer(shared, config, containerConfig(`${handler}-shared`, 'POD', ['sleep', '3600']));
      const s = await stateOf(id);
      assert.equal(s.state, 'CONTAINER_RUNNING');
      assert.equal(ns(s.pid, 'pid'), ns(sandboxPid, 'pid'), 'the container is in the sandbox\'s pid namespace');
      const pid1 = await exec(id, ['cat', '/proc/1/cmdline']);
      assert.deepEqual(pid1, { stdout: '/pause\0', stderr: '', exit_code: 0 });
      const ps = await exec(id, ['ps', '-o', 'pid,args']);
      assert.match(ps.stdout, /\n\s*1 \/pause\n/);
      assert.match(ps.stdout, /sleep 3600/);
      const self = await exec(id, ['readlink', '/proc/self/ns/pid']);
      assert.equal(self.stdout.trim(), ns(sandboxPid, 'pid'), `the exec'd process is in the pod's pid namespace (its /proc/self: ${self.stderr.trim() || 'found'})`);
      await cri.call('StopContainer', { container_id: id, timeout: 1 });
      await cri.call('RemoveContainer', { container_id: id });
      await cri.call('StopPodSandbox', { pod_sandbox_id: shared });
      await cri.call('RemovePodSandbox', { pod_sandbox_id: shared });
      pods.splice(pods.indexOf(shared), 1);
    });

    test('security context: runAsUser, no_new_privs, no capabilities, RuntimeDefault seccomp, read-only root', async () => {
      const id = await startContainer(pod, podConfig, containerConfig(`${handler}-sec`, 'CONTAINER', ['sleep', '3600'], {
        run_as_user: { value: 1000 },
        run_as_group: { value: 1000 },
        no_new_privs: true,
        capabilities: { drop_capabilities: ['ALL'] },
        seccomp: { profile_type: 'RuntimeDefault' },
        readonly_rootfs: true,
      }));
      const s = await stateOf(id);
      assert.equal(s.state, 'CONTAINER_RUNNING');
      // the container's process, seen from the host
      const status = readFileSync(`/proc/${s.pid}/status`, 'utf8');
      assert.deepEqual(
        ['Uid', 'Gid', 'NoNewPrivs', 'CapEff', 'CapPrm', 'CapBnd', 'Seccomp'].map((f) => statusField(status, f)),
        ['1000\t1000\t1000\t1000', '1000\t1000\t1000\t1000', '1', '0000000000000000', '0000000000000000', '0000000000000000', '2'],
      );
      // an exec'd process, from inside
      assert.deepEqual(await exec(id, ['id', '-u']), { stdout: '1000\n', stderr: '', exit_code: 0 });
      const inside = (await exec(id, ['cat', '/proc/self/status'])).stdout;
      assert.deepEqual(
        ['NoNewPrivs', 'CapEff', 'CapBnd', 'Seccomp'].map((f) => statusField(inside, f)),
        ['1', '0000000000000000', '0000000000000000', '2'],
      );
      const write = await exec(id, ['sh', '-c', 'echo x > /mdk-test-file']);
      assert.notEqual(write.exit_code, 0);
      assert.match(write.stderr, /Read-only file system/);
      const tmpWrite = await exec(id, ['touch', '/tmp/mdk-test-file']);
      assert.notEqual(tmpWrite.exit_code, 0, 'the image\'s /tmp is part of the read-only root');
      // left running: StopPodSandbox stops it with the pod
    });

    test('StopContainer: a process that traps SIGTERM ends with its own status well within the timeout', async () => {
      const t0 = Date.now();
      await cri.call('StopContainer', { container_id: main, timeout: 10 });
      const took = Date.now() - t0;
      assert.ok(took < 5000, `StopContainer took ${took} ms`);
      assert.deepEqual(await exited(main, 0), { state: 'CONTAINER_EXITED', exit_code: 7, reason: 'Error' });
      const log = readFileSync(join(dir, 'logs', `${handler}-pod1`, `${handler}-main.log`), 'utf8');
      assert.match(log, / stdout F up\n/, 'the container\'s output in its CRI log');
    });

    test('teardown: RemoveContainer, StopPodSandbox, RemovePodSandbox leave no shim, mount, netns, veth, address, cgroup or state', async () => {
      await cri.call('RemoveContainer', { container_id: main });
      await cri.call('StopPodSandbox', { pod_sandbox_id: pod });
      const stopped = await cri.call('PodSandboxStatus', { pod_sandbox_id: pod });
      assert.equal(stopped.status.state, 'SANDBOX_NOTREADY');
      await cri.call('RemovePodSandbox', { pod_sandbox_id: pod });
      pods.splice(pods.indexOf(pod), 1);
      assert.deepEqual((await cri.call('ListContainers', { filter: { label_selector: { 'mdk-test': TAG } } })).containers, []);
      assert.deepEqual((await cri.call('ListPodSandbox', { filter: { label_selector: { 'mdk-test': TAG } } })).items, []);
      assert.deepEqual(await host.shimsAfter(5000), [], 'shims or runtimes left running');
      assert.deepEqual(host.mounts(), [], 'mounts left under containerd\'s dirs');
      assert.deepEqual(host.netns(), [], 'network namespaces left');
      assert.deepEqual(host.veths(), [], 'veths left on the bridge');
      assert.deepEqual(host.allocatedIps(), [], 'addresses left allocated');
      for (const p of ['pod1', 'shared']) {
        const left = host.cgroupsBelow(parent(p));
        assert.deepEqual(left, { dirs: [], procs: [] }, `cgroups or processes left under ${parent(p)}`);
      }
      const state = host.stateLeft(handler);
      assert.deepEqual(state, Object.fromEntries(Object.keys(state).map((k) => [k, []])), 'state left');
    });
  }

  test('stopping containerd leaves nothing: no process, mount, cgroup, bridge, global path, iptables rule; ip_forward as it was', async () => {
    assert.deepEqual(await host.stop(), [], 'what had to be killed or removed by force');
    assert.deepEqual(host.shims(), []);
    assert.deepEqual(host.mounts(), []);
    assert.deepEqual(cgroupsNamed(host.cgroup), []);
    assert.equal(linkExists(host.bridge), false, `the bridge ${host.bridge} is removed`);
    const created = paths.created();
    paths.remove();
    assert.deepEqual(paths.created(), [], `created and not removable: ${created.join(', ')}`);
    assert.deepEqual(networkFacts(), net);
  });
});
