import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importUrl, isImportUrl } from './import-url.js';

test('import source: http and https URLs are fetched, a path is a file', () => {
  assert.equal(isImportUrl('http://127.0.0.1:8080/rootfs.tar'), true);
  assert.equal(isImportUrl('HTTPS://example.com/x.tgz'), true);
  assert.equal(isImportUrl('/tmp/rootfs.tar'), false);
  assert.equal(isImportUrl('-'), false);
  assert.equal(isImportUrl('rootfs.tar'), false);
});

test('import URL: no scheme means http, as dockerd; other schemes refused', () => {
  assert.equal(importUrl('127.0.0.1:8080/a.tar').toString(), 'http://127.0.0.1:8080/a.tar');
  assert.equal(importUrl('https://example.com/a.tar').toString(), 'https://example.com/a.tar');
  assert.throws(() => importUrl('ftp://example.com/a.tar'), /only http and https URLs/);
  assert.throws(() => importUrl('http://[bad'), /is not a URL/);
});
