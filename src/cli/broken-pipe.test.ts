/**
 * quietOnBrokenPipe in a child Node process: a write to a stdout or a
 * stderr whose reader has gone ends it with 141 and no stack trace, also
 * when stderr is first used after the call (its listener goes on when
 * Node makes the stream).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BROKEN_PIPE_STATUS } from './broken-pipe.js';

const MODULE = fileURLToPath(new URL('./broken-pipe.js', import.meta.url));

/** runs SCRIPT after quietOnBrokenPipe() with STREAM a pipe we close at once; its exit code and what it wrote to the other stream */
function run(stream: 'stdout' | 'stderr', script: string): Promise<{ code: number | null; other: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { quietOnBrokenPipe } from ${JSON.stringify(MODULE)}; quietOnBrokenPipe(); ${script}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child[stream].destroy();
  let other = '';
  child[stream === 'stdout' ? 'stderr' : 'stdout'].on('data', (d: Buffer) => (other += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, other })));
}

const WRITE_ON = (s: string) => `setTimeout(() => { for (let i = 0; i < 1000; i++) process.${s}.write('x'.repeat(1000) + '\\n'); setTimeout(() => process.exit(3), 2000); }, 100);`;

describe('a broken pipe', () => {
  test('stdout: exit 141, nothing on stderr', async () => {
    assert.deepEqual(await run('stdout', WRITE_ON('stdout')), { code: BROKEN_PIPE_STATUS, other: '' });
  });

  test('stderr, first used after the call: exit 141, nothing on stdout', async () => {
    assert.deepEqual(await run('stderr', WRITE_ON('stderr')), { code: BROKEN_PIPE_STATUS, other: '' });
  });

  test('process.stderr is still the one stream, and writes while the reader is there', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `import { quietOnBrokenPipe } from ${JSON.stringify(MODULE)}; quietOnBrokenPipe(); const a = process.stderr; process.stderr.write(String(a === process.stderr));`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(err, 'true');
  });
});
