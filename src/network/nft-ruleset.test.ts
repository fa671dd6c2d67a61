import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deleteScript, rulesetScript } from './nft-ruleset.js';

const networks = [
  { bridge: 'mdk0', subnet: '172.17.0.0/16', internal: false },
  { bridge: 'mdk-1', subnet: '172.18.0.0/16', internal: true },
];
const ports = [
  { protocol: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, containerIp: '172.17.0.2' },
  { protocol: 'udp' as const, hostIp: '', hostPort: 5353, containerPort: 53, containerIp: '172.17.0.3' },
];

test('the script replaces the whole table in one go', () => {
  const s = rulesetScript({ table: 'mdk-test', networks, ports });
  assert.ok(s.startsWith('add table ip mdk-test\ndelete table ip mdk-test\ntable ip mdk-test {\n'));
  assert.match(s, /elements = \{ 127\.0\.0\.1 \. tcp \. 8080 : 172\.17\.0\.2 \. 80 \}/);
  assert.match(s, /elements = \{ udp \. 5353 : 172\.17\.0\.3 \. 53 \}/);
});

test('masquerade for outgoing traffic of non-internal networks only; loopback and hairpin for all', () => {
  const s = rulesetScript({ table: 't', networks, ports: [] });
  assert.match(s, /ip saddr 172\.17\.0\.0\/16 oifname != "mdk0" masquerade/);
  assert.doesNotMatch(s, /ip saddr 172\.18\.0\.0\/16 oifname != "mdk-1" masquerade/);
  assert.match(s, /oifname "mdk-1" ip saddr 127\.0\.0\.0\/8 masquerade/);
  assert.match(s, /oifname "mdk0" ct status dnat ip saddr 172\.17\.0\.0\/16 masquerade/);
  assert.doesNotMatch(s, /elements/);
});

test('internal networks are closed and networks are isolated from each other', () => {
  const s = rulesetScript({ table: 't', networks, ports: [] });
  assert.match(s, /iifname "mdk-1" oifname != "mdk-1" drop/);
  assert.match(s, /oifname "mdk-1" iifname != "mdk-1" drop/);
  assert.match(s, /iifname "mdk0" oifname \{ "mdk-1" \} drop/);
  assert.doesNotMatch(s, /iifname "mdk0" oifname != "mdk0" drop/);
});

test('deleting is safe when the table is missing', () => {
  assert.equal(deleteScript('t'), 'add table ip t\ndelete table ip t\n');
});
