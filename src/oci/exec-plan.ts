/**
 * compileExecPlan(): a new process in a running container (runc exec). It
 * joins the namespaces of the container's pid 1 through /proc/PID/ns, mount
 * last (which also puts it at the container's root), and takes its defaults
 * from the container's config.json, as runc does.
 */
import { NAMESPACE_FLAGS } from '../linux/namespaces.js';
import type { Op } from '../helper/plan.js';
import { processOps } from './compile.js';
import type { CompiledSeccomp } from './seccomp.js';
import type { Process, Spec } from '../spec/schema.js';

export interface ExecOptions {
  /** a whole process (--process FILE); otherwise the fields below over config.json's */
  process?: Process;
  args?: string[];
  cwd?: string;
  env?: string[];
  /** ADDITIONALGIDS: the user's supplementary groups (none when unset) */
  user?: { uid: number; gid: number; additionalGids?: readonly number[] };
  tty?: boolean;
  consoleSocket?: string;
}

/** /proc/PID/ns names of the namespaces an exec joins: user first, mount last. */
const JOINED: readonly [spec: string, proc: string, flag: number][] = [
  ['user', 'user', NAMESPACE_FLAGS.user],
  ['ipc', 'ipc', NAMESPACE_FLAGS.ipc],
  ['uts', 'uts', NAMESPACE_FLAGS.uts],
  ['network', 'net', NAMESPACE_FLAGS.network],
  ['cgroup', 'cgroup', NAMESPACE_FLAGS.cgroup],
  ['time', 'time', NAMESPACE_FLAGS.time],
  ['mount', 'mnt', NAMESPACE_FLAGS.mount],
];

/** The spec's namespace types by their /proc/PID/ns name. */
export const PROC_NAME: Readonly<Record<string, string>> = { ...Object.fromEntries(JOINED.map(([type, name]) => [type, name])), pid: 'pid' };

export function execProcess(spec: Spec, o: ExecOptions): Process {
  if (o.process) return o.process;
  const base = spec.process!;
  return {
    ...base,
    args: o.args ?? [],
    terminal: o.tty ?? false,
    cwd: o.cwd ?? base.cwd,
    env: [...(base.env ?? []), ...(o.env ?? [])],
    user: o.user ? { ...base.user, uid: o.user.uid, gid: o.user.gid, additionalGids: [...(o.user.additionalGids ?? [])] } : base.user,
  };
}

export function compileExecPlan(
  spec: Spec,
  pid: number,
  o: ExecOptions & {
    detach: boolean;
    debug?: boolean;
    syncCgroup?: boolean;
    preserveFds?: number;
    seccomp?: CompiledSeccomp;
    /** /proc/PID/ns names whose namespace is the runtime's own already (nothing to join; a user namespace refuses it) */
    sharedWithRuntime?: ReadonlySet<string>;
    /** an ordinary user's exec: the helper joins the user namespace before the pid namespace (join_user) */
    userFirst?: boolean;
  },
): Op[] {
  const p = execProcess(spec, o);
  // every namespace of the container's init, its own and those it joined by path (under CRI the pod's
  // network, IPC, UTS and maybe pid namespaces are the pause container's; an exec that skipped a joined
  // mount namespace would run on the host's filesystem), as runc does
  const shared = o.sharedWithRuntime ?? new Set<string>();
  const listed = new Set((spec.linux?.namespaces ?? []).map((n) => n.type).filter((t) => !shared.has(PROC_NAME[t] ?? t)));
  const ops: Op[] = [{ op: 'clone', flags: 0 }];
  const userFirst = o.userFirst === true && listed.has('user');
  if (userFirst) ops.push({ op: 'join_user', path: `/proc/${pid}/ns/user` });
  if (listed.has('pid')) ops.push({ op: 'join_pid', path: `/proc/${pid}/ns/pid` });
  if (p.terminal) ops.push({ op: 'tty', interactive: o.consoleSocket === undefined });
  if (o.consoleSocket !== undefined) ops.push({ op: 'console_socket', path: o.consoleSocket });
  if (o.detach) ops.push({ op: 'detach' });
  if (o.debug) ops.push({ op: 'debug' });
  if (o.preserveFds) ops.push({ op: 'preserve_fds', count: o.preserveFds });
  // into the container's cgroups before its cgroup namespace
  if (o.syncCgroup) ops.push({ op: 'sync', name: 'cgroup' });
  for (const [type, name, flag] of JOINED) {
    if (listed.has(type as never) && !(userFirst && type === 'user')) ops.push({ op: 'setns', path: `/proc/${pid}/ns/${name}`, nstype: flag });
  }
  // an exec'd process is under the container's seccomp filter too (hooks are not, as with runc)
  ops.push(...processOps(p, { console: '', beforeExec: o.detach ? 'release' : null, seccomp: o.seccomp, alwaysSetUser: listed.has('user') }));
  return ops;
}
