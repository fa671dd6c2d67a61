import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JAIL_CAPABILITIES } from '../helper/config.js';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../linux/capabilities.js';
import { defaultSeccompProfile, seccompProfileKey } from '../spec/seccomp-profile.js';
import { compileSeccomp } from './seccomp.js';
import { PREBUILT_SECCOMP, prebuildSeccomp, prebuiltSeccomp } from './seccomp-prebuilt.js';

describe('the default seccomp profile compiled at build time', () => {
  test('the key changes exactly when the profile does: every capability added to or taken from the defaults', () => {
    for (const base of [DOCKER_DEFAULT_CAPABILITIES, JAIL_CAPABILITIES, [] as const]) {
      const profile = JSON.stringify(defaultSeccompProfile(base));
      for (const cap of CAPABILITIES) {
        const other = base.includes(cap) ? base.filter((c) => c !== cap) : [...base, cap];
        const changed = JSON.stringify(defaultSeccompProfile(other)) !== profile;
        assert.equal(seccompProfileKey(other) !== seccompProfileKey(base), changed, `${cap} ${changed ? 'changes' : 'does not change'} the profile`);
      }
    }
  });

  test('the key is the capabilities that decide, in any order and repeated', () => {
    assert.equal(seccompProfileKey(DOCKER_DEFAULT_CAPABILITIES), 'CAP_SYS_CHROOT');
    assert.equal(seccompProfileKey(['CAP_SYS_TIME', 'CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_SYS_TIME']), 'CAP_SYS_ADMIN,CAP_SYS_TIME');
    assert.equal(seccompProfileKey([]), '');
  });

  test("Docker's and the jail's default capabilities share one program, the profile compiled", () => {
    const table = prebuildSeccomp();
    assert.deepEqual(Object.keys(table), [seccompProfileKey(JAIL_CAPABILITIES)]);
    const compiled = compileSeccomp(defaultSeccompProfile(JAIL_CAPABILITIES));
    assert.deepEqual(prebuiltSeccomp(JAIL_CAPABILITIES, table), compiled);
    assert.deepEqual(prebuiltSeccomp(DOCKER_DEFAULT_CAPABILITIES, table), compiled);
  });

  test('other capabilities are not served from the table: their profile differs', () => {
    const table = prebuildSeccomp();
    assert.equal(prebuiltSeccomp([...JAIL_CAPABILITIES, 'CAP_SYS_ADMIN'], table), undefined);
    assert.equal(prebuiltSeccomp(JAIL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'), table), undefined);
    assert.equal(prebuiltSeccomp([], table), undefined);
    assert.equal(prebuiltSeccomp(JAIL_CAPABILITIES, { ['toString']: table[seccompProfileKey(JAIL_CAPABILITIES)]! }), undefined);
  });

  test('without the build (these modules as tsc compiled them) the table is empty', () => {
    assert.deepEqual(PREBUILT_SECCOMP, {});
    assert.equal(prebuiltSeccomp(JAIL_CAPABILITIES), undefined);
  });
});
