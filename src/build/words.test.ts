import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandPairs, expandWord, splitWords } from './words.js';

const vars = new Map([
  ['A', 'one'],
  ['EMPTY', ''],
  ['SP', 'two words'],
]);

describe('expandWord (Docker environment replacement)', () => {
  test('plain, braced and missing variables', () => {
    assert.equal(expandWord('$A', vars), 'one');
    assert.equal(expandWord('${A}x', vars), 'onex');
    assert.equal(expandWord('$Ax', vars), '');
    assert.equal(expandWord('a$MISSING-b', vars), 'a-b');
    assert.equal(expandWord('cost $5', vars), 'cost $5');
  });
  test(':- and - defaults', () => {
    assert.equal(expandWord('${MISSING:-dflt}', vars), 'dflt');
    assert.equal(expandWord('${EMPTY:-dflt}', vars), 'dflt');
    assert.equal(expandWord('${EMPTY-dflt}', vars), '');
    assert.equal(expandWord('${A:-dflt}', vars), 'one');
    assert.equal(expandWord('${MISSING:-$A}', vars), 'one');
  });
  test(':+ and + alternatives', () => {
    assert.equal(expandWord('${A:+alt}', vars), 'alt');
    assert.equal(expandWord('${EMPTY:+alt}', vars), '');
    assert.equal(expandWord('${EMPTY+alt}', vars), 'alt');
    assert.equal(expandWord('${MISSING+alt}', vars), '');
  });
  test(':? fails on an unset variable', () => {
    assert.throws(() => expandWord('${MISSING:?need it}', vars), /MISSING: need it/);
    assert.equal(expandWord('${A:?x}', vars), 'one');
  });
  test('quotes and escapes', () => {
    assert.equal(expandWord("'$A'", vars), '$A');
    assert.equal(expandWord('"$A and \\$A"', vars), 'one and $A');
    assert.equal(expandWord('\\$A', vars), '$A');
    assert.equal(expandWord('"a\\b"', vars), 'a\\b');
    assert.equal(expandWord('`$A', vars, '`'), '$A');
    assert.throws(() => expandWord('"open', vars), /double-quote/);
  });
  test('the names read are reported', () => {
    const used = new Set<string>();
    expandWord('$A ${B:-x}', vars, '\\', used);
    assert.deepEqual([...used], ['A', 'B']);
  });
});

describe('splitWords and expandPairs', () => {
  test('whitespace outside quotes splits; quotes stay in the words', () => {
    assert.deepEqual(splitWords('a "b c" d\\ e'), ['a', '"b c"', 'd\\ e']);
  });
  test('KEY=VALUE pairs and the legacy form', () => {
    assert.deepEqual(expandPairs('X=$A Y="$SP" Z=a\\ b', vars), [['X', 'one'], ['Y', 'two words'], ['Z', 'a b']]);
    assert.deepEqual(expandPairs('KEY value with  spaces', vars), [['KEY', 'value with  spaces']]);
    assert.deepEqual(expandPairs('NAME OTHER=1', vars, '\\', true), [['NAME', undefined], ['OTHER', '1']]);
    assert.throws(() => expandPairs('ONLY', vars), /missing a value/);
  });
});
