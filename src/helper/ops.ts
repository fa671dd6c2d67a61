/**
 * One record per op of the plan: its arguments on the wire and what its
 * failure means in words. native/src/ops.c holds the C half, one row per op
 * (arity, flags, handler); plan-wire.test.ts reads that table and checks
 * that the two agree both ways. A new op is a member of `Op` (plan.ts), a
 * record here and a row there.
 */
import { MS } from '../linux/mount-flags.js';
import { NAMESPACE_FLAGS } from '../linux/namespaces.js';
import { RLIMITS } from '../linux/rlimits.js';
import type { Op, OpName } from './plan.js';

export type OpOf<N extends OpName> = Extract<Op, { op: N }>;

/** What a step is for, as --explain groups them. */
export type Purpose = 'identity' | 'filesystem' | 'network' | 'resources' | 'privileges' | 'process';

/** A step of the plan for a newcomer (--explain): the kernel call, its man page, what it did and why. */
export interface OpExplanation<O extends Op> {
  purpose: Purpose | ((op: O) => Purpose);
  /** the kernel primitive, e.g. "pivot_root(2)" */
  call: string | ((op: O) => string);
  /** the man page to read, e.g. "pivot_root(2)" */
  man: string | ((op: O) => string);
  /** what was done, one sentence */
  says: (op: O) => string;
  /** what it isolates or protects against, where that is the point */
  why?: (op: O) => string | undefined;
  /**
   * The short --explain: several of this op in a row (same call) said in one
   * line, or "fold" for a step left out of it (a directory made for a mount
   * point: the mount that follows says where). --explain=full lists each.
   */
  several?: 'fold' | { says: (ops: readonly O[]) => string; why?: (ops: readonly O[]) => string | undefined };
}

export interface OpRecord<O extends Op> {
  /** the arguments, in the order the C row's handler reads them (as many as its arity) */
  args: (op: O) => string[];
  /** read by the outer helper before the clone (OP_SETTING in C), not a step of the container child */
  setting?: true;
  /** the step name the helper reports when this op fails, where it is not the op's name */
  step?: string;
  /** the failed step in words: "container setup failed WHAT: reason"; DETAIL is what the helper named */
  what?: (detail: string) => string;
  /** the step for a newcomer (--explain); none for ops the helper does not report (env, arg) */
  explain?: OpExplanation<O>;
}

const octal = (n: number): string => n.toString(8);
const dirOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

function rlimitName(n: string): string {
  return Object.entries(RLIMITS).find(([, v]) => String(v) === n)?.[0] ?? `rlimit ${n}`;
}

