/**
 * One record per op of the plan: its arguments on the wire and what its
 * failure means in words. native/src/ops.c holds the C half, one row per op
 * (arity, flags, handler); plan-wire.test.ts reads that table and checks
 * that the two agree both ways. A new op is a member of `Op` (plan.ts), a
 * record here and a row there.
 */
import { RLIMITS } from '../linux/rlimits.js';
import type { Op, OpName } from './plan.js';

export type OpOf<N extends OpName> = Extract<Op, { op: N }>;

export interface OpRecord<O extends Op> {
  /** the arguments, in the order the C row's handler reads them (as many as its arity) */
  args: (op: O) => string[];
  /** read by the outer helper before the clone (OP_SETTING in C), not a step of the container child */
  setting?: true;
  /** the step name the helper reports when this op fails, where it is not the op's name */
  step?: string;
  /** the failed step in words: "container setup failed WHAT: reason"; DETAIL is what the helper named */
  what?: (detail: string) => string;
}

const octal = (n: number): string => n.toString(8);

function rlimitName(n: string): string {
  return Object.entries(RLIMITS).find(([, v]) => String(v) === n)?.[0] ?? `rlimit ${n}`;
}

export const OPS: { readonly [N in OpName]: OpRecord<OpOf<N>> } = {
  // settings for the outer helper
  clone: { setting: true, args: (o) => [String(o.flags)], what: () => 'creating the namespaces' },
  tty: { setting: true, args: (o) => [o.interactive ? '1' : '0'] },
  debug: { setting: true, args: () => [] },
  init: { setting: true, args: () => [], what: () => 'starting the init process' },
  detach: { setting: true, args: () => [] },
  console_socket: { setting: true, args: (o) => [o.path], step: 'console socket', what: (d) => `sending the terminal to the console socket ${d}` },
  join_pid: { setting: true, args: (o) => [o.path] },
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
  propagation: { args: (o) => [String(o.flags)], what: () => 'making mounts private to the container' },
  mount_host: { args: (o) => [o.source, o.target, o.fstype, String(o.flags), o.data], step: 'mount' },
  tree_clone: { args: (o) => [o.source, String(o.slot)], what: (d) => `cloning the host's ${d}` },
  setroot: { args: (o) => [o.path], step: 'root', what: (d) => `opening the root ${d}` },
  mkdir: { args: (o) => [o.path, octal(o.mode)], what: (d) => `creating directory ${d}` },
  mknod: { args: (o) => [o.path, octal(o.mode), String(o.major), String(o.minor)], what: (d) => `creating device ${d}` },
  symlink: { args: (o) => [o.target, o.path], what: (d) => `creating symlink ${d}` },
  touch: { args: (o) => [o.path, octal(o.mode)], what: (d) => `creating file ${d}` },
  mount: { args: (o) => [o.source, o.target, o.fstype, String(o.flags), o.data], what: (d) => `mounting ${d}` },
  bind_device: { args: (o) => [o.source, o.target], step: 'bind device', what: (d) => `binding the host's device onto ${d}` },
  tree_attach: { args: (o) => [String(o.slot), o.target], what: (d) => `attaching ${d}` },
  shm_clone: { args: (o) => [o.nsPath, String(o.slot)], step: 'ipc', what: (d) => `taking /dev/shm of the container whose mount namespace is ${d}` },
  remount: { args: (o) => [o.target, String(o.flags)], what: (d) => `remounting ${d}` },
  mask: { args: (o) => [o.path], what: (d) => `masking ${d}` },
  readonly: { args: (o) => [o.path], what: (d) => `making ${d} read-only` },
  pivot: { args: () => [], step: 'pivot_root', what: () => 'pivot_root into the container root' },
  move_root: { args: () => [], step: 'move root', what: () => 'moving the root (--no-pivot)' },
  chroot: { args: () => [], what: () => 'chroot into the container root' },
  propagate_up: { args: (o) => [o.path, String(o.flags)], step: 'parent propagation', what: (d) => `setting the propagation of the mount that holds ${d}` },
  hostname: { args: (o) => [o.name], what: (d) => `setting the hostname to ${d}` },
  umask: { args: (o) => [octal(o.mask)] },
  setsid: { args: () => [], what: () => 'starting a new session' },
  pty: { args: (o) => [o.console], what: (d) => `opening a terminal (${d})` },
  bounding: { args: (o) => [o.keep] },
  user: { args: (o) => [String(o.uid), String(o.gid), o.groups.join(',')], what: (d) => `switching user (${d})` },
  caps: { args: (o) => [o.effective, o.permitted, o.inheritable, o.ambient], step: 'capabilities', what: (d) => `setting capabilities (${d})` },
  nonewprivs: { args: () => [], step: 'no_new_privs', what: () => 'setting no_new_privs' },
  cwd: { args: (o) => [o.path] },
  env: { args: (o) => [o.value] },
  arg: { args: (o) => [o.value] },
  exec: { args: () => [] },
  sync: { args: (o) => [o.name], what: (d) => `waiting for the engine (${d})` },
  setns: { args: (o) => [o.path, String(o.nstype)], what: (d) => `joining the namespace ${d}` },
  join_cgroup: { args: (o) => [o.path], step: 'join cgroup', what: (d) => `joining the cgroup ${d}` },
  unshare: { args: (o) => [String(o.flags)], what: () => 'creating a namespace' },
  chown: { args: (o) => [o.path, String(o.uid), String(o.gid)], what: (d) => `changing the owner of ${d}` },
  propagate: { args: (o) => [o.target, String(o.flags)], what: (d) => `setting the propagation of ${d}` },
  procwrite: { args: (o) => [o.path, o.value], what: (d) => `writing /proc/${d}` },
  domainname: { args: (o) => [o.name], what: (d) => `setting the domain name to ${d}` },
  rlimit: { args: (o) => [String(o.resource), o.soft, o.hard], what: (d) => `setting ${rlimitName(d)}` },
  fifo_open: { args: (o) => [o.path], step: 'exec fifo' },
  exec_check: { args: () => [] },
  exec_path: { args: (o) => [o.path] },
  seccomp: { args: (o) => [String(o.flags), o.program], what: (d) => `loading the seccomp filter (${d})` },
  personality: { args: (o) => [String(o.persona)], what: (d) => `setting personality ${d}` },
  fifo_wait: { args: () => [], step: 'exec fifo' },
  release: { args: () => [] },
};

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
