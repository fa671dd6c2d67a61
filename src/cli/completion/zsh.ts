/**
 * `moby-dick completion zsh`: a zsh completion function, with the same data
 * functions as bash's (shell-data.ts) and the commands' summaries for
 * zsh's descriptions. Installed as `_moby-dick` on $fpath (autoloaded) or
 * sourced after compinit.
 */
import { dataFunctions, namesFunction, shellQuote } from './shell-data.js';
import { allNodes, type CompletionNode } from './tree.js';

const P = '__moby_dick';

/** "word:summary" lines of the sub-commands of path $1, for _describe */
function describedFunction(tree: CompletionNode): string {
  const arms = allNodes(tree)
    .filter((n) => n.commands.length > 0)
    .map((n) => `    ${shellQuote(n.path)}) print -rl -- ${n.commands.map((c) => shellQuote(`${c.name}:${c.summary.replaceAll(':', '\\:')}`)).join(' ')} ;;\n`)
    .join('');
  return `# "word:summary" of the sub-commands of path $1\n${P}_described() {\n  case $1 in\n${arms}  esac\n}\n`;
}

const MAIN = `_moby_dick() {
  local cur=\${words[CURRENT]} cmd_path='' n=0 flags=1 value=0 option='' sub kind w i
  local -a described
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    if ((value)); then
      value=0
      continue
    fi
    if [[ $w == -- ]] && ((flags)); then
      # moby-dick -- PROGRAM: the original form
      [[ -z $cmd_path ]] && { _files; return; }
      flags=0
      continue
    fi
    if ((flags)) && [[ $w == -?* ]]; then
      if [[ $w != *=* && -n $cmd_path && " $(${P}_value_options "$cmd_path") " == *" $w "* ]]; then
        value=1
        option=$w
      fi
      continue
    fi
    if ((n == 0)) && sub=$(${P}_sub "$cmd_path" "$w"); then
      cmd_path=\${cmd_path:+$cmd_path }$sub
      continue
    fi
    # a first word that is no command runs a host program (the original form)
    if [[ -z $cmd_path ]]; then
      _files
      return
    fi
    # options after operands too, but for run, create, exec, top (their operands end with a command)
    ((n == 0 && flags)) && ${P}_leading "$cmd_path" && flags=0
    n=$((n + 1))
  done
  if ((flags)) && [[ $cur == --*=* ]]; then
    option=\${cur%%=*}
    compset -P '*='
    value=1
  fi
  if ((value)); then
    kind=$(${P}_option_kind "$cmd_path" "$option")
  elif ((flags)) && [[ $cur == -* && -n $cmd_path ]]; then
    compadd -- \${=$(${P}_options "$cmd_path")}
    return
  elif ((n == 0)) && [[ -n $(${P}_commands "$cmd_path") ]]; then
    described=("\${(@f)$(${P}_described "$cmd_path")}")
    _describe -t commands command described
    return
  elif [[ -n $cmd_path ]]; then
    kind=$(${P}_operand_kind "$cmd_path" "$n")
  fi
  if [[ -z $kind ]]; then
    _files
    return
  fi
  compadd -- \${(@f)$(${P}_names "$kind" "\${words[1]}")}
}
`;

export function zshScript(tree: CompletionNode): string {
  return [
    '#compdef moby-dick\n',
    '# zsh completion for moby-dick, made by `moby-dick completion zsh`:\n',
    '#   moby-dick completion zsh > "${fpath[1]}/_moby-dick"\n',
    '# or, after compinit: source <(moby-dick completion zsh)\n\n',
    dataFunctions(tree, P),
    describedFunction(tree),
    namesFunction(P),
    MAIN,
    'if [[ $funcstack[1] == _moby-dick ]]; then\n  _moby_dick "$@"\nelse\n  compdef _moby_dick moby-dick\nfi\n',
  ].join('');
}