export const OPS: { readonly [N in OpName]: OpRecord<OpOf<N>> } = {
  // settings for the outer helper
  clone: {
    setting: true,
    args: (o) => [String(o.flags)],
    what: () => 'creating the namespaces',
    explain: {
      purpose: 'identity',
      call: (o) => `clone(${namespaceFlagNames(o.flags).join('|') || 'no new namespaces'})`,
      man: 'namespaces(7)',
      says: (o) => `started the container's first process in ${namespaceFlagNames(o.flags).length} new namespaces, all made by one clone(2) call`,
      why: () => 'each namespace gives the process its own copy of one kind of kernel resource (listed below)',
    },
  },
  tty: { setting: true, args: (o) => [o.interactive ? '1' : '0'] },
  debug: { setting: true, args: () => [] },
  init: { setting: true, args: () => [], what: () => 'starting the init process' },
  detach: { setting: true, args: () => [] },
  console_socket: { setting: true, args: (o) => [o.path], step: 'console socket', what: (d) => `sending the terminal to the console socket ${d}` },
  join_pid: { setting: true, args: (o) => [o.path] },
  join_user: { setting: true, args: (o) => [o.path] },
  preserve_fds: { setting: true, args: (o) => [String(o.count)], step: 'preserve fds', what: (d) => `passing on --preserve-fds (${d})` },
  // the monitor that can outlive the engine (native/src/watch.c)
  log_json: { setting: true, args: (o) => [o.path, String(o.maxSize), String(o.maxFiles)], step: 'log', what: (d) => `opening the log file ${d}` },
  stdin_open: { setting: true, args: () => [] },
  attach_socket: { setting: true, args: (o) => [o.path], step: 'attach socket', what: (d) => `listening on the attach socket ${d}` },
  exit_file: { setting: true, args: (o) => [o.path] },
  on_exit: { setting: true, args: (o) => [o.arg] },
  health_every: { setting: true, args: (o) => [String(o.firstMs), String(o.everyMs), String(o.limitMs)] },
  health_cmd: { setting: true, args: (o) => [o.arg] },
  // steps of the container child
  propagation: {
    args: (o) => [String(o.flags)],
    what: () => 'making mounts private to the container',
    explain: {
      purpose: 'filesystem',
      call: (o) => `mount("/", ${mountFlagNames(o.flags)})`,
      man: 'mount_namespaces(7)',
      says: (o) => `set the propagation of every mount in the new mount namespace to ${propagationWord(o.flags)}`,
      why: (o) => (o.flags & MS.SLAVE ? "the host's new mounts still show up inside, but nothing the container mounts leaks out to the host" : 'no mount event crosses between the container and the host'),
    },
  },
  mount_host: {
    args: (o) => [o.source, o.target, o.fstype, String(o.flags), o.data],
    step: 'mount',
    explain: {
      purpose: 'filesystem',
      call: (o) => `mount(${o.fstype || 'MS_BIND'})`,
      man: (o) => (o.fstype === 'overlay' ? 'mount(2), https://docs.kernel.org/filesystems/overlayfs.html' : 'mount(2)'),
      says: (o) =>
        o.fstype === 'overlay'
          ? `mounted the image's layers as one overlay filesystem at ${o.target}: the read-only image layers below, the container's own writable layer on top`
          : o.fstype === ''
            ? `bind-mounted the root directory ${o.source} onto itself, so that it is a mount point of its own`
            : `mounted an empty ${o.fstype} at ${o.target}, where the container's view of the host's root is put together`,
      why: (o) => (o.fstype === 'overlay' ? 'the container writes to its own layer; the image stays unchanged and is shared with other containers' : o.fstype === '' ? 'pivot_root(2) needs the new root to be a mount point' : undefined),
    },
  },
  tree_clone: {
    args: (o) => [o.source, String(o.slot)],
    what: (d) => `cloning the host's ${d}`,
    explain: {
      purpose: 'filesystem',
      call: () => 'open_tree(OPEN_TREE_CLONE)',
      man: 'open_tree(2)',
      says: (o) => `copied the host's mounts at ${o.source}, to put them into the container's view of the host`,
      why: () => 'the original form shows the host\'s files: copies of its mounts, which the container can cover without touching the host',
    },
  },
  setroot: {
    args: (o) => [o.path],
    step: 'root',
    what: (d) => `opening the root ${d}`,
    explain: {
      purpose: 'filesystem',
      call: () => 'openat2(RESOLVE_IN_ROOT)',
      man: 'openat2(2)',
      says: (o) => `opened the new root ${o.path}; every later path of the plan is looked up inside it`,
      why: () => 'a symlink in the image cannot send a mount or a device out onto the host (CVE-2021-30465)',
    },
  },
  mkdir: {
    args: (o) => [o.path, octal(o.mode)],
    what: (d) => `creating directory ${d}`,
    explain: { purpose: 'filesystem', call: () => 'mkdirat(2)', man: 'mkdir(2)', says: (o) => `created the directory ${o.path}`, several: 'fold' },
  },
  mknod: {
    args: (o) => [o.path, octal(o.mode), String(o.major), String(o.minor)],
    what: (d) => `creating device ${d}`,
    explain: {
      purpose: 'filesystem',
      call: () => 'mknodat(2)',
      man: 'mknod(2)',
      says: (o) => `created the device ${o.path} (character ${o.major}:${o.minor})`,
      why: () => 'the container gets a minimal /dev of its own: only these harmless devices, none of the host\'s disks',
      several: { says: (ops) => `created the devices ${ops.map((o) => `${o.path} (${o.major}:${o.minor})`).join(', ')}` },
    },
  },
  symlink: {
    args: (o) => [o.target, o.path],
    what: (d) => `creating symlink ${d}`,
    explain: { purpose: 'filesystem', call: () => 'symlinkat(2)', man: 'symlink(2)', says: (o) => `linked ${o.path} to ${o.target}`, several: { says: (ops) => `linked ${ops.map((o) => `${o.path} to ${o.target}`).join(', ')}` } },
  },
  touch: {
    args: (o) => [o.path, octal(o.mode)],
    what: (d) => `creating file ${d}`,
    explain: { purpose: 'filesystem', call: () => 'openat(O_CREAT)', man: 'open(2)', says: (o) => `created the empty file ${o.path}, for a mount to go onto`, several: 'fold' },
  },
  mount: {
    args: (o) => [o.source, o.target, o.fstype, String(o.flags), o.data],
    what: (d) => `mounting ${d}`,
    explain: {
      purpose: 'filesystem',
      call: (o) => `mount(${o.fstype || 'MS_BIND'}${o.flags & ~MS.BIND & ~MS.REC ? `, ${mountFlagNames(o.flags & ~MS.BIND & ~MS.REC)}` : ''})`,
      man: (o) => FS_MAN[o.fstype] ?? 'mount(2)',
      says: (o) => `${FS_SAYS[o.fstype]?.(o) ?? (o.flags & MS.BIND ? `bind-mounted ${o.source} at ${o.target}` : `mounted a ${o.fstype} filesystem at ${o.target}`)}${o.flags & MS.RDONLY ? ', read-only' : ''}`,
      why: (o) => FS_WHY[o.fstype],
      several: {
        says: (ops) => {
          const o = ops[0]!;
          const ro = o.flags & MS.RDONLY ? ', read-only' : '';
          if (o.fstype === 'cgroup') return `mounted ${ops.length} cgroup v1 hierarchies under ${dirOf(o.target)}${ro}: ${ops.map((x) => x.target.split('/').pop()).join(' ')}`;
          return `${o.fstype ? `mounted ${o.fstype}` : 'bind-mounted'} at ${ops.map((x) => x.target).join(', ')}${ro}`;
        },
        why: (ops) => FS_WHY[ops[0]!.fstype],
      },
    },
  },
  bind_device: {
    args: (o) => [o.source, o.target],
    step: 'bind device',
    what: (d) => `binding the host's device onto ${d}`,
    explain: { purpose: 'filesystem', call: () => 'mount(MS_BIND)', man: 'mount(2)', says: (o) => `bound the host's device ${o.source} onto ${o.target}`, why: () => 'a user namespace may not create device nodes' },
  },
  tree_attach: {
    args: (o) => [String(o.slot), o.target],
    what: (d) => `attaching ${d}`,
    explain: { purpose: 'filesystem', call: () => 'move_mount(2)', man: 'move_mount(2)', says: (o) => `attached the copy of the host's mounts at ${o.target}` },
  },
  shm_clone: {
    args: (o) => [o.nsPath, String(o.slot)],
    step: 'ipc',
    what: (d) => `taking /dev/shm of the container whose mount namespace is ${d}`,
    explain: {
      purpose: 'filesystem',
      call: () => 'setns(CLONE_NEWNS), open_tree(OPEN_TREE_CLONE)',
      man: 'open_tree(2)',
      says: (o) => `copied /dev/shm of the container whose mount namespace is ${o.nsPath} (--ipc container:NAME)`,
      why: () => 'the two containers share their POSIX shared memory, as they share the IPC namespace',
    },
  },
  remount: {
    args: (o) => [o.target, String(o.flags)],
    what: (d) => `remounting ${d}`,
    explain: {
      purpose: 'filesystem',
      call: (o) => `mount(MS_REMOUNT|${mountFlagNames(o.flags)})`,
      man: 'mount(2)',
      says: (o) => `remounted ${o.target}${o.flags & MS.RDONLY ? ' read-only' : ''}`,
      why: (o) => (o.target === '/' && o.flags & MS.RDONLY ? 'the container cannot change its root filesystem (--read-only)' : undefined),
    },
  },
  mask: {
    args: (o) => [o.path],
    what: (d) => `masking ${d}`,
    explain: {
      purpose: 'filesystem',
      call: () => 'mount(MS_BIND /dev/null) or an empty read-only tmpfs',
      man: 'mount(2)',
      says: (o) => `masked ${o.path}: the container sees it empty`,
      why: (o) => `it hides ${HIDDEN_PATHS[o.path] ?? 'what the host keeps there'}`,
      several: {
        says: (ops) => `masked ${ops.length} paths, which the container sees empty: ${ops.map((o) => o.path).join(' ')}`,
        why: () => 'each shows or changes the whole host, not the container (--explain=full says what each hides)',
      },
    },
  },
  readonly: {
    args: (o) => [o.path],
    what: (d) => `making ${d} read-only`,
    explain: {
      purpose: 'filesystem',
      call: () => 'mount(MS_BIND|MS_REMOUNT|MS_RDONLY)',
      man: 'mount(2)',
      says: (o) => `made ${o.path} read-only`,
      why: (o) => HIDDEN_PATHS[o.path] ?? 'what the host keeps there is not the container\'s to change',
      several: {
        says: (ops) => `made ${ops.length} paths read-only: ${ops.map((o) => o.path).join(' ')}`,
        why: () => 'a write there would change the whole host, not the container (--explain=full says how, for each)',
      },
    },
  },
  pivot: {
    args: () => [],
    step: 'pivot_root',
    what: () => 'pivot_root into the container root',
    explain: {
      purpose: 'filesystem',
      call: () => 'pivot_root(2), then umount2(MNT_DETACH) of the old root',
      man: 'pivot_root(2)',
      says: () => "made the container's directory the root \"/\" of its mount namespace and detached the host's root from it",
      why: () => "the host's files are no longer reachable at any path; unlike chroot(2), there is no way back out",
    },
  },
  move_root: {
    args: () => [],
    step: 'move root',
    what: () => 'moving the root (--no-pivot)',
    explain: { purpose: 'filesystem', call: () => 'mount(MS_MOVE), chroot(2)', man: 'chroot(2)', says: () => 'moved the container root over "/" and chrooted into it (--no-pivot)' },
  },
  chroot: {
    args: () => [],
    what: () => 'chroot into the container root',
    explain: { purpose: 'filesystem', call: () => 'chroot(2)', man: 'chroot(2)', says: () => 'changed the root directory to the container root', why: () => 'no mount namespace of its own: pivot_root would move the root of everyone in it' },
  },
  propagate_up: {
    args: (o) => [o.path, String(o.flags)],
    step: 'parent propagation',
    what: (d) => `setting the propagation of the mount that holds ${d}`,
    explain: {
      purpose: 'filesystem',
      call: (o) => `mount(${mountFlagNames(o.flags)})`,
      man: 'mount_namespaces(7)',
      says: (o) => `made the mount that holds ${o.path} ${propagationWord(o.flags)}`,
      why: () => 'pivot_root(2) refuses a shared parent mount, and mounts under a shared one would reach its peers on the host',
    },
  },
  hostname: {
    args: (o) => [o.name],
    what: (d) => `setting the hostname to ${d}`,
    explain: {
      purpose: 'identity',
      call: () => 'sethostname(2)',
      man: 'uts_namespaces(7)',
      says: (o) => `set the hostname to ${o.name}`,
      why: () => "in the container's own UTS namespace: the host's hostname is unchanged",
    },
  },
  umask: {
    args: (o) => [octal(o.mask)],
    explain: { purpose: 'process', call: () => 'umask(2)', man: 'umask(2)', says: (o) => `set the file mode creation mask to ${octal(o.mask).padStart(4, '0')}` },
  },
  setsid: {
    args: () => [],
    what: () => 'starting a new session',
    explain: { purpose: 'process', call: () => 'setsid(2)', man: 'setsid(2)', says: () => 'started a new session', why: () => "the container's program has no controlling terminal of the host's" },
  },
  pty: {
    args: (o) => [o.console],
    what: (d) => `opening a terminal (${d})`,
    explain: {
      purpose: 'process',
      call: () => 'open("/dev/ptmx"), setsid(2), ioctl(TIOCSCTTY)',
      man: 'pty(7)',
      says: (o) => `opened a pseudo-terminal in the container's own devpts and made it the controlling terminal${o.console ? `, bound at ${o.console}` : ''}`,
    },
  },
  bounding: {
    args: (o) => [o.keep],
    explain: {
      purpose: 'privileges',
      call: () => 'prctl(PR_CAPBSET_DROP)',
      man: 'capabilities(7)',
      says: (o) => `limited the capability bounding set to ${capabilityCount(o.keep)} capabilities`,
      why: () => 'no program in the container can ever gain any other capability, not even a setuid-root one',
    },
  },
  user: {
    args: (o) => [String(o.uid), String(o.gid), o.groups.join(',')],
    what: (d) => `switching user (${d})`,
    explain: {
      purpose: 'identity',
      call: () => 'setgroups(2), setresgid(2), setresuid(2)',
      man: 'credentials(7)',
      says: (o) => `switched to user ${o.uid}, group ${o.gid}${o.groups.length ? `, supplementary groups ${o.groups.join(',')}` : ', no supplementary groups'}`,
    },
  },
  caps: {
    args: (o) => [o.effective, o.permitted, o.inheritable, o.ambient],
    step: 'capabilities',
    what: (d) => `setting capabilities (${d})`,
    explain: {
      purpose: 'privileges',
      call: () => 'capset(2), prctl(PR_CAP_AMBIENT)',
      man: 'capabilities(7)',
      says: (o) => `kept ${capabilityCount(o.effective)} of root's capabilities and dropped the rest (names below)`,
      why: () => "root in the container is not the host's root: without CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE, ... it cannot mount, load kernel modules or trace host processes",
    },
  },
  nonewprivs: {
    args: () => [],
    step: 'no_new_privs',
    what: () => 'setting no_new_privs',
    explain: {
      purpose: 'privileges',
      call: () => 'prctl(PR_SET_NO_NEW_PRIVS)',
      man: 'prctl(2)',
      says: () => 'set no_new_privs',
      why: () => 'a setuid binary or a file capability can no longer give the process more privileges than it has',
    },
  },
  cwd: {
    args: (o) => [o.path],
    explain: { purpose: 'process', call: () => 'chdir(2)', man: 'chdir(2)', says: (o) => `changed the working directory to ${o.path}` },
  },
  env: { args: (o) => [o.value] },
  arg: { args: (o) => [o.value] },
  exec: {
    args: () => [],
    explain: { purpose: 'process', call: () => 'execve(2)', man: 'execve(2)', says: () => "replaced the helper with the container's program", why: () => 'the process keeps everything set up above: namespaces, root, limits, capabilities, filter' },
  },
  sync: {
    args: (o) => [o.name],
    what: (d) => `waiting for the engine (${d})`,
    explain: {
      purpose: (o) => (o.name === 'cgroup' ? 'resources' : o.name === 'userns' ? 'identity' : 'process'),
      call: () => 'read(2) on a pipe from the engine',
      man: 'pipe(7)',
      says: (o) => SYNC_SAYS[o.name] ?? `waited for the engine (${o.name})`,
    },
  },
  setns: {
    args: (o) => [o.path, String(o.nstype)],
    what: (d) => `joining the namespace ${d}`,
    explain: {
      purpose: (o) => (o.nstype === NAMESPACE_FLAGS.network ? 'network' : 'identity'),
      call: () => 'setns(2)',
      man: 'setns(2)',
      says: (o) => `joined the ${namespaceFlagNames(o.nstype)[0] ?? ''} namespace ${o.path}`,
      why: () => 'shared with the process or container that made it',
    },
  },
  join_cgroup: {
    args: (o) => [o.path],
    step: 'join cgroup',
    what: (d) => `joining the cgroup ${d}`,
    explain: {
      purpose: 'resources',
      call: () => 'write(2) of "0" to the cgroup\'s tasks file',
      man: 'cgroups(7)',
      says: (o) => `moved itself into its cgroup: ${o.path}`,
      why: () => 'from here on the cgroup\'s limits apply to the process and to everything it starts',
      several: {
        says: (ops) => `moved itself into its cgroup /${ops[0]!.path.split('/').slice(5, -1).join('/')} of ${ops.length} hierarchies: ${ops.map((o) => o.path.split('/')[4]).join(' ')}`,
        why: () => "from here on the cgroup's limits apply to the process and to everything it starts",
      },
    },
  },
  unshare: {
    args: (o) => [String(o.flags)],
    what: () => 'creating a namespace',
    explain: {
      purpose: 'resources',
      call: (o) => `unshare(${namespaceFlagNames(o.flags).join('|')})`,
      man: 'cgroup_namespaces(7)',
      says: () => 'created its cgroup namespace, now that it is in its own cgroup',
      why: () => 'the container sees its own cgroup as the root "/" and none of the host\'s cgroup tree above it',
    },
  },
  chown: {
    args: (o) => [o.path, String(o.uid), String(o.gid)],
    what: (d) => `changing the owner of ${d}`,
    explain: { purpose: 'filesystem', call: () => 'fchownat(2)', man: 'chown(2)', says: (o) => `gave ${o.path} to user ${o.uid}, group ${o.gid}` },
  },
  propagate: {
    args: (o) => [o.target, String(o.flags)],
    what: (d) => `setting the propagation of ${d}`,
    explain: { purpose: 'filesystem', call: (o) => `mount(${mountFlagNames(o.flags)})`, man: 'mount_namespaces(7)', says: (o) => `made ${o.target} ${propagationWord(o.flags)}` },
  },
  procwrite: {
    args: (o) => [o.path, o.value],
    what: (d) => `writing /proc/${d}`,
    explain: {
      purpose: 'resources',
      call: (o) => `write(2) to /proc/${o.path}`,
      man: (o) => (o.path.startsWith('sys/') ? 'sysctl(8), proc(5)' : 'proc(5)'),
      says: (o) => `wrote ${o.value} to /proc/${o.path}`,
      why: (o) => (o.path.startsWith('sys/') ? 'a namespaced kernel setting: it changes the container\'s copy only' : undefined),
    },
  },
  domainname: {
    args: (o) => [o.name],
    what: (d) => `setting the domain name to ${d}`,
    explain: { purpose: 'identity', call: () => 'setdomainname(2)', man: 'uts_namespaces(7)', says: (o) => `set the NIS domain name to ${o.name}` },
  },
  rlimit: {
    args: (o) => [String(o.resource), o.soft, o.hard],
    what: (d) => `setting ${rlimitName(d)}`,
    explain: {
      purpose: 'resources',
      call: () => 'prlimit(2)',
      man: 'getrlimit(2)',
      says: (o) => `limited ${rlimitName(String(o.resource))} to ${o.soft} (soft), ${o.hard} (hard)`,
      why: () => 'a per-process limit, inherited by every process the container starts',
    },
  },
  fifo_open: {
    args: (o) => [o.path],
    step: 'exec fifo',
    explain: { purpose: 'process', call: () => 'open(2) of a fifo', man: 'fifo(7)', says: (o) => `opened the exec fifo ${o.path}, which \`start\` opens from the other end` },
  },
  exec_check: {
    args: () => [],
    explain: { purpose: 'process', call: () => 'execveat(2) lookup', man: 'execve(2)', says: () => 'found the program to run, so that a missing one is an error of create, not a silent failure at start' },
  },
  exec_path: { args: (o) => [o.path] },
  seccomp: {
    args: (o) => [String(o.flags), o.program],
    what: (d) => `loading the seccomp filter (${d})`,
    explain: {
      purpose: 'privileges',
      call: () => 'seccomp(SECCOMP_SET_MODE_FILTER)',
      man: 'seccomp(2)',
      says: (o) => `loaded a seccomp filter of ${o.program.length / 16} BPF instructions (summary below)`,
      why: () => 'every system call of the container is checked first: the kernel refuses the ones the profile does not allow',
    },
  },
  personality: {
    args: (o) => [String(o.persona)],
    what: (d) => `setting personality ${d}`,
    explain: { purpose: 'process', call: () => 'personality(2)', man: 'personality(2)', says: (o) => `set the execution domain to ${o.persona}` },
  },
  fifo_wait: { args: () => [], step: 'exec fifo' },
  release: { args: () => [] },
};

