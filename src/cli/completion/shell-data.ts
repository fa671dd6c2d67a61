/**
 * The parts of the completion tree (tree.ts) that the bash and zsh scripts
 * share: shell functions made of `case` statements that answer, for a
 * command's path, its sub-commands, its options, which options take a
 * value, and what an operand or an option's value names. zsh reads the
 * same syntax as bash here. Only the names of containers, images, networks
 * and volumes are asked of moby-dick at TAB; everything else is in the script.
 */
import { allNodes, type CompletionNode, optionWords } from './tree.js';

/** WORD quoted for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** a `case` over $1 (a path), each arm printing its words on one line; nodes with none are left out */
function caseOfPaths(fn: string, nodes: readonly CompletionNode[], words: (n: CompletionNode) => string[]): string {
  const arms = nodes
    .map((n) => ({ n, w: words(n) }))
    .filter(({ w }) => w.length > 0)
    .map(({ n, w }) => `    ${shellQuote(n.path)}) echo ${w.map(shellQuote).join(' ')} ;;\n`)
    .join('');
  return `${fn}() {\n  case $1 in\n${arms}  esac\n}\n`;
}

/** The data functions, prefixed PREFIX (`__moby_dick`). */
export function dataFunctions(tree: CompletionNode, prefix: string): string {
  const nodes = allNodes(tree);
  const withOptions = nodes.filter((n) => n.path !== '');
  // $2 is the word typed; prints the path's sub-command it names (an alias resolved)
  const subArms = nodes
    .filter((n) => n.commands.length > 0)
    .map((n) => {
      const words = [...n.commands.map((c) => c.name), ...Object.keys(n.aliases)];
      const aliases = Object.entries(n.aliases).map(([a, w]) => `        ${shellQuote(a)}) echo ${shellQuote(w)} ;;\n`).join('');
      return `    ${shellQuote(n.path)})\n      case $2 in\n${aliases}        ${words.map(shellQuote).join('|')}) echo "$2" ;;\n        *) return 1 ;;\n      esac ;;\n`;
    })
    .join('');
  const valueArms = withOptions
    .flatMap((n) => n.options.filter((o) => o.values).map((o) => `    ${shellQuote(`${n.path} --${o.long}`)}${o.short ? `|${shellQuote(`${n.path} -${o.short}`)}` : ''}) echo ${o.values} ;;\n`))
    .join('');
  const operandArms = withOptions
    .filter((n) => n.operands.length > 0)
    .map((n) => {
      const last = n.operands.length - 1;
      const arms = n.operands.map((k, i) => `        ${i === last && n.rest ? '*' : i}) echo ${k} ;;\n`).join('');
      return `    ${shellQuote(n.path)})\n      case $2 in\n${arms}      esac ;;\n`;
    })
    .join('');
  const leading = withOptions
    .filter((n) => !n.interspersed && n.commands.length === 0)
    .map((n) => `    ${shellQuote(n.path)}) return 0 ;;\n`)
    .join('');
  return [
    `# the sub-commands of path $1, summaries aside\n`,
    caseOfPaths(`${prefix}_commands`, nodes, (n) => n.commands.map((c) => c.name)),
    `# the options of path $1\n`,
    caseOfPaths(`${prefix}_options`, withOptions, (n) => n.options.flatMap(optionWords)),
    `# the options of path $1 that take a value\n`,
    caseOfPaths(`${prefix}_value_options`, withOptions, (n) => n.options.filter((o) => o.takesValue).flatMap(optionWords)),
    `# the sub-command of path $1 that word $2 names, or status 1\n`,
    `${prefix}_sub() {\n  case $1 in\n${subArms}    *) return 1 ;;\n  esac\n}\n`,
    `# what the value of option $2 of path $1 names (container, image, network, volume)\n`,
    `${prefix}_option_kind() {\n  case "$1 $2" in\n${valueArms}  esac\n}\n`,
    `# status 0 when the options of path $1 are read only before its first operand (the operands end with a command)\n`,
    `${prefix}_leading() {\n  case $1 in\n${leading}  esac\n  return 1\n}\n`,
    `# what operand $2 (from 0) of path $1 names\n`,
    `${prefix}_operand_kind() {\n  case $1 in\n${operandArms}  esac\n}\n`,
  ].join('');
}

/** The names of KIND ($1), asked of the moby-dick at $2 (the one completing). */
export function namesFunction(prefix: string): string {
  return `# the names of kind $1, asked of the moby-dick program $2
${prefix}_names() {
  local program=\${2:-moby-dick}
  case $1 in
    container) "$program" ps -a --format '{{.Names}}' 2>/dev/null ;;
    image) "$program" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>' ;;
    network) "$program" network ls --format '{{.Name}}' 2>/dev/null ;;
    volume) "$program" volume ls -q 2>/dev/null ;;
    object)
      ${prefix}_names container "$program"
      ${prefix}_names image "$program"
      ;;
  esac
}
`;
}
