/**
 * A build's progress as the classic builder's JSON stream, which
 * `DOCKER_BUILDKIT=0 docker build`, docker-py and Compose read:
 *
 *   {"stream":"Step 2/3 : RUN echo hi\n"}
 *   {"stream":" ---> Running in 0123456789ab\n"}
 *   {"stream":"hi\n"}
 *   {"stream":"Removing intermediate container 0123456789ab\n"}
 *   {"stream":" ---> 3f57d9401f8d\n"}
 *
 * A step taken from the layer cache is ` ---> Using cache` and its image.
 * The builder's own work (loading the Dockerfile, exporting) is not shown,
 * as the classic builder has none; its warnings are `[Warning] ...` lines.
 * The end (the aux message with the image ID, "Successfully built",
 * "Successfully tagged", or the error) is build.ts's. Pure: the messages go
 * to SEND.
 */
import { StringDecoder } from 'node:string_decoder';
import type { BuildReporter } from '../build/progress.js';
import type { JsonMessage } from './types-images.js';

/** An image or container ID as the classic builder shows it: 12 hex digits. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export class ClassicBuildStream implements BuildReporter {
  private n = 0;
  private total = 0;
  private step = 0;
  /** the vertices that are Dockerfile steps */
  private readonly steps = new Set<number>();
  private readonly containers = new Map<number, string>();
  private readonly decoders = new Map<number, StringDecoder>();

  constructor(private readonly send: (m: JsonMessage) => void) {}

  private text(stream: string): void {
    if (stream !== '') this.send({ stream });
  }

  planned(total: number): void {
    this.total = total;
  }

  begin(_name: string, instruction?: string): number {
    const id = ++this.n;
    if (instruction !== undefined) {
      this.steps.add(id);
      this.text(`Step ${++this.step}/${this.total} : ${instruction}\n`);
    }
    return id;
  }

  container(id: number, cid: string): void {
    this.containers.set(id, cid);
    this.text(` ---> Running in ${shortId(cid)}\n`);
  }

  output(id: number, chunk: Buffer | string): void {
    if (typeof chunk === 'string') return this.text(chunk);
    let d = this.decoders.get(id);
    if (!d) this.decoders.set(id, (d = new StringDecoder('utf8')));
    this.text(d.write(chunk));
  }

  note(): void {}

  private finish(id: number): void {
    const rest = this.decoders.get(id)?.end() ?? '';
    this.decoders.delete(id);
    this.text(rest);
    const cid = this.containers.get(id);
    if (cid !== undefined) this.text(`Removing intermediate container ${shortId(cid)}\n`);
    this.containers.delete(id);
  }

  done(id: number, image?: string): void {
    this.finish(id);
    if (this.steps.has(id) && image !== undefined) this.text(` ---> ${shortId(image)}\n`);
  }

  cached(id: number, image?: string): void {
    this.text(' ---> Using cache\n');
    if (image !== undefined) this.text(` ---> ${shortId(image)}\n`);
    this.decoders.delete(id);
  }

  error(id: number, _message?: string): void {
    // the message ends the stream (build.ts); what the command printed is out already
    this.finish(id);
  }

  warn(text: string): void {
    this.text(`[Warning] ${text}\n`);
  }
}