/** What each of Docker's masked paths hides, and why each read-only path is (linux.maskedPaths, linux.readonlyPaths). */
export const HIDDEN_PATHS: Readonly<Record<string, string>> = {
  '/proc/asound': "the host's sound cards and their state",
  '/proc/acpi': "the host's ACPI power controls (a write could change the machine's power state)",
  '/proc/interrupts': "the host's interrupt counters, a side channel on what other processes do",
  '/proc/kcore': "the host's whole physical memory as a core file (the kernel's secrets)",
  '/proc/keys': "the kernel keyrings and the names of other processes' keys",
  '/proc/latency_stats': "the kernel's latency tracing, with addresses of kernel functions",
  '/proc/timer_list': "every timer on the host with the pid and kernel function that set it",
  '/proc/timer_stats': "timer statistics naming the host's processes",
  '/proc/sched_debug': "the scheduler's view of every task on the host, with its name and pid",
  '/proc/scsi': "the host's SCSI devices (a write could rescan or remove disks)",
  '/sys/firmware': "the host's firmware tables: ACPI, DMI serial numbers, EFI variables",
  '/sys/devices/virtual/powercap': 'the CPU energy counters, which leak secrets through power use (Platypus, CVE-2020-8694)',
  '/proc/bus': "a write there would reconfigure the host's PCI and USB devices",
  '/proc/fs': "a write there would change filesystem drivers' host-wide settings (nfsd, ...)",
  '/proc/irq': "a write there would move the host's interrupts to other CPUs",
  '/proc/sys': 'most kernel tunables (sysctl) there are host-wide: a write would change the host',
  '/proc/sysrq-trigger': 'a write there would reboot, crash or freeze the host (SysRq)',
};

