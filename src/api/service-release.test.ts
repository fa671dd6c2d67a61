/**
 * runService's calls of releaseMemory (helper/release-memory.ts): once when it
 * listens, and once after each idle spell that followed a connection; an
 * idle service without clients is not released again and again. The
 * service in this process, on a unix socket of a temp dir, over an engine
 * that /_ping does not reach.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Engine } from '../engine/engine.js';
import { runService } from './service.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ping(sock: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, path: '/_ping', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('releaseMemory: when listening, then after each idle spell that followed a connection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-release-'));
  const sock = join(dir, 's.sock');
  const engine = { store: { root: dir }, removeInBackground: () => ({ settled: async () => {} }) } as unknown as Engine;
  let releases = 0;
  let listening!: () => void;
  const listens = new Promise<void>((r) => (listening = r));
  const served = runService({
    engine,
    host: `unix://${sock}`,
    timeout: 0,
    serverVersion: 'test',
    selfCommand: ['moby-dick'],
    log: () => {},
    onListening: () => listening(),
    releaseMemory: () => releases++,
    releaseIdleMs: 300,
  });
  try {
    await listens;
    assert.equal(releases, 1, 'released once it listens');
    await sleep(700);
    assert.equal(releases, 1, 'no client yet: not released again');
    assert.equal(await ping(sock), 200);
    assert.equal(await ping(sock), 200);
    assert.equal(releases, 1, 'not while serving');
    await sleep(700);
    assert.equal(releases, 2, 'released after the idle spell that followed');
    await sleep(700);
    assert.equal(releases, 2, 'idle on: not again');
    assert.equal(await ping(sock), 200);
    await sleep(700);
    assert.equal(releases, 3);
  } finally {
    process.emit('SIGTERM');
    await served;
    rmSync(dir, { recursive: true, force: true });
  }
});
