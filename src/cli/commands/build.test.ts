import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forwardedBuild } from './build.js';

test('the service runs an ordinary build command line for the launcher', () => {
  for (const argv of [['.'], ['-q', '--network', 'none', '-t', 'x', '/ctx'], ['/ctx', '--no-cache', '--build-arg', 'A'], ['-f', 'sub/Dockerfile', '--progress=plain', 'ctx']]) {
    assert.equal(typeof forwardedBuild(argv), 'function', argv.join(' '));
  }
});

test('what needs the client itself is left to it: stdin, --help, the TTY view, a command line that does not parse', () => {
  for (const argv of [['-'], ['-f', '-', '.'], ['--help'], ['-h', '.'], ['--progress', 'tty', '.'], [], ['a', 'b'], ['--no-such-flag', '.'], ['-t']]) {
    assert.equal(forwardedBuild(argv), undefined, argv.join(' '));
  }
});