const FS_MAN: Readonly<Record<string, string>> = {
  proc: 'proc(5)',
  sysfs: 'sysfs(5)',
  tmpfs: 'tmpfs(5)',
  devpts: 'pts(4)',
  mqueue: 'mq_overview(7)',
  cgroup: 'cgroups(7)',
  cgroup2: 'cgroups(7)',
};

type MountOp = OpOf<'mount'>;
const FS_SAYS: Readonly<Record<string, (o: MountOp) => string>> = {
  proc: (o) => `mounted a new procfs at ${o.target}`,
  sysfs: (o) => `mounted sysfs at ${o.target}`,
  tmpfs: (o) => `mounted a tmpfs (memory-backed, empty) at ${o.target}`,
  devpts: (o) => `mounted a new devpts instance at ${o.target}`,
  mqueue: (o) => `mounted an mqueue filesystem at ${o.target}`,
  cgroup: (o) => `mounted the cgroup hierarchy ${o.data.split(',').pop()?.replace(/^name=/, '') ?? ''} at ${o.target}`,
  cgroup2: (o) => `mounted the cgroup2 hierarchy at ${o.target}`,
};
const FS_WHY: Readonly<Record<string, string>> = {
  proc: "it lists only the processes of the container's PID namespace",
  sysfs: "read-only: the container can look at devices, not reconfigure the host's",
  devpts: "the container's terminals are its own; it cannot open the host's",
  mqueue: "it shows only the POSIX message queues of the container's IPC namespace",
  cgroup: "it shows the container's own cgroup as the root (cgroup namespace)",
  cgroup2: "it shows the container's own cgroup as the root (cgroup namespace)",
};

