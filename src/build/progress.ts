/**
 * The build's output, in BuildKit's plain progress form:
 *
 *   #3 [stage-0 2/4] RUN echo hi
 *   #3 0.215 hi
 *   #3 DONE 0.3s
 *
 *   #4 [stage-0 3/4] COPY a /b
 *   #4 CACHED
 *
 * Each vertex (a step, or the builder's own work: loading the definition,
 * exporting the image) gets a number; a step's output lines carry the
 * seconds since it began. With `quiet`, nothing is written but the error
 * output of a failing step (the CLI prints the image ID).
 */
export interface ProgressSink {
  write(text: string): void;
}

/**
 * What the builder tells of its work as it goes. BuildProgress writes it as
 * BuildKit's plain progress (the CLI); the Engine API's /build writes it as
 * the classic builder's JSON stream (api/build-stream.ts), which needs the
 * optional parts: the number of steps, the containers and the images.
 */
export interface BuildReporter {
  /** the build has TOTAL Dockerfile steps (each stage's FROM and its instructions), said before the first begins */
  planned?(total: number): void;
  /** a new vertex, a Dockerfile step when INSTRUCTION (as written) is given, else the builder's own work; its number */
  begin(name: string, instruction?: string): number;
  /** vertex ID runs its command in container CID */
  container?(id: number, cid: string): void;
  /** output of vertex ID's command */
  output(id: number, chunk: Buffer | string): void;
  /** a note of the builder's own (writing image ..., naming to ...) */
  note(id: number, text: string): void;
  /** vertex ID ended; IMAGE: the image its step made */
  done(id: number, image?: string): void;
  /** vertex ID's step was taken from the layer cache: IMAGE */
  cached(id: number, image?: string): void;
  /** vertex ID failed with MESSAGE */
  error(id: number, message: string): void;
  warn(text: string): void;
}

export class BuildProgress implements BuildReporter {
  private n = 0;
  private readonly started = new Map<number, number>();
  private readonly partial = new Map<number, string>();
  /** what a step printed, kept for its error in quiet mode */
  private readonly logs = new Map<number, string[]>();

  constructor(
    private readonly out: ProgressSink,
    private readonly quiet = false,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private emit(text: string): void {
    if (!this.quiet) this.out.write(text);
  }

  /** a new vertex named NAME; its number */
  begin(name: string): number {
    const id = ++this.n;
    this.started.set(id, this.now());
    this.emit(`#${id} ${name}\n`);
    return id;
  }

  private elapsed(id: number): number {
    return (this.now() - (this.started.get(id) ?? this.now())) / 1000;
  }

  /** output of vertex ID: each whole line is written with its time */
  output(id: number, chunk: Buffer | string): void {
    const text = (this.partial.get(id) ?? '') + chunk.toString();
    const lines = text.split('\n');
    this.partial.set(id, lines.pop()!);
    for (const l of lines) this.line(id, l);
  }

  private line(id: number, l: string): void {
    const log = this.logs.get(id) ?? [];
    log.push(l);
    if (log.length > 200) log.shift();
    this.logs.set(id, log);
    this.emit(`#${id} ${this.elapsed(id).toFixed(3)} ${l}\n`);
  }

  private flush(id: number): void {
    const rest = this.partial.get(id);
    if (rest) this.line(id, rest);
    this.partial.delete(id);
  }

  /** a note of the builder's own (writing image ..., naming to ...) */
  note(id: number, text: string): void {
    this.emit(`#${id} ${text}\n`);
  }

  done(id: number): void {
    this.flush(id);
    this.emit(`#${id} DONE ${this.elapsed(id).toFixed(1)}s\n\n`);
  }

  cached(id: number): void {
    this.emit(`#${id} CACHED\n\n`);
  }

  /** the step failed with MESSAGE; in quiet mode its output is written now */
  error(id: number, message: string): void {
    this.flush(id);
    if (this.quiet) for (const l of this.logs.get(id) ?? []) this.out.write(`#${id} ${l}\n`);
    this.out.write(`#${id} ERROR: ${message}\n`);
  }

  warn(text: string): void {
    this.emit(`WARNING: ${text}\n`);
  }
}
