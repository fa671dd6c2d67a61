/**
 * The registry's list of commands for the one command that reads them all
 * (`completion`): registry.ts hands it over here when it is evaluated, so
 * that no command file imports the registry (an import cycle, see
 * import-cycles.test.ts).
 */
import type { CommandModule } from './command.js';

/** what a command needs to know of the registry's entries */
export interface ListedCommand {
  readonly name: string;
  readonly summary: string;
  readonly hidden?: boolean;
  readonly load: () => Promise<CommandModule>;
}

let listed: readonly ListedCommand[] = [];

/** Called by registry.ts with its COMMANDS. */
export function listCommands(commands: readonly ListedCommand[]): void {
  listed = commands;
}

/** The registry's commands, hidden ones included. */
export function listedCommands(): readonly ListedCommand[] {
  return listed;
}
