/**
 * What --explain listens to while a container is made: the plan (onPlan)
 * and each step with its time (onStep). The explanation is written once
 * the program is about to run (the helper's exec step), before its own
 * output; or at the end, when setup failed on the way.
 */
import { readFileSync } from 'node:fs';
import type { PlannedContainer, StepTiming } from '../helper/container.js';
import { CAPABILITIES } from '../linux/capabilities.js';
import { briefLines } from './brief.js';
import { explainPaired, type Explanation } from './explanation.js';
import { type ExplainFormat, render } from './render.js';

/** A recorder writing to stderr, in color when stderr is a terminal; none when FORMAT is undefined (--explain not given). */
export function stderrRecorder(form: string, format: ExplainFormat | undefined, onStep?: (s: StepTiming) => void): ExplainRecorder | undefined {
  if (!format) return undefined;
  return new ExplainRecorder({ form, format, write: (t) => process.stderr.write(t), color: wantsColor(process.stderr), width: textWidth(process.stderr), ...(onStep ? { onStep } : {}) });
}

/** --explain's values after the "=": the short text is --explain alone */
export const EXPLAIN_VALUES = ['full', 'json', 'text'] as const;

/** --explain's value as parsed (true, "text", "full", "json") -> the format, or undefined when off. */
export function explainFormat(flag: boolean | string | undefined): ExplainFormat | undefined {
  if (flag === true || flag === 'text') return 'text';
  if (flag === 'full' || flag === 'json') return flag;
  return undefined;
}

/** The capabilities a /proc/PID/status's CapEff line holds. */
export function effectiveCapabilities(status: string): string[] {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  const mask = BigInt(`0x${hex}`);
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

export interface RecorderOptions {
  form: string;
  format: ExplainFormat;
  /** where the explanation goes (stderr) */
  write: (text: string) => void;
  color: boolean;
  /** where the short text wraps (textWidth) */
  width?: number;
  /** passed on to the caller's own step listener (--debug) */
  onStep?: (step: StepTiming) => void;
  /** what the engine did for the network, when it did */
  network?: Explanation['network'];
}

export class ExplainRecorder {
  private readonly steps: StepTiming[] = [];
  private plan: PlannedContainer | undefined;
  private done = false;
  private network: Explanation['network'] | undefined;
  private markWritten!: () => void;
  /** settles once flush() was called: the explanation written (or nothing to write) */
  readonly written = new Promise<void>((resolve) => (this.markWritten = resolve));

  constructor(private readonly options: RecorderOptions) {
    this.network = options.network;
  }

  readonly onPlan = (plan: PlannedContainer): void => {
    this.plan = plan;
  };

  /** what the engine set up for the network (image containers on a bridge) */
  readonly onNetwork = (network: Explanation['network']): void => {
    this.network = network;
  };

  readonly onStep = (step: StepTiming): void => {
    this.steps.push(step);
    this.options.onStep?.(step);
    if (step.source === 'helper' && step.name === 'exec') this.flush();
  };

  /** The explanation so far (null before the plan was made). */
  explanation(): Explanation | null {
    return this.paired()?.explanation ?? null;
  }

  private paired(): ReturnType<typeof explainPaired> | null {
    if (!this.plan) return null;
    const held = effectiveCapabilities(readFileSync('/proc/self/status', 'utf8'));
    return explainPaired({
      form: this.options.form,
      spec: this.plan.spec,
      ops: this.plan.ops,
      steps: this.steps,
      heldCapabilities: held,
      ...(this.plan.cgroup ? { cgroup: this.plan.cgroup } : {}),
      ...(this.network ? { network: this.network } : {}),
    });
  }

  /** Writes the explanation, once: at the exec step, or at the end for a container that failed before it. */
  flush(): void {
    if (this.done) return;
    const p = this.paired();
    this.markWritten();
    if (!p) return;
    this.done = true;
    const { explanation: e, ops } = p;
    this.options.write(render(e, this.options.format, this.options.color, this.options.format === 'text' ? briefLines(e, ops) : undefined, this.options.width));
  }
}

/** The short text's width: a terminal's own (80 to 160 columns), 100 elsewhere. */
export function textWidth(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY === true && stream.columns ? Math.min(160, Math.max(80, stream.columns)) : 100;
}

/** Color for a terminal that wants it (NO_COLOR, https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}
