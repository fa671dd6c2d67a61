/**
 * The short --explain: one line per step, or per run of the same step
 * (nine cgroup hierarchies mounted, twelve paths masked), in each group's
 * order. Directories made only for a mount point are folded into the
 * mount. The words for a run are its op's record's `several`
 * (helper/ops.ts); --explain=full keeps every step on its own.
 */
import { OPS, type OpRecord, type Purpose } from '../helper/ops.js';
import type { Op } from '../helper/plan.js';
import type { ExplainedStep, Explanation } from './explanation.js';

export interface BriefLine {
  purpose: Purpose;
  /** the steps' numbers: one, or the first and last of a run */
  first: number;
  last: number;
  /** how many steps the line stands for (folded ones apart) */
  count: number;
  says: string;
  why?: string;
  man: string;
  milliseconds: number;
}

type Several = Exclude<NonNullable<NonNullable<OpRecord<Op>['explain']>['several']>, 'fold'>;

function severalOf(op: Op | undefined): Several | 'fold' | undefined {
  return op ? (OPS[op.op] as OpRecord<Op>).explain?.several : undefined;
}

function line(steps: readonly ExplainedStep[], ops: readonly (Op | undefined)[]): BriefLine {
  const first = steps[0]!;
  const several = severalOf(ops[0]);
  const run = steps.length > 1 && several && several !== 'fold' ? several : undefined;
  const why = run ? (run.why ? run.why(ops as Op[]) : first.why) : first.why;
  return {
    purpose: first.purpose,
    first: first.n,
    last: steps.at(-1)!.n,
    count: steps.length,
    says: run ? run.says(ops as Op[]) : first.says,
    ...(why ? { why } : {}),
    man: first.man,
    milliseconds: Math.round(steps.reduce((a, s) => a + s.milliseconds, 0) * 1000) / 1000,
  };
}

/** E's steps as short lines, in the order of PURPOSES' groups as given by each step; OPS[i] is the op of E.steps[i]. */
export function briefLines(e: Explanation, ops: readonly (Op | undefined)[]): BriefLine[] {
  const out: BriefLine[] = [];
  const byPurpose = new Map<Purpose, { step: ExplainedStep; op: Op | undefined }[]>();
  e.steps.forEach((step, i) => {
    const op = ops[i];
    if (severalOf(op) === 'fold') return;
    const list = byPurpose.get(step.purpose) ?? [];
    list.push({ step, op });
    byPurpose.set(step.purpose, list);
  });
  for (const list of byPurpose.values()) {
    let run: typeof list = [];
    const end = (): void => {
      if (run.length) out.push(line(run.map((r) => r.step), run.map((r) => r.op)));
      run = [];
    };
    for (const item of list) {
      const last = run.at(-1);
      const joins = last !== undefined && item.op !== undefined && last.op?.op === item.op.op && last.step.call === item.step.call && typeof severalOf(item.op) === 'object';
      if (!joins) end();
      run.push(item);
    }
    end();
  }
  return out.sort((a, b) => a.first - b.first);
}
