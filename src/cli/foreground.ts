/**
 * Runs a container in the foreground as `docker run` does: the container
 * uses our stdio, the signals we get reach it, --debug prints each step,
 * and our exit status is the command's.
 */
import type { ContainerConfig } from '../helper/config.js';
import { startContainer } from '../jail/start.js';
import type { StepTiming } from '../helper/container.js';
import { runForwardingSignals } from '../helper/forward-signals.js';

function printStep(step: StepTiming): void {
  const detail = step.detail ? ` ${step.detail}` : '';
  process.stderr.write(`moby-dick: debug: ${step.source} ${step.name}${detail} ${step.milliseconds.toFixed(3)} ms\n`);
}

export async function runInForeground(config: ContainerConfig, debug: boolean): Promise<number> {
  return (await runForwardingSignals(() => startContainer(config, { onStep: debug ? printStep : undefined }))).exitCode;
}
