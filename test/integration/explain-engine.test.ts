/**
 * --explain for image containers (run IMAGE, start, exec) and `moby-dick
 * explain CONTAINER`, checked against the kernel: the container's own view
 * (PROBE) and /proc/PID read by the test.
 */
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';
import { checkAgainstKernel, parseExplanation, PROBE } from '../helpers/explain-check.js';
import type { LiveExplanation } from '../../src/explain/live.js';
import { effectiveCapabilities } from '../../src/explain/recorder.js';
import { readCgroupLayout } from '../../src/cgroups/layout.js';

describe('--explain for image containers, and explain CONTAINER', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w);

  test('run IMAGE --explain=json on a bridge: every group, the veth\'s address and the default route match the container', async () => {
    const r = await mdk('run', '--rm', '--explain=json', w.image, 'sh', '-c', PROBE);
    assert.equal(r.code, 0, r.stderr);
    const e = parseExplanation(r.stderr);
    assert.equal(e.form, 'run IMAGE');
    assert.equal(e.network.mode, 'bridge');
    assert.ok(e.steps.some((s) => s.step === 'plug network' && s.purpose === 'network'));
    assert.ok(e.network.interfaces.some((i) => i.name === 'nat'));
    checkAgainstKernel(e, r.stdout);
  });

  test('create --explain says what create did and that nothing is asked of the kernel yet; start -a --explain=json explains the start', async () => {
    const c = await mdk('create', '--explain', '--name', 'mdk-test-explain-create', '--network', 'none', w.image, 'true');
    assert.equal(c.code, 0, c.stderr);
    const id = c.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.match(c.stderr, /^What create did \(mdk-test-explain-create\): true — nothing asked of the kernel yet$/m);
    assert.match(c.stderr, /To see how: moby-dick start --explain mdk-test-explain-create/);
    // its directory is the one the container's writable layer is in
    const made = /made its directory (\S+),/.exec(c.stderr)?.[1];
    assert.ok(made && made.includes(id), c.stderr);
    assert.equal((await mdk('rm', 'mdk-test-explain-create')).code, 0);
    const j = await mdk('create', '--explain=json', '--name', 'mdk-test-explain-start', '--network', 'none', w.image, 'sh', '-c', PROBE);
    assert.equal(j.code, 0, j.stderr);
    const created = JSON.parse(j.stderr) as { form: string; container: { id: string }; kernel: unknown[]; did: string[] };
    assert.equal(created.form, 'create');
    assert.equal(created.container.id, j.stdout.trim());
    assert.deepEqual(created.kernel, []);
    assert.equal(created.did.length, 3);
    const s = await mdk('start', '-a', '--explain=json', 'mdk-test-explain-start');
    assert.equal(s.code, 0, s.stderr);
    const e = parseExplanation(s.stderr);
    assert.equal(e.form, 'start');
    assert.equal(e.network.mode, 'none');
    checkAgainstKernel(e, s.stdout);
  });

  test('start --explain reports the steps after the release: a seccomp filter loaded last (no_new_privs) and exec; the output comes after', async () => {
    const name = 'mdk-test-explain-late';
    const c = await mdk('create', '--name', name, '--network', 'none', '--security-opt', 'no-new-privileges', w.image, 'sh', '-c', `echo on-std''err >&2; ${PROBE}`);
    assert.equal(c.code, 0, c.stderr);
    const s = await mdk('start', '-a', '--explain=json', name);
    assert.equal(s.code, 0, s.stderr);
    const e = parseExplanation(s.stderr);
    assert.equal(e.noNewPrivileges, true);
    const helper = e.steps.filter((x) => x.source === 'helper');
    assert.deepEqual(helper.slice(-2).map((x) => [x.step, x.purpose]), [['seccomp', 'privileges'], ['exec', 'process']]);
    assert.match(helper.at(-1)!.says, /replaced the helper/);
    // what the program wrote to stderr comes after the whole explanation (the command's text in it has the quotes)
    assert.ok(s.stderr.includes('on-stderr') && s.stderr.indexOf('on-stderr') > s.stderr.lastIndexOf('\n}'), s.stderr);
    checkAgainstKernel(e, s.stdout);
    // without -a too (nothing attached): the explanation ends with exec
    const again = await mdk('start', '--explain=json', name);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(parseExplanation(again.stderr).steps.at(-1)?.step, 'exec');
    const r = await mdk('run', '--rm', '--network', 'none', '--explain=json', w.image, 'true');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseExplanation(r.stderr).steps.at(-1)?.step, 'exec');
    assert.equal((await mdk('rm', '-f', name)).code, 0);
  });

  test('explain CONTAINER reads the kernel: namespaces, dropped capabilities, limits, masked paths; exec --explain=json joins its namespaces', async () => {
    const run = await mdk('run', '-d', '--name', 'mdk-test-explain', '--cap-drop', 'NET_RAW', '--memory', '64m', '--pids-limit', '50', w.image, 'sleep', '30');
    assert.equal(run.code, 0, run.stderr);
    const r = await mdk('explain', '--format', 'json', 'mdk-test-explain');
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout) as LiveExplanation;
    const pid = e.container.pid;
    const inspected = JSON.parse((await mdk('inspect', 'mdk-test-explain')).stdout) as { State: { Pid: number }; NetworkSettings: { IPAddress: string } }[];
    assert.equal(pid, inspected[0]!.State.Pid);
    for (const n of e.namespaces) {
      const file = { network: 'net', mount: 'mnt' }[n.kind] ?? n.kind;
      assert.equal(n.container, readlinkSync(`/proc/${pid}/ns/${file}`));
      assert.equal(n.state === 'shared', readlinkSync(`/proc/self/ns/${file}`) === n.container, `${n.kind} said ${n.state}`);
    }
    assert.deepEqual(e.namespaces.filter((n) => n.state === 'private').map((n) => n.kind).sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    assert.deepEqual(e.sides.container.capabilities, effectiveCapabilities(readFileSync(`/proc/${pid}/status`, 'utf8')));
    assert.ok(e.dropped.includes('CAP_NET_RAW') && e.dropped.includes('CAP_SYS_ADMIN'));
    assert.equal(e.sides.container.seccomp, 'filter');
    assert.ok(e.limits.some((l) => l.file === 'pids.max' && l.value === '50'), JSON.stringify(e.limits));
    assert.ok(e.limits.some((l) => (l.file === 'memory.limit_in_bytes' || l.file === 'memory.max') && l.value === String(64 * 1024 * 1024)), JSON.stringify(e.limits));
    assert.ok(e.masked.includes('/proc/keys') && e.readonly.includes('/proc/sys'), `${e.masked} / ${e.readonly}`);
    assert.deepEqual(e.sides.container.interfaces.sort(), ['eth0', 'lo']);
    assert.deepEqual(e.sides.container.addresses, [inspected[0]!.NetworkSettings.IPAddress]);
    assert.deepEqual(e.sides.container.addressInterfaces, [{ address: inspected[0]!.NetworkSettings.IPAddress, interface: 'eth0' }]);
    // what Docker would have done with the same flags (--cap-drop NET_RAW): the same capabilities and filter; on a v1 host, no cgroup namespace
    assert.ok(!e.docker.some((d) => /capabilit|CAP_|seccomp|no_new_privs/.test(d)), e.docker.join('\n'));
    assert.equal(e.docker.some((d) => d.includes('--cgroupns=host')), readCgroupLayout().version === 1, e.docker.join('\n'));
    assert.deepEqual(e.sides.container.bounding, effectiveCapabilities(readFileSync(`/proc/${pid}/status`, 'utf8').replace(/^CapEff:.*$/m, '').replace(/^CapBnd:/m, 'CapEff:')));
    const text = await mdk('explain', 'mdk-test-explain');
    if (e.docker.length) assert.match(text.stdout, /^Docker with the same flags:\n {2}- /m);
    assert.match(text.stdout, /^network namespace +net:\[\d+\] +net:\[\d+\] +private/m);
    assert.match(text.stdout, new RegExp(`^addresses +${inspected[0]!.NetworkSettings.IPAddress.replace(/\./g, '\\.')} on eth0 `, 'm'));

    const x = await mdk('exec', '--explain=json', 'mdk-test-explain', 'sh', '-c', PROBE);
    assert.equal(x.code, 0, x.stderr);
    const ex = parseExplanation(x.stderr);
    assert.equal(ex.form, 'exec');
    checkAgainstKernel(ex, x.stdout, (f) => readlinkSync(`/proc/${pid}/ns/${f}`));
  });
});
