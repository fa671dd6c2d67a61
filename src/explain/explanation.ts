/**
 * --explain: how a container was made, for a newcomer. Built from what was
 * asked of the kernel (the spec and the plan compiled from it) and what the
 * helper reported doing (its steps, with their times), in the order they
 * ran. Each op's words are its record in helper/ops.ts; the namespaces',
 * the engine's own steps' and the summaries' are here. Pure: render.ts
 * prints it, docs/explain.schema.json describes its JSON.
 */
import { deviceRules, planV1, planV2 } from '../cgroups/resources.js';
import { v1DeviceList } from '../cgroups/v1-device-list.js';
import { CAPABILITIES } from '../linux/capabilities.js';
import type { StepTiming } from '../helper/container.js';
import { HIDDEN_PATHS, namespaceFlagNames, OPS, type OpExplanation, type OpRecord, type Purpose } from '../helper/ops.js';
import type { Op } from '../helper/plan.js';
import type { Spec } from '../spec/schema.js';

export type { Purpose } from '../helper/ops.js';

/** The groups, in the order they are printed, with a line saying what each is about. */
export const PURPOSES: readonly { purpose: Purpose; title: string; about: string }[] = [
  { purpose: 'identity', title: 'Identity', about: 'who the process is and which of the kernel\'s views it gets of its own' },
  { purpose: 'filesystem', title: 'Filesystem', about: 'what files it sees, and what it may change' },
  { purpose: 'network', title: 'Network', about: 'what network it is on' },
  { purpose: 'resources', title: 'Resources', about: 'how much of the machine it may use' },
  { purpose: 'privileges', title: 'Privileges', about: 'what it may ask of the kernel' },
  { purpose: 'process', title: 'Process', about: 'how its program was started' },
];

export interface ExplainedStep {
  /** the position among every step, from 1: the order the kernel was asked in */
  n: number;
  purpose: Purpose;
  /** "helper" for the C helper's steps (in the container's process), "engine" for the work in Node */
  source: 'engine' | 'helper';
  /** the op or step name, as --debug prints it */
  step: string;
  /** the kernel primitive, e.g. "pivot_root(2)" */
  call: string;
  /** the man page that explains it */
  man: string;
  says: string;
  why?: string;
  milliseconds: number;
}

export interface ExplainedNamespace {
  /** the OCI name: pid, network, mount, ipc, uts, user, cgroup, time */
  kind: string;
  /** "private": made for the container; "joined": an existing one (PATH); "host": shared with the host */
  state: 'private' | 'joined' | 'host';
  path?: string;
  call: string;
  man: string;
  /** what the container gets of its own, or shares */
  says: string;
}

export interface Explanation {
  version: 1;
  /** the form that made it: "run --rootfs", "run IMAGE", "original form", "create", "exec", ... */
  form: string;
  command: readonly string[];
  steps: ExplainedStep[];
  namespaces: ExplainedNamespace[];
  /** the effective capabilities the program starts with, and the others the kernel has */
  capabilities: { kept: string[]; dropped: string[] };
  seccomp: null | {
    defaultAction: string;
    /** syscalls allowed whatever their arguments */
    allowed: number;
    /** syscalls allowed only with some arguments */
    conditional: number;
    /** well-known dangerous syscalls the profile does not allow */
    blocked: string[];
  };
  noNewPrivileges: boolean;
  user: { uid: number; gid: number; groups: number[]; cwd: string };
  masked: { path: string; hides: string }[];
  readonly: { path: string; why: string }[];
  rootReadOnly: boolean;
  cgroup: null | {
    path: string;
    version: 1 | 2;
    writes: { file: string; value: string }[];
    /** v1: what the kernel copied from the parent cgroup at mkdir, nothing written per container (shared-parent.ts) */
    inherited: null | { from: string; devicesList: string[]; cpuset: boolean };
    deviceFilter: boolean;
  };
  network: { mode: string; says: string; interfaces: { name: string; says: string }[] };
  milliseconds: {
    total: number;
    engine: number;
    helper: number;
    /** time spent waiting on the engine or the kernel at the plan's sync points */
    waits: number;
  };
}

