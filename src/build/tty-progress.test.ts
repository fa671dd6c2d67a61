import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TAIL_LINES, TtyProgress } from './tty-progress.js';

function sink(columns = 60) {
  const writes: string[] = [];
  return { writes, columns, write: (t: string) => void writes.push(t) };
}

describe('TtyProgress', () => {
  test('running steps with their last lines, redrawn over the last frame; finished steps stay as one line', () => {
    let t = 0;
    const out = sink();
    const p = new TtyProgress(out, () => t, 0);
    const a = p.begin('[a 2/3] RUN make');
    const b = p.begin('[b 2/2] RUN other');
    for (let i = 1; i <= 10; i++) p.output(a, `line ${i}\n`);
    p.output(b, 'from b\n');
    t = 1500;
    p.draw();
    const first = out.writes.at(-1)!;
    assert.doesNotMatch(first, /\x1b\[/, 'nothing to move over the first time');
    const frame = first.trimEnd().split('\n');
    assert.equal(frame[0], '[+] Building 1.5s (0/2)');
    assert.equal(frame[1], ' => [a 2/3] RUN make 1.5s');
    assert.deepEqual(frame.slice(2, 2 + TAIL_LINES), [5, 6, 7, 8, 9, 10].map((i) => ` => => # line ${i}`));
    assert.deepEqual(frame.slice(2 + TAIL_LINES), [' => [b 2/2] RUN other 1.5s', ' => => # from b']);
    t = 2000;
    p.done(a);
    p.draw();
    const second = out.writes.at(-1)!;
    assert.ok(second.startsWith(`\x1b[${frame.length}F\x1b[J`), 'back over the whole last frame, cleared');
    assert.deepEqual(second.slice(`\x1b[${frame.length}F\x1b[J`.length).trimEnd().split('\n'), [
      ' => [a 2/3] RUN make 2.0s',
      '[+] Building 2.0s (1/2)',
      ' => [b 2/2] RUN other 2.0s',
      ' => => # from b',
    ]);
    p.cached(b);
    p.draw();
    assert.match(out.writes.at(-1)!, /^\x1b\[3F\x1b\[J => CACHED \[b 2\/2\] RUN other\n\[\+\] Building 2\.0s \(2\/2\)\n$/);
  });

  test('lines are cut to the width and control characters dropped, so the frame height is its line count', () => {
    const out = sink(30);
    const p = new TtyProgress(out, () => 0, 0);
    const a = p.begin('[stage-0 2/2] RUN a-very-long-command-line-indeed');
    p.output(a, 'x\ty\x1b[31mred\r\n');
    p.draw();
    for (const l of out.writes.at(-1)!.trimEnd().split('\n')) assert.ok(l.length <= 29, l);
    assert.match(out.writes.at(-1)!, /^ => \[stage-0 2\/2\] RUN a… 0\.0s$/m, 'the time stays in view');
    assert.match(out.writes.at(-1)!, /=> => # x {2}y\[31mred/);
    // a terminal of width 0 (a pseudo-terminal nobody sized) is taken as 80 columns
    const unsized = sink(0);
    const q = new TtyProgress(unsized, () => 0, 0);
    q.begin(`[s 2/2] RUN ${'x'.repeat(100)}`);
    q.draw();
    assert.equal(unsized.writes.at(-1)!.trimEnd().split('\n')[1]!.length, 79);
  });

  test('a failing step prints its whole output and its error; close draws the end and the warnings', () => {
    const out = sink();
    const p = new TtyProgress(out, () => 0, 0);
    const a = p.begin('[s 2/2] RUN false');
    for (let i = 1; i <= 8; i++) p.output(a, `out ${i}\n`);
    p.warn('a warning');
    p.error(a, 'Dockerfile:2: exit code: 1');
    p.close();
    const all = out.writes.join('');
    for (let i = 1; i <= 8; i++) assert.match(all, new RegExp(`#${a} out ${i}\\n`));
    assert.match(all, /#1 ERROR: Dockerfile:2: exit code: 1\n/);
    assert.match(all, / => ERROR \[s 2\/2\] RUN false/);
    assert.ok(all.endsWith('WARNING: a warning\n'));
  });
});
