/**
 * The default profile against Docker's (moby's profiles/seccomp/default.json,
 * as vendored in moby at commit b985e23, read in August 2026). Docker's
 * decisions are declared below as facts read from that file, for the
 * system calls this build's tables have (x86_64 and i386): which it allows
 * unconditionally, which only with a capability, and which by arguments.
 * Any name in neither list is one Docker's allowlist leaves out: refused.
 * For every system call in our tables, with no capability, with each one
 * alone and with Docker's defaults, the profile must decide as Docker's
 * does, except the differences listed with their reason.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Capability, CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { i386Syscalls, x86_64Syscalls } from '../linux/syscall-tables.js';
import { defaultSeccompProfile } from './seccomp-profile.js';

/** Docker allows these whatever the capabilities (its first rule, and the amd64/x86 ones: arch_prctl, modify_ldt). */
const DOCKER_ALLOWED = `
_llseek _newselect accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create
epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2
execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir
fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr
fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64
futex_waitv futimesat get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid getegid32
geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid
getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getrusage getsid getsockname
getsockopt gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1
inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit
ioctl ioprio_get ioprio_set ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown
lchown32 lgetxattr link linkat listen listxattr llistxattr lremovexattr lseek lsetxattr lstat lstat64 madvise
membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2
mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap
name_to_handle_at nanosleep newfstatat open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2
pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64
process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv
recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_get_priority_max
sched_get_priority_min sched_getaffinity sched_getattr sched_getparam sched_getscheduler
sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 sendfile
sendfile64 sendmmsg sendmsg sendto set_robust_list set_thread_area set_tid_address setfsgid setfsgid32
setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32
setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit setsid setsockopt setuid setuid32
setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall
socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee
tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times
tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes
vfork vmsplice wait4 waitid waitpid write writev
arch_prctl modify_ldt
ptrace process_vm_readv process_vm_writev
`.split(/\s+/).filter(Boolean);

/** Docker allows these only with one of the capabilities ("includes": {"caps": [...]}). */
const DOCKER_GATED: Record<string, readonly Capability[]> = {
  open_by_handle_at: ['CAP_DAC_READ_SEARCH'],
  bpf: ['CAP_SYS_ADMIN', 'CAP_BPF'],
  clone: ['CAP_SYS_ADMIN'],
  clone3: ['CAP_SYS_ADMIN'],
  fanotify_init: ['CAP_SYS_ADMIN'],
  fsconfig: ['CAP_SYS_ADMIN'],
  fsmount: ['CAP_SYS_ADMIN'],
  fsopen: ['CAP_SYS_ADMIN'],
  fspick: ['CAP_SYS_ADMIN'],
  lookup_dcookie: ['CAP_SYS_ADMIN'],
  mount: ['CAP_SYS_ADMIN'],
  mount_setattr: ['CAP_SYS_ADMIN'],
  move_mount: ['CAP_SYS_ADMIN'],
  open_tree: ['CAP_SYS_ADMIN'],
  perf_event_open: ['CAP_SYS_ADMIN', 'CAP_PERFMON'],
  quotactl: ['CAP_SYS_ADMIN'],
  quotactl_fd: ['CAP_SYS_ADMIN'],
  setdomainname: ['CAP_SYS_ADMIN'],
  sethostname: ['CAP_SYS_ADMIN'],
  setns: ['CAP_SYS_ADMIN'],
  syslog: ['CAP_SYS_ADMIN', 'CAP_SYSLOG'],
  umount: ['CAP_SYS_ADMIN'],
  umount2: ['CAP_SYS_ADMIN'],
  unshare: ['CAP_SYS_ADMIN'],
  reboot: ['CAP_SYS_BOOT'],
  chroot: ['CAP_SYS_CHROOT'],
  delete_module: ['CAP_SYS_MODULE'],
  init_module: ['CAP_SYS_MODULE'],
  finit_module: ['CAP_SYS_MODULE'],
  acct: ['CAP_SYS_PACCT'],
  kcmp: ['CAP_SYS_PTRACE'],
  pidfd_getfd: ['CAP_SYS_PTRACE'],
  process_madvise: ['CAP_SYS_PTRACE'],
  iopl: ['CAP_SYS_RAWIO'],
  ioperm: ['CAP_SYS_RAWIO'],
  settimeofday: ['CAP_SYS_TIME'],
  stime: ['CAP_SYS_TIME'],
  clock_settime: ['CAP_SYS_TIME'],
  clock_settime64: ['CAP_SYS_TIME'],
  vhangup: ['CAP_SYS_TTY_CONFIG'],
  get_mempolicy: ['CAP_SYS_NICE'],
  mbind: ['CAP_SYS_NICE'],
  set_mempolicy: ['CAP_SYS_NICE'],
  set_mempolicy_home_node: ['CAP_SYS_NICE'],
};

