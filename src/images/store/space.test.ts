import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { MobyDickError } from '../../errors.js';
import { formatBytes, parseSize, SpaceGuard, storeLimits, storeSpace } from './space.js';

describe('store limits', () => {
  test('sizes and percentages from the environment; bad ones are refused by name', () => {
    assert.equal(parseSize('512m'), 512 << 20);
    assert.equal(parseSize('2G'), 2 * 1024 ** 3);
    assert.equal(parseSize('1.5k'), 1536);
    assert.equal(parseSize('100'), 100);
    assert.equal(parseSize('lots'), undefined);
    assert.equal(parseSize('-1'), undefined);
    assert.deepEqual(storeLimits({}), { reserve: undefined, maxLayerBytes: Infinity });
    assert.deepEqual(storeLimits({ MOBY_DICK_STORE_RESERVE: '10%', MOBY_DICK_MAX_LAYER_SIZE: '20g' }), { reserve: { fraction: 0.1 }, maxLayerBytes: 20 * 1024 ** 3 });
    assert.deepEqual(storeLimits({ MOBY_DICK_STORE_RESERVE: '0' }).reserve, { bytes: 0 });
    for (const env of [{ MOBY_DICK_STORE_RESERVE: 'lots' }, { MOBY_DICK_STORE_RESERVE: '101%' }, { MOBY_DICK_MAX_LAYER_SIZE: '0' }, { MOBY_DICK_MAX_LAYER_SIZE: '5%' }]) {
      assert.throws(() => storeLimits(env), (e: unknown) => e instanceof MobyDickError && e.code === 'INVALID_CONFIG' && e.message.startsWith(Object.keys(env)[0]!));
    }
    assert.equal(formatBytes(900), '900 bytes');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(10 * 1024 ** 4), '10 TiB');
  });

  test('the default reserve is the smaller of 1 GiB and 5% of the filesystem', () => {
    const st = statfsSync('/tmp');
    const size = st.blocks * st.bsize;
    assert.equal(storeSpace('/tmp', { reserve: undefined, maxLayerBytes: Infinity }).reserve, Math.min(1024 ** 3, Math.floor(size * 0.05)));
    assert.equal(storeSpace('/tmp', { reserve: { fraction: 0.5 }, maxLayerBytes: Infinity }).reserve, Math.floor(size * 0.5));
  });

  test('a guard stops a write past its largest size, or one that would eat into the reserve; none with a reserve of 0', () => {
    const none = { reserve: { bytes: 0 }, maxLayerBytes: Infinity };
    const capped = new SpaceGuard('/tmp', none, 'unpacking it', 10 << 20);
    capped.add(10 << 20);
    assert.throws(() => capped.add(1), /^MobyDickError: unpacking it: more than 10 MiB \(MOBY_DICK_MAX_LAYER_SIZE\)$/);
    const { available } = storeSpace('/tmp', none);
    // all the space there is, and then some, as the reserve
    const reserved = new SpaceGuard('/tmp', { reserve: { bytes: available + (1 << 30) }, maxLayerBytes: Infinity }, 'downloading it');
    assert.throws(() => reserved.check(5 << 20), (e: unknown) => e instanceof MobyDickError && e.code === 'STORE' && /^downloading it: 5 MiB do not fit: the image store's filesystem \(\/tmp\) has .* free, and keeps a reserve of /.test(e.message));
    // a write is looked at from its first chunk on
    const fresh = new SpaceGuard('/tmp', { reserve: { bytes: available + (1 << 30) }, maxLayerBytes: Infinity }, 'downloading it');
    assert.throws(() => fresh.add(1), /downloading it: stopped after 1 bytes/);
    new SpaceGuard('/tmp', none, 'unpacking it').check(Number.MAX_SAFE_INTEGER);
  });
});
