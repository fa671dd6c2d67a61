/**
 * `moby-dick completion bash`: a bash completion script. The commands,
 * options and what operands name are in the script (shell-data.ts); at TAB
 * only the names of containers, images, networks and volumes are asked of
 * the moby-dick being completed (COMP_WORDS[0], so a path works too).
 */
import { dataFunctions, namesFunction } from './shell-data.js';
import type { CompletionNode } from './tree.js';

const P = '__moby_dick';

/** the completing function: reads COMP_WORDS and COMP_CWORD, sets COMPREPLY */
const MAIN = `# COMPREPLY: the words of $1 that start with $2; when bash split the word at
# ":" (image:tag), only the part after its last ":" is replaced
${P}_reply() {
  local i
  COMPREPLY=($(compgen -W "$1" -- "$2"))
  if [[ $2 == *:* && $2 != "\${COMP_WORDS[COMP_CWORD]}" ]]; then
    local colon=\${2%"\${2##*:}"}
    for i in "\${!COMPREPLY[@]}"; do COMPREPLY[i]=\${COMPREPLY[i]#"$colon"}; done
  fi
}

_moby_dick() {
  COMPREPLY=()
  # the words, with those bash split at ":" joined again (image:tag)
  local words=() i w cword=0
  for ((i = 0; i < \${#COMP_WORDS[@]}; i++)); do
    w=\${COMP_WORDS[i]}
    if ((\${#words[@]} > 1)) && [[ $w == : || \${COMP_WORDS[i - 1]} == : ]]; then
      words[\${#words[@]} - 1]+=$w
    else
      words+=("$w")
    fi
    ((i == COMP_CWORD)) && cword=$((\${#words[@]} - 1))
  done
  local cur=\${words[cword]} path='' n=0 flags=1 value=0 option='' sub kind
  # the command's path (image ls), then its options and operands
  for ((i = 1; i < cword; i++)); do
    w=\${words[i]}
    [[ $w == = ]] && continue # bash's word break in --option=value
    if ((value)); then
      value=0
      continue
    fi
    if [[ $w == -- ]] && ((flags)); then
      # moby-dick -- PROGRAM: the original form
      [[ -z $path ]] && { return 1; }
      flags=0
      continue
    fi
    if ((flags)) && [[ $w == -?* ]]; then
      if [[ $w != *=* && -n $path && " $(${P}_value_options "$path") " == *" $w "* ]]; then
        value=1
        option=$w
      fi
      continue
    fi
    if ((n == 0)) && sub=$(${P}_sub "$path" "$w"); then
      path=\${path:+$path }$sub
      continue
    fi
    # a first word that is no command runs a host program (the original form): file names
    [[ -z $path ]] && return 1
    # options after operands too, but for run, create, exec, top (their operands end with a command)
    ((n == 0 && flags)) && ${P}_leading "$path" && flags=0
    n=$((n + 1))
  done
  [[ $cur == = ]] && cur=''
  if ((value)); then
    kind=$(${P}_option_kind "$path" "$option")
  elif ((flags)) && [[ $cur == -* && -n $path ]]; then
    ${P}_reply "$(${P}_options "$path")" "$cur"
    return 0
  elif ((n == 0)) && [[ -n $(${P}_commands "$path") ]]; then
    ${P}_reply "$(${P}_commands "$path")" "$cur"
    return 0
  elif [[ -n $path ]]; then
    kind=$(${P}_operand_kind "$path" "$n")
  fi
  [[ -n $kind ]] || return 1
  ${P}_reply "$(${P}_names "$kind" "\${COMP_WORDS[0]}")" "$cur"
  return 0
}
`;

export function bashScript(tree: CompletionNode): string {
  return [
    '# bash completion for moby-dick, made by `moby-dick completion bash`:\n',
    '#   moby-dick completion bash > /etc/bash_completion.d/moby-dick\n',
    '# or, for one shell: source <(moby-dick completion bash)\n\n',
    dataFunctions(tree, P),
    namesFunction(P),
    MAIN,
    'complete -o bashdefault -o default -F _moby_dick moby-dick\n',
  ].join('');
}
