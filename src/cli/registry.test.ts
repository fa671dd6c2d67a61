/**
 * The registry is the CLI's one list of commands: these tests fail when a
 * command file is not in it, when a command does not answer --help, when
 * a group's command is missing at the top (first-word.ts refuses the Docker
 * words the registry lacks), and when the launcher's stamp (which command
 * lines start from the snapshot) says otherwise than the registry.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Command, CommandModule } from './command.js';
import { COMMAND_NODE_OPTIONS, SNAPSHOT_COMMANDS } from './command-names.js';
import { DOCKER_COMMANDS as DOCKER_TOP_LEVEL } from './first-word.js';
import { COMMANDS } from './registry.js';
import { stdoutOf } from './capture-stdout.js';

/** the repository, from build/tsc/src/cli/ */
const ROOT = new URL('../../../../', import.meta.url);
const COMMANDS_DIR = new URL('src/cli/commands/', ROOT);
/** files of commands/ that are not commands: the original form (main.ts's fallback) */
const NOT_COMMANDS = new Set(['isolate.ts']);

/** Docker's top-level words for a group's sub-commands (`docker ps` is `docker container ls`) */
const TOP_LEVEL_OF: Record<string, Record<string, string>> = {
  container: { ls: 'ps' },
  image: { ls: 'images', rm: 'rmi', inspect: 'inspect', prune: '' },
};

async function loaded(): Promise<{ name: string; command: Command; module: CommandModule }[]> {
  return Promise.all(COMMANDS.map(async (c) => {
    const module = await c.load();
    return { name: c.name, command: module.command, module };
  }));
}

