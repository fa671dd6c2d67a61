/**
 * How to run this CLI again, for the command a container's monitor runs
 * when the container exits (`container-exited`). From the bundle it is
 * `node BUNDLE`; from the startup snapshot it is the launcher
 * (native/launcher), which starts the snapshot again when it still fits the
 * machine's Node, and the bundle otherwise.
 */
import { realpathSync } from 'node:fs';

let launcher: string | undefined;

/** Set by the snapshot's entry (snapshot.ts): the launcher that started it. */
export function useLauncher(path: string): void {
  launcher = path;
}

export function selfCommand(): string[] {
  if (launcher !== undefined) return [launcher];
  return [process.execPath, realpathSync(process.argv[1] ?? '')];
}
