import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusOf } from './errors.js';
import { boolFilter, filtersOf, globRegExp, labelsLack, labelsMatch, queryBool } from './filter-match.js';

const q = (filters: unknown): URLSearchParams => new URLSearchParams({ filters: JSON.stringify(filters) });
// an ApiError of the endpoint's own, or the shared matchers' USAGE error (util/filters.ts): a 400 either way
const is400 = (e: unknown): boolean => statusOf(e) === 400;

test("filters: the map form clients send and the older list form, the same; an unknown filter or bad JSON is a 400", () => {
  assert.deepEqual([...filtersOf(q({ label: { 'a=b': true, c: true, off: false } }), ['label'])], [['label', ['a=b', 'c']]]);
  assert.deepEqual([...filtersOf(q({ label: ['a=b', 'c'] }), ['label'])], [['label', ['a=b', 'c']]]);
  assert.equal(filtersOf(new URLSearchParams(), ['label']).size, 0);
  assert.equal(filtersOf(new URLSearchParams({ filters: '' }), ['label']).size, 0);
  assert.throws(() => filtersOf(q({ nope: ['x'] }), ['label']), (e: unknown) => is400(e) && /invalid filter 'nope'/.test((e as Error).message));
  assert.throws(() => filtersOf(new URLSearchParams({ filters: '{' }), ['label']), is400);
  assert.throws(() => filtersOf(q(['label']), ['label']), is400);
  assert.throws(() => filtersOf(q({ label: 'x' }), ['label']), is400);
});

test('boolean filters take true/1 and false/0; anything else, or both, is a 400', () => {
  const f = (v: string[]) => filtersOf(q({ dangling: v }), ['dangling']);
  assert.equal(boolFilter(f(['true']), 'dangling'), true);
  assert.equal(boolFilter(f(['1']), 'dangling'), true);
  assert.equal(boolFilter(f(['false']), 'dangling'), false);
  assert.equal(boolFilter(f([]), 'dangling'), undefined);
  assert.equal(boolFilter(new Map(), 'dangling'), undefined);
  assert.throws(() => boolFilter(f(['maybe']), 'dangling'), is400);
  assert.throws(() => boolFilter(f(['true', 'false']), 'dangling'), is400);
});

test('labels: every KEY or KEY=VALUE must match; label! none', () => {
  assert.ok(labelsMatch({ a: 'b', c: '' }, ['a', 'a=b', 'c']));
  assert.ok(!labelsMatch({ a: 'b' }, ['a=c']));
  assert.ok(!labelsMatch(null, ['a']));
  assert.ok(labelsMatch(null, []));
  assert.ok(labelsLack({ a: 'b' }, ['c', 'a=c']));
  assert.ok(!labelsLack({ a: 'b' }, ['a']));
});

test('globs as path.Match: * and ? stay within a segment, classes, escapes', () => {
  assert.ok(globRegExp('busybox:*').test('busybox:latest'));
  assert.ok(!globRegExp('*').test('127.0.0.1:5000/x'));
  assert.ok(globRegExp('*/mdk-test/*').test('127.0.0.1:5000/mdk-test/busybox:1'));
  assert.ok(globRegExp('b?sybox').test('busybox'));
  assert.ok(globRegExp('[a-c]usybox').test('busybox'));
  assert.ok(!globRegExp('[!b]usybox').test('busybox'));
  assert.ok(globRegExp('a.b').test('a.b') && !globRegExp('a.b').test('axb'));
  assert.throws(() => globRegExp('[abc'), is400);
});

test('query flags: 1 and true are set; 0, false, empty and absent are not', () => {
  const p = new URLSearchParams('a=1&b=true&c=0&d=false&e=&f=True');
  assert.deepEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => queryBool(p, k)), [true, true, false, false, false, true, false]);
});