type Args = { index: number; value: number; op: string; valueTwo?: number }[];
/** Allowed by their arguments (clone without CAP_SYS_ADMIN; clone3 then answers ENOSYS, a refusal). */
const DOCKER_BY_ARGS: Record<string, (caps: ReadonlySet<Capability>) => Args[] | null> = {
  clone: (caps) => (caps.has('CAP_SYS_ADMIN') ? null : [[{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }]]),
  personality: () => [0, 8, 131072, 131080, 4294967295].map((value) => [{ index: 0, value, op: 'SCMP_CMP_EQ' }]),
  socket: () => [[{ index: 0, value: 38, op: 'SCMP_CMP_LT' }], [{ index: 0, value: 39, op: 'SCMP_CMP_EQ' }], [{ index: 0, value: 40, op: 'SCMP_CMP_GT' }]],
};

/** Where moby-dick decides otherwise, on purpose. */
const DIFFERENCES: Record<string, string> = {};

type Decision = 'allow' | 'block' | 'by arguments';

function dockerDecides(name: string, caps: ReadonlySet<Capability>): Decision {
  if (DOCKER_GATED[name]?.some((c) => caps.has(c))) return 'allow';
  if (DOCKER_BY_ARGS[name]?.(caps)) return 'by arguments';
  return DOCKER_ALLOWED.includes(name) ? 'allow' : 'block';
}

function oursDecides(caps: readonly Capability[]): (name: string) => { decision: Decision; args: Args[] } {
  const profile = defaultSeccompProfile(caps);
  assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
  return (name) => {
    const rules = (profile.syscalls ?? []).filter((r) => r.names.includes(name) && r.action === 'SCMP_ACT_ALLOW');
    if (rules.some((r) => !r.args?.length)) return { decision: 'allow', args: [] };
    if (rules.length) return { decision: 'by arguments', args: rules.map((r) => r.args!.map(({ index, value, op, valueTwo }) => ({ index, value, op, ...(valueTwo ? { valueTwo } : {}) }))) };
    return { decision: 'block', args: [] };
  };
}

const OUR_SYSCALLS = [...new Set([...Object.keys(x86_64Syscalls()), ...Object.keys(i386Syscalls())])].sort();

describe('the default seccomp profile decides as Docker\'s', () => {
  const sets: [string, readonly Capability[]][] = [
    ['no capability', []],
    ['Docker\'s default capabilities', DOCKER_DEFAULT_CAPABILITIES],
    ...CAPABILITIES.map((c): [string, readonly Capability[]] => [c, [c]]),
    ['every capability', CAPABILITIES],
  ];
  for (const [label, caps] of sets) {
    test(`for every system call of our tables, with ${label}`, () => {
      const ours = oursDecides(caps);
      const held = new Set(caps);
      const wrong: string[] = [];
      for (const name of OUR_SYSCALLS) {
        if (name in DIFFERENCES) continue;
        const mine = ours(name);
        const theirs = dockerDecides(name, held);
        if (mine.decision !== theirs) wrong.push(`${name}: ours ${mine.decision}, Docker's ${theirs}`);
        else if (theirs === 'by arguments') assert.deepEqual(mine.args, DOCKER_BY_ARGS[name]!(held), `${name}'s arguments`);
      }
      assert.deepEqual(wrong, []);
    });
  }

  test('the differences are what they say', () => {
    for (const name of Object.keys(DIFFERENCES)) {
      assert.ok(OUR_SYSCALLS.includes(name), name);
      assert.equal(oursDecides([])(name).decision, 'block', `${name} without CAP_SYS_PTRACE`);
      assert.equal(oursDecides(['CAP_SYS_PTRACE'])(name).decision, 'allow', `${name} with CAP_SYS_PTRACE`);
      assert.equal(dockerDecides(name, new Set()), 'allow');
    }
  });

  test('the declaration of Docker\'s profile is about syscalls we have', () => {
    for (const name of [...DOCKER_ALLOWED, ...Object.keys(DOCKER_GATED), ...Object.keys(DOCKER_BY_ARGS)]) assert.ok(OUR_SYSCALLS.includes(name), name);
  });
});
