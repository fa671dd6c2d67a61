import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { HANDOVER_ENV, HANDOVER_MEMFD, takeStartHandover } from './start-handover.js';

describe('start hand-over', () => {
  test('the launcher names the variable and the memfd as TypeScript does (native/launcher/fast.h)', () => {
    const header = readFileSync(new URL('../../../../native/launcher/fast.h', import.meta.url), 'utf8');
    assert.match(header, new RegExp(`^#define FAST_HANDOVER_ENV "${HANDOVER_ENV}"$`, 'm'));
    assert.match(header, new RegExp(`^#define FAST_HANDOVER_MEMFD "${HANDOVER_MEMFD}"$`, 'm'));
  });

  test('no variable, no report', () => {
    assert.equal(takeStartHandover({}), undefined);
  });

  test('a variable that names no memfd of the launcher is refused, and taken out of the environment', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      for (const text of ['x', '1', String(fd)]) {
        const env: NodeJS.ProcessEnv = { [HANDOVER_ENV]: text };
        assert.throws(() => takeStartHandover(env), (e: unknown) => e instanceof MobyDickError && /is not the launcher's report/.test(e.message));
        assert.equal(env[HANDOVER_ENV], undefined);
      }
    } finally {
      closeSync(fd);
    }
  });
});
