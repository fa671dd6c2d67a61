/**
 * Pipes for unit tests that give the code a stand-in for the addon's
 * pipe(): each "pipe" is a new file in a temp directory, opened once to
 * read and once to write, so what is written is read back in order and the
 * read end sees its end after it; and the test can check that every end
 * was closed. No root, no addon.
 */
import { fstatSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class FilePipes {
  readonly dir = mkdtempSync(join(tmpdir(), 'mdk-test-pipes-'));
  /** every pipe made: its file and its two fds */
  readonly made: { file: string; read: number; write: number }[] = [];

  /** the addon's pipe(): [readFd, writeFd] */
  pipe = (): [number, number] => {
    const file = join(this.dir, String(this.made.length));
    const write = openSync(file, 'w');
    const read = openSync(file, 'r');
    this.made.push({ file, read, write });
    return [read, write];
  };

  /** what was written into the pipe whose write end is FD */
  written(fd: number): string {
    const p = this.made.find((m) => m.write === fd);
    if (!p) throw new Error(`fd ${fd} is no pipe's write end`);
    return readFileSync(p.file, 'utf8');
  }

  /** the fds of the pipes made that are still open (an fd closed and reused since is not theirs: another inode) */
  open(): number[] {
    return this.made.flatMap((m) => [m.read, m.write].filter((fd) => {
      try {
        return fstatSync(fd).ino === statSync(m.file).ino;
      } catch {
        return false;
      }
    }));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
