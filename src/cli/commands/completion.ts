/**
 * `moby-dick completion bash|zsh|fish`: prints a completion script for the
 * shell, as `docker completion` does. The script is written from the
 * registry (completion/tree.ts): every command's module is loaded here,
 * once, when a shell sets completion up; at TAB the script asks moby-dick
 * only for the names of containers, images, networks and volumes.
 */
import { type Command, defineCommand, usage } from '../command.js';
import { listedCommands } from '../command-list.js';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { completionTree } from '../completion/tree.js';
import { zshScript } from '../completion/zsh.js';

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

export const command: Command = defineCommand({
  name: 'completion',
  usage: 'completion bash|zsh|fish',
  summary: 'Generate the autocompletion script for the specified shell',
  description: `Generate the autocompletion script for the specified shell

  bash:  moby-dick completion bash > /etc/bash_completion.d/moby-dick
         (or, for the current shell: source <(moby-dick completion bash))
  zsh:   moby-dick completion zsh > "\${fpath[1]}/_moby-dick"
  fish:  moby-dick completion fish > ~/.config/fish/completions/moby-dick.fish
`,
  options: {},
  args: { min: 1, max: 1 },
  async run(_values, [shell]) {
    if (!Object.hasOwn(SHELLS, shell!)) throw usage(`unsupported shell "${shell}": bash, zsh or fish`, 'completion');
    const entries = await Promise.all(listedCommands().map(async (entry) => ({ entry, command: (await entry.load()).command })));
    process.stdout.write(SHELLS[shell as keyof typeof SHELLS](completionTree(entries)));
    return 0;
  },
});
