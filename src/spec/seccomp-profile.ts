/**
 * The engine's default seccomp profile, written for moby-dick to make the
 * decisions of Docker's (moby's profiles/seccomp/default.json): an
 * allowlist whose default is EPERM. Allowed: every system call this build
 * knows (src/linux/syscall-tables.ts) except those in GATED, which come
 * back only with a capability that governs them, or never. clone may not
 * make namespaces (without CAP_SYS_ADMIN), personality takes only the
 * harmless personas, socket every family but AF_ALG and AF_VSOCK, and
 * clone3 answers ENOSYS so that libc falls back to clone, whose flags a
 * classic filter can see. A system call newer than the tables is refused,
 * as in an allowlist. seccomp-docker.test.ts compares every decision with
 * Docker's and lists where they differ, and why.
 */
import type { Capability } from '../linux/capabilities.js';
import { i386Syscalls, x86_64Syscalls } from '../linux/syscall-tables.js';
import type { Spec } from './schema.js';

type Seccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;
type Rule = NonNullable<Seccomp['syscalls']>[number];

/**
 * Blocked unless the container holds one of the capabilities listed (an
 * empty list: always blocked), as in Docker's default profile (moby's
 * profiles/seccomp/default.json; seccomp-docker.test.ts holds its table
 * and checks every syscall of ours against it).
 */
const GATED: Record<string, readonly Capability[]> = {
  acct: ['CAP_SYS_PACCT'],
  bpf: ['CAP_SYS_ADMIN', 'CAP_BPF'],
  chroot: ['CAP_SYS_CHROOT'],
  clock_settime: ['CAP_SYS_TIME'],
  clock_settime64: ['CAP_SYS_TIME'],
  settimeofday: ['CAP_SYS_TIME'],
  stime: ['CAP_SYS_TIME'],
  delete_module: ['CAP_SYS_MODULE'],
  finit_module: ['CAP_SYS_MODULE'],
  init_module: ['CAP_SYS_MODULE'],
  get_mempolicy: ['CAP_SYS_NICE'],
  set_mempolicy: ['CAP_SYS_NICE'],
  set_mempolicy_home_node: ['CAP_SYS_NICE'],
  mbind: ['CAP_SYS_NICE'],
  ioperm: ['CAP_SYS_RAWIO'],
  iopl: ['CAP_SYS_RAWIO'],
  kcmp: ['CAP_SYS_PTRACE'],
  pidfd_getfd: ['CAP_SYS_PTRACE'],
  process_madvise: ['CAP_SYS_PTRACE'],
  // ptrace, process_vm_readv and process_vm_writev are allowed, as by Docker on kernels from 4.8 (where a
  // tracer can no longer skip a seccomp filter; moby-dick needs 5.6 for openat2): the kernel still refuses
  // to trace what the caller could not otherwise touch, and strace or gdb of one's own program works
  reboot: ['CAP_SYS_BOOT'],
  vhangup: ['CAP_SYS_TTY_CONFIG'],
  syslog: ['CAP_SYS_ADMIN', 'CAP_SYSLOG'],
  perf_event_open: ['CAP_SYS_ADMIN', 'CAP_PERFMON'],
  open_by_handle_at: ['CAP_DAC_READ_SEARCH'],
  fanotify_init: ['CAP_SYS_ADMIN'],
  lookup_dcookie: ['CAP_SYS_ADMIN'],
  mount: ['CAP_SYS_ADMIN'],
  mount_setattr: ['CAP_SYS_ADMIN'],
  move_mount: ['CAP_SYS_ADMIN'],
  open_tree: ['CAP_SYS_ADMIN'],
  fsopen: ['CAP_SYS_ADMIN'],
  fsconfig: ['CAP_SYS_ADMIN'],
  fsmount: ['CAP_SYS_ADMIN'],
  fspick: ['CAP_SYS_ADMIN'],
  umount: ['CAP_SYS_ADMIN'],
  umount2: ['CAP_SYS_ADMIN'],
  setns: ['CAP_SYS_ADMIN'],
  unshare: ['CAP_SYS_ADMIN'],
  quotactl: ['CAP_SYS_ADMIN'],
  quotactl_fd: ['CAP_SYS_ADMIN'],
  sethostname: ['CAP_SYS_ADMIN'],
  setdomainname: ['CAP_SYS_ADMIN'],
  // not in Docker's profile whatever the capabilities: keyrings, module tables, swap, kexec, pivot_root,
  // NUMA page moves, userfaultfd and the obsolete calls
  add_key: [],
  keyctl: [],
  request_key: [],
  create_module: [],
  get_kernel_syms: [],
  query_module: [],
  kexec_file_load: [],
  kexec_load: [],
  migrate_pages: [],
  move_pages: [],
  nfsservctl: [],
  pivot_root: [],
  swapon: [],
  swapoff: [],
  sysfs: [],
  _sysctl: [],
  uselib: [],
  userfaultfd: [],
  ustat: [],
  vm86: [],
  vm86old: [],
  // io_uring runs file and network operations from kernel workers that a seccomp filter never sees, and has
  // been a steady source of kernel privilege escalations: Docker (since 25.0) and containerd deny it by default
  io_uring_setup: [],
  io_uring_enter: [],
  io_uring_register: [],
  // i386 calls libc no longer makes (rt_* and the new forms replace them), and unimplemented slots
  afs_syscall: [], bdflush: [], break: [], ftime: [], getpmsg: [], gtty: [], idle: [], lock: [], mpx: [], nice: [],
  oldfstat: [], oldlstat: [], oldolduname: [], oldstat: [], olduname: [], prof: [], profil: [], putpmsg: [],
  readdir: [], security: [], sgetmask: [], sigaction: [], signal: [], sigpending: [], sigsuspend: [], ssetmask: [],
  stty: [], tuxcall: [], ulimit: [], vserver: [],
  // handled by the rules below
  clone: [],
  clone3: [],
  personality: [],
  socket: [],
};

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 + 0x02000000 + 0x04000000 + 0x08000000 + 0x10000000 + 0x20000000 + 0x40000000;
const ENOSYS = 38;

/** PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff */
const PERSONAS = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];
/** socket(2) families refused, as Docker does: AF_ALG (the kernel's crypto API) and AF_VSOCK (the host's hypervisor sockets) */
const AF_ALG = 38;
const AF_VSOCK = 40;

/** The capabilities that change the profile: those GATED names, and CAP_SYS_ADMIN (clone's namespaces). */
const DECIDING: ReadonlySet<Capability> = new Set<Capability>([...Object.values(GATED).flat(), 'CAP_SYS_ADMIN']);

/** Of CAPS, those the profile looks at. */
function deciding(caps: readonly Capability[]): Set<Capability> {
  return new Set(caps.filter((c) => DECIDING.has(c)));
}

/**
 * What decides defaultSeccompProfile(CAPS) in this build: the capabilities
 * of CAPS it looks at, sorted. Two sets with one key get one profile (the
 * profile sees nothing else), so a program compiled for one serves the
 * other (oci/seccomp-prebuilt.ts).
 */
export function seccompProfileKey(caps: readonly Capability[]): string {
  return [...deciding(caps)].sort().join(',');
}

/** the profiles made in this process, by seccompProfileKey: an engine making many containers builds each once */
const made = new Map<string, Seccomp>();

/** deep-frozen: one object shared by every container with that key; a change would throw, not reach the others */
function frozen<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

/** The profile for a container holding CAPS (built once per key in a process, then shared, frozen). */
export function defaultSeccompProfile(caps: readonly Capability[]): Seccomp {
  const key = seccompProfileKey(caps);
  let p = made.get(key);
  if (!p) made.set(key, (p = frozen(buildProfile(deciding(caps)))));
  return p;
}

function buildProfile(held: ReadonlySet<Capability>): Seccomp {
  const known = new Set([...Object.keys(x86_64Syscalls()), ...Object.keys(i386Syscalls())]);
  const allowed = [...known].filter((name) => {
    const caps = GATED[name];
    return caps === undefined || caps.some((c) => held.has(c));
  });
  const rules: Rule[] = [{ names: allowed.sort(), action: 'SCMP_ACT_ALLOW' }];
  if (held.has('CAP_SYS_ADMIN')) {
    rules.push({ names: ['clone', 'clone3'], action: 'SCMP_ACT_ALLOW' });
  } else {
    rules.push(
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    );
  }
  // every family but AF_ALG (38) and AF_VSOCK (40): below 38, 39, above 40
  rules.push(
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_ALG, op: 'SCMP_CMP_LT' }] },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_ALG + 1, op: 'SCMP_CMP_EQ' }] },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_GT' }] },
  );
  for (const value of PERSONAS) {
    rules.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] });
  }
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: rules,
  };
}
