/**
 * The engine's default seccomp profile, written for moby-dick from the
 * policy Docker documents ("Significant syscalls blocked by the default
 * profile", docs.docker.com/engine/security/seccomp): an allowlist whose
 * default is EPERM. Allowed: every system call this build knows
 * (src/linux/syscall-tables.ts) except the blocked ones below, which come
 * back only with the capability that governs them anyway. clone may not
 * make namespaces (without CAP_SYS_ADMIN), personality takes only the
 * harmless personas, and clone3 answers ENOSYS so that libc falls back to
 * clone, whose flags a classic filter can see. A system call newer than
 * the tables is refused, as in an allowlist.
 */
import type { Capability } from '../linux/capabilities.js';
import { I386_SYSCALLS, X86_64_SYSCALLS } from '../linux/syscall-tables.js';
import type { Spec } from '../oci/spec.js';

type Seccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;
type Rule = NonNullable<Seccomp['syscalls']>[number];

/** Blocked unless the container holds the capability that governs them (null: always blocked). */
const BLOCKED: Record<string, Capability | null> = {
  acct: 'CAP_SYS_PACCT',
  add_key: null,
  bpf: 'CAP_SYS_ADMIN',
  clock_adjtime: 'CAP_SYS_TIME',
  clock_settime: 'CAP_SYS_TIME',
  clock_settime64: 'CAP_SYS_TIME',
  adjtimex: 'CAP_SYS_TIME',
  create_module: null,
  delete_module: 'CAP_SYS_MODULE',
  finit_module: 'CAP_SYS_MODULE',
  init_module: 'CAP_SYS_MODULE',
  get_kernel_syms: null,
  get_mempolicy: 'CAP_SYS_NICE',
  set_mempolicy: 'CAP_SYS_NICE',
  mbind: 'CAP_SYS_NICE',
  move_pages: 'CAP_SYS_NICE',
  ioperm: 'CAP_SYS_RAWIO',
  iopl: 'CAP_SYS_RAWIO',
  kcmp: 'CAP_SYS_PTRACE',
  process_vm_readv: 'CAP_SYS_PTRACE',
  process_vm_writev: 'CAP_SYS_PTRACE',
  ptrace: 'CAP_SYS_PTRACE',
  kexec_file_load: 'CAP_SYS_BOOT',
  kexec_load: 'CAP_SYS_BOOT',
  reboot: 'CAP_SYS_BOOT',
  keyctl: null,
  request_key: null,
  lookup_dcookie: 'CAP_SYS_ADMIN',
  mount: 'CAP_SYS_ADMIN',
  mount_setattr: 'CAP_SYS_ADMIN',
  move_mount: 'CAP_SYS_ADMIN',
  open_tree: 'CAP_SYS_ADMIN',
  fsopen: 'CAP_SYS_ADMIN',
  fsconfig: 'CAP_SYS_ADMIN',
  fsmount: 'CAP_SYS_ADMIN',
  fspick: 'CAP_SYS_ADMIN',
  umount: 'CAP_SYS_ADMIN',
  umount2: 'CAP_SYS_ADMIN',
  pivot_root: 'CAP_SYS_ADMIN',
  setns: 'CAP_SYS_ADMIN',
  unshare: 'CAP_SYS_ADMIN',
  quotactl: 'CAP_SYS_ADMIN',
  quotactl_fd: 'CAP_SYS_ADMIN',
  name_to_handle_at: 'CAP_DAC_READ_SEARCH',
  open_by_handle_at: 'CAP_DAC_READ_SEARCH',
  nfsservctl: null,
  perf_event_open: 'CAP_PERFMON',
  query_module: null,
  settimeofday: 'CAP_SYS_TIME',
  stime: 'CAP_SYS_TIME',
  swapon: 'CAP_SYS_ADMIN',
  swapoff: 'CAP_SYS_ADMIN',
  sysfs: null,
  _sysctl: null,
  syslog: 'CAP_SYSLOG',
  uselib: null,
  userfaultfd: null,
  ustat: null,
  vm86: null,
  vm86old: null,
  // handled by the rules below
  clone: null,
  clone3: null,
  personality: null,
};

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 + 0x02000000 + 0x04000000 + 0x08000000 + 0x10000000 + 0x20000000 + 0x40000000;
const ENOSYS = 38;

/** PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff */
const PERSONAS = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** The profile for a container holding CAPS. */
export function defaultSeccompProfile(caps: readonly Capability[]): Seccomp {
  const held = new Set(caps);
  const known = new Set([...Object.keys(X86_64_SYSCALLS), ...Object.keys(I386_SYSCALLS)]);
  const allowed = [...known].filter((name) => {
    if (!(name in BLOCKED)) return true;
    const cap = BLOCKED[name];
    return cap !== null && cap !== undefined && held.has(cap);
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
