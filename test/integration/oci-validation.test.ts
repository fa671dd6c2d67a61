/**
 * config.json that runc refuses is refused before anything is made: one
 * line naming the field, exit status 1, nothing left under --root, and
 * nothing written to the host (a sysctl that is not namespaced is the
 * host's: kernel.core_pattern is given its own current value, so that even
 * a runtime that wrongly wrote it would change nothing).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Spec } from '../../src/spec/schema.js';
import { useOci } from '../helpers/fixtures.js';

describe('moby-dick-runtime: config.json refused before anything is made', () => {
  const fx = useOci();
  /** what is under --root, but the compile service's directory (docs/compile-service.md), which a call naming --root may start: no container's */
  const containersLeft = (): string[] => readdirSync(fx.root).filter((n) => n !== '@compile');

  const refused = async (change: (s: Spec) => void, message: RegExp, id = 'mdk-test-v1') => {
    for (const command of ['run', 'create']) {
      const b = fx.bundle((s) => {
        s.process!.args = ['true'];
        change(s);
      });
      const r = await fx.rt(command, '--bundle', b, id);
      assert.equal(r.code, 1, `${command}: ${r.stderr}`);
      assert.match(r.stderr, message, command);
      assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
      assert.deepEqual(containersLeft(), [], `${command}: nothing left under --root`);
    }
  };

  test('a sysctl that is not namespaced is refused, and the host\'s is not written', async () => {
    const file = '/proc/sys/kernel/core_pattern';
    const before = readFileSync(file, 'utf8').trimEnd();
    await refused((s) => void (s.linux!.sysctl = { 'kernel.core_pattern': before }), /^moby-dick-runtime: config\.json: linux\.sysctl\.kernel\.core_pattern: not namespaced/);
    assert.equal(readFileSync(file, 'utf8').trimEnd(), before);
  });

  test('a net.* sysctl without a network namespace of its own is the host\'s: refused', async () => {
    const file = '/proc/sys/net/ipv4/ip_forward';
    const before = readFileSync(file, 'utf8').trimEnd();
    await refused((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
      s.linux!.sysctl = { 'net.ipv4.ip_forward': before };
    }, /^moby-dick-runtime: config\.json: linux\.sysctl\.net\.ipv4\.ip_forward: needs a network namespace of the container's own \(the container has none\)/);
    await refused((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
      s.linux!.namespaces!.push({ type: 'network', path: '/proc/self/ns/net' });
      s.linux!.sysctl = { 'net.ipv4.ip_forward': before };
    }, /linux\.sysctl\.net\.ipv4\.ip_forward: needs a network namespace of the container's own \(the one joined is the runtime's own\)/);
    assert.equal(readFileSync(file, 'utf8').trimEnd(), before);
  });

  test('a namespaced sysctl in the container\'s own namespace is still set', async () => {
    const b = fx.bundle((s) => {
      s.process!.args = ['cat', '/proc/sys/kernel/msgmax', '/proc/sys/net/ipv4/ip_default_ttl'];
      s.linux!.sysctl = { 'kernel.msgmax': '12345', 'net/ipv4/ip_default_ttl': '42' };
    });
    const r = await fx.rt('run', '--bundle', b, 'mdk-test-v2');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '12345\n42\n');
  });

  test('a namespace type listed twice', async () => {
    await refused((s) => void s.linux!.namespaces!.push({ type: 'pid' }), /^moby-dick-runtime: config\.json: linux\.namespaces\[6\]\.type: pid is already linux\.namespaces\[0\]/);
  });

  test('an unknown seccomp architecture', async () => {
    await refused(
      (s) => void (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_BOGUS'] }),
      /config\.json: linux\.seccomp\.architectures\[1\]: unknown architecture "SCMP_ARCH_BOGUS"/,
    );
  });

  test('mounts over /proc, and ".." in a destination', async () => {
    await refused(
      (s) => void s.mounts!.push({ destination: '/proc/sys', type: 'tmpfs', source: 'tmpfs' }),
      /^moby-dick-runtime: config\.json: mounts\[7\]\.destination: cannot mount over \/proc\/sys: under \/proc only /,
    );
    await refused(
      (s) => void s.mounts!.push({ destination: '/tmp/../proc/sys', type: 'tmpfs', source: 'tmpfs' }),
      /^moby-dick-runtime: config\.json: mounts\[7\]\.destination: "\/tmp\/\.\.\/proc\/sys" has a "\.\." component/,
    );
    await refused(
      (s) => void (s.mounts![0] = { destination: '/proc', type: 'tmpfs', source: 'tmpfs' }),
      /^moby-dick-runtime: config\.json: mounts\[0\]\.destination: only a procfs may be mounted on \/proc, not "tmpfs"/,
    );
    await refused(
      (s) => void (s.mounts![0] = { destination: '/proc', type: 'bind', source: '/tmp', options: ['rbind'] }),
      /mounts\[0\]\.destination: only a procfs may be mounted on \/proc, and the source of this bind is not one/,
    );
  });

  test('a file under /proc that runc allows (lxcfs\'s) may be covered', async () => {
    const b = fx.bundle((s) => {
      s.process!.args = ['cat', '/proc/uptime'];
      s.mounts!.push({ destination: '/proc/uptime', type: 'bind', source: join(fx.rootfs, 'etc/group'), options: ['rbind', 'ro'] });
    });
    const r = await fx.rt('run', '--bundle', b, 'mdk-test-v3');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^root:x:0:/);
  });

  test('a mount option the kernel refuses names mounts[N].options', async () => {
    await refused((s) => void s.mounts![2]!.options!.push('mdk-test-bogus'), /^moby-dick-runtime: config\.json: mounts\[2\]\.options: mounting devpts on \/dev\/pts failed: invalid argument \(EINVAL\)/);
    await refused((s) => void s.mounts![3]!.options!.push('size=mdk-test'), /^moby-dick-runtime: config\.json: mounts\[3\]\.options: mounting tmpfs on \/dev\/shm failed: invalid argument \(EINVAL\)/);
  });

  test('a container id that is too long', async () => {
    const id = `mdk-test-${'x'.repeat(300)}`;
    await refused(() => {}, /^moby-dick-runtime: invalid container id "mdk-test-x{23}\.\.\.": 309 characters, at most 255/, id);
    for (const command of ['state', 'delete', 'kill']) {
      const r = await fx.rt(command, id);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^moby-dick-runtime: invalid container id .*: 309 characters, at most 255/);
      assert.doesNotMatch(r.stderr, /internal error|ENAMETOOLONG/);
    }
    // the longest one works
    const b = fx.bundle((s) => void (s.process!.args = ['true']));
    const r = await fx.rt('run', '--bundle', b, `mdk-test-${'x'.repeat(255 - 9)}`);
    assert.equal(r.code, 0, r.stderr);
  });

  test('config.json that is not JSON: one line', async () => {
    const b = fx.bundle();
    writeFileSync(join(b, 'config.json'), '{\n  "ociVersion": x\n}\n');
    const r = await fx.rt('run', '--bundle', b, 'mdk-test-v4');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `moby-dick-runtime: ${join(b, 'config.json')}: not valid JSON: unexpected token 'x' (fix the JSON syntax; \`moby-dick-runtime spec\` writes a valid example)\n`);
    assert.deepEqual(containersLeft(), []);
  });
});
