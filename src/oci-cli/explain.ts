/** --explain for the runtime's create, run and exec: a recorder that writes to stderr, or none. */
import type { StepTiming } from '../helper/container.js';
import { ExplainRecorder, wantsColor } from '../explain/recorder.js';

export function explainRecorder(form: string, format: 'text' | 'json' | undefined, onStep?: (s: StepTiming) => void): ExplainRecorder | undefined {
  if (!format) return undefined;
  return new ExplainRecorder({ form, format, write: (t) => process.stderr.write(t), color: wantsColor(process.stderr), ...(onStep ? { onStep } : {}) });
}
