import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bytesSize, goTimeString, humanDuration, humanSize, table } from './human-units.js';

describe('Docker CLI formatting', () => {
  test('sizes in powers of 1000, three significant digits', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1000), '1kB');
    assert.equal(humanSize(4_261_550), '4.26MB');
    assert.equal(humanSize(123_456_789), '123MB');
    assert.equal(humanSize(1_240_000_000), '1.24GB');
    assert.equal(humanSize(4_261_550, 4), '4.262MB');
  });

  test('binary sizes as go-units BytesSize: powers of 1024, four significant digits', () => {
    assert.equal(bytesSize(0), '0B');
    assert.equal(bytesSize(1023), '1023B');
    assert.equal(bytesSize(1024), '1KiB');
    assert.equal(bytesSize(1_597_000), '1.523MiB');
    assert.equal(bytesSize(64 * 1024 * 1024), '64MiB');
    assert.equal(bytesSize(25_275_658_240), '23.54GiB');
  });

  test('durations as go-units says them', () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(59_000), '59 seconds');
    assert.equal(humanDuration(60_000), 'About a minute');
    assert.equal(humanDuration(45 * 60_000), '45 minutes');
    assert.equal(humanDuration(3_600_000), 'About an hour');
    assert.equal(humanDuration(5 * 3_600_000), '5 hours');
    assert.equal(humanDuration(3 * 86_400_000), '3 days');
    assert.equal(humanDuration(20 * 86_400_000), '2 weeks');
    assert.equal(humanDuration(90 * 86_400_000), '3 months');
    assert.equal(humanDuration(800 * 86_400_000), '2 years');
    assert.equal(goTimeString(new Date('2023-07-18T23:19:33.5Z')), '2023-07-18 23:19:33 +0000 UTC');
    assert.equal(goTimeString(new Date('2023-07-18T23:19:33.440Z'), true), '2023-07-18 23:19:33.44 +0000 UTC', 'fractions as Go prints them');
    assert.equal(goTimeString(new Date('2023-07-18T23:19:33.000Z'), true), '2023-07-18 23:19:33 +0000 UTC');
  });

  test('tables pad columns by three spaces, at least 10 wide (Docker\'s tabwriter)', () => {
    assert.equal(table([['REPOSITORY', 'TAG'], ['busybox', 'latest']]), 'REPOSITORY   TAG\nbusybox      latest\n');
    assert.equal(table([['NAME', 'TAG'], ['x', 'y']]), 'NAME      TAG\nx         y\n');
  });
});