export interface ExplainInput {
  form: string;
  spec: Spec;
  ops: readonly Op[];
  steps: readonly StepTiming[];
  /** the container's cgroup, when the engine made one */
  cgroup?: { path: string; version: 1 | 2; inheritsFrom?: string };
  /** the capabilities this process holds (/proc/self/status CapEff): what a program keeps when the spec names none */
  heldCapabilities: readonly string[];
  /** what the engine set up for the network, when it did (image containers on a bridge) */
  network?: Explanation['network'];
}

interface Words {
  purpose: Purpose;
  call: string;
  man: string;
  says: string;
  why?: string;
}

/** The engine's own steps (src/jail/start.ts, src/oci/lifecycle.ts, the engine) in words. */
const ENGINE_STEPS: Readonly<Record<string, (detail: string) => Words>> = {
  'resolve config': (d) => ({ purpose: 'process', call: '-', man: '-', says: `checked the configuration and the root ${d}` }),
  'compile plan': (d) => ({
    purpose: 'process',
    call: '-',
    man: 'docs/one-compiler.md',
    says: `compiled the spec into the helper's plan (${d}): every decision is made here, in TypeScript`,
  }),
  'spawn helper': (d) => ({
    purpose: 'process',
    call: 'clone(CLONE_VM|CLONE_VFORK), execve(2)',
    man: 'clone(2)',
    says: `started the C helper (pid ${d}), a fresh single-threaded process that carries the plan out`,
    why: "Node's threads cannot change namespaces: a single-threaded helper can (README: how it is built)",
  }),
  'plug network': () => ({
    purpose: 'network',
    call: 'netlink: RTM_NEWLINK (veth), RTM_NEWADDR, RTM_NEWROUTE',
    man: 'veth(4), rtnetlink(7)',
    says: "plugged the container into its network: a veth pair, its address and default route (below), while its process waited for start",
  }),
  release: () => ({
    purpose: 'process',
    call: 'open(2), read(2) of the exec fifo',
    man: 'fifo(7)',
    says: "released the container's process: it had waited on the exec fifo since create, wrote its byte and went on to its last steps",
    why: 'the OCI split of create and start: everything above was ready before start (runc does the same)',
  }),
  unreported: () => ({
    purpose: 'process',
    call: '-',
    man: '-',
    says: 'its last steps (exec, and a seccomp filter loaded last) were not reported: create was given neither --explain nor --debug, so the helper does not time them',
  }),
  'create cgroup': (d) => ({
    purpose: 'resources',
    call: 'mkdir(2) and write(2) in /sys/fs/cgroup',
    man: 'cgroups(7)',
    says: `created the cgroup ${d} and wrote its limits (files below)`,
    why: 'a cgroup limits and accounts for the CPU, memory, pids and devices of every process in it',
  }),
};

/** 'create cgroup' of a cgroup that copies its rules from its parent at mkdir (shared-parent.ts) */
function inheritingCgroupWords(dir: string, parent: string): Words {
  return {
    purpose: 'resources',
    call: 'mkdir(2) in /sys/fs/cgroup',
    man: 'cgroups(7)',
    says: `created the cgroup ${dir}: the kernel copied its device rules (devices.list) and cpuset from its parent ${parent} at mkdir, nothing written (below)`,
    why: 'a cgroup limits and accounts for the CPU, memory, pids and devices of every process in it',
  };
}

/** 'create cgroup' of a v2 cgroup with no limit to write: only its device filter */
function filterOnlyCgroupWords(dir: string): Words {
  return {
    purpose: 'resources',
    call: 'mkdir(2) in /sys/fs/cgroup, bpf(BPF_PROG_ATTACH)',
    man: 'cgroups(7)',
    says: `created the cgroup ${dir}: no limit to write; its device rules are a BPF program attached to it (below)`,
    why: 'a cgroup limits and accounts for the CPU, memory, pids and devices of every process in it',
  };
}

