import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeRoot } from '../images/store/image-store.js';
import { runRoot } from './paths.js';

describe('the rootless store and run root', () => {
  test('an ordinary user\'s default store is under $XDG_DATA_HOME, its run root under $XDG_RUNTIME_DIR; MOBY_DICK_ROOT still wins', async () => {
    const env = { XDG_DATA_HOME: '/d', XDG_RUNTIME_DIR: '/r', HOME: '/h' };
    if (process.geteuid!() === 0) {
      assert.equal(storeRoot(env), '/var/lib/moby-dick');
      assert.equal(runRoot(storeRoot(env), env), '/run/moby-dick/engine');
    } else {
      assert.equal(storeRoot(env), '/d/moby-dick');
      assert.equal(runRoot(storeRoot(env), env), '/r/moby-dick/engine');
    }
    assert.equal(storeRoot({ ...env, MOBY_DICK_ROOT: '/s' }), '/s');
    assert.equal(runRoot('/s', { ...env, MOBY_DICK_ROOT: '/s' }), '/s/run');
  });
});
