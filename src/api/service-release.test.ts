/**
 * runService's idle releases (api/idle-release.ts, the command's steps in
 * helper/release-memory.ts): every step once when it listens, then each
 * step once after its time in each idle spell that followed a connection;
 * an idle service without clients is not released again and again. The
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

test('idle releases: every step when listening, then each after its time in each idle spell that followed a connection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-release-'));
  const sock = join(dir, 's.sock');
  const engine = { store: { root: dir }, removeInBackground: () => ({ settled: async () => {} }) } as unknown as Engine;
  const ran: string[] = [];
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
    idleReleases: [
      { afterMs: 900, run: () => ran.push('pages') },
      { afterMs: 300, run: () => ran.push('heap') },
    ],
  });
  try {
    await listens;
    assert.deepEqual(ran, ['pages', 'heap'], 'every step once it listens');
    ran.length = 0;
    await sleep(1300);
    assert.deepEqual(ran, [], 'no client yet: not released again');
    assert.equal(await ping(sock), 200);
    assert.equal(await ping(sock), 200);
    assert.deepEqual(ran, [], 'not while serving');
    await sleep(600);
    assert.deepEqual(ran, ['heap'], 'the heap after its time, not yet the pages');
    await sleep(800);
    assert.deepEqual(ran, ['heap', 'pages'], 'the pages after theirs');
    await sleep(1300);
    assert.deepEqual(ran, ['heap', 'pages'], 'idle on: not again');
    assert.equal(await ping(sock), 200);
    await sleep(600);
    assert.deepEqual(ran, ['heap', 'pages', 'heap'], 'a new spell after a connection');
  } finally {
    process.emit('SIGTERM');
    await served;
    rmSync(dir, { recursive: true, force: true });
  }
});
