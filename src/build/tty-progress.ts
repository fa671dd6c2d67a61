/**
 * The build's progress on a terminal (`--progress tty`, or `auto` when
 * stderr is one), as BuildKit's TTY view shows it: a header with the time
 * and the steps done, every finished step as one line that stays, and each
 * running step with the last few lines of its output, redrawn in place
 * (the cursor moved up over the last frame, the screen cleared below it).
 * Lines are cut to the terminal's width so that the frame's height is
 * known. A failing step's whole output (the last 200 lines) is printed
 * when it fails, with its ERROR line, as the plain view would have.
 */
import { BuildProgress, type ProgressSink } from './progress.js';

export interface TtySink extends ProgressSink {
  /** the terminal's width (a tty.WriteStream's) */
  columns?: number;
}

interface Vertex {
  id: number;
  name: string;
  state: 'running' | 'done' | 'cached' | 'error';
  /** seconds, when it ended */
  took?: number;
  /** the builder's notes (writing image, naming to), shown under it when it ends */
  notes: string[];
}

/** how many output lines of a running step are shown */
export const TAIL_LINES = 6;

export class TtyProgress extends BuildProgress {
  private readonly vertices = new Map<number, Vertex>();
  /** finished, not yet written above the live frame */
  private readonly finished: string[] = [];
  private readonly warnings: string[] = [];
  private drawnLines = 0;
  private readonly begun: number;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    out: TtySink,
    now: () => number = () => performance.now(),
    /** redraw every this many ms (0: only when draw() is called, for tests) */
    private readonly intervalMs = 100,
  ) {
    super(out, false, now);
    this.begun = now();
  }

  private get width(): number {
    // a pseudo-terminal nobody sized says 0
    return Math.max(20, (this.out as TtySink).columns || 80);
  }

  private fit(line: string): string {
    // tabs and control characters would move the cursor: the frame's height must be what we count
    // eslint-disable-next-line no-control-regex
    const clean = line.replace(/\t/g, '  ').replace(/[\x00-\x1f\x7f]/g, '');
    return clean.length > this.width - 1 ? `${clean.slice(0, this.width - 2)}…` : clean;
  }

  /** TEXT cut so that TIME (e.g. "1.2s") still fits after it, as BuildKit keeps the time in view */
  private fitWith(text: string, time: string): string {
    const clean = this.fit(text);
    if (!time) return clean;
    const room = Math.max(2, this.width - 2 - time.length);
    return `${clean.length > room ? `${clean.slice(0, room - 1)}…` : clean} ${time}`;
  }

  private changed(): void {
    this.dirty = true;
    if (this.intervalMs > 0 && !this.timer) {
      this.timer = setInterval(() => this.draw(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** the live part: header, then each running step and its last lines */
  private frame(): string[] {
    const all = [...this.vertices.values()];
    const doneCount = all.filter((v) => v.state !== 'running').length;
    const secs = ((this.now() - this.begun) / 1000).toFixed(1);
    const lines = [`[+] Building ${secs}s (${doneCount}/${all.length})`];
    for (const v of all) {
      if (v.state !== 'running') continue;
      lines.push(this.fitWith(` => ${v.name}`, `${this.elapsed(v.id).toFixed(1)}s`));
      for (const l of (this.logs.get(v.id) ?? []).slice(-TAIL_LINES)) lines.push(` => => # ${l}`);
    }
    return lines.map((l) => this.fit(l));
  }

  /** writes what finished since the last frame and a new frame over the old one */
  draw(): void {
    this.dirty = false;
    let text = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : '';
    for (const l of this.finished.splice(0)) text += `${l}\n`;
    const f = this.frame();
    text += f.map((l) => `${l}\n`).join('');
    this.drawnLines = f.length;
    this.out.write(text);
  }

  override begin(name: string): number {
    const id = super.begin(name);
    this.vertices.set(id, { id, name, state: 'running', notes: [] });
    this.changed();
    return id;
  }

  protected override emit(): void {
    // the plain lines are not written: the frame shows the state
  }

  protected override line(id: number, l: string): void {
    super.line(id, l);
    this.changed();
  }

  private end(id: number, state: Vertex['state'], suffix: string): void {
    const v = this.vertices.get(id);
    if (!v) return;
    v.state = state;
    v.took = this.elapsed(id);
    this.finished.push(this.fitWith(` => ${suffix}${v.name}`, state === 'cached' ? '' : `${v.took.toFixed(1)}s`));
    for (const n of v.notes.splice(0)) this.finished.push(this.fit(` => => ${n}`));
    this.changed();
  }

  override done(id: number): void {
    this.flush(id);
    this.end(id, 'done', '');
  }

  override cached(id: number): void {
    this.end(id, 'cached', 'CACHED ');
  }

  override error(id: number, message: string): void {
    this.flush(id);
    this.end(id, 'error', 'ERROR ');
    for (const l of this.logs.get(id) ?? []) this.finished.push(`#${id} ${l}`);
    this.finished.push(`#${id} ERROR: ${message}`);
    this.draw();
  }

  override note(id: number, text: string): void {
    this.vertices.get(id)?.notes.push(text);
  }

  override warn(text: string): void {
    this.warnings.push(`WARNING: ${text}`);
    this.changed();
  }

  private closed = false;

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const v of this.vertices.values()) if (v.state === 'running') v.state = 'error';
    this.draw();
    for (const w of this.warnings.splice(0)) this.out.write(`${w}\n`);
  }

  /** a frame is pending (tests) */
  get pending(): boolean {
    return this.dirty;
  }
}
