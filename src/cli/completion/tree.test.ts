/**
 * The completion scripts are written from the registry: every visible
 * command, each group's sub-commands and each command's options are in
 * them, hidden commands are not; and bash's script completes as a shell
 * would (run in a real bash against a fake moby-dick that lists names).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { COMMANDS } from '../registry.js';
import { bashScript } from './bash.js';
import { fishScript } from './fish.js';
import { allNodes, type CompletionNode, completionTree } from './tree.js';
import { zshScript } from './zsh.js';

async function registryTree(): Promise<CompletionNode> {
  return completionTree(await Promise.all(COMMANDS.map(async (entry) => ({ entry, command: (await entry.load()).command }))));
}

const node = (tree: CompletionNode, path: string): CompletionNode | undefined => allNodes(tree).find((n) => n.path === path);

describe('completion: the tree from the registry', () => {
  test('every visible command of the registry, no hidden one', async () => {
    const tree = await registryTree();
    const visible = COMMANDS.filter((c) => !c.hidden).map((c) => c.name);
    assert.deepEqual(tree.commands.map((c) => c.name), visible);
    assert.ok(COMMANDS.some((c) => c.hidden), 'the registry has hidden commands to leave out');
    for (const hidden of COMMANDS.filter((c) => c.hidden)) assert.equal(node(tree, hidden.name), undefined, hidden.name);
    assert.ok(visible.includes('completion'));
  });

  test("the commands' options, groups' sub-commands and what operands name", async () => {
    const tree = await registryTree();
    const network = node(tree, 'run')!.options.find((o) => o.long === 'network');
    assert.deepEqual(network, { long: 'network', takesValue: true, values: 'network' });
    assert.deepEqual(node(tree, 'ps')!.options.find((o) => o.long === 'all'), { long: 'all', short: 'a', takesValue: false });
    assert.ok(node(tree, 'rm')!.options.some((o) => o.long === 'help' && o.short === 'h'));
    assert.deepEqual(node(tree, 'image')!.commands.map((c) => c.name), ['import', 'inspect', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']);
    assert.equal(node(tree, 'image')!.aliases['list'], 'ls');
    assert.ok(node(tree, 'network connect') && node(tree, 'volume rm') && node(tree, 'container exec') && node(tree, 'system df'));
    assert.ok(node(tree, 'image ls')!.options.some((o) => o.long === 'digests'));
    assert.deepEqual([node(tree, 'rm')!.operands, node(tree, 'rm')!.rest], [['container'], true]);
    assert.deepEqual([node(tree, 'container rm')!.operands, node(tree, 'container rm')!.rest], [['container'], true]);
    assert.deepEqual([node(tree, 'run')!.operands, node(tree, 'run')!.rest], [['image'], false]);
    assert.deepEqual([node(tree, 'run')!.interspersed, node(tree, 'exec')!.interspersed, node(tree, 'rm')!.interspersed], [false, false, true]);
    assert.deepEqual(node(tree, 'image push')!.operands, ['image']);
    assert.deepEqual(node(tree, 'network connect')!.operands, ['network', 'container']);
    assert.deepEqual(node(tree, 'volume inspect')!.operands, ['volume']);
    assert.deepEqual(node(tree, 'ps')!.operands, []);
    assert.deepEqual(node(tree, 'inspect')!.operands, ['object']);
  });

  test('each script names every visible command, sub-command and option, and no hidden command', async () => {
    const tree = await registryTree();
    const scripts = { bash: bashScript(tree), zsh: zshScript(tree), fish: fishScript(tree) };
    for (const [shell, text] of Object.entries(scripts)) {
      for (const n of allNodes(tree).slice(1)) {
        assert.ok(text.includes(n.name), `${shell}: ${n.path}`);
        for (const o of n.options) assert.ok(text.includes(shell === 'fish' ? `-l '${o.long}'` : ` --${o.long}`), `${shell}: ${n.path} --${o.long}`);
      }
      for (const hidden of COMMANDS.filter((c) => c.hidden)) assert.ok(!text.includes(hidden.name), `${shell}: ${hidden.name}`);
    }
    assert.match(scripts.bash, /\n {4}'image ls'\) echo [^\n]*--digests/);
    assert.match(scripts.fish, /\ncomplete -c moby-dick -n '__moby_dick_at \\'run\\'' -l 'network' -x -a '\(__moby_dick_names network\)'\n/);
    assert.match(scripts.fish, /\ncomplete -c moby-dick -f -n '__moby_dick_at \\'network\\'' -a 'connect' -d '[^']+'\n/);
    assert.match(scripts.zsh, /^#compdef moby-dick\n/);
    assert.match(scripts.zsh, /\n {4}image\) print -rl -- [^\n]*'ls:List images'/);
  });
});

describe('completion: the bash script in bash', () => {
  let dir = '';
  let script = '';
  let fake = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdk-test-completion-'));
    script = join(dir, 'moby-dick.bash');
    writeFileSync(script, bashScript(await registryTree()));
    // a moby-dick that lists names, and says what it was asked
    fake = join(dir, 'fake-moby-dick');
    writeFileSync(fake, `#!/bin/sh
case "$*" in
  'ps -a --format {{.Names}}') printf 'web\\nworker\\n' ;;
  'images --format {{.Repository}}:{{.Tag}}') printf 'busybox:latest\\nbusybox:1.36\\n<none>:<none>\\n' ;;
  'network ls --format {{.Name}}') printf 'bridge\\nnone\\n' ;;
  'volume ls -q') printf 'data\\n' ;;
  *) exit 1 ;;
esac
`);
    chmodSync(fake, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** COMPREPLY for WORDS (the last is the one completed; moby-dick is the fake) */
  const complete = (...words: string[]): string[] => {
    const quoted = [fake, ...words].map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(' ');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source "$1" && COMP_WORDS=(${quoted}) && COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)) && _moby_dick; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', script], { encoding: 'utf8' });
    assert.equal(r.stderr, '', words.join(' '));
    return r.stdout.split('\n').filter(Boolean).sort();
  };

  test('commands, sub-commands (aliases too), options', () => {
    assert.deepEqual(complete('im'), ['image', 'images', 'import']);
    assert.deepEqual(complete('network', 'c'), ['connect', 'create']);
    assert.deepEqual(complete('image', 'list', '--dig'), ['--digests']);
    assert.deepEqual(complete('run', '--rm', '--netw'), ['--network', '--network-alias']);
    assert.deepEqual(complete('run', '-d', '--name', 'x', '--pu'), ['--publish', '--publish-all', '--pull']);
    // options after operands, as moby-dick reads them: but for run, create, exec and top, whose operands end with a command
    assert.deepEqual(complete('rm', 'web', '--fo'), ['--force']);
    assert.deepEqual(complete('logs', 'web', '--tail', '5', '-'), complete('logs', '-'));
    assert.ok(complete('logs', '-').includes('--follow'));
    assert.deepEqual(complete('run', 'busybox', '--rm'), []);
    assert.deepEqual(complete('exec', 'web', '--e'), []);
    assert.deepEqual(complete('rm', '--', '-'), []);
  });

  test('names asked of moby-dick, by what the operand or value names', () => {
    assert.deepEqual(complete('rm', '-f', ''), ['web', 'worker']);
    assert.deepEqual(complete('rm', 'web', 'wo'), ['worker']);
    assert.deepEqual(complete('rm', 'web', '-f', 'wo'), ['worker']);
    assert.deepEqual(complete('logs', '--tail', '5', ''), ['web', 'worker']);
    assert.deepEqual(complete('container', 'stop', ''), ['web', 'worker']);
    assert.deepEqual(complete('run', '--rm', '--name', 'web', ''), ['busybox:1.36', 'busybox:latest']);
    assert.deepEqual(complete('rmi', 'busybox:l'), ['busybox:latest']);
    // bash split the word at ":": only what follows it is replaced
    assert.deepEqual(complete('rmi', 'busybox', ':', 'l'), ['latest']);
    assert.deepEqual(complete('run', '--network', 'b'), ['bridge']);
    assert.deepEqual(complete('run', '--network', '=', ''), ['bridge', 'none']);
    assert.deepEqual(complete('network', 'connect', 'bridge', 'w'), ['web', 'worker']);
    assert.deepEqual(complete('volume', 'rm', ''), ['data']);
    assert.deepEqual(complete('inspect', 'w'), ['web', 'worker']);
    assert.deepEqual(complete('inspect', 'web', 'b'), ['busybox:1.36', 'busybox:latest']);
  });

  test('nothing where no names fit: after the image of run, the value of an option, a host program', () => {
    assert.deepEqual(complete('run', 'busybox', ''), []);
    assert.deepEqual(complete('run', '--name', ''), []);
    assert.deepEqual(complete('ls', '-l'), []);
    assert.deepEqual(complete('ps', ''), []);
    assert.deepEqual(complete('--', 'ps', ''), []);
    assert.deepEqual(complete('logs', '--tail', ''), []);
  });
});