const SYNC_SAYS: Readonly<Record<string, string>> = {
  cgroup: 'waited while the engine placed it in its cgroup (the kernel waits for an RCU grace period before a moved process counts as moved)',
  userns: 'waited while the engine wrote its uid and gid maps',
  'create-hooks': 'waited while the engine ran the prestart, createRuntime and createContainer hooks',
  'start-hooks': 'waited while the engine ran the startContainer hooks',
};

const NS_FLAG_NAMES: readonly [number, string][] = [
  [NAMESPACE_FLAGS.mount, 'CLONE_NEWNS'],
  [NAMESPACE_FLAGS.uts, 'CLONE_NEWUTS'],
  [NAMESPACE_FLAGS.ipc, 'CLONE_NEWIPC'],
  [NAMESPACE_FLAGS.pid, 'CLONE_NEWPID'],
  [NAMESPACE_FLAGS.network, 'CLONE_NEWNET'],
  [NAMESPACE_FLAGS.cgroup, 'CLONE_NEWCGROUP'],
  [NAMESPACE_FLAGS.user, 'CLONE_NEWUSER'],
  [NAMESPACE_FLAGS.time, 'CLONE_NEWTIME'],
];

/** clone(2) namespace flags by name; FLAGS may exceed 2^31, so tested arithmetically. */
export function namespaceFlagNames(flags: number): string[] {
  return NS_FLAG_NAMES.filter(([bit]) => Math.floor(flags / bit) % 2 === 1).map(([, name]) => name);
}