/** The helper's steps that are not one op's. */
const HELPER_STEPS: Readonly<Record<string, (detail: string) => Words>> = {
  'read plan': () => ({ purpose: 'process', call: 'read(2)', man: '-', says: 'read the plan from the engine' }),
};

interface NamespaceWords {
  flag: string;
  man: string;
  own: string;
  shared: string;
}

/** Each namespace: what the container gets of its own when it is private, and what it shares when not. */
export const NAMESPACES: Readonly<Record<string, NamespaceWords>> = {
  pid: {
    flag: 'CLONE_NEWPID',
    man: 'pid_namespaces(7)',
    own: "its processes are numbered from 1; it cannot see or signal the host's",
    shared: "it sees and can signal every process of the host's",
  },
  network: {
    flag: 'CLONE_NEWNET',
    man: 'network_namespaces(7)',
    own: 'its own network stack: interfaces, addresses, routes, ports and firewall',
    shared: "the host's network: its interfaces, addresses and ports",
  },
  mount: {
    flag: 'CLONE_NEWNS',
    man: 'mount_namespaces(7)',
    own: 'its own list of mounts: what it mounts or unmounts the host never sees',
    shared: "the host's mounts",
  },
  ipc: {
    flag: 'CLONE_NEWIPC',
    man: 'ipc_namespaces(7)',
    own: 'its own System V IPC objects and POSIX message queues',
    shared: "the host's shared memory, semaphores and message queues",
  },
  uts: {
    flag: 'CLONE_NEWUTS',
    man: 'uts_namespaces(7)',
    own: 'its own hostname and domain name',
    shared: "the host's hostname",
  },
  user: {
    flag: 'CLONE_NEWUSER',
    man: 'user_namespaces(7)',
    own: "its own user and group ids: root inside is an unprivileged user outside",
    shared: "the host's user ids: root in the container is root on the host, held back by capabilities and seccomp",
  },
  cgroup: {
    flag: 'CLONE_NEWCGROUP',
    man: 'cgroup_namespaces(7)',
    own: 'its own cgroup appears as the root of the cgroup tree',
    shared: "it sees the host's cgroup tree and its place in it",
  },
  time: {
    flag: 'CLONE_NEWTIME',
    man: 'time_namespaces(7)',
    own: 'its own offsets of the monotonic and boot clocks',
    shared: "the host's clocks",
  },
};

const NAMESPACE_ORDER = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;
const NS_PURPOSE: Readonly<Record<string, Purpose>> = { network: 'network', mount: 'filesystem', cgroup: 'resources' };

/** Syscalls worth naming when a profile blocks them: each has been the way out of a container. */
export const NOTABLE_SYSCALLS: readonly string[] = [
  'mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'ptrace', 'bpf', 'perf_event_open', 'keyctl', 'add_key',
  'request_key', 'init_module', 'finit_module', 'delete_module', 'kexec_load', 'reboot', 'swapon', 'open_by_handle_at',
  'userfaultfd', 'clock_settime', 'settimeofday', 'acct', 'quotactl', 'lookup_dcookie', 'name_to_handle_at',
];

function words<O extends Op>(e: OpExplanation<O>, op: O): Words {
  const v = <T>(x: T | ((o: O) => T)): T => (typeof x === 'function' ? (x as (o: O) => T)(op) : x);
  const why = e.why?.(op);
  return { purpose: v(e.purpose), call: v(e.call), man: v(e.man), says: e.says(op), ...(why ? { why } : {}) };
}

function opWords(op: Op): Words | undefined {
  const record = OPS[op.op] as OpRecord<Op>;
  return record.explain ? words(record.explain, op) : undefined;
}

