import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { parseFlags, takeExplainFlag } from './context.js';

describe('takeExplainFlag', () => {
  test('--explain and --explain=text|full|json are taken out; the rest is left for runc\'s strict parsing', () => {
    assert.deepEqual(takeExplainFlag(['--explain', 'id']), { argv: ['id'], format: 'text' });
    assert.deepEqual(takeExplainFlag(['id', '--explain=full']), { argv: ['id'], format: 'full' });
    assert.deepEqual(takeExplainFlag(['--explain=json', '--bundle', 'b', 'id']), { argv: ['--bundle', 'b', 'id'], format: 'json' });
    assert.deepEqual(takeExplainFlag(['id']), { argv: ['id'] });
    // after "--" it is the container's argument
    assert.deepEqual(takeExplainFlag(['id', '--', '--explain']), { argv: ['id', '--', '--explain'] });
    assert.throws(() => takeExplainFlag(['--explain=yaml', 'id']), (e: unknown) => e instanceof MobyDickError && /give full, json or text/.test(e.message));
  });

  test('start stays strict: any other flag is refused as runc refuses it', () => {
    const { argv } = takeExplainFlag(['--explain', '--detach', 'id']);
    assert.throws(() => parseFlags('start', argv, {}, { min: 1, max: 1, names: 'exactly one container id' }), MobyDickError);
    assert.throws(() => parseFlags('start', ['--explainx', 'id'], {}, { min: 1, max: 1, names: 'exactly one container id' }), MobyDickError);
  });
});
