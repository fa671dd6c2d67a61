import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { manPage, roffText } from './roff.js';

const page = (help: string, extra: Partial<Parameters<typeof manPage>[0]> = {}): string =>
  manPage({ name: 'moby-dick-x', section: 1, summary: 'do x', help, source: 'moby-dick 1.0', ...extra });

/** the lines of PAGE after its header (the comment, .TH, .nh, .ad) */
const body = (p: string): string[] => p.split('\n').slice(4);

describe('roff text', () => {
  test('backslashes, dashes, a leading dot or quote and non-ASCII are printed literally', () => {
    assert.equal(roffText('a\\b'), 'a\\eb');
    assert.equal(roffText('--all -a'), '\\-\\-all \\-a');
    assert.equal(roffText('.Names'), '\\&.Names');
    assert.equal(roffText("'quoted'"), "\\&'quoted'");
    assert.equal(roffText('in the middle. fine'), 'in the middle. fine');
    assert.equal(roffText('µs — …'), '\\[u00B5]s \\[u2014] \\[u2026]');
  });
});

describe('a man page from --help', () => {
  test('the header, NAME and SYNOPSIS from the usage lines', () => {
    const p = page('Usage: moby-dick x [OPTIONS] A\n       moby-dick x --y B\n\nDo x.\n');
    const lines = p.split('\n');
    assert.equal(lines[1], '.TH "MOBY-DICK-X" "1" "" "moby-dick 1.0" "User Commands"');
    assert.deepEqual(body(p).slice(0, 7), ['.SH NAME', 'moby\\-dick\\-x \\- do x', '.SH SYNOPSIS', '.nf', '\\fBmoby\\-dick\\fR x [OPTIONS] A', '\\fBmoby\\-dick\\fR x \\-\\-y B', '.fi']);
    assert.deepEqual(body(p).slice(7), ['.SH "DESCRIPTION"', '.PP', 'Do x.', '']);
  });

  test('options: one entry each, the term up to two spaces, continuation lines joined', () => {
    const p = page(`Usage: moby-dick x

Do x.

Options:
  -a, --all             show all
      --format FORMAT   a template
                        of .ID
  -v, --volume SRC:DST[:ro] bind a path
      --mount type=bind|volume
`);
    const at = body(p).indexOf('.SH "OPTIONS"');
    assert.deepEqual(body(p).slice(at + 1), [
      '.TP', '\\fB\\-a, \\-\\-all\\fR', 'show all',
      '.TP', '\\fB\\-\\-format FORMAT\\fR', 'a template', 'of .ID',
      '.TP', '\\fB\\-v, \\-\\-volume SRC:DST[:ro]\\fR', 'bind a path',
      '.TP', '\\fB\\-\\-mount type=bind|volume\\fR',
      '',
    ]);
  });

  test('a block of words (Commands:), other headers as sections, text after a block as NOTES', () => {
    const p = page(`Usage: moby-dick-runtime COMMAND

Runs.

Commands:
  create   create one
  features print what it supports
  update   change limits (--memory,
           --cpus)

Some notes
on two lines.

Global options:
  --root DIR   the state
`, { section: 8 });
    const b = body(p);
    assert.match(p.split('\n')[1]!, /"8" "" "moby-dick 1\.0" "System Administration"$/);
    assert.deepEqual(b.slice(b.indexOf('.SH "COMMANDS"')), [
      '.SH "COMMANDS"',
      '.TP', '\\fBcreate\\fR', 'create one',
      '.TP', '\\fBfeatures\\fR', 'print what it supports',
      '.TP', '\\fBupdate\\fR', 'change limits (\\-\\-memory,', '\\-\\-cpus)',
      '.SH "NOTES"', '.PP', 'Some notes', 'on two lines.',
      '.SH "GLOBAL OPTIONS"', '.TP', '\\fB\\-\\-root DIR\\fR', 'the state',
      '',
    ]);
  });

  test('indented text outside a block is kept as laid out', () => {
    const p = page('Usage: moby-dick x\n\nDo x:\n\n  bash:  x > y\n         (or z)\n');
    const b = body(p);
    assert.deepEqual(b.slice(b.indexOf('.RS 4') - 1), ['.PP', '.RS 4', '.nf', 'bash:  x > y', '       (or z)', '.fi', '.RE', '']);
  });

  test('EXAMPLES and SEE ALSO', () => {
    const p = page('Usage: moby-dick x\n\nDo x.\n', { examples: '# all\nmoby-dick x -a\n', seeAlso: ['moby-dick(1)', 'runc(8)'] });
    const b = body(p);
    assert.deepEqual(b.slice(b.indexOf('.SH EXAMPLES')), [
      '.SH EXAMPLES', '.nf', '.RS 4', '# all', 'moby\\-dick x \\-a', '.RE', '.fi',
      '.SH "SEE ALSO"', '\\fBmoby\\-dick\\fR(1),', '\\fBrunc\\fR(8)',
      '',
    ]);
  });
});
