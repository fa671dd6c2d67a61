import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MS } from './mount-flags.js';
import { parseMountOptions } from './mount-options.js';

test('flags, cleared flags, propagation, bind and data', () => {
  const o = parseMountOptions(['rbind', 'ro', 'nosuid', 'rslave', 'mode=755', 'size=1k', 'tmpcopyup']);
  assert.equal(o.bind, true);
  assert.equal(o.recursive, true);
  assert.equal(o.flags, MS.RDONLY | MS.NOSUID);
  assert.equal(o.propagation, MS.SLAVE | MS.REC);
  assert.equal(o.data, 'mode=755,size=1k');
});

test('a later option undoes an earlier one', () => {
  const o = parseMountOptions(['ro', 'rw', 'noexec', 'exec']);
  assert.equal(o.flags, 0);
  assert.equal(o.cleared & MS.RDONLY, MS.RDONLY);
});

test('no options: nothing set', () => {
  assert.deepEqual(parseMountOptions(), { flags: 0, cleared: 0, propagation: 0, bind: false, recursive: false, data: '' });
});
