import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { classifyFirstWord, DOCKER_COMMANDS, editDistance, programOnPath, reservedDockerWords, suggestCommand } from './first-word.js';
import { COMMANDS } from './registry.js';

const names = COMMANDS.filter((c) => !c.hidden).map((c) => c.name);
/** a PATH of these programs only */
const path = (...programs: string[]) => (p: string) => programs.includes(p);

describe("the first word's meaning", () => {
  test('the reserved words are Docker\'s less the registry\'s: a command added there is no longer refused', () => {
    const reserved = reservedDockerWords(COMMANDS.map((c) => c.name));
    for (const c of COMMANDS) assert.ok(!reserved.has(c.name), c.name);
    for (const w of ['swarm', 'stack', 'service', 'secret', 'init', 'buildx', 'compose']) assert.ok(reserved.has(w), w);
    assert.ok(!reservedDockerWords([...COMMANDS.map((c) => c.name), 'swarm']).has('swarm'));
    assert.equal(reserved.size + DOCKER_COMMANDS.filter((w) => COMMANDS.some((c) => c.name === w)).length, DOCKER_COMMANDS.length);
  });

  test('a Docker command moby-dick lacks is refused, even when a host program has its name (init)', () => {
    assert.deepEqual(classifyFirstWord('swarm', COMMANDS, path()), { kind: 'docker', word: 'swarm' });
    assert.deepEqual(classifyFirstWord('init', COMMANDS, path('init')), { kind: 'docker', word: 'init' });
  });

  test('node runs when it is on PATH (a Node.js engine\'s likeliest program), else it is Docker\'s', () => {
    assert.deepEqual(classifyFirstWord('node', COMMANDS, path('node')), { kind: 'program' });
    assert.deepEqual(classifyFirstWord('node', COMMANDS, path()), { kind: 'docker', word: 'node' });
  });

  test('a near-miss of a command gets a suggestion, unless a program of that name is on PATH', () => {
    assert.deepEqual(classifyFirstWord('imgaes', COMMANDS, path()), { kind: 'typo', word: 'imgaes', suggestion: 'images' });
    assert.deepEqual(classifyFirstWord('netwrok', COMMANDS, path()), { kind: 'typo', word: 'netwrok', suggestion: 'network' });
    assert.deepEqual(classifyFirstWord('ls', COMMANDS, path('ls')), { kind: 'program' });
    assert.deepEqual(classifyFirstWord('ls', COMMANDS, path()), { kind: 'typo', word: 'ls', suggestion: 'ps' });
  });

  test('options, paths and unknown words are the original form; PATH is not asked when it does not matter', () => {
    const never = (p: string): boolean => assert.fail(`PATH asked for ${p}`);
    for (const w of ['--', '-e', '/bin/bash', './x', 'bash', 'python3', 'sh', 'true']) {
      assert.deepEqual(classifyFirstWord(w, COMMANDS, never), { kind: 'program' }, w);
    }
  });

  test('hidden commands are not suggested', () => {
    assert.equal(suggestCommand('container-exitd', names), undefined);
  });
});

describe('suggestions', () => {
  test('edit distance counts a swap of neighbours as one', () => {
    assert.equal(editDistance('imgaes', 'images'), 1);
    assert.equal(editDistance('images', 'images'), 0);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('pul', 'pull'), 1);
  });

  test('one edit for short words, two for longer ones; the nearest wins', () => {
    assert.equal(suggestCommand('pul', names), 'pull');
    assert.equal(suggestCommand('foo', names), undefined, 'two from top, but short');
    assert.equal(suggestCommand('contaner', names), 'container');
    assert.equal(suggestCommand('inspcet', names), 'inspect');
    assert.equal(suggestCommand('Images', names), 'images');
    assert.equal(suggestCommand('xyzzyplugh', names), undefined);
  });
});

describe('programOnPath', () => {
  test('finds executable files only, in the order of PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdk-test-first-word-'));
    try {
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'bin', 'adir'));
      writeFileSync(join(dir, 'bin', 'exe'), '#!/bin/sh\n');
      chmodSync(join(dir, 'bin', 'exe'), 0o755);
      writeFileSync(join(dir, 'bin', 'plain'), 'data');
      chmodSync(join(dir, 'bin', 'plain'), 0o644);
      const p = `${join(dir, 'none')}::${join(dir, 'bin')}`;
      assert.equal(programOnPath('exe', p), true);
      assert.equal(programOnPath('adir', p), false);
      assert.equal(programOnPath('missing', p), false);
      // root may read any file: X_OK still needs an x bit
      assert.equal(programOnPath('plain', p), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
