/**
 * docs/how-a-container-is-made.md stays true: its sample is what
 * `run --explain --rootfs ROOTFS echo hi` prints today, apart from times,
 * ids, the rootfs's path and the line breaks that path moves.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { mdk, PROJECT } from '../helpers/cli.js';
import { useRootfs } from '../helpers/fixtures.js';

const DOC = `${PROJECT}docs/how-a-container-is-made.md`;
/** the rootfs the document's command names */
const DOC_ROOTFS = '/home/me/rootfs';

/** The text with times, ids and ROOTFS replaced, and every run of white space one space. */
export function normalize(text: string, rootfs: string): string {
  return text
    .split(rootfs)
    .join('ROOTFS')
    .replace(/\d+\.\d{3} ms/g, 'T ms')
    .replace(/\b[0-9a-f]{16}\b/g, 'ID')
    .replace(/\(pid \d+\)/g, '(pid N)')
    .replace(/\(\d+ bytes\)/g, '(N bytes)')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('docs/how-a-container-is-made.md', () => {
  const fx = useRootfs();

  test('its sample is what --explain prints', async () => {
    const doc = readFileSync(DOC, 'utf8');
    const sample = /<!-- explain-sample[^\n]*-->\n```text\n([\s\S]*?)\n```/.exec(doc)?.[1];
    assert.ok(sample, 'the document has its sample');
    assert.match(doc, new RegExp(`moby-dick run --explain --rootfs ${DOC_ROOTFS} echo hi`), 'the command the sample comes from');
    const r = await mdk(['run', '--explain', '--rootfs', fx.rootfs, 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(normalize(r.stderr, fx.rootfs), normalize(sample, DOC_ROOTFS));
  });
});
