import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatEntry, formatTimestamp, type LogEntry, parseLogLine, parseTime, readLogs } from './logs.js';

const dir = mkdtempSync(join(tmpdir(), 'mdk-test-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_800_000_000_000_000_000n;
const line = (log: string, i: number, stream = 'stdout'): string =>
  `${JSON.stringify({ log, stream, time: formatTimestamp(T0 + BigInt(i) * 1_000_000n) })}\n`;

async function collect(it: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(e.log);
  return out;
}

describe('log entries', () => {
  test('times: any number of fractional digits, offsets, and back with 9 digits', () => {
    assert.equal(parseTime('2026-11-29T11:10:29Z'), 1_795_950_629_000_000_000n);
    assert.equal(parseTime('2026-11-29T11:10:29.5Z'), 1_795_950_629_500_000_000n);
    assert.equal(parseTime('2026-11-29T11:10:29.123456789Z'), 1_795_950_629_123_456_789n);
    assert.equal(parseTime('2026-11-29T12:10:29.5+01:00'), 1_795_950_629_500_000_000n);
    assert.equal(parseTime('2026-11-29 11:10:29Z'), null);
    assert.equal(parseTime('2026-11-29T11:10:29.1234567891Z'), null);
    assert.equal(formatTimestamp(1_795_950_629_000_000_010n), '2026-11-29T11:10:29.000000010Z');
  });

  test("Docker's escapes decode to the bytes the container wrote", () => {
    const e = parseLogLine('{"log":"a \\u003cb\\u003e \\u0026 \\u0009\\"\\\\\\ufffd\\u2028\\n","stream":"stderr","time":"2026-11-29T11:10:29.1Z"}');
    assert.deepEqual(e, { log: 'a <b> & \t"\\\ufffd\u2028\n', stream: 'stderr', time: '2026-11-29T11:10:29.1Z', nanos: 1_795_950_629_100_000_000n });
    assert.equal(parseLogLine('{"log":"x","stream":"stdin","time":"2026-11-29T11:10:29Z"}'), null);
    assert.equal(parseLogLine('{"log":"x","stream":"stdout"'), null);
  });

  test('--timestamps puts the time in front', () => {
    const e = parseLogLine(line('hi\n', 0))!;
    assert.equal(formatEntry(e), 'hi\n');
    assert.equal(formatEntry(e, { timestamps: true }), `${formatTimestamp(T0)} hi\n`);
  });
});

describe('readLogs', () => {
  const log = join(dir, 'c.json');
  writeFileSync(`${log}.2`, line('1\n', 1) + line('2\n', 2));
  writeFileSync(`${log}.1`, line('3\n', 3) + line('4\n', 4, 'stderr'));
  writeFileSync(log, line('5\n', 5) + line('6\n', 6) + '{"log":"half');

  test('rotated files oldest first, then the current one; an unfinished line waits', async () => {
    assert.deepEqual(await collect(readLogs(log)), ['1\n', '2\n', '3\n', '4\n', '5\n', '6\n']);
  });

  test('tail, since and until', async () => {
    assert.deepEqual(await collect(readLogs(log, { tail: 3 })), ['4\n', '5\n', '6\n']);
    assert.deepEqual(await collect(readLogs(log, { tail: 0 })), []);
    assert.deepEqual(await collect(readLogs(log, { tail: 100 })), ['1\n', '2\n', '3\n', '4\n', '5\n', '6\n']);
    const ms = (i: number): bigint => T0 + BigInt(i) * 1_000_000n;
    assert.deepEqual(await collect(readLogs(log, { since: ms(3), until: ms(5) })), ['3\n', '4\n', '5\n']);
    assert.deepEqual(await collect(readLogs(log, { since: ms(3), tail: 1, until: ms(4) })), ['4\n']);
  });

  test('no log yet: nothing', async () => {
    assert.deepEqual(await collect(readLogs(join(dir, 'none.json'))), []);
  });

  test('follow reads across rotations and ends when the exit file appears', async () => {
    const f = join(dir, 'f.json');
    const exit = join(dir, 'f.exit');
    writeFileSync(f, line('a\n', 1));
    const got: string[] = [];
    const reading = (async () => {
      for await (const e of readLogs(f, { follow: true, exitFile: exit, pollMs: 5 })) got.push(e.log);
    })();
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 30));
    await tick();
    appendFileSync(f, line('b\n', 2));
    await tick();
    // a rotation the reader sees, then two in a row between its looks
    appendFileSync(f, line('c\n', 3));
    renameSync(f, `${f}.1`);
    writeFileSync(f, line('d\n', 4));
    await tick();
    renameSync(`${f}.1`, `${f}.2`);
    renameSync(f, `${f}.1`);
    writeFileSync(f, line('e\n', 5));
    renameSync(`${f}.2`, `${f}.3`);
    renameSync(`${f}.1`, `${f}.2`);
    renameSync(f, `${f}.1`);
    writeFileSync(f, line('f\n', 6));
    await tick();
    // truncated in place (max-file 1)
    writeFileSync(f, line('g\n', 7));
    await tick();
    appendFileSync(f, line('h\n', 8));
    writeFileSync(exit, '{}');
    await reading;
    assert.deepEqual(got, ['a\n', 'b\n', 'c\n', 'd\n', 'e\n', 'f\n', 'g\n', 'h\n']);
  });

  test('follow with an abort signal ends early', async () => {
    const ac = new AbortController();
    const f = join(dir, 'g.json');
    writeFileSync(f, line('x\n', 1));
    const got: string[] = [];
    setTimeout(() => ac.abort(), 50);
    for await (const e of readLogs(f, { follow: true, exitFile: join(dir, 'never'), pollMs: 5, signal: ac.signal })) got.push(e.log);
    assert.deepEqual(got, ['x\n']);
  });
});
