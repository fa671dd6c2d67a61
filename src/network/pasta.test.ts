import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runningPasta } from './pasta.js';

test('runningPasta: the pid of the file whose command line names it, only with the start time recorded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-pasta-unit-'));
  const pidFile = join(dir, 'pasta.pid');
  // a stand-in whose command line names the pid file, as pasta's does
  const child = spawn('sh', ['-c', 'sleep 30', pidFile], { stdio: 'ignore' });
  t.after(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid!;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  writeFileSync(pidFile, `${pid}\n`);
  assert.equal(runningPasta(pidFile), pid, "pasta's own file: the pid alone");
  writeFileSync(pidFile, `${pid} ${start}\n`);
  assert.equal(runningPasta(pidFile), pid);
  writeFileSync(pidFile, `${pid} ${Number(start) + 1}\n`);
  assert.equal(runningPasta(pidFile), undefined, 'another start time: a reused pid, never signalled');
  writeFileSync(pidFile, `${process.pid} ${start}\n`);
  assert.equal(runningPasta(pidFile), undefined, 'a process whose command line does not name the file');
  rmSync(pidFile);
  assert.equal(runningPasta(pidFile), undefined);
});
