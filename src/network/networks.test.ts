/**
 * Networks' host-wide lock, given as a collaborator: taken around a change
 * of the networks, released after it (also when it fails), not taken for a
 * refused name or a read. A database in memory with the store's network
 * tables; no root, no addon, nothing made on the host.
 */
import assert from 'node:assert/strict';
import { fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { MobyDickError } from '../errors.js';
import { netConfig } from './net-config.js';
import { Networks } from './networks.js';

/** the store's network tables (images/store/db.ts), as much as Networks reads */
const SCHEMA = `
  CREATE TABLE networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, config TEXT NOT NULL);
  CREATE TABLE endpoints (network_id TEXT NOT NULL REFERENCES networks(id), container_id TEXT NOT NULL, ip TEXT NOT NULL, config TEXT NOT NULL,
    PRIMARY KEY (network_id, container_id), UNIQUE (network_id, ip));
  CREATE TABLE published_ports (protocol TEXT NOT NULL, host_ip TEXT NOT NULL, host_port INTEGER NOT NULL, container_id TEXT NOT NULL, config TEXT NOT NULL,
    PRIMARY KEY (protocol, host_ip, host_port));
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

describe('the networks lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdk-test-networks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function setUp() {
    const db = new BetterSqlite3(':memory:');
    db.exec(SCHEMA);
    const runDir = join(dir, String(Math.random()).slice(2));
    const taken: { path: string; fd: number; heldDuringChange?: boolean }[] = [];
    const lock = (path: string): number => {
      const fd = openSync(path, 'a');
      taken.push({ path, fd });
      return fd;
    };
    const events: string[] = [];
    const nets = new Networks(db, runDir, netConfig({ MOBY_DICK_NET_PREFIX: 'mdkt' }), (_type, action) => {
      // a change is recorded while the lock is held
      events.push(`${action} ${taken.length > 0 && isOpen(taken[taken.length - 1]!.fd) ? 'locked' : 'unlocked'}`);
    }, lock);
    return { db, runDir, taken, events, nets };
  }

  const isOpen = (fd: number): boolean => {
    try {
      fstatSync(fd);
      return true;
    } catch {
      return false;
    }
  };

  test('network create: the lock on RUN_DIR/network.lock around the change, released after it', () => {
    const { runDir, taken, events, nets } = setUp();
    const n = nets.create({ name: 'mdk-test-a', subnet: '10.213.7.0/24' });
    assert.equal(n.subnet, '10.213.7.0/24');
    assert.deepEqual(taken.map((t) => t.path), [join(runDir, 'network.lock')]);
    assert.deepEqual(events, ['create locked']);
    assert.equal(isOpen(taken[0]!.fd), false);
    assert.equal(nets.find('mdk-test-a').id, n.id);
  });

  test('a change that fails releases the lock; a refused name and a read take none', () => {
    const { taken, nets } = setUp();
    nets.create({ name: 'mdk-test-b', subnet: '10.213.8.0/24' });
    assert.throws(() => nets.create({ name: 'mdk-test-b', subnet: '10.213.9.0/24' }), MobyDickError);
    assert.equal(taken.length, 2);
    assert.ok(taken.every((t) => !isOpen(t.fd)));
    assert.throws(() => nets.create({ name: 'bad name!' }), /invalid network name/);
    assert.throws(() => nets.create({ name: 'host' }), /pre-defined/);
    nets.find('mdk-test-b');
    assert.equal(taken.length, 2);
  });

  test('the default network is made once, under the lock', () => {
    const { taken, nets } = setUp();
    const first = nets.find('bridge');
    assert.equal(taken.length, 1);
    assert.equal(nets.find('bridge').id, first.id);
    assert.equal(taken.length, 1);
  });
});
