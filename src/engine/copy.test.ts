import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCopyArg } from './copy.js';

test('cp arguments split as Docker splits them', () => {
  assert.deepEqual(parseCopyArg('web:/etc/passwd'), { container: 'web', path: '/etc/passwd' });
  assert.deepEqual(parseCopyArg('web:relative'), { container: 'web', path: 'relative' });
  assert.deepEqual(parseCopyArg('/abs/with:colon'), { path: '/abs/with:colon' });
  assert.deepEqual(parseCopyArg('./a:b'), { path: './a:b' });
  assert.deepEqual(parseCopyArg('-'), { path: '-' });
  assert.deepEqual(parseCopyArg('plain'), { path: 'plain' });
  assert.deepEqual(parseCopyArg(':x'), { path: ':x' });
});
