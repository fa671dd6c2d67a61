/**
 * runc's logging contract: with --log FILE --log-format json, every line is
 * {"level","msg","time"}, and on failure the last one is an "error" that
 * callers (containerd's shim, conmon) read back.
 */
import { appendFileSync } from 'node:fs';

export interface LogOptions {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
  /** where stderr's lines go (the compile service's: its caller's stderr); process.stderr by default */
  stderr?: (text: string) => void;
}

export class Logger {
  constructor(private readonly options: LogOptions) {}

  private stderr(text: string): void {
    if (this.options.stderr) this.options.stderr(text);
    else process.stderr.write(text);
  }

  private write(level: 'debug' | 'info' | 'warning' | 'error', msg: string): void {
    const time = new Date().toISOString();
    const line =
      this.options.format === 'json'
        ? JSON.stringify({ level, msg, time })
        : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
    if (this.options.file) {
      try {
        appendFileSync(this.options.file, line + '\n');
      } catch {
        /* a log we cannot write must not hide the error itself */
      }
    }
  }

  debug(msg: string): void {
    if (this.options.debug) {
      this.write('debug', msg);
      if (!this.options.file) this.stderr(`moby-dick-runtime: debug: ${msg}\n`);
    }
  }

  warn(msg: string): void {
    this.write('warning', msg);
  }

  /** The error goes to the log and, as runc does, to stderr. */
  error(msg: string): void {
    this.write('error', msg);
    this.stderr(`moby-dick-runtime: ${msg}\n`);
  }
}
