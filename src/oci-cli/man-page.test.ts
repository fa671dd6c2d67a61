import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HELP } from './main.js';
import { runtimeManPage } from './man-page.js';

describe('moby-dick-runtime(8)', () => {
  const { file, roff } = runtimeManPage('moby-dick test');
  const text = roff.replace(/\\f[BIR]/g, '').replace(/\\-/g, '-').replace(/\\&/g, '');

  test('is section 8, with every option and every command of --help', () => {
    assert.equal(file, 'moby-dick-runtime.8');
    assert.match(roff, /^\.TH "MOBY-DICK-RUNTIME" "8" /m);
    for (const flag of HELP.match(/--[a-z][\w-]*/g)!) assert.ok(text.includes(flag), flag);
    const commands = HELP.split('Commands:\n')[1]!.split('\n\n')[0]!.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(' ')[0]!);
    assert.ok(commands.length >= 15);
    for (const c of commands) assert.match(roff, new RegExp(`^\\\\fB${c}\\\\fR$`, 'm'), c);
    assert.match(roff, /^\.SH "GLOBAL OPTIONS"$/m);
    assert.match(roff, /^\.SH EXAMPLES$/m);
  });
});
