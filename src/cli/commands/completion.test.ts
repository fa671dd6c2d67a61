/** `moby-dick completion SHELL`: the script of each shell from the registry's commands; another shell is refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../registry.js';
import { command } from './completion.js';
import { stdoutOf } from '../capture-stdout.js';

test('completion bash|zsh|fish prints the shell script of the registry; another shell is a usage error', async () => {
  const bash = await stdoutOf(() => command.run(['bash']));
  assert.equal(bash.code, 0);
  assert.match(bash.out, /\ncomplete -o bashdefault -o default -F _moby_dick moby-dick\n$/);
  assert.match(bash.out, /\n {4}rm\) echo --force -f --help -h --volumes -v ;;\n/);
  assert.match((await stdoutOf(() => command.run(['zsh']))).out, /^#compdef moby-dick\n/);
  assert.match((await stdoutOf(() => command.run(['fish']))).out, /\ncomplete -c moby-dick -f -n '__moby_dick_at \\'\\'' -a 'completion' -d /);
  await assert.rejects(command.run(['ksh']), /unsupported shell "ksh": bash, zsh or fish/);
  await assert.rejects(command.run([]), /requires exactly 1 argument/);
});
