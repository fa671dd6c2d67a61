/** What the container commands share: the engine on the store, with the roots its monitors need. */
import { Engine } from '../engine/engine.js';
import { runRoot } from '../engine/paths.js';
import { cliInUserNamespace } from '../jail/userns-run.js';
import { openStore } from './image-context.js';
import { progressView } from './pull-progress.js';
import { selfCommand } from './self-command.js';

/**
 * The engine on the store; the monitor of each container runs
 * `container-exited` (and `container-health`) with the same roots; an
 * ordinary user's runs its hidden commands in the user namespace through
 * this CLI (container-files.ts).
 */
export async function withEngine<T>(fn: (engine: Engine) => Promise<T> | T, pulls = false): Promise<T> {
  const store = openStore();
  const view = pulls ? await progressView(process.stderr) : undefined;
  try {
    const engine = new Engine(store, {
      exitCommand: [...selfCommand(), 'container-exited', '--root', store.root, '--run-root', runRoot(store.root)],
      healthCommand: [...selfCommand(), 'container-health', '--root', store.root, '--run-root', runRoot(store.root)],
      namespace: cliInUserNamespace(selfCommand()),
      ...(view ? { progress: view } : {}),
      warn: (m) => process.stderr.write(`moby-dick: warning: ${m}\n`),
    });
    return await fn(engine);
  } finally {
    view?.stop();
    store.close();
  }
}
