import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contains, defaultPool, formatIp, formatSubnet, freeSubnet, hostRange, macFor, overlaps, parseIp, parseSubnet } from './subnet.js';

test('addresses parse and format both ways; bad ones are refused', () => {
  assert.equal(formatIp(parseIp('172.17.0.2')!), '172.17.0.2');
  assert.equal(parseIp('255.255.255.255'), 0xffffffff);
  assert.equal(parseIp('1.2.3.256'), undefined);
  assert.equal(parseIp('1.2.3'), undefined);
});

test('subnets: host bits must be zero, prefixes within 0..30', () => {
  assert.equal(formatSubnet(parseSubnet('10.1.0.0/16')), '10.1.0.0/16');
  assert.throws(() => parseSubnet('10.1.0.1/16'), /it should be 10\.1\.0\.0\/16/);
  assert.throws(() => parseSubnet('10.1.0.0/31'), /\/30 at most/);
  assert.throws(() => parseSubnet('10.1.0.0'), /ADDRESS\/LENGTH/);
  assert.throws(() => parseSubnet('nonsense/8'), /invalid subnet/);
});

test('containment, overlap and the host range', () => {
  const s = parseSubnet('172.18.0.0/16');
  assert.ok(contains(s, parseIp('172.18.255.254')!));
  assert.ok(!contains(s, parseIp('172.19.0.1')!));
  assert.ok(overlaps(s, parseSubnet('172.18.5.0/24')));
  assert.ok(overlaps(parseSubnet('172.0.0.0/8'), s));
  assert.ok(!overlaps(s, parseSubnet('172.19.0.0/16')));
  const r = hostRange(parseSubnet('10.0.0.0/30'));
  assert.deepEqual([formatIp(r.first), formatIp(r.last)], ['10.0.0.1', '10.0.0.2']);
});

test("Docker's MAC for an address", () => {
  assert.equal(macFor(parseIp('172.17.0.2')!), '02:42:ac:11:00:02');
});

test('a free subnet skips every taken range', () => {
  const pool = defaultPool();
  assert.equal(formatSubnet(freeSubnet(pool, [])!), '172.17.0.0/16');
  const taken = [parseSubnet('172.17.0.0/16'), parseSubnet('172.18.3.0/24'), parseSubnet('192.0.2.0/24')];
  assert.equal(formatSubnet(freeSubnet(pool, taken)!), '172.19.0.0/16');
  assert.equal(freeSubnet(pool, [parseSubnet('0.0.0.0/0')]), undefined);
});
