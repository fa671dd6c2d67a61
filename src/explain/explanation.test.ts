import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { StepTiming } from '../helper/container.js';
import { OPS } from '../helper/ops.js';
import type { Op, OpName } from '../helper/plan.js';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { compileOciPlan, type HostFacts } from '../oci/compile.js';
import { buildSpec, DEFAULT_SHM_SIZE } from '../spec/spec-builder.js';
import type { Spec } from '../spec/schema.js';
import { briefLines } from './brief.js';
import { explain, type ExplainInput, explainPaired, NAMESPACES, ranOrder } from './explanation.js';
import { effectiveCapabilities, explainFormat, textWidth, wantsColor } from './recorder.js';
import { render, renderBrief, renderText } from './render.js';

const host: HostFacts = { kindOf: () => 'dir', cgroupV1: [{ name: 'memory', options: 'memory' }], cgroupV2Only: false };

/** Ops the helper runs without reporting a step (OP_QUIET in native/src/ops.c), or that only feed another step. */
const UNREPORTED: ReadonlySet<string> = new Set(['env', 'arg', 'exec_path', 'fifo_wait', 'release']);

/** A container as `run --rootfs` makes one (jail/jail-spec.ts): Docker's defaults but CAP_MKNOD. */
function jail(): { spec: Spec; ops: Op[] } {
  const caps = DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD');
  const spec = buildSpec({
    id: 'test-explain', rootfs: '/r', readOnly: false, argv: ['sh', '-c', 'true'], env: [], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] },
    tty: false, hostname: 'box', binds: [], tmpfs: [], shmSize: DEFAULT_SHM_SIZE, network: { mode: 'none' }, cgroupsPath: '/moby-dick-jail/test-explain',
    ulimits: [], capAdd: caps, capDrop: ['ALL'], privileged: false, noNewPrivileges: false, seccomp: 'default',
  });
  const ops = compileOciPlan(spec, { bundle: '/r', detach: false, syncCgroup: true, host, debug: true, seccomp: { flags: 0, program: '00'.repeat(8 * 10), instructions: 10 } });
  return { spec, ops };
}

/** The steps the helper would report for OPS, as native/src/container.c does: each step in order, clone after them. */
function helperSteps(ops: readonly Op[]): StepTiming[] {
  const steps: StepTiming[] = [{ source: 'engine', name: 'compile plan', detail: '900 bytes', milliseconds: 0.5 }, { source: 'helper', name: 'read plan', detail: '', milliseconds: 0.01 }];
  steps.push({ source: 'helper', name: 'clone', detail: 'namespaces', milliseconds: 0.2 });
  for (const op of ops) {
    if ((OPS[op.op] as { setting?: true }).setting || UNREPORTED.has(op.op) || op.op === 'exec') continue;
    steps.push({ source: 'helper', name: op.op, detail: '', milliseconds: op.op === 'sync' ? 1 : 0.001 });
  }
  steps.push({ source: 'helper', name: 'exec', detail: 'sh', milliseconds: 0 });
  return steps;
}

