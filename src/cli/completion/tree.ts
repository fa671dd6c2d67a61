/**
 * What shell completion knows of the CLI, as data: the commands of
 * registry.ts (hidden ones left out), their options, a group's
 * sub-commands, and which operands name a container, an image, a network
 * or a volume (completed at TAB by asking moby-dick for the names). The
 * scripts of bash.ts, zsh.ts and fish.ts are written from this tree, so a
 * new command or option is completed without editing them.
 */
import type { Command } from '../command.js';

/** Objects whose names the scripts ask moby-dick for; 'object': containers and images (top-level inspect) */
export type NameKind = 'container' | 'image' | 'network' | 'volume' | 'object';

export interface CompletionOption {
  /** without the dashes: "network" */
  long: string;
  /** one letter, without the dash */
  short?: string;
  takesValue: boolean;
  /** what its value names, when moby-dick can list them */
  values?: NameKind;
}

export interface CompletionNode {
  /** the words after moby-dick: "image ls"; "" for the top */
  path: string;
  /** the last word */
  name: string;
  summary: string;
  options: CompletionOption[];
  /** options may come after operands too (all but run, create, exec, top) */
  interspersed: boolean;
  /** what the operands name, by position; the last one repeats when `rest` */
  operands: NameKind[];
  rest: boolean;
  /** a group's sub-commands, in the order of their words */
  commands: CompletionNode[];
  /** a group's other words: { list: 'ls' } */
  aliases: Record<string, string>;
}

interface OperandRule {
  operands: NameKind[];
  rest: boolean;
}

const each = (kind: NameKind): OperandRule => ({ operands: [kind], rest: true });
const first = (...kinds: NameKind[]): OperandRule => ({ operands: kinds, rest: false });

/**
 * The operands of the commands that name objects, by the command's path
 * (a group's sub-command by its own path: "container rm"). Docker's
 * completion offers the same (cli/command/completion).
 */
const OPERANDS: Readonly<Record<string, OperandRule>> = {
  attach: first('container'), commit: first('container'), cp: first('container'), diff: first('container'),
  exec: first('container'), export: first('container'), kill: each('container'), logs: first('container'),
  pause: each('container'), port: first('container'), rename: first('container'), restart: each('container'),
  rm: each('container'), start: each('container'), stats: each('container'), stop: each('container'),
  top: first('container'), unpause: each('container'), update: each('container'), wait: each('container'),
  inspect: each('object'),
  run: first('image'), create: first('image'), push: first('image'), tag: first('image'), rmi: each('image'),
  history: first('image'), save: each('image'),
  'container inspect': each('container'),
  'image inspect': each('image'), 'image rm': each('image'),
  'network inspect': each('network'), 'network rm': each('network'),
  'network connect': first('network', 'container'), 'network disconnect': first('network', 'container'),
  'volume inspect': each('volume'), 'volume rm': each('volume'),
};

/** Options whose value names an object, by the option's long name. */
const OPTION_VALUES: Readonly<Record<string, NameKind>> = { network: 'network', net: 'network', 'volumes-from': 'container' };

/** The rule of PATH: its own, or the top-level command's of the same last word (`container rm` is `rm`, `image push` is `push`). */
function operandRule(path: string): OperandRule {
  const own = OPERANDS[path];
  if (own) return own;
  const [group, word] = path.split(' ');
  if (word === undefined) return { operands: [], rest: false };
  if (group === 'image' && word !== 'inspect' && word !== 'ls') return OPERANDS[word] ?? { operands: [], rest: false };
  if (group === 'container' && word !== 'ls') return OPERANDS[word] ?? { operands: [], rest: false };
  return { operands: [], rest: false };
}

function optionsOf(command: Command): CompletionOption[] {
  return Object.entries(command.options ?? {})
    .map(([long, spec]) => {
      const values = spec.type === 'string' ? OPTION_VALUES[long] : undefined;
      return { long, takesValue: spec.type === 'string', ...(spec.short ? { short: spec.short } : {}), ...(values ? { values } : {}) };
    })
    .sort((a, b) => a.long.localeCompare(b.long));
}

function nodeOf(path: string, name: string, summary: string, command: Command): CompletionNode {
  const subs = command.commands ?? {};
  const rule = operandRule(path);
  return {
    path,
    name,
    summary,
    options: optionsOf(command),
    interspersed: command.interspersed ?? false,
    operands: rule.operands,
    rest: rule.rest,
    commands: Object.keys(subs).sort().map((w) => nodeOf(`${path} ${w}`, w, subs[w]!.summary, subs[w]!)),
    aliases: { ...(command.aliases ?? {}) },
  };
}

/** The tree of ENTRIES (registry.ts's, loaded): the top node, whose commands are the visible ones. */
export function completionTree(entries: readonly { entry: { readonly name: string; readonly summary: string; readonly hidden?: boolean }; command: Command }[]): CompletionNode {
  const visible = entries.filter((e) => !e.entry.hidden);
  return {
    path: '',
    name: 'moby-dick',
    summary: '',
    options: [],
    interspersed: false,
    operands: [],
    rest: false,
    commands: visible.map((e) => nodeOf(e.entry.name, e.entry.name, e.entry.summary, e.command)),
    aliases: {},
  };
}

/** Every node of TREE, the top first, each group before its sub-commands. */
export function allNodes(tree: CompletionNode): CompletionNode[] {
  return [tree, ...tree.commands.flatMap(allNodes)];
}

/** The option's words as typed: "--network", "-a". */
export function optionWords(o: CompletionOption): string[] {
  return [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])];
}
