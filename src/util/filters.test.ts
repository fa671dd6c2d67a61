import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { boolFilter, filtersFromOptions, labelsLack, labelsMatch, untilSeconds } from './filters.js';

const usage = (re: RegExp) => (e: unknown): boolean => e instanceof MobyDickError && e.code === 'USAGE' && re.test(e.message);

test('--filter KEY=VALUE options: values of a key gathered in order, label! its own key, the value may hold "="', () => {
  const f = filtersFromOptions(['label=a=b', 'dangling=true', 'label=c', 'label!=d'], ['label', 'label!', 'dangling']);
  assert.deepEqual([...f], [['label', ['a=b', 'c']], ['dangling', ['true']], ['label!', ['d']]]);
  assert.equal(filtersFromOptions([], ['label']).size, 0);
});

test("--filter: Docker's words for a key it does not know and for a filter without =", () => {
  assert.throws(() => filtersFromOptions(['colour=red'], ['label']), usage(/^invalid filter 'colour'$/));
  assert.throws(() => filtersFromOptions(['dangling'], ['dangling']), usage(/^bad format of filter \(expected name=value\): dangling$/));
  assert.throws(() => filtersFromOptions(['=x'], ['label']), usage(/bad format of filter/));
});

test('the shared matchers refuse with a USAGE error (a 400 on the API, exit 125 on the CLI)', () => {
  assert.throws(() => boolFilter(new Map([['dangling', ['maybe']]]), 'dangling'), usage(/^invalid filter 'dangling=maybe'$/));
  assert.throws(() => boolFilter(new Map([['dangling', ['1', 'false']]]), 'dangling'), usage(/^invalid filter 'dangling': both true and false$/));
  assert.throws(() => untilSeconds('soon'), usage(/^invalid filter 'until=soon'/));
  assert.ok(labelsMatch({ a: 'b' }, ['a=b']) && labelsLack({ a: 'b' }, ['a=c']));
});
