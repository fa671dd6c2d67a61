/**
 * `moby-dick completion bash|zsh|fish` from the built CLI: the bash script
 * sourced in a real bash, its function called with bash-completion's
 * COMP_WORDS/COMP_CWORD as a TAB press sets them, COMPREPLY read: commands,
 * options, and the names of the test's own store (a container it created,
 * its image, networks, a volume) asked of the built moby-dick. The zsh and
 * fish scripts are checked by the shells' own parsers (zsh -n, fish -n)
 * where they are installed (else only by their text), fish completes from
 * its script, and zsh's function runs with compadd and friends stubbed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { useEngine } from '../helpers/engine-env.js';

const has = (program: string): boolean => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

describe('cli: completion scripts', () => {
  const w = useEngine();
  let dir = '';
  const scripts: Record<'bash' | 'zsh' | 'fish', string> = { bash: '', zsh: '', fish: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdk-test-completion-'));
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const r = await w.env.mdk(['completion', shell]);
      assert.equal(r.code, 0, r.stderr);
      scripts[shell] = join(dir, `moby-dick.${shell}`);
      writeFileSync(scripts[shell], r.stdout);
    }
    const made = await w.env.mdk(['create', '--network', 'none', '--name', 'mdk-test-completion-web', w.image, 'true']);
    assert.equal(made.code, 0, made.stderr);
    const vol = await w.env.mdk(['volume', 'create', 'mdk-test-completion-vol']);
    assert.equal(vol.code, 0, vol.stderr);
  });
  after(async () => {
    await w.removeAll();
    await w.env.mdk(['volume', 'rm', 'mdk-test-completion-vol']);
    rmSync(dir, { recursive: true, force: true });
  });

  /** COMPREPLY of the bash script for `moby-dick WORDS` (the last word is the one completed), in the test's store */
  const bash = (...words: string[]): string[] => {
    const quoted = [CLI, ...words].map((x) => `'${x.replaceAll("'", `'\\''`)}'`).join(' ');
    const line = `source "$1" && COMP_WORDS=(${quoted}) && COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)) && _moby_dick; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', line, 'bash', scripts.bash], { encoding: 'utf8', env: w.env.env, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', words.join(' '));
    return r.stdout.split('\n').filter(Boolean).sort();
  };

  test('bash: commands and options from the script', () => {
    assert.deepEqual(bash('im'), ['image', 'images', 'import']);
    assert.ok(bash('run', '--rm', '--net').includes('--network'));
    assert.deepEqual(bash('run', '--rm', '--netw'), ['--network', '--network-alias']);
    assert.deepEqual(bash('volume', 'i'), ['inspect']);
    assert.deepEqual(bash('rm', 'mdk-test-completion-web', '--f'), ['--force']);
    assert.deepEqual(bash('comp'), ['completion']);
  });

  test("bash: the store's containers, images, networks and volumes, asked of moby-dick", () => {
    assert.deepEqual(bash('rm', ''), ['mdk-test-completion-web']);
    assert.deepEqual(bash('start', '-a', 'mdk-test-'), ['mdk-test-completion-web']);
    assert.deepEqual(bash('container', 'inspect', ''), ['mdk-test-completion-web']);
    assert.deepEqual(bash('rmi', ''), [w.image]);
    assert.deepEqual(bash('run', '--rm', ''), [w.image]);
    assert.deepEqual(bash('network', 'rm', ''), ['bridge', 'host', 'none']);
    assert.deepEqual(bash('run', '--network', 'n'), ['none']);
    assert.deepEqual(bash('volume', 'rm', ''), ['mdk-test-completion-vol']);
    assert.deepEqual(bash('inspect', ''), ['mdk-test-completion-web', w.image].sort());
    // the image's tag after bash split the word at ":"
    const [name, tag] = [w.image.slice(0, w.image.lastIndexOf(':')), w.image.slice(w.image.lastIndexOf(':') + 1)];
    const splitAtColon = name.split(':').flatMap((part, i) => (i === 0 ? [part] : [':', part]));
    assert.deepEqual(bash('rmi', ...splitAtColon, ':', tag.slice(0, 2)), [tag]);
  });

  test('zsh and fish: the scripts parse in their shells and complete (fish from its script, zsh with its builtins stubbed)', () => {
    const zsh = readFileSync(scripts.zsh, 'utf8');
    assert.match(zsh, /^#compdef moby-dick\n/);
    assert.match(zsh, /\n {4}run\) echo [^\n]* --network /);
    assert.match(zsh, /\n {2}compdef _moby_dick moby-dick\n/);
    const fish = readFileSync(scripts.fish, 'utf8');
    assert.match(fish, /\ncomplete -c moby-dick -f -n '__moby_dick_at \\'\\'' -a 'images' -d 'List images'\n/);
    if (has('zsh')) {
      const r = spawnSync('zsh', ['-n', scripts.zsh], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      // its function run with zsh's completion builtins stubbed to print what they are given (zsh filters by prefix itself)
      const stubs = join(dir, 'stubs.zsh');
      writeFileSync(stubs, 'compdef() { :; }\ncompadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }\n_describe() { print -rl -- "${(@P)4}"; }\n_files() { print FILES; }\ncompset() { :; }\nsource $1; shift; words=("$@"); CURRENT=$#words; _moby_dick\n');
      const offered = (...words: string[]): string[] =>
        spawnSync('zsh', ['-f', stubs, scripts.zsh, CLI, ...words], { encoding: 'utf8', env: w.env.env }).stdout.split('\n').filter(Boolean);
      assert.ok(offered('im').includes('images:List images'));
      assert.ok(offered('run', '--rm', '--netw').includes('--network'));
      assert.deepEqual(offered('rm', ''), ['mdk-test-completion-web']);
      assert.deepEqual(offered('network', 'connect', 'bridge', ''), ['mdk-test-completion-web']);
      assert.deepEqual(offered('ls', '-l'), ['FILES']);
      assert.ok(offered('rm', 'mdk-test-completion-web', '-').includes('--force'));
      assert.deepEqual(offered('run', 'busybox', '-'), ['FILES']);
    }
    if (has('fish')) {
      const r = spawnSync('fish', ['-n', scripts.fish], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const complete = (line: string): string[] =>
        spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', scripts.fish, line], { encoding: 'utf8', env: w.env.env }).stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!).sort();
      assert.deepEqual(complete('moby-dick im'), ['image', 'images', 'import']);
      assert.deepEqual(complete(`${CLI} rm `), ['mdk-test-completion-web']);
      assert.deepEqual(complete(`${CLI} network ls --`).filter((o) => o === '--format'), ['--format']);
    }
  });
});