const MS_NAMES: readonly [number, string][] = [
  [MS.RDONLY, 'MS_RDONLY'],
  [MS.NOSUID, 'MS_NOSUID'],
  [MS.NODEV, 'MS_NODEV'],
  [MS.NOEXEC, 'MS_NOEXEC'],
  [MS.REMOUNT, 'MS_REMOUNT'],
  [MS.NOATIME, 'MS_NOATIME'],
  [MS.BIND, 'MS_BIND'],
  [MS.REC, 'MS_REC'],
  [MS.PRIVATE, 'MS_PRIVATE'],
  [MS.SLAVE, 'MS_SLAVE'],
  [MS.STRICTATIME, 'MS_STRICTATIME'],
];

function mountFlagNames(flags: number): string {
  return MS_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n).join('|') || '0';
}

function propagationWord(flags: number): string {
  const rec = flags & MS.REC ? ' (recursively)' : '';
  if (flags & MS.SLAVE) return `slave${rec}`;
  if (flags & MS.PRIVATE) return `private${rec}`;
  return mountFlagNames(flags);
}

function capabilityCount(hexMask: string): number {
  let n = 0;
  for (let m = BigInt(`0x${hexMask || '0'}`); m; m >>= 1n) n += Number(m & 1n);
  return n;
}