function input(): ExplainInput {
  const { spec, ops } = jail();
  return { form: 'run --rootfs', spec, ops, steps: helperSteps(ops), heldCapabilities: CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE'), cgroup: { path: '/moby-dick-jail/test-explain', version: 1 } };
}

describe('the ops table explains every step the helper reports', () => {
  test('every op that is a step of the container child and reported has its words', () => {
    for (const [name, record] of Object.entries(OPS) as [OpName, { setting?: true; explain?: unknown }][]) {
      if (record.setting && name !== 'clone') continue;
      if (UNREPORTED.has(name)) continue;
      assert.ok(record.explain, `OPS.${name} has no explain`);
    }
  });
});

describe('explain', () => {
  test('each step is paired with its op, in order, and numbered', () => {
    const e = explain(input());
    assert.deepEqual(e.steps.map((s) => s.n), e.steps.map((_, i) => i + 1));
    const proc = e.steps.find((s) => s.step === 'mount' && s.says.includes('procfs'));
    assert.ok(proc, 'the /proc mount is explained as a procfs');
    assert.equal(proc.man, 'proc(5)');
    assert.match(e.steps.find((s) => s.step === 'pivot')!.call, /pivot_root\(2\)/);
    assert.match(e.steps.find((s) => s.step === 'clone')!.call, /CLONE_NEWNET/);
    assert.equal(e.steps.find((s) => s.step === 'sync')!.purpose, 'resources');
    // no step fell back to its bare name: each has a primitive or is the engine's
    for (const s of e.steps) assert.ok(s.call !== '-' || s.source === 'engine' || s.step === 'read plan', `${s.step} is explained`);
  });

  test('masked paths say what they hide; the waits are the sync steps', () => {
    const e = explain(input());
    assert.ok(e.masked.length > 5);
    assert.match(e.masked.find((m) => m.path === '/proc/kcore')!.hides, /physical memory/);
    assert.match(e.readonly.find((m) => m.path === '/proc/sysrq-trigger')!.why, /reboot/);
    assert.equal(e.milliseconds.waits, 1);
    assert.ok(e.milliseconds.total > e.milliseconds.helper);
  });

  test('capabilities: the spec\'s effective set as far as held, and every other one dropped', () => {
    const e = explain(input());
    const expected = DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD').slice().sort();
    assert.deepEqual(e.capabilities.kept, expected);
    assert.equal(e.capabilities.kept.length + e.capabilities.dropped.length, CAPABILITIES.length);
    assert.ok(e.capabilities.dropped.includes('CAP_SYS_ADMIN'));
  });

  test('seccomp: the default profile blocks mount and allows hundreds of syscalls', () => {
    const s = explain(input()).seccomp!;
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
    assert.ok(s.allowed > 250, `${s.allowed} allowed`);
    for (const name of ['mount', 'kexec_load', 'open_by_handle_at']) assert.ok(s.blocked.includes(name), name);
    assert.ok(!s.blocked.includes('read'));
  });

  test('namespaces: listed ones private, the rest the host\'s', () => {
    const e = explain(input());
    const state = Object.fromEntries(e.namespaces.map((n) => [n.kind, n.state]));
    assert.deepEqual(state, { pid: 'private', network: 'private', mount: 'private', ipc: 'private', uts: 'private', user: 'host', cgroup: 'private' });
    assert.equal(e.namespaces.find((n) => n.kind === 'network')!.call, 'clone(CLONE_NEWNET)');
    assert.equal(e.namespaces.find((n) => n.kind === 'user')!.says, NAMESPACES.user!.shared);
  });

  test('cgroup: the files the engine writes for the spec\'s resources', () => {
    const cg = explain(input()).cgroup!;
    assert.equal(cg.path, '/moby-dick-jail/test-explain');
    assert.ok(cg.writes.some((w) => w.file === 'devices.deny' && w.value === 'a'));
    assert.ok(cg.writes.some((w) => w.file === 'devices.allow' && w.value === 'c 1:3 rwm'));
    assert.equal(cg.inherited, null);
  });

  test('cgroup under a parent that holds the rules: the device rules are inherited (devices.list lines), none said written', () => {
    const base = input();
    const e = explain({
      ...base,
      cgroup: { path: '/moby-dick-jail/test-explain', version: 1, inheritsFrom: '/moby-dick-jail' },
      steps: [{ source: 'engine', name: 'create cgroup', detail: '/moby-dick-jail/test-explain', milliseconds: 0.1 }, ...base.steps],
    });
    const cg = e.cgroup!;
    assert.deepEqual(cg.writes, []);
    assert.equal(cg.inherited?.from, '/moby-dick-jail');
    assert.ok(cg.inherited.devicesList.includes('c 1:3 rwm') && !cg.inherited.devicesList.some((l) => l.startsWith('a ')));
    const step = e.steps.find((s) => s.step === 'create cgroup')!;
    assert.match(step.says, /copied its device rules \(devices\.list\) and cpuset from its parent \/moby-dick-jail at mkdir/);
    assert.doesNotMatch(step.says, /wrote/);
    const text = renderText(e, false);
    assert.match(text, /inherited from \/moby-dick-jail, copied by the kernel at mkdir/);
    assert.match(text, /^ {6}c 1:3 rwm$/m);
    assert.doesNotMatch(text, /devices\.allow =|files written/);
  });
});

describe('cgroup v2', () => {
  test('a cgroup with nothing to write: its device filter said, not a write; the summary says the filter', () => {
    const base = input();
    const e = explain({
      ...base,
      cgroup: { path: '/moby-dick-jail/test-explain', version: 2 },
      steps: [{ source: 'engine', name: 'create cgroup', detail: '/moby-dick-jail/test-explain', milliseconds: 0.1 }, ...base.steps],
    });
    assert.deepEqual(e.cgroup!.writes, []);
    assert.equal(e.cgroup!.deviceFilter, true);
    const step = e.steps.find((s) => s.step === 'create cgroup')!;
    assert.match(step.says, /no limit to write; its device rules are a BPF program attached to it/);
    assert.match(step.call, /BPF_PROG_ATTACH/);
    assert.match(renderText(e, false), /a BPF device filter \(cgroup v2 has no devices files\)/);
  });
});

describe('ranOrder', () => {
  test('clone ran before the child\'s steps that were reported ahead of it', () => {
    const st = (name: string): StepTiming => ({ source: 'helper', name, detail: '', milliseconds: 0 });
    const names = (xs: StepTiming[]) => xs.map((x) => x.name);
    const engine: StepTiming = { source: 'engine', name: 'spawn helper', detail: '', milliseconds: 0 };
    assert.deepEqual(names(ranOrder([engine, st('read plan'), st('propagation'), st('mount'), st('clone'), st('exec')])), ['spawn helper', 'read plan', 'clone', 'propagation', 'mount', 'exec']);
    const inOrder = [st('read plan'), st('clone'), st('sync'), st('exec')];
    assert.deepEqual(ranOrder(inOrder), inOrder);
  });
});

describe('render', () => {
  test('text: the groups in order, color only when asked', () => {
    const e = explain(input());
    const plain = renderText(e, false);
    const order = ['IDENTITY', 'FILESYSTEM', 'NETWORK', 'RESOURCES', 'PRIVILEGES', 'PROCESS', 'TIME'].map((h) => plain.indexOf(`\n${h} `));
    assert.ok(order.every((i) => i > 0), order.join());
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assert.ok(!plain.includes('\x1b['));
    assert.ok(renderText(e, true).includes('\x1b['));
    assert.match(plain, /network namespace: private\. its own network stack/);
    assert.match(plain, /capabilities kept \(13\): CAP_AUDIT_WRITE/);
  });

  test('json: the explanation as it is', () => {
    const e = explain(input());
    assert.deepEqual(JSON.parse(render(e, 'json', true)), JSON.parse(JSON.stringify(e)));
  });
});

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; additionalProperties?: boolean; $ref?: string };

