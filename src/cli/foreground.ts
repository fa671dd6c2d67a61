/**
 * Runs a container in the foreground as `docker run` does: the container
 * uses our stdio, the signals we get reach it, --debug prints each step,
 * and our exit status is the command's.
 */
import { FORWARDED_SIGNALS } from '../linux/signals.js';
import type { ContainerConfig } from '../runtime/config.js';
import { startContainer, type StepTiming } from '../runtime/container.js';

function printStep(step: StepTiming): void {
  const detail = step.detail ? ` ${step.detail}` : '';
  process.stderr.write(`moby-dick: debug: ${step.source} ${step.name}${detail} ${step.milliseconds.toFixed(3)} ms\n`);
}

export async function runInForeground(config: ContainerConfig, debug: boolean): Promise<number> {
  const container = startContainer(config, { onStep: debug ? printStep : undefined });
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const handler = (): void => container.kill(sig);
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  try {
    const status = await container.wait();
    return status.exitCode;
  } finally {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  }
}
