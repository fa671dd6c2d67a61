/**
 * The man pages are the registry's: every command and group sub-command a
 * user can run has one, and every option its --help lists (and every
 * option it parses) is in it; package.json's "man" lists exactly these
 * pages and moby-dick-runtime.8 (what `npm install -g` installs).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { cliManPages } from './man-pages.js';
import { COMMANDS } from './registry.js';

/** the repository, from build/tsc/src/cli/ */
const ROOT = new URL('../../../../', import.meta.url);

/** what a reader of PAGE sees of its text: roff's escapes and fonts undone */
function plain(roff: string): string {
  return roff.replace(/\\f[BIR]/g, '').replace(/\\-/g, '-').replace(/\\&/g, '').replace(/\\e/g, '\\');
}

describe('the man pages', async () => {
  const pages = await cliManPages('moby-dick test');

  test('moby-dick.1, and a page for each command and sub-command that is not hidden', async () => {
    const expected = ['moby-dick.1'];
    for (const entry of COMMANDS.filter((c) => !c.hidden)) {
      expected.push(`moby-dick-${entry.name}.1`);
      const { command } = await entry.load();
      for (const word of Object.keys(command.commands ?? {})) expected.push(`moby-dick-${entry.name}-${word}.1`);
    }
    assert.deepEqual(pages.map((p) => p.file).sort(), expected.sort());
    for (const hidden of COMMANDS.filter((c) => c.hidden)) assert.ok(!pages.some((p) => p.file === `moby-dick-${hidden.name}.1`), hidden.name);
  });

  test("each page has its command's summary, usage, and every option of --help and of the parser", () => {
    for (const page of pages.filter((p) => p.command)) {
      const text = plain(page.roff);
      const command = page.command!;
      assert.ok(text.includes(command.summary), `${page.file}: the summary`);
      const usage = command.help.split('\n\n')[0]!.split('\n').map((l) => l.replace(/^(Usage:)?\s+/, '').replace(/^Usage: /, ''));
      for (const u of usage) assert.ok(text.includes(u), `${page.file}: the usage ${u}`);
      const listed = new Set(command.help.match(/--[a-z][\w-]*/g) ?? []);
      for (const name of Object.keys(command.options ?? {})) if (name !== 'help') listed.add(`--${name}`);
      for (const flag of listed) assert.ok(text.includes(flag), `${page.file}: ${flag}`);
      for (const word of Object.keys(command.commands ?? {})) assert.match(page.roff, new RegExp(`^\\\\fB${word}\\\\fR$`, 'm'), `${page.file}: the sub-command ${word}`);
    }
  });

  test('moby-dick.1 lists every command that is not hidden, and the original form', () => {
    const top = pages.find((p) => p.file === 'moby-dick.1')!;
    for (const entry of COMMANDS) {
      assert.equal(new RegExp(`^\\\\fB${entry.name.replace(/-/g, '\\\\-')}\\\\fR$`, 'm').test(top.roff), !entry.hidden, entry.name);
    }
    assert.match(plain(top.roff), /moby-dick \[OPTIONS\] COMMAND \[ARG\.\.\.\]/);
    assert.match(plain(top.roff), /--explain/);
  });

  test('examples where the command has them', () => {
    const run = pages.find((p) => p.file === 'moby-dick-run.1')!;
    assert.ok(run.command?.examples);
    assert.match(run.roff, /^\.SH EXAMPLES$/m);
    assert.ok(plain(run.roff).includes(run.command!.examples!.split('\n')[1]!));
  });

  test('package.json\'s "man" lists exactly these pages and moby-dick-runtime.8', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { man?: string[]; files?: string[] };
    const want = [...pages.map((p) => `build/man/${p.file}`), 'build/man/moby-dick-runtime.8'].sort();
    assert.deepEqual([...(pkg.man ?? [])].sort(), want);
    assert.ok(pkg.files?.includes('build/man'));
  });
});
