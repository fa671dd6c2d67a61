import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { interpret } from './container.js';

describe('interpret (how a container ended)', () => {
  const helper = { code: 0, signal: -1 };

  test('a signal that ended pid 1 is named, as 128+N', () => {
    assert.deepEqual(interpret([{ kind: 'signal', signal: 9 }], helper), { exitCode: 137, signal: 'SIGKILL' });
  });

  test('under an init, 128+N is the signal that ended the command', () => {
    assert.deepEqual(interpret([{ kind: 'exit', code: 143 }], helper, true), { exitCode: 143, signal: 'SIGTERM' });
    assert.deepEqual(interpret([{ kind: 'exit', code: 3 }], helper, true), { exitCode: 3 });
    assert.deepEqual(interpret([{ kind: 'exit', code: 128 }], helper, true), { exitCode: 128 });
  });

  test('without an init, an exit code is only a code', () => {
    assert.deepEqual(interpret([{ kind: 'exit', code: 143 }], helper), { exitCode: 143 });
  });
});
