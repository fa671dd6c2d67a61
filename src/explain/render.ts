/**
 * An Explanation as text for a terminal (grouped by purpose, in color when
 * the output is a terminal): short ("text", a line per step or run of
 * steps, brief.ts) or every step with its call ("full"); or as JSON for
 * tools (docs/explain.schema.json).
 */
import type { BriefLine } from './brief.js';
import { type Explanation, type ExplainedStep, namespacePurpose, PURPOSES } from './explanation.js';

export type ExplainFormat = 'text' | 'full' | 'json';

interface Style {
  head: (s: string) => string;
  dim: (s: string) => string;
  good: (s: string) => string;
  bad: (s: string) => string;
}

const ansi = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const COLOR: Style = { head: ansi('1'), dim: ansi('2'), good: ansi('32'), bad: ansi('33') };
const PLAIN: Style = { head: (s) => s, dim: (s) => s, good: (s) => s, bad: (s) => s };

const ms = (n: number): string => `${n.toFixed(3)} ms`;

const visible = (s: string): number => s.replace(/\x1b\[\d+m/g, '').length;

/** Words wrapped at WIDTH (colors not counted), each line after the first indented by INDENT; the first starts at column FIRST. */
function wrap(text: string, indent: string, width = 100, first = indent.length): string {
  const out: string[] = [];
  let line = '';
  let at = first;
  for (const word of text.split(' ')) {
    if (line && at + visible(line) + 1 + visible(word) > width) {
      out.push(line);
      line = word;
      at = indent.length;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  out.push(line);
  return out.join(`\n${indent}`);
}

/** A step: its number, what was done, the call and man page, the time; why, unless the step before said the same. */
function step(s: ExplainedStep, st: Style, whyBefore: string | undefined): string {
  const num = `${String(s.n).padStart(3)}.`;
  const where = s.call === '-' ? '' : ` ${st.dim(`[${s.call}${s.man !== '-' && s.man !== s.call ? `; ${s.man}` : ''}]`)}`;
  const lines = [`  ${num} ${wrap(s.says, '       ')}${where} ${st.dim(ms(s.milliseconds))}`];
  if (s.why && s.why !== whyBefore) lines.push(`       ${st.dim('why:')} ${wrap(s.why, '            ')}`);
  return lines.join('\n');
}

/** The explanation as text; COLOR when it goes to a terminal. */
export function renderText(e: Explanation, color: boolean): string {
  const st = color ? COLOR : PLAIN;
  const out: string[] = [];
  out.push(st.head(`How this container was made (${e.form}): ${e.command.join(' ')} — ${e.steps.length} steps, ${ms(e.milliseconds.total)}`));
  out.push(st.dim('Each step the kernel was asked for, numbered in the order it ran, grouped by what it is for.'));
  for (const { purpose, title, about } of PURPOSES) {
    const steps = e.steps.filter((s) => s.purpose === purpose);
    const ns = e.namespaces.filter((n) => namespacePurpose(n.kind) === purpose);
    const lines: string[] = [];
    for (const n of ns) {
      const state = n.state === 'private' ? st.good('private') : n.state === 'joined' ? st.bad('joined') : st.bad('host');
      lines.push(`  ${n.kind} namespace: ${state}. ${wrap(n.says, '    ')} ${st.dim(`[${n.call === '-' ? 'not unshared' : n.call}; ${n.man}]`)}`);
    }
    lines.push(...steps.map((s, i) => step(s, st, steps[i - 1]?.why)));
    lines.push(...summary(e, purpose, st));
    if (lines.length === 0) continue;
    out.push('', `${st.head(title.toUpperCase())} ${st.dim(`— ${about}`)}`, ...lines);
  }
  const t = e.milliseconds;
  out.push('', `${st.head('TIME')} ${ms(t.total)} in all: ${ms(t.engine)} in the engine (Node), ${ms(t.helper)} in the helper (C), of which ${ms(t.waits)} waiting at sync points for the engine and the kernel`);
  return `${out.join('\n')}\n`;
}

/** A short line: its step number (or first-last), what was done and why, the man page, the time. */
function briefLine(l: BriefLine, st: Style, width: number): string {
  const num = l.first === l.last ? `${l.first}.` : `${l.first}-${l.last}.`;
  const man = l.man === '-' ? '' : ` ${st.dim(`[${l.man}]`)}`;
  const why = l.why ? ` — ${l.why}` : '';
  return `  ${num.padStart(6)} ${wrap(`${l.says}${why}`, '         ', width)}${man} ${st.dim(ms(l.milliseconds))}`;
}

/** The explanation as short text: a line per step or run of steps (LINES), the summaries in brief; COLOR when it goes to a terminal. */
export function renderBrief(e: Explanation, lines: readonly BriefLine[], color: boolean, width = 100): string {
  const st = color ? COLOR : PLAIN;
  const out: string[] = [];
  out.push(st.head(`How this container was made (${e.form}): ${e.command.join(' ')} — ${e.steps.length} steps, ${ms(e.milliseconds.total)}`));
  out.push(st.dim('The steps the kernel was asked for, numbered in the order they ran, grouped by what they are for; --explain=full lists each with its call.'));
  for (const { purpose, title, about } of PURPOSES) {
    const group: string[] = [];
    for (const n of e.namespaces.filter((x) => namespacePurpose(x.kind) === purpose)) {
      const state = n.state === 'private' ? st.good('private') : n.state === 'joined' ? st.bad('joined') : st.bad('host');
      const head = `  ${n.kind} namespace: ${state}: `;
      group.push(`${head}${wrap(n.says, '    ', width, visible(head))}`);
    }
    group.push(...lines.filter((l) => l.purpose === purpose).map((l) => briefLine(l, st, width)));
    group.push(...briefSummary(e, purpose, st, width));
    if (group.length === 0) continue;
    out.push('', `${st.head(title.toUpperCase())} ${st.dim(`— ${about}`)}`, ...group);
  }
  const t = e.milliseconds;
  out.push('', `${st.head('TIME')} ${ms(t.total)}: ${ms(t.engine)} in the engine (Node), ${ms(t.helper)} in the helper (C), ${ms(t.waits)} of it waiting at sync points`);
  return `${out.join('\n')}\n`;
}

/** The summaries of the short text: the same facts as summary(), a line or two each. */
function briefSummary(e: Explanation, purpose: string, st: Style, width: number): string[] {
  if (purpose !== 'resources') return summary(e, purpose, st, width);
  const cg = e.cgroup;
  if (!cg) return ["  no cgroup of its own: it stays in the caller's cgroup and shares its limits"];
  const out: string[] = [];
  const inh = cg.inherited;
  if (inh) {
    const copied = `devices.list${inh.cpuset ? ', cpuset.cpus and cpuset.mems' : ''}`;
    const head = `  cgroup ${cg.path} (v${cg.version}): `;
    out.push(`${head}${wrap(`${copied} copied by the kernel from ${inh.from} at mkdir; devices allowed: ${inh.devicesList.join(', ')}`, '    ', width, head.length)}`);
  }
  const written = `  cgroup ${cg.path} (v${cg.version}), files written: `;
  if (cg.writes.length || !inh) out.push(`${written}${wrap(cg.writes.map((w) => `${w.file}=${w.value}`).join(' ') || '(none)', '    ', width, written.length)}`);
  if (cg.deviceFilter) out.push('    and a BPF device filter (cgroup v2 has no devices files)');
  return out;
}

function summary(e: Explanation, purpose: string, st: Style, width = 100): string[] {
  const out: string[] = [];
  const list = (label: string, items: readonly string[]): string => `  ${label}: ${wrap(items.join(' ') || '(none)', '    ', width, label.length + 4)}`;
  if (purpose === 'identity') {
    const u = e.user;
    out.push(`  runs as user ${u.uid}, group ${u.gid}, ${u.groups.length ? `groups ${u.groups.join(',')}` : 'no supplementary groups'}, in ${u.cwd}`);
  }
  if (purpose === 'filesystem') {
    if (e.rootReadOnly) out.push('  the root filesystem is read-only');
    // the masked and read-only paths are steps of their own, said above
  }
  if (purpose === 'network') {
    out.push(`  ${e.network.mode}: ${e.network.says}`);
    for (const i of e.network.interfaces) out.push(`    ${i.name}: ${i.says}`);
  }
  if (purpose === 'resources') {
    const cg = e.cgroup;
    if (cg) {
      const inh = cg.inherited;
      if (inh) {
        out.push(`  cgroup ${cg.path} (v${cg.version}): inherited from ${inh.from}, copied by the kernel at mkdir`);
        out.push(`    devices.list (the parent's):`);
        for (const line of inh.devicesList) out.push(`      ${line}`);
        if (inh.cpuset) out.push("    cpuset.cpus, cpuset.mems: the parent's (its cgroup.clone_children is 1)");
      }
      if (cg.writes.length || !inh) out.push(`  cgroup ${cg.path} (v${cg.version}): files written`);
      for (const w of cg.writes) out.push(`    ${w.file} = ${w.value}`);
      if (cg.deviceFilter) out.push('    a BPF device filter (cgroup v2 has no devices files)');
    } else {
      out.push("  no cgroup of its own: it stays in the caller's cgroup and shares its limits");
    }
  }
  if (purpose === 'privileges') {
    out.push(list(`capabilities kept (${e.capabilities.kept.length})`, e.capabilities.kept.map(st.good)));
    out.push(list(`capabilities dropped (${e.capabilities.dropped.length})`, e.capabilities.dropped.map(st.bad)));
    const s = e.seccomp;
    if (s) {
      out.push(`  seccomp: ${s.allowed} syscalls allowed, ${s.conditional} more allowed with some arguments only; any other gets ${s.defaultAction}`);
      if (s.blocked.length) out.push(list('  blocked, among others', s.blocked));
    } else {
      out.push('  seccomp: no filter, every system call reaches the kernel');
    }
    out.push(`  no_new_privs: ${e.noNewPrivileges ? 'set' : 'not set (a setuid binary in the container still works, within the capabilities above)'}`);
  }
  return out;
}

/** E in FORMAT; the short text reads LINES (briefLines), each step on its own line when they are not given. */
export function render(e: Explanation, format: ExplainFormat, color: boolean, lines?: readonly BriefLine[], width = 100): string {
  if (format === 'json') return `${JSON.stringify(e, null, 2)}\n`;
  if (format === 'full') return renderText(e, color);
  return renderBrief(e, lines ?? e.steps.map((s) => ({ purpose: s.purpose, first: s.n, last: s.n, count: 1, says: s.says, ...(s.why ? { why: s.why } : {}), man: s.man, milliseconds: s.milliseconds })), color, width);
}
