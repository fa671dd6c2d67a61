import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from './args.js';
import { explainRequest } from './foreground.js';
import { RUN_OPTIONS } from './run-options.js';

test('--explain is the short text, --explain=full every step, --explain=json json, other values refused', () => {
  const parse = (argv: string[]) => explainRequest('original form', parseCommandLine(argv, RUN_OPTIONS, 'moby-dick --help').values.explain);
  assert.deepEqual(parse(['--explain', 'ls']), { form: 'original form', format: 'text' });
  assert.deepEqual(parse(['--explain=json', 'ls']), { form: 'original form', format: 'json' });
  assert.deepEqual(parse(['--explain=full', 'ls']), { form: 'original form', format: 'full' });
  assert.equal(parse(['ls']), undefined);
  assert.equal(parse(['ls', '--explain']), undefined, 'a flag after the command is the command\'s');
  assert.throws(() => parse(['--explain=yaml', 'ls']), /invalid argument "yaml" for "--explain" flag/);
});
