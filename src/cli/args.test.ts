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
    assert.equal(e.code, 'FLAG');
    assert.equal(e.message, 'unknown flag: --bogus');
    assert.equal(e.details.hint, "see 'moby-dick --help'");
    return true;
  });
});

test('a flag without its value says so', () => {
  assert.throws(() => parse(['--hostname']), /flag needs an argument: --hostname/);
});

const LOGS = { follow: { type: 'boolean', short: 'f' }, tail: { type: 'string', short: 'n' }, format: { type: 'string' }, filter: { type: 'string', short: 'f', multiple: true } } as const;
const LOG_OPTIONS = { follow: LOGS.follow, tail: LOGS.tail, format: LOGS.format };
const anywhere = (argv: string[]) => parseCommandLine(argv, LOG_OPTIONS, 'moby-dick logs --help', 'interspersed');

test('interspersed: flags after operands are flags, as Docker reads `logs web -f`', () => {
  const { values, operands } = anywhere(['web', '-f', '--tail', '5', 'db', '--format=X']);
  assert.equal(values.follow, true);
  assert.equal(values.tail, '5');
  assert.equal(values.format, 'X');
  assert.deepEqual(operands, ['web', 'db']);
});

test('interspersed: -- ends the flags; a lone - is an operand', () => {
  const { values, operands } = anywhere(['-', '--', '-f', '--tail']);
  assert.equal(values.follow, undefined);
  assert.deepEqual(operands, ['-', '-f', '--tail']);
});

test('leading (run, exec, the original form): the same flags after the first operand belong to the command', () => {
  const { values, operands } = parseCommandLine(['web', '-f'], LOG_OPTIONS, 'moby-dick exec --help', 'leading');
  assert.equal(values.follow, undefined);
  assert.deepEqual(operands, ['web', '-f']);
  // the default, for the OCI runtime's callers
  assert.deepEqual(parseCommandLine(['web', '-f'], LOG_OPTIONS, 'h').operands, ['web', '-f']);
});

test('a value that starts with a dash is the value, as Go\'s pflag takes `-t -1`', () => {
  assert.equal(anywhere(['--tail', '-1', 'web']).values.tail, '-1');
  assert.equal(anywhere(['-n', '-1', 'web']).values.tail, '-1');
});

test('flag errors are FLAG errors in Docker\'s words (exit 125), wherever the flag is', () => {
  const check = (argv: string[], message: string) =>
    assert.throws(() => anywhere(argv), (e: unknown) => {
      assert.ok(e instanceof MobyDickError);
      assert.equal(e.code, 'FLAG');
      assert.equal(e.exitCode, 125);
      assert.equal(e.message, message);
      assert.equal(e.details.hint, "see 'moby-dick logs --help'");
      return true;
    });
  check(['web', '--bogus'], 'unknown flag: --bogus');
  check(['web', '-t', '5'], "unknown shorthand flag: 't' in -t");
  check(['web', '--tail'], 'flag needs an argument: --tail');
  check(['web', '-n'], "flag needs an argument: 'n' in -n");
  check(['web', '--follow=maybe'], 'invalid argument "maybe" for "-f, --follow" flag: give true or false');
});

test('a boolean flag takes =true and =false, as Go\'s', () => {
  assert.equal(anywhere(['--follow=false', 'web']).values.follow, false);
  assert.equal(anywhere(['--follow=true', 'web']).values.follow, true);
});

test('repeated flags collect, in order, wherever they are', () => {
  const { values } = parseCommandLine(['-f', 'a=1', 'x', '--filter', 'b=2'], { filter: LOGS.filter }, 'h', 'interspersed');
  assert.deepEqual(values.filter, ['a=1', 'b=2']);
});