/** The helper reports each op by its name, in plan order (native/src/container.c): pair them up. */
function stepWords(step: StepTiming, ops: readonly Op[], cursor: { i: number }, cg: Explanation['cgroup']): { words: Words; op?: Op } {
  if (step.source === 'engine' && step.name === 'create cgroup' && cg?.inherited) return { words: inheritingCgroupWords(step.detail, cg.inherited.from) };
  if (step.source === 'engine' && step.name === 'create cgroup' && cg?.deviceFilter && cg.writes.length === 0) return { words: filterOnlyCgroupWords(step.detail) };
  if (step.source === 'engine') {
    return { words: ENGINE_STEPS[step.name]?.(step.detail) ?? { purpose: 'process', call: '-', man: '-', says: `${step.name} ${step.detail}`.trim() } };
  }
  const other = HELPER_STEPS[step.name];
  if (other) return { words: other(step.detail) };
  // clone is a setting of the outer helper: it is reported, but not in the child's order
  const from = step.name === 'clone' ? 0 : cursor.i;
  for (let i = from; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op !== step.name) continue;
    if (step.name !== 'clone') cursor.i = i + 1;
    const w = opWords(op);
    if (w) return { words: w, op };
    break;
  }
  return { words: { purpose: 'process', call: '-', man: '-', says: `${step.name} ${step.detail}`.trim() } };
}

function namespaces(spec: Spec): ExplainedNamespace[] {
  const listed = new Map((spec.linux?.namespaces ?? []).map((n) => [n.type as string, n.path]));
  return NAMESPACE_ORDER.filter((kind) => kind !== 'time' || listed.has('time')).map((kind) => {
    const w = NAMESPACES[kind]!;
    const state = !listed.has(kind) ? 'host' : listed.get(kind) === undefined ? 'private' : 'joined';
    const path = listed.get(kind);
    return {
      kind,
      state,
      ...(path !== undefined ? { path } : {}),
      call: state === 'private' ? `clone(${w.flag})` : state === 'joined' ? 'setns(2)' : '-',
      man: w.man,
      says: state === 'host' ? w.shared : state === 'joined' ? `shared with ${path}: ${w.shared.replace("the host's", 'its')}` : w.own,
    };
  });
}

function capabilities(spec: Spec, held: readonly string[]): Explanation['capabilities'] {
  const caps = spec.process?.capabilities;
  const known = new Set<string>(CAPABILITIES);
  const kept = (caps ? (caps.effective ?? []).filter((c) => known.has(c) && held.includes(c)) : held.filter((c) => known.has(c))).slice().sort();
  return { kept, dropped: CAPABILITIES.filter((c) => !kept.includes(c)).sort() };
}

function seccomp(spec: Spec): Explanation['seccomp'] {
  const s = spec.linux?.seccomp;
  if (!s) return null;
  const allowed = new Set<string>();
  const conditional = new Set<string>();
  for (const rule of s.syscalls ?? []) {
    if (rule.action !== 'SCMP_ACT_ALLOW') continue;
    for (const name of rule.names) (rule.args?.length ? conditional : allowed).add(name);
  }
  for (const name of allowed) conditional.delete(name);
  const blocked = s.defaultAction === 'SCMP_ACT_ALLOW' ? [] : NOTABLE_SYSCALLS.filter((n) => !allowed.has(n));
  return { defaultAction: s.defaultAction, allowed: allowed.size, conditional: conditional.size, blocked };
}

function cgroup(spec: Spec, cg: ExplainInput['cgroup']): Explanation['cgroup'] {
  if (!cg) return null;
  const resources = deviceRules(spec.linux?.resources, spec.linux?.devices);
  const all = (cg.version === 1 ? planV1(resources) : planV2(resources)).map((w) => ({ controller: w.controller, file: w.file, value: w.value }));
  // v1 under a parent that holds them: the device rules are the parent's, copied at mkdir (CgroupManager's sharedParent)
  const devicesList = cg.version === 1 && cg.inheritsFrom ? v1DeviceList(all.filter((w) => w.controller === 'devices')) : null;
  const writes = all.filter((w) => !devicesList || w.controller !== 'devices').map((w) => ({ file: w.file, value: w.value }));
  const inherited = devicesList && cg.inheritsFrom ? { from: cg.inheritsFrom, devicesList, cpuset: true } : null;
  return { path: cg.path, version: cg.version, writes, inherited, deviceFilter: cg.version === 2 };
}

