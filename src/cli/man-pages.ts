/**
 * The CLI's man pages, from the registry (registry.ts): moby-dick(1) from
 * `moby-dick --help`, and a page per command and per group sub-command
 * (moby-dick-run(1), moby-dick-image-ls(1)) from its --help, with its
 * examples. Written into build/man by scripts/man-pages.mjs at build time;
 * hidden commands (run by a container's monitor) have none.
 */
import { manPage } from '../util/roff.js';
import type { Command } from './command.js';
import { help } from './commands/isolate.js';
import { COMMANDS } from './registry.js';

export interface GeneratedPage {
  /** the file's name: "moby-dick-run.1" */
  file: string;
  /** the words after moby-dick ("image ls"); "" for moby-dick(1) */
  words: string;
  /** what the page was written from: the command (moby-dick(1): none) */
  command?: Command;
  roff: string;
}

const pageName = (words: string): string => (words === '' ? 'moby-dick' : `moby-dick-${words.replace(/ /g, '-')}`);

/** Every page of the CLI, moby-dick.1 first; SOURCE is the footer's "moby-dick VERSION". */
export async function cliManPages(source: string): Promise<GeneratedPage[]> {
  const visible = COMMANDS.filter((c) => !c.hidden);
  const loaded = await Promise.all(visible.map(async (entry) => ({ entry, command: (await entry.load()).command })));
  const all: { words: string; summary: string; command: Command; parent?: string }[] = [];
  for (const { entry, command } of loaded) {
    all.push({ words: entry.name, summary: entry.summary, command });
    for (const word of Object.keys(command.commands ?? {}).sort()) {
      const sub = command.commands![word]!;
      all.push({ words: `${entry.name} ${word}`, summary: sub.summary, command: sub, parent: entry.name });
    }
  }
  const top: GeneratedPage = {
    file: 'moby-dick.1',
    words: '',
    roff: manPage({
      name: 'moby-dick',
      section: 1,
      summary: 'a container engine for Node.js',
      help: help(),
      source,
      seeAlso: [...visible.map((c) => `${pageName(c.name)}(1)`), 'moby-dick-runtime(8)'],
    }),
  };
  return [
    top,
    ...all.map(({ words, summary, command, parent }) => {
      const subs = Object.keys(command.commands ?? {}).sort().map((w) => `${pageName(`${words} ${w}`)}(1)`);
      return {
        file: `${pageName(words)}.1`,
        words,
        command,
        roff: manPage({
          name: pageName(words),
          section: 1,
          summary,
          help: command.help,
          source,
          ...(command.examples ? { examples: command.examples } : {}),
          seeAlso: ['moby-dick(1)', ...(parent ? [`${pageName(parent)}(1)`] : []), ...subs],
        }),
      };
    }),
  ];
}
