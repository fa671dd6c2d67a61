import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DurationError, formatGoDuration, parseGoDuration } from './go-duration.js';

describe("Go's durations", () => {
  test('parsed as time.ParseDuration: units, fractions, sums, sign, bare 0', () => {
    assert.equal(parseGoDuration('30s'), 30e9);
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('500ms'), 5e8);
    assert.equal(parseGoDuration('.5s'), 5e8);
    assert.equal(parseGoDuration('2us'), 2000);
    assert.equal(parseGoDuration('2µs'), 2000);
    assert.equal(parseGoDuration('7ns'), 7);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('-2s'), -2e9);
    assert.equal(parseGoDuration('+1h1m1s'), 3661e9);
  });

  test("refused in Go's words", () => {
    const refused = (text: string, message: string): void =>
      assert.throws(() => parseGoDuration(text), (e: unknown) => e instanceof DurationError && e.message === message);
    refused('abc', 'time: invalid duration "abc"');
    refused('', 'time: invalid duration ""');
    refused('10', 'time: missing unit in duration "10"');
    refused('5x', 'time: unknown unit "x" in duration "5x"');
    refused('1s2', 'time: missing unit in duration "1s2"');
    refused('-', 'time: invalid duration "-"');
    refused('.s', 'time: invalid duration ".s"');
  });

  test('printed as Duration.String', () => {
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(formatGoDuration(30e9), '30s');
    assert.equal(formatGoDuration(90e9), '1m30s');
    assert.equal(formatGoDuration(3600e9), '1h0m0s');
    assert.equal(formatGoDuration(1.5e9), '1.5s');
    assert.equal(formatGoDuration(5e8), '500ms');
    assert.equal(formatGoDuration(1500), '1.5µs');
    assert.equal(formatGoDuration(12), '12ns');
    assert.equal(formatGoDuration(-2e9), '-2s');
  });
});
