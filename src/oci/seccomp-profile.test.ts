/** The engine's default seccomp profile (spec/seccomp-profile.ts), compiled by this layer's compiler and run. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runSeccomp } from '../../test/helpers/seccomp-bpf.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { x86_64Syscalls } from '../linux/syscall-tables.js';
import { compileSeccomp } from './seccomp.js';
import { CLONE_NAMESPACE_FLAGS, defaultSeccompProfile } from '../spec/seccomp-profile.js';

const NR = x86_64Syscalls();
const ALLOW = 0x7fff0000;
const EPERM = 0x00050000 | 1;
const ENOSYS = 0x00050000 | 38;
const CLONE_NEWUSER = 0x10000000;
const SIGCHLD = 17;

describe('the default seccomp profile', () => {
  const filter = compileSeccomp(defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES)).program;
  const call = (name: string, args: number[] = []) => runSeccomp(filter, NR[name]!, args);

  test('everyday system calls are allowed', () => {
    for (const name of ['read', 'write', 'openat', 'execve', 'mmap', 'socket', 'epoll_wait', 'chown', 'setuid', 'adjtimex', 'name_to_handle_at', 'ptrace', 'process_vm_readv']) {
      assert.equal(call(name), ALLOW, name);
    }
  });

  test('the documented dangerous ones fail with EPERM', () => {
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'kexec_load', 'init_module', 'bpf', 'keyctl', 'add_key', 'reboot', 'swapon', 'open_by_handle_at', 'userfaultfd', 'perf_event_open', 'settimeofday',
      'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'migrate_pages', 'pidfd_getfd', 'process_madvise', 'fanotify_init', 'sethostname', 'setdomainname', 'vhangup']) {
      assert.equal(call(name), EPERM, name);
    }
  });

  test('clone makes threads and processes but no namespaces; clone3 says ENOSYS', () => {
    assert.equal(call('clone', [SIGCHLD]), ALLOW);
    assert.equal(call('clone', [0x3d0f00]), ALLOW, 'pthread_create\'s flags');
    assert.equal(call('clone', [SIGCHLD | CLONE_NEWUSER]), EPERM);
    assert.equal(call('clone3'), ENOSYS);
  });

  test('personality: only the harmless personas', () => {
    assert.equal(call('personality', [0]), ALLOW);
    assert.equal(call('personality', [0xffffffff]), ALLOW);
    assert.equal(call('personality', [0x0040000]), EPERM, 'ADDR_NO_RANDOMIZE');
  });

  test('socket: every family but AF_ALG and AF_VSOCK', () => {
    for (const family of [1, 2, 10, 16, 17, 37, 39, 41, 45]) assert.equal(call('socket', [family]), ALLOW, `family ${family}`);
    assert.equal(call('socket', [38]), EPERM, 'AF_ALG');
    assert.equal(call('socket', [40]), EPERM, 'AF_VSOCK');
  });

  test('a system call outside the tables is refused', () => {
    assert.equal(runSeccomp(filter, 1000), EPERM);
  });

  test('a capability brings back what it governs', () => {
    const admin = compileSeccomp(defaultSeccompProfile([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'])).program;
    assert.equal(runSeccomp(admin, NR.mount!), ALLOW);
    assert.equal(runSeccomp(admin, NR.kcmp!), ALLOW);
    assert.equal(runSeccomp(admin, NR.clone!, [CLONE_NAMESPACE_FLAGS]), ALLOW);
    assert.equal(runSeccomp(admin, NR.keyctl!), EPERM, 'keyctl stays blocked: keyrings are not namespaced');
  });
});
