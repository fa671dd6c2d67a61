import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { parseCommandLine } from './args.js';
import { RUN_OPTIONS } from './run-options.js';

const parse = (argv: string[]) => parseCommandLine(argv, RUN_OPTIONS, 'moby-dick --help');

test('options stop at the first operand; the rest belongs to the command', () => {
  const { values, operands } = parse(['-e', 'A=1', '--hostname', 'h', 'ls', '-la', '--hostname', 'x']);
  assert.deepEqual(values.env, ['A=1']);
  assert.equal(values.hostname, 'h');
  assert.deepEqual(operands, ['ls', '-la', '--hostname', 'x']);
});

test('short flags combine, -e repeats, --opt=value works, -- ends options', () => {
  const { values, operands } = parse(['-it', '-e', 'A=1', '--env=B=2', '--', '-x']);
  assert.equal(values.tty, true);
  assert.equal(values.interactive, true);
  assert.deepEqual(values.env, ['A=1', 'B=2']);
  assert.deepEqual(operands, ['-x']);
});

test('an option value that looks like a command is taken as the value', () => {
  assert.deepEqual(parse(['-w', 'ls', 'pwd']).operands, ['pwd']);
  assert.equal(parse(['-w', 'ls', 'pwd']).values.workdir, 'ls');
});

test('no operands is fine for the parser', () => {
  assert.deepEqual(parse(['--init']).operands, []);
});

test('an unknown flag is a usage error in Docker\'s words', () => {
  assert.throws(() => parse(['--bogus', 'ls']), (e: unknown) => {
    assert.ok(e instanceof MobyDickError);
    assert.equal(e.code, 'USAGE');
    assert.equal(e.message, 'unknown flag: --bogus');
    assert.equal(e.details.hint, "see 'moby-dick --help'");
    return true;
  });
});

test('a flag without its value says so', () => {
  assert.throws(() => parse(['--hostname']), /flag needs an argument: --hostname/);
});