/** Enough of JSON Schema for docs/explain.schema.json: types, properties, required, items, enum, closed objects, local $ref. */
function check(value: unknown, schema: Schema, root: { $defs?: Record<string, Schema> }, at: string): void {
  if (schema.$ref) return check(value, root.$defs![schema.$ref.replace('#/$defs/', '')]!, root, at);
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types.length) assert.ok(types.includes(kind) || (kind === 'integer' && types.includes('number')), `${at}: ${kind} is not ${types.join('|')}`);
  if (schema.enum) assert.ok(schema.enum.includes(value), `${at}: ${String(value)} not in ${schema.enum.join()}`);
  if (kind === 'object' && schema.properties) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) assert.ok(r in obj, `${at}.${r} is required`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties[k];
      if (!sub) assert.notEqual(schema.additionalProperties, false, `${at}.${k} is not in the schema`);
      else check(v, sub, root, `${at}.${k}`);
    }
  }
  if (kind === 'array' && schema.items) (value as unknown[]).forEach((v, i) => check(v, schema.items!, root, `${at}[${i}]`));
}

describe('docs/explain.schema.json', () => {
  test('an explanation keeps to it', () => {
    const schema = JSON.parse(readFileSync(new URL('../../../../docs/explain.schema.json', import.meta.url), 'utf8')) as Schema & { $defs?: Record<string, Schema> };
    check(JSON.parse(render(explain(input()), 'json', false)), schema, schema, '$');
  });
});

