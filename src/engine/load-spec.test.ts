/**
 * The engine hands the runtime the spec it built, not parsed again
 * (oci/lifecycle.ts loadSpec): the rules across fields (oci/spec-rules.ts) apply to
 * it all the same, so a sysctl the engine were given could not reach the
 * host's kernel either.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSpec, RUN_DEFAULTS } from '../spec/spec-builder.js';
import { loadSpec } from '../oci/lifecycle.js';

describe('loadSpec of a spec its caller built', () => {
  const spec = () =>
    buildSpec({
      ...RUN_DEFAULTS,
      seccomp: 'unconfined',
      id: 'mdk-test-given',
      rootfs: '/tmp/mdk-test-given',
      argv: ['true'],
      env: [],
      cwd: '/',
      user: { uid: 0, gid: 0, additionalGids: [] },
      hostname: 'mdk-test-given',
      cgroupsPath: '/moby-dick/mdk-test-given',
    });

  test('is accepted as it is', async () => {
    const given = spec();
    assert.equal((await loadSpec('/nonexistent/mdk-test-bundle', undefined, given)).spec, given);
  });

  test('a sysctl that is not namespaced is refused, as from a config.json', async () => {
    const given = spec();
    given.linux!.sysctl = { 'kernel.core_pattern': 'core' };
    await assert.rejects(loadSpec('/nonexistent/mdk-test-bundle', undefined, given), /config\.json: linux\.sysctl\.kernel\.core_pattern: not namespaced/);
    const hostNet = spec();
    hostNet.linux!.namespaces = hostNet.linux!.namespaces!.filter((n) => n.type !== 'network');
    hostNet.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    await assert.rejects(loadSpec('/nonexistent/mdk-test-bundle', undefined, hostNet), /linux\.sysctl\.net\.ipv4\.ip_forward: needs a network namespace/);
  });
});