describe('the CLI registry', () => {
  test('names are unique, and each entry loads its own command', async () => {
    assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
    for (const { name, command } of await loaded()) {
      assert.equal(command.name, name, `${name}: the loader gives ${command.name}`);
      assert.equal(command.summary, COMMANDS.find((c) => c.name === name)!.summary, `${name}: the registry's summary is the command's`);
    }
  });

  test('every command and sub-command answers --help and -h from its definition', async () => {
    const all: Command[] = [];
    for (const { command } of await loaded()) all.push(command, ...Object.values(command.commands ?? {}));
    for (const command of all) {
      for (const flag of ['--help', '-h']) {
        const { code, out } = await stdoutOf(() => command.run([flag]));
        assert.equal(code, 0, `${command.name} ${flag}`);
        assert.equal(out, command.help, `${command.name} ${flag}`);
        assert.match(out, new RegExp(`^Usage: moby-dick ${command.name} `), `${command.name} ${flag}`);
      }
    }
  });

  test("every option a command parses has a line in its --help (--NAME, and -X for its short form): --help replaces the man pages", async () => {
    const missing: string[] = [];
    for (const { name: word, command } of await loaded()) {
      // the monitor's own commands are not for users
      if (COMMANDS.find((c) => c.name === word)!.hidden) continue;
      for (const c of [command, ...Object.values(command.commands ?? {})]) {
        for (const [name, o] of Object.entries(c.options ?? {})) {
          if (name === 'help') continue;
          // in the text under the usage line: --NAME, and "-X, --NAME" for a short form
          const body = c.help.split('\n').slice(1).join('\n');
          const escaped = name.replace(/[-]/g, '\\-');
          if (!new RegExp(`(^|[\\s(,])--${escaped}(?![\\w-])`, 'm').test(body)) missing.push(`${c.name} --${name}`);
          else if (o.short !== undefined && !new RegExp(`(^|\\s)-${o.short}, --${escaped}(?![\\w-])`, 'm').test(body)) missing.push(`${c.name} -${o.short}`);
        }
      }
    }
    assert.deepEqual(missing, [], 'options without a help line');
  });

  test('every file of commands/ is a command the registry reaches', async () => {
    const reachable = new Set<Command>();
    for (const { command } of await loaded()) {
      reachable.add(command);
      for (const sub of Object.values(command.commands ?? {})) reachable.add(sub);
    }
    const files = readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_COMMANDS.has(f));
    assert.ok(files.length > 30, `${files.length} command files`);
    for (const f of files) {
      const module = (await import(`./commands/${f.replace(/\.ts$/, '.js')}`)) as Partial<CommandModule>;
      assert.ok(module.command, `commands/${f} exports no command`);
      assert.ok(reachable.has(module.command), `commands/${f} (${module.command.name}) is not in registry.ts, nor a sub-command of a group there`);
    }
  });

  test("what a group has, Docker has at the top too: registered there (or the word would be refused as Docker's)", async () => {
    const registered = new Set(COMMANDS.map((c) => c.name));
    // what a group has, Docker also has at the top (docker container kill is docker kill)
    for (const { name, command } of await loaded()) {
      if (!(name in TOP_LEVEL_OF)) continue;
      for (const word of Object.keys(command.commands ?? {})) {
        const top = TOP_LEVEL_OF[name]![word] ?? word;
        if (top === '' || !DOCKER_TOP_LEVEL.includes(top)) continue;
        assert.ok(registered.has(top), `${name} ${word} exists, but not moby-dick ${top}: it would be refused as a Docker command moby-dick lacks`);
      }
    }
  });

  test("the launcher's stamp lists the registry's snapshot commands", () => {
    const expected = COMMANDS.filter((c) => c.snapshot).map((c) => c.name);
    assert.deepEqual(SNAPSHOT_COMMANDS, expected);
    const json = new URL('build/moby-dick-snapshot.json', ROOT);
    assert.ok(existsSync(json), 'build/moby-dick-snapshot.json: run make js first');
    assert.deepEqual((JSON.parse(readFileSync(json, 'utf8')) as { only: string[] }).only, expected);
    const stamp = new URL('build/moby-dick.blob.stamp', ROOT);
    // without a snapshot (another Node binary) there is no stamp
    if (existsSync(stamp)) {
      const only = readFileSync(stamp, 'utf8').split('\n').find((l) => l.startsWith('only '));
      assert.deepEqual(only?.split(' ').slice(1), expected);
    }
  });

  test("the Node options per command fit the launcher's stamp lines, and are in the stamp", () => {
    // native/launcher/launcher.c: up to 4 lines of up to 4 words and 4 options, split at spaces
    assert.ok(COMMAND_NODE_OPTIONS.length <= 4);
    const names = new Set(COMMANDS.map((c) => c.name));
    for (const o of COMMAND_NODE_OPTIONS) {
      assert.ok(o.words.length >= 1 && o.words.length <= 4 && o.options.length >= 1 && o.options.length <= 4, JSON.stringify(o));
      assert.ok(names.has(o.words[0] ?? ''), `${o.words.join(' ')}: not a command of the registry`);
      for (const w of o.words) assert.match(w, /^[a-z][a-z-]*$/);
      for (const f of o.options) assert.match(f, /^--[a-z][a-z0-9-]*(=\S+)?$/);
    }
    assert.deepEqual(COMMAND_NODE_OPTIONS.find((o) => o.words.join(' ') === 'system service')?.options, ['--max-semi-space-size=1', '--heap-growing-percent=20', '--expose-gc']);
    const json = JSON.parse(readFileSync(new URL('build/moby-dick-snapshot.json', ROOT), 'utf8')) as { options: unknown };
    assert.deepEqual(json.options, COMMAND_NODE_OPTIONS);
    const stamp = new URL('build/moby-dick.blob.stamp', ROOT);
    if (existsSync(stamp)) {
      const lines = readFileSync(stamp, 'utf8').split('\n').filter((l) => l.startsWith('options '));
      assert.deepEqual(lines, COMMAND_NODE_OPTIONS.map((o) => `options ${[...o.words, ...o.options].join(' ')}`));
    }
  });
});
