/**
 * `moby-dick completion fish`: `complete` lines for fish, from the
 * completion tree (tree.ts). A small function finds the command's path
 * (run, image ls) in the command line; the names of containers, images,
 * networks and volumes are asked of moby-dick at TAB.
 */
import { allNodes, type CompletionNode } from './tree.js';

/** WORD quoted for fish */
export function fishQuote(word: string): string {
  return `'${word.replace(/[\\']/g, '\\$&')}'`;
}

function pathFunction(tree: CompletionNode): string {
  const top = tree.commands.map((c) => fishQuote(c.name)).join(' ');
  const groups = tree.commands.filter((c) => c.commands.length > 0);
  const aliases = groups
    .flatMap((g) => Object.entries(g.aliases).map(([a, w]) => `            case ${fishQuote(`${g.name} ${a}`)}\n                set t ${fishQuote(w)}\n`))
    .join('');
  return `# the path of the command being completed ("image ls"); status 1 for the original form
function __moby_dick_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path
    for t in $tokens
        string match -q -- '-*' $t; and continue
        if test (count $path) -eq 0
            contains -- $t ${top}; or return 1
            set path $t
            contains -- $t ${groups.map((g) => fishQuote(g.name)).join(' ')}; or break
        else
            switch "$path[1] $t"
${aliases}            end
            set path $path $t
            break
        end
    end
    echo $path
end

function __moby_dick_at
    set -l p (__moby_dick_path); or return 1
    test "$p" = "$argv[1]"
end

# the names of kind $argv[1], asked of the moby-dick being completed
function __moby_dick_names
    set -l program (commandline -opc)[1]
    type -q -- $program; or return 0
    switch $argv[1]
        case container
            $program ps -a --format '{{.Names}}' 2>/dev/null
        case image
            $program images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | string match -v '*<none>*'
        case network
            $program network ls --format '{{.Name}}' 2>/dev/null
        case volume
            $program volume ls -q 2>/dev/null
        case object
            __moby_dick_names container
            __moby_dick_names image
    end
end
`;
}

export function fishScript(tree: CompletionNode): string {
  const lines: string[] = [];
  for (const node of allNodes(tree)) {
    const at = `-n ${fishQuote(`__moby_dick_at ${fishQuote(node.path)}`)}`;
    for (const sub of node.commands) lines.push(`complete -c moby-dick -f ${at} -a ${fishQuote(sub.name)} -d ${fishQuote(sub.summary)}`);
    if (node.path === '') continue;
    for (const o of node.options) {
      const short = o.short ? ` -s ${fishQuote(o.short)}` : '';
      const values = o.values ? ` -x -a ${fishQuote(`(__moby_dick_names ${o.values})`)}` : o.takesValue ? ' -r' : '';
      lines.push(`complete -c moby-dick ${at} -l ${fishQuote(o.long)}${short}${values}`);
    }
    for (const kind of new Set(node.operands)) lines.push(`complete -c moby-dick -f ${at} -a ${fishQuote(`(__moby_dick_names ${kind})`)}`);
  }
  return [
    '# fish completion for moby-dick, made by `moby-dick completion fish`:\n',
    '#   moby-dick completion fish > ~/.config/fish/completions/moby-dick.fish\n\n',
    pathFunction(tree),
    '\n',
    lines.join('\n'),
    '\n',
  ].join('');
}