describe('the short text (--explain)', () => {
  const short = (): { text: string; full: string; lines: ReturnType<typeof briefLines> } => {
    const { explanation: e, ops } = explainPaired(input());
    const lines = briefLines(e, ops);
    return { text: renderBrief(e, lines, false), full: renderText(e, false), lines };
  };

  test('a line per step or run of the same step: about half the full text, every step accounted for', () => {
    const { text, full, lines } = short();
    const e = explain(input());
    const count = (t: string): number => t.split('\n').length;
    assert.ok(count(text) * 3 < count(full) * 2 && count(text) <= 110, `${count(text)} lines against ${count(full)}`);
    // every step is on a line of its own or in a run, but the folded directories
    const covered = new Set<number>();
    for (const l of lines) for (let n = l.first; n <= l.last; n++) covered.add(n);
    for (const s of e.steps) assert.ok(covered.has(s.n) || s.step === 'mkdir', `step ${s.n} ${s.step}`);
    assert.doesNotMatch(text, /created the directory/);
    assert.match(full, /created the directory \/proc/);
  });

  test('runs: the masked paths in one line naming each, the cgroup v1 hierarchies, the devices; single steps keep their why', () => {
    const { text, lines } = short();
    const e = explain(input());
    const masks = lines.filter((l) => l.says.startsWith('masked'));
    assert.equal(masks.length, 1);
    assert.equal(masks[0]!.count, e.masked.length);
    for (const m of e.masked) assert.ok(masks[0]!.says.includes(m.path), m.path);
    assert.match(masks[0]!.why!, /whole host/);
    const mknod = lines.find((l) => l.says.startsWith('created the devices'))!;
    assert.match(mknod.says, /\/dev\/null \(1:3\), \/dev\/zero \(1:5\)/);
    assert.equal(mknod.first < mknod.last, true);
    assert.match(text, /^ +\d+-\d+\. masked \d+ paths, which the container sees empty: \/proc\/acpi|\/proc\/asound/m);
    const pivot = lines.find((l) => l.says.includes('detached the host\'s root'))!;
    assert.equal(pivot.first, pivot.last);
    assert.match(pivot.why!, /no way back out/);
    assert.match(text, /pivot_root\(2\)/);
    const sync = lines.find((l) => l.says.startsWith('waited while the engine placed it in its cgroup'))!;
    assert.match(sync.says, /RCU grace period/, 'the kernel\'s wait is called out');
  });

  test('--explain is the short text, =full every step with its call, =json the explanation', () => {
    const { explanation: e, ops } = explainPaired(input());
    assert.equal(render(e, 'full', false), renderText(e, false));
    assert.equal(render(e, 'text', false, briefLines(e, ops)), renderBrief(e, briefLines(e, ops), false));
    assert.match(render(e, 'full', false), /\[pivot_root\(2\), then umount2\(MNT_DETACH\) of the old root; pivot_root\(2\)\]/);
    assert.doesNotMatch(render(e, 'text', false, briefLines(e, ops)), /umount2\(MNT_DETACH\)/);
    assert.deepEqual([true, 'text', 'full', 'json', undefined, false].map(explainFormat), ['text', 'text', 'full', 'json', undefined, undefined]);
  });

  test('color only when asked; the summaries keep every capability\'s name', () => {
    const { explanation: e, ops } = explainPaired(input());
    const plain = renderBrief(e, briefLines(e, ops), false);
    const colored = renderBrief(e, briefLines(e, ops), true);
    assert.ok(!plain.includes('\x1b[') && colored.includes('\x1b[32mprivate\x1b[0m'));
    assert.equal(colored.replace(/\x1b\[\d+m/g, ''), plain);
    for (const c of [...e.capabilities.kept, ...e.capabilities.dropped]) assert.ok(plain.includes(c), c);
    assert.match(plain, /blocked, among others: mount /);
  });

  test('start\'s part: the release, then the ops the init had left after the fifo (a late seccomp filter, exec)', () => {
    const { spec, ops } = jail();
    const late = ops.slice(ops.findIndex((o) => o.op === 'fifo_wait') + 1);
    const steps: StepTiming[] = [
      { source: 'engine', name: 'release', detail: '/run/x/exec.fifo', milliseconds: 0.3 },
      ...late.map((o): StepTiming => ({ source: 'helper', name: o.op, detail: '', milliseconds: 0.01 })),
    ];
    const e = explain({ form: 'moby-dick-runtime start', spec, ops: late, steps, heldCapabilities: [...CAPABILITIES] });
    assert.equal(e.steps[0]!.says.includes('exec fifo since create'), true);
    assert.equal(e.steps.at(-1)!.call, 'execve(2)');
    const unreported = explain({ form: 'moby-dick-runtime start', spec, ops: late, steps: [steps[0]!, { source: 'engine', name: 'unreported', detail: '', milliseconds: 0 }], heldCapabilities: [] });
    assert.match(unreported.steps[1]!.says, /create was given neither --explain nor --debug/);
  });
});

describe('recorder', () => {
  test('color and width follow the terminal: NO_COLOR and TERM=dumb turn color off', () => {
    assert.equal(wantsColor({ isTTY: true }, {}), true);
    assert.equal(wantsColor({ isTTY: false }, {}), false);
    assert.equal(wantsColor({}, {}), false);
    assert.equal(wantsColor({ isTTY: true }, { NO_COLOR: '' }), false);
    assert.equal(wantsColor({ isTTY: true }, { TERM: 'dumb' }), false);
    assert.deepEqual([textWidth({ isTTY: true, columns: 132 }), textWidth({ isTTY: true, columns: 40 }), textWidth({ isTTY: true, columns: 400 }), textWidth({ columns: 132 })], [132, 80, 160, 100]);
  });

  test('CapEff is read by name', () => {
    assert.deepEqual(effectiveCapabilities('CapInh:\t0\nCapEff:\t0000000000000003\n'), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE']);
  });
});
