/**
 * The built man pages (build/man, `make`'s scripts/man-pages.mjs): the
 * files are those package.json's "man" lists, each renders with man(1)
 * without a warning, and installed as `npm install -g` links them
 * (MANPATH/man1, man8) `man moby-dick-run` finds its page, which holds
 * every option the built CLI's `run --help` prints. No container is made.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, PROJECT } from '../helpers/cli.js';

const MAN = join(PROJECT, 'build', 'man');
const listed = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { man: string[] }).man;

function man(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('man', args, { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', PAGER: 'cat', ...env }, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('man pages', () => {
  let root = '';
  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('build/man holds exactly the pages package.json lists', () => {
    const built = readdirSync(MAN).filter((f) => !f.startsWith('.')).map((f) => `build/man/${f}`).sort();
    assert.deepEqual(built, [...listed].sort());
    assert.ok(listed.includes('build/man/moby-dick.1') && listed.includes('build/man/moby-dick-runtime.8'));
  });

  test('every page renders with man -l, without a warning', () => {
    for (const page of listed) {
      const r = man(['--warnings', '-l', join(PROJECT, page)]);
      assert.equal(r.status, 0, `${page}: ${r.stderr}`);
      assert.equal(r.stderr, '', page);
      assert.match(r.stdout, /^NAME$/m, page);
      assert.match(r.stdout, /^SEE ALSO$/m, page);
    }
  });

  test('installed as npm links them, `man moby-dick-run` shows every option of `run --help`', () => {
    root = mkdtempSync('/tmp/mdk-test-man-');
    for (const page of listed) {
      const section = page.slice(-1);
      mkdirSync(join(root, `man${section}`), { recursive: true });
      symlinkSync(join(PROJECT, page), join(root, `man${section}`, page.split('/').pop()!));
    }
    const r = man(['moby-dick-run'], { MANPATH: root });
    assert.equal(r.status, 0, r.stderr);
    const help = spawnSync(CLI, ['run', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    const flags = new Set(help.stdout.match(/--[a-z][\w-]*/g));
    assert.ok(flags.size > 50, `run --help lists ${flags.size} options`);
    // man's output may break a line at a hyphen of a long option: compare without line breaks
    const text = r.stdout.replace(/\s+/g, ' ');
    for (const flag of flags) assert.ok(text.includes(flag), flag);
    assert.match(man(['8', 'moby-dick-runtime'], { MANPATH: root }).stdout, /--log-format/);
  });
});
