/**
 * Runs a container in the foreground as `docker run` does: the container
 * uses our stdio, the signals we get reach it, --debug prints each step,
 * --explain explains them, and our exit status is the command's.
 */
import type { ContainerConfig } from '../helper/config.js';
import { startContainer } from '../jail/start.js';
import type { StartOptions, StepTiming } from '../helper/container.js';
import { runForwardingSignals } from '../helper/forward-signals.js';
import type { ExplainFormat } from '../explain/render.js';
import { ExplainRecorder, explainFormat, textWidth, wantsColor } from '../explain/recorder.js';

function printStep(step: StepTiming): void {
  const detail = step.detail ? ` ${step.detail}` : '';
  process.stderr.write(`moby-dick: debug: ${step.source} ${step.name}${detail} ${step.milliseconds.toFixed(3)} ms\n`);
}

/** --explain: which form made the container, and the format asked for. */
export interface ExplainRequest {
  form: string;
  format: ExplainFormat;
}

export async function runInForeground(config: ContainerConfig, debug: boolean, explain?: ExplainRequest): Promise<number> {
  const onStep = debug ? printStep : undefined;
  if (!explain) return (await runForwardingSignals(() => startContainer(config, { onStep }))).exitCode;
  const recorder = new ExplainRecorder({ ...explain, write: (t) => process.stderr.write(t), color: wantsColor(process.stderr), width: textWidth(process.stderr), onStep });
  const options: StartOptions = { onStep: recorder.onStep, onPlan: recorder.onPlan };
  try {
    return (await runForwardingSignals(() => startContainer(config, options))).exitCode;
  } finally {
    recorder.flush();
  }
}

/** The ExplainRequest for --explain's value, or undefined when it is off. */
export function explainRequest(form: string, flag: boolean | string | undefined): ExplainRequest | undefined {
  const format = explainFormat(flag);
  return format ? { form, format } : undefined;
}
