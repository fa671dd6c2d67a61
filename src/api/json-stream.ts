/**
 * Docker's JSON message stream (pull, push, load): one JSON object a line,
 * `{"status","progressDetail","id"}` for progress, `{"stream"}` for text,
 * `{"aux"}` for a result, and `{"errorDetail":{"message"},"error"}` for a
 * failure once the stream has begun. As dockerd does, nothing is sent until
 * there is something worth sending: a failure before that (an unknown
 * image, a registry that refuses) is an ordinary error answer with its
 * status. Layer progress is sent at most every PROGRESS_MS per layer.
 */
import type { Writable } from 'node:stream';
import type { PullProgress } from '../images/pull.js';
import { MobyDickError } from '../errors.js';
import { messageOf } from './errors.js';
import type { RequestContext } from './reply.js';
import type { JsonMessage } from './types-images.js';

export const PROGRESS_MS = 100;

export class JsonStream {
  private out: Writable | undefined;
  private held: JsonMessage[] = [];
  private readonly lastProgress = new Map<string, number>();

  constructor(private readonly ctx: RequestContext) {}

  get started(): boolean {
    return this.out !== undefined;
  }

  private begin(): Writable {
    this.out ??= this.ctx.reply.stream(200, { 'Content-Type': 'application/json' });
    return this.out;
  }

  /** Holds M until the next message that is sent (a "Pulling from" line alone says nothing yet). */
  hold(m: JsonMessage): void {
    if (this.out) this.send(m);
    else this.held.push(m);
  }

  send(m: JsonMessage): void {
    const out = this.begin();
    const held = this.held;
    this.held = [];
    for (const h of [...held, m]) if (!out.writableEnded && !out.destroyed) out.write(`${JSON.stringify(h)}\n`);
  }

  /** A PullProgress that writes Docker's messages (pull.ts's and push.ts's lines and layer states). */
  progress(): PullProgress {
    return {
      line: (text) => {
        const m = /^([^\s:]+): (Pulling from .*)$/.exec(text);
        if (m) this.hold({ status: m[2]!, id: m[1]! });
        else this.send({ status: text });
      },
      layer: (id, status, current, total) => {
        if (current !== undefined) {
          const now = Date.now();
          const last = this.lastProgress.get(id) ?? 0;
          if (now - last < PROGRESS_MS && current !== total) return;
          this.lastProgress.set(id, now);
          this.send({ status, progressDetail: { current, ...(total !== undefined ? { total } : {}) }, id });
        } else this.send({ status, progressDetail: {}, id });
      },
    };
  }

  /**
   * Ends the answer: after a failure E, as an error line when the stream
   * has begun (the caller gets false, and the status is 200 already), or
   * by rethrowing E for the ordinary error answer.
   */
  end(e?: unknown): void {
    if (e !== undefined && !this.out) throw e;
    if (e !== undefined) {
      const message = messageOf(e);
      // a failed build step's exit status: the docker CLI exits with it
      const code = e instanceof MobyDickError ? e.details.status : undefined;
      this.send({ errorDetail: { message, ...(code !== undefined ? { code } : {}) }, error: message });
    }
    const out = this.begin();
    if (this.held.length) this.send(this.held.pop()!);
    out.end();
  }
}