function network(ns: readonly ExplainedNamespace[]): Explanation['network'] {
  const net = ns.find((n) => n.kind === 'network')!;
  if (net.state === 'host') return { mode: 'host', says: "the container uses the host's network stack as it is", interfaces: [] };
  if (net.state === 'joined') return { mode: 'joined', says: `the container joined the network namespace ${net.path}`, interfaces: [] };
  return {
    mode: 'none',
    says: 'a network namespace of its own with nothing added: no way in or out',
    interfaces: [{ name: 'lo', says: 'the loopback interface every network namespace starts with; it is down' }],
  };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * The steps in the order they ran. The helper reports clone from the outer
 * process once clone(2) returned, and the child's steps on the same pipe:
 * without a sync point holding the child, its first steps can come first.
 * Clone ran before all of them.
 */
export function ranOrder(steps: readonly StepTiming[]): StepTiming[] {
  const clone = steps.findIndex((s) => s.source === 'helper' && s.name === 'clone');
  if (clone < 0) return [...steps];
  const first = steps.findIndex((s) => s.source === 'helper' && s.name !== 'read plan' && s.name !== 'clone');
  if (first < 0 || first > clone) return [...steps];
  const rest = steps.filter((_, i) => i !== clone);
  rest.splice(first, 0, steps[clone]!);
  return rest;
}

export function explain(input: ExplainInput): Explanation {
  return explainPaired(input).explanation;
}

/** The explanation, and beside each of its steps the op it was (undefined for the engine's own steps): what the short text reads. */
export function explainPaired(input: ExplainInput): { explanation: Explanation; ops: (Op | undefined)[] } {
  const { spec, ops } = input;
  const cursor = { i: 0 };
  const paired: (Op | undefined)[] = [];
  const cg = cgroup(spec, input.cgroup);
  const steps = ranOrder(input.steps).map((s, i): ExplainedStep => {
    const { words: w, op } = stepWords(s, ops, cursor, cg);
    paired.push(op);
    return { n: i + 1, purpose: w.purpose, source: s.source, step: s.name, call: w.call, man: w.man, says: w.says, ...(w.why ? { why: w.why } : {}), milliseconds: round(s.milliseconds) };
  });
  const ns = namespaces(spec);
  const p = spec.process!;
  const sum = (xs: readonly ExplainedStep[]): number => round(xs.reduce((a, s) => a + s.milliseconds, 0));
  const explanation: Explanation = {
    version: 1,
    form: input.form,
    command: [...p.args],
    steps,
    namespaces: ns,
    capabilities: capabilities(spec, input.heldCapabilities),
    seccomp: seccomp(spec),
    noNewPrivileges: p.noNewPrivileges === true,
    user: { uid: p.user.uid, gid: p.user.gid, groups: [...(p.user.additionalGids ?? [])], cwd: p.cwd },
    masked: (spec.linux?.maskedPaths ?? []).map((path) => ({ path, hides: HIDDEN_PATHS[path] ?? 'what the host keeps there' })),
    readonly: (spec.linux?.readonlyPaths ?? []).map((path) => ({ path, why: HIDDEN_PATHS[path] ?? "what the host keeps there is not the container's to change" })),
    rootReadOnly: spec.root?.readonly === true,
    cgroup: cg,
    network: input.network ?? network(ns),
    milliseconds: {
      total: sum(steps),
      engine: sum(steps.filter((s) => s.source === 'engine')),
      helper: sum(steps.filter((s) => s.source === 'helper')),
      waits: sum(steps.filter((s) => s.step === 'sync')),
    },
  };
  return { explanation, ops: paired };
}

/** Where each namespace's line is printed: its purpose's group. */
export function namespacePurpose(kind: string): Purpose {
  return NS_PURPOSE[kind] ?? 'identity';
}

export { namespaceFlagNames };
