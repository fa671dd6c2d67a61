import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from './errors.js';

test('instanceof recognises a MobyDickError from another copy of the module (another bundle)', () => {
  const mine = new MobyDickError('IMAGE', 'No such image: x');
  assert.ok(mine instanceof MobyDickError);
  // what a second bundle's copy of the class makes: another class, the same brand
  const other = Object.defineProperty(new Error('from another bundle'), Symbol.for('moby-dick.MobyDickError'), { value: true });
  assert.ok(other instanceof MobyDickError);
  assert.ok(!(new Error('plain') instanceof MobyDickError));
  assert.ok(!((null as unknown as object) instanceof MobyDickError));
  assert.equal(mine.exitCode, 125);
});
