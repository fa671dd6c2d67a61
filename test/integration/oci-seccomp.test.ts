/** seccomp filters from config.json, enforced by the kernel. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { x86_64Syscalls } from '../../src/linux/syscall-tables.js';
import type { Spec } from '../../src/spec/schema.js';
import { useOci } from '../helpers/fixtures.js';

type Seccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;

describe('moby-dick-runtime seccomp', () => {
  const fx = useOci();
  const { rt, bundle } = fx;
  let runs = 0;
  const runWith = async (seccomp: Seccomp, script: string, change: (s: Spec) => void = () => {}) => {
    const b = bundle((s) => {
      s.linux!.seccomp = seccomp;
      s.process!.args = ['sh', '-c', script];
      change(s);
    });
    return rt('run', '--bundle', b, `mdk-test-sc${++runs}`);
  };

  test('a blocked syscall fails with the errno asked for; others work', async () => {
    const r = await runWith(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] },
      'mkdir /tmp/mdk-test-blocked 2>&1; echo rc=$?; ls / >/dev/null && echo ls-ok',
    );
    assert.match(r.stdout, /Permission denied\nrc=1\nls-ok/);
  });

  test('argument conditions: kill is blocked for SIGUSR1 only', async () => {
    const r = await runWith(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 10, op: 'SCMP_CMP_EQ' }] }] },
      'kill -USR1 $$ 2>&1; echo usr1=$?; kill -0 $$; echo zero=$?',
    );
    assert.match(r.stdout, /Operation not permitted\nusr1=1\nzero=0/);
  });

  test('SCMP_ACT_KILL_PROCESS ends the process with SIGSYS', async () => {
    const r = await runWith({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' }] }, 'exec uname -a');
    assert.equal(r.code, 128 + 31);
  });

  test('an allow list with a deny-by-default works with and without no_new_privs', async () => {
    const allowed = Object.keys(x86_64Syscalls()).filter((n) => !['mkdir', 'mkdirat', 'unshare'].includes(n));
    const profile: Seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [{ names: allowed, action: 'SCMP_ACT_ALLOW' }],
    };
    for (const nnp of [true, false]) {
      const r = await runWith(profile, 'mkdir /tmp/mdk-test-x 2>&1; echo rc=$?; id -u', (s) => {
        s.process!.noNewPrivileges = nnp;
        s.process!.user = { uid: 1000, gid: 1000 };
      });
      assert.equal(r.code, 0, `nnp=${nnp}: ${r.stderr}`);
      assert.match(r.stdout, /Operation not permitted\nrc=1\n1000\n/, `nnp=${nnp}`);
    }
  });

  test('exec runs under the container\'s filter too', async () => {
    const b = bundle((s) => void (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    assert.equal((await rt('run', '-d', '--bundle', b, 'mdk-test-scx')).code, 0);
    const e = await rt('exec', 'mdk-test-scx', 'sh', '-c', 'mkdir /tmp/mdk-test-y 2>&1; grep Seccomp: /proc/self/status');
    assert.match(e.stdout, /Operation not permitted/);
    assert.match(e.stdout, /Seccomp:\s+2/);
  });
});
