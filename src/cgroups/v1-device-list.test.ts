import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deviceRules, planV1 } from './resources.js';
import { sameDeviceList, v1DeviceList } from './v1-device-list.js';

const allow = (value: string) => ({ controller: 'devices', file: 'devices.allow', value });
const denyAll = { controller: 'devices', file: 'devices.deny', value: 'a' };

describe('v1DeviceList', () => {
  test('deny all, then allows: one line each, access in r-w-m order, sorted', () => {
    assert.deepEqual(v1DeviceList([denyAll, allow('c 1:3 rwm'), allow('c *:* m'), allow('b 8:0 wr')]), ['b 8:0 rw', 'c *:* m', 'c 1:3 rwm']);
  });

  test('a device allowed twice is one line with both accesses, as the kernel merges them', () => {
    assert.deepEqual(v1DeviceList([denyAll, allow('c 10:200 r'), allow('c 10:200 m')]), ['c 10:200 rm']);
  });

  test('other shapes are not predicted: no deny of all first, a deny later, an allow of all', () => {
    assert.equal(v1DeviceList([allow('c 1:3 rwm')]), null);
    assert.equal(v1DeviceList([denyAll, allow('c 1:3 rwm'), { controller: 'devices', file: 'devices.deny', value: 'c 1:3 w' }]), null);
    assert.equal(v1DeviceList([denyAll, allow('a')]), null);
    assert.equal(v1DeviceList([]), null);
  });

  test('the jail\'s rules (deny all, then the defaults) as the kernel lists them', () => {
    const writes = planV1(deviceRules({ devices: [{ allow: false, access: 'rwm' }] }, []));
    const list = v1DeviceList(writes)!;
    assert.equal(list.length, writes.length - 1);
    assert.ok(list.includes('c 136:* rwm') && list.includes('c *:* m') && list.includes('c 1:3 rwm'));
  });
});

describe('sameDeviceList', () => {
  test('the same lines in any order; a line more or less, or another access, differs', () => {
    const expected = ['c *:* m', 'c 1:3 rwm'];
    assert.equal(sameDeviceList('c 1:3 rwm\nc *:* m\n', expected), true);
    assert.equal(sameDeviceList('c *:* m\n', expected), false);
    assert.equal(sameDeviceList('c 1:3 rw\nc *:* m\n', expected), false);
    assert.equal(sameDeviceList('a *:* rwm\n', expected), false);
    assert.equal(sameDeviceList('c 1:3 rwm\nc *:* m\nc 1:5 rwm\n', expected), false);
  });
});
