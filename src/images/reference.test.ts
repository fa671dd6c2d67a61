import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import {
  familiarName,
  familiarString,
  looksLikeImageId,
  parseNormalizedReference,
  parseReference,
  referenceString,
  registryHost,
  validateTag,
  withDefaultTag,
} from './reference.js';

const HEX = 'a'.repeat(64);
const DIGEST = `sha256:${HEX}`;

const normalized = (s: string): string => referenceString(withDefaultTag(parseNormalizedReference(s)));

const refused = (s: string, message: string | RegExp): void => {
  assert.throws(
    () => parseNormalizedReference(s),
    (e: unknown) => {
      assert.ok(e instanceof MobyDickError, `MobyDickError for ${JSON.stringify(s)}`);
      assert.equal(e.exitCode, 125);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
};

describe('references as Docker normalises them', () => {
  test('Docker Hub names gain docker.io/library/ and :latest', () => {
    assert.equal(normalized('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalized('busybox:1.36'), 'docker.io/library/busybox:1.36');
    assert.equal(normalized('library/busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalized('docker.io/busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalized('docker.io/library/busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalized('index.docker.io/busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalized('index.docker.io/foo/bar'), 'docker.io/foo/bar:latest');
    assert.equal(normalized('foo/bar'), 'docker.io/foo/bar:latest');
    assert.equal(normalized('foo/bar/baz'), 'docker.io/foo/bar/baz:latest');
  });

  test('a first component with a dot, a port or localhost is a registry', () => {
    assert.equal(normalized('localhost/x'), 'localhost/x:latest');
    assert.equal(normalized('localhost:5000/x'), 'localhost:5000/x:latest');
    assert.equal(normalized('127.0.0.1:5000/a/b:v1'), '127.0.0.1:5000/a/b:v1');
    assert.equal(normalized('quay.io/coreos/etcd'), 'quay.io/coreos/etcd:latest');
    assert.equal(normalized('example.com:443/x'), 'example.com:443/x:latest');
    assert.equal(normalized('[::1]:5000/x'), '[::1]:5000/x:latest');
    // no dot, no port, lower case: a Docker Hub user
    assert.equal(normalized('myhost/x'), 'docker.io/myhost/x:latest');
    // an upper-case first component is a host (Docker's rule)
    assert.equal(normalized('Registry/x'), 'Registry/x:latest');
    const r = parseNormalizedReference('localhost:5000/x:1');
    assert.deepEqual(r, { domain: 'localhost:5000', path: 'x', tag: '1' });
  });

  test('digests, and a tag with a digest', () => {
    const d = parseNormalizedReference(`busybox@${DIGEST}`);
    assert.deepEqual(d, { domain: 'docker.io', path: 'library/busybox', digest: DIGEST });
    assert.equal(referenceString(withDefaultTag(d)), `docker.io/library/busybox@${DIGEST}`, 'no :latest with a digest');
    const both = parseNormalizedReference(`localhost:5000/x:1.0@${DIGEST}`);
    assert.deepEqual(both, { domain: 'localhost:5000', path: 'x', tag: '1.0', digest: DIGEST });
    assert.equal(familiarString(both), `localhost:5000/x:1.0@${DIGEST}`);
  });

  test('separators and tags as the grammar allows', () => {
    assert.equal(normalized('a_b/c__d/e-f---g/h.i:T_a-g.1'), 'docker.io/a_b/c__d/e-f---g/h.i:T_a-g.1');
    assert.equal(normalized(`x:${'t'.repeat(128)}`), `docker.io/library/x:${'t'.repeat(128)}`);
  });

  test('invalid references are refused with Docker\'s words', () => {
    refused('', 'invalid reference format');
    refused('Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase');
    refused('localhost:5000/Foo:tag', 'invalid reference format: repository name (Foo) must be lowercase');
    refused('busy box', 'invalid reference format');
    refused('busybox:', 'invalid reference format');
    refused('busybox:-tag', 'invalid reference format');
    refused(`x:${'t'.repeat(129)}`, 'invalid reference format');
    refused('-busybox', 'invalid reference format');
    refused('a//b', 'invalid reference format');
    refused('a/b/', 'invalid reference format');
    refused('busybox@sha256:abc', 'invalid reference format');
    refused(`busybox@sha256:${'a'.repeat(31)}`, 'invalid reference format');
    refused(`busybox@sha256:${'a'.repeat(63)}`, 'invalid reference format: invalid checksum digest length');
    refused(`busybox@sha256:${'a'.repeat(65)}`, 'invalid reference format: invalid checksum digest length');
    refused(`busybox@sha256:${'A'.repeat(64)}`, 'invalid reference format: invalid checksum digest format');
    refused(`busybox@md5:${'a'.repeat(32)}`, 'invalid reference format: unsupported digest algorithm');
    refused(HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`);
    refused(`localhost/${'a'.repeat(250)}`, /must not be more than 255 characters/);
  });

  test('parseReference (not normalised) wants a domain', () => {
    assert.deepEqual(parseReference('docker.io/library/busybox:1'), { domain: 'docker.io', path: 'library/busybox', tag: '1' });
    assert.throws(() => parseReference('busybox'), /repository name must be canonical/);
    assert.deepEqual(parseReference('UPPER/x'), { domain: 'UPPER', path: 'x' }, 'an upper-case host is a host');
    assert.throws(() => parseReference('docker.io/UPPER'), /repository name must be lowercase/);
  });

  test('familiar forms drop docker.io and library/', () => {
    const f = (s: string): string => familiarString(withDefaultTag(parseNormalizedReference(s)));
    assert.equal(f('busybox'), 'busybox:latest');
    assert.equal(f('docker.io/library/busybox:1'), 'busybox:1');
    assert.equal(f('docker.io/foo/bar'), 'foo/bar:latest');
    assert.equal(f('docker.io/library/a/b'), 'library/a/b:latest');
    assert.equal(f('localhost:5000/x'), 'localhost:5000/x:latest');
    assert.equal(familiarName({ domain: 'docker.io', path: 'library/busybox' }), 'busybox');
  });

  test('tags, IDs and registry hosts', () => {
    assert.equal(validateTag('v1.0_rc-1'), 'v1.0_rc-1');
    assert.throws(() => validateTag('.v1'), /invalid tag format/);
    assert.equal(looksLikeImageId('4e88a32deeb3'), true);
    assert.equal(looksLikeImageId(`sha256:${HEX}`), true);
    assert.equal(looksLikeImageId('busybox'), false);
    assert.equal(looksLikeImageId('abc'), false);
    assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryHost('localhost:5000'), 'localhost:5000');
  });
});
