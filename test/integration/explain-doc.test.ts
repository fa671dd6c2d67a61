/**
 * docs/how-a-container-is-made.md stays true: its sample is what
 * `run --explain --rootfs ROOTFS echo hi` prints today, apart from times,
 * ids, step numbers, the rootfs's path and line breaks. The sample comes
 * from a cgroup v1 host; on a v2 host the cgroup lines differ, and the
 * document's v2 sample (taken once in the v2 test VM) holds those: the
 * lines about cgroups are compared with the sample of this host's version,
 * every other line with the main sample.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { readCgroupLayout } from '../../src/cgroups/layout.js';
import { mdk, PROJECT } from '../helpers/cli.js';
import { useRootfs } from '../helpers/fixtures.js';

const DOC = `${PROJECT}docs/how-a-container-is-made.md`;
/** the rootfs the document's command names */
const DOC_ROOTFS = '/home/me/rootfs';

/** The text with times, ids, step numbers and ROOTFS replaced. */
export function normalize(text: string, rootfs: string): string {
  return text
    .split(rootfs)
    .join('ROOTFS')
    .replace(/\d+\.\d{3} ms/g, 'T ms')
    .replace(/\b[0-9a-f]{16}\b/g, 'ID')
    .replace(/\(pid \d+\)/g, '(pid N)')
    .replace(/\(\d+ bytes\)/g, '(N bytes)')
    .replace(/— \d+ steps,/g, '— N steps,')
    .replace(/^( *)\d+(-\d+)?\. /gm, '$1N. ');
}

/**
 * The text as items: a header, a step (its wrapped lines) or a summary line
 * (with the lines indented under it), each with its white space made one
 * space. A step starts with its number; a summary at two spaces' indent.
 */
export function items(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (/^(\S| {2}\S| +N\. )/.test(line) || out.length === 0) out.push(line);
    else out[out.length - 1] += ` ${line}`;
  }
  return out.map((i) => i.replace(/\s+/g, ' ').trim());
}

/** The items that differ between cgroup v1 and v2 hosts: the cgroup mounts, the cgroup and how it is joined, its summary. */
export function cgroupItem(item: string): boolean {
  return /\/sys\/fs\/cgroup|cgroup v1 hierarchies|created the cgroup|moved itself into its cgroup|\(v[12]\)|BPF device filter/.test(item);
}

function sample(doc: string, marker: string): string {
  const s = new RegExp(`<!-- ${marker}[^\\n]*-->\\n\`\`\`text\\n([\\s\\S]*?)\\n\`\`\``).exec(doc)?.[1];
  assert.ok(s, `the document has its ${marker}`);
  return s;
}

describe('docs/how-a-container-is-made.md', () => {
  const fx = useRootfs();
  const doc = readFileSync(DOC, 'utf8');
  const v1 = items(normalize(sample(doc, 'explain-sample'), DOC_ROOTFS));
  const v2 = items(normalize(sample(doc, 'explain-sample-v2'), DOC_ROOTFS));

  test('the v2 sample holds the lines that differ, and the rest of its lines are the main sample\'s', () => {
    assert.ok(v1.filter(cgroupItem).length >= 4, 'the main sample has its cgroup lines');
    assert.ok(v2.filter(cgroupItem).length >= 3, 'the v2 sample has its cgroup lines');
    assert.ok(v1.some((i) => /cgroup v1 hierarchies/.test(i)) && v2.some((i) => /\(v2\)/.test(i)));
    for (const i of v2.filter((x) => !cgroupItem(x))) assert.ok(v1.includes(i), `a line of the v2 sample that the main one lacks: ${i}`);
  });

  test('its sample is what --explain prints (the cgroup lines: the sample of this host\'s cgroup version)', async () => {
    assert.match(doc, new RegExp(`moby-dick run --explain --rootfs ${DOC_ROOTFS} echo hi`), 'the command the sample comes from');
    const r = await mdk(['run', '--explain', '--rootfs', fx.rootfs, 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    const got = items(normalize(r.stderr, fx.rootfs));
    assert.deepEqual(got.filter((i) => !cgroupItem(i)), v1.filter((i) => !cgroupItem(i)));
    const theirs = readCgroupLayout().version === 2 ? v2 : v1;
    assert.deepEqual(got.filter(cgroupItem), theirs.filter(cgroupItem));
  });

  test('its excerpt of --explain=full is what --explain=full prints', async () => {
    const excerpt = items(normalize(sample(doc, 'explain-excerpt-full'), DOC_ROOTFS));
    assert.match(doc, new RegExp(`moby-dick run --explain=full --rootfs ${DOC_ROOTFS} echo hi`));
    const r = await mdk(['run', '--explain=full', '--rootfs', fx.rootfs, 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    const got = items(normalize(r.stderr, fx.rootfs));
    const at = got.indexOf(excerpt[0]!);
    assert.ok(at >= 0, `the excerpt's first line is printed: ${excerpt[0]}`);
    assert.deepEqual(got.slice(at, at + excerpt.length), excerpt);
  });
});