/**
 * Steps the helper reports that are not one op's own: parts of an op
 * (a mask's source, a pty's console), or its own work before and around
 * the plan (reading it, sealing itself, the monitor).
 */
export const OTHER_STEPS: Readonly<Record<string, (detail: string) => string>> = {
  'read plan': () => 'reading the plan',
  'seal helper': () => 'copying the helper into a sealed memfd',
  'mount into /proc': (d) => `mounting ${d}, which a symlink leads into /proc`,
  'mask source': (d) => `opening ${d}, the file masked paths are covered with`,
  console: (d) => `binding the terminal onto ${d}`,
  'check /proc': (d) => `checking that ${d}`,
  'exec fifo': (d) => `waiting on the exec fifo (${d})`,
  monitor: (d) => `setting up the container's monitor (${d})`,
};

/** The arguments of OP, in the order native/src/ops.c's row for it expects them. */
export function opArgs(op: Op): string[] {
  return argsOf(op.op, op);
}

function argsOf<N extends OpName>(name: N, op: OpOf<N>): string[] {
  return OPS[name].args(op);
}

/** A failed step (as the helper names it) in words, by the ops' records and OTHER_STEPS. */
export function stepWhat(step: string): ((detail: string) => string) | undefined {
  return STEP_WHAT.get(step);
}

const STEP_WHAT = new Map<string, (detail: string) => string>(Object.entries(OTHER_STEPS));
for (const [name, record] of Object.entries(OPS) as [OpName, Pick<OpRecord<Op>, 'step' | 'what'>][]) {
  if (record.what) STEP_WHAT.set(record.step ?? name, record.what);
}
