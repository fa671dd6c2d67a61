/**
 * Pull and push progress. On a terminal: one bar per layer (cli-progress,
 * loaded only here, so other commands do not pay for it). Otherwise plain
 * lines, one per change of a layer's state, as Docker prints them to a pipe.
 */
import type { PullProgress } from '../images/pull.js';

export interface ProgressView extends PullProgress {
  /** stops drawing; call before printing anything else */
  stop(): void;
}

function plain(out: NodeJS.WriteStream): ProgressView {
  const last = new Map<string, string>();
  return {
    line: (text) => void out.write(`${text}\n`),
    layer(id, status) {
      if (last.get(id) === status) return;
      last.set(id, status);
      out.write(`${id}: ${status}\n`);
    },
    stop() {},
  };
}

async function bars(out: NodeJS.WriteStream): Promise<ProgressView> {
  const { MultiBar } = await import('cli-progress');
  const { humanSize } = await import('../util/human-units.js');
  const multi = new MultiBar(
    {
      stream: out,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 30,
      format: (_opts, params, payload: { id: string; status: string; counted: boolean }) => {
        if (!payload.counted) return `${payload.id}: ${payload.status}`;
        const done = Math.round((params.progress ?? 0) * 30);
        const bar = `[${'='.repeat(Math.max(done - 1, 0))}${done > 0 ? '>' : ''}${' '.repeat(30 - done)}]`;
        return `${payload.id}: ${payload.status} ${bar} ${humanSize(params.value)}/${humanSize(params.total)}`;
      },
    },
  );
  const layers = new Map<string, ReturnType<typeof multi.create>>();
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    // without a bar nothing was drawn: MultiBar's stop would still print a blank line (after every `run` on a terminal)
    if (layers.size > 0) multi.stop();
  };
  return {
    // lines come before the first layer and after the last: the bars stop first
    line(text) {
      if (layers.size > 0) stop();
      out.write(`${text}\n`);
    },
    layer(id, status, current, total) {
      if (stopped) return;
      const counted = current !== undefined && total !== undefined && total > 0;
      let bar = layers.get(id);
      if (!bar) {
        bar = multi.create(total ?? 1, current ?? 0, { id, status, counted });
        layers.set(id, bar);
      }
      if (counted) bar.setTotal(total);
      bar.update(current ?? 0, { id, status, counted });
    },
    stop,
  };
}

export async function progressView(out: NodeJS.WriteStream = process.stdout): Promise<ProgressView> {
  return out.isTTY ? bars(out) : plain(out);
}
