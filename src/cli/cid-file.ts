/**
 * --cidfile FILE: the container's ID written to FILE, as the docker CLI
 * does: FILE must not exist (made at once, so two runs cannot share it),
 * and it is removed again when no container came of it.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { MobyDickError } from '../errors.js';

export interface CidFile {
  /** writes ID and closes the file */
  write(id: string): void;
  /** no container: the file goes (unless written) */
  abandon(): void;
}

const NONE: CidFile = { write: () => {}, abandon: () => {} };

export function openCidFile(path: string | undefined): CidFile {
  if (path === undefined || path === '') return NONE;
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new MobyDickError('USAGE', `container ID file found, make sure the other container isn't running or delete ${path}`, { subject: path });
    }
    throw new MobyDickError('USAGE', `failed to create the container ID file: ${(e as Error).message}`, { subject: path, hint: 'give --cidfile a path in a writable directory' });
  }
  let open = true;
  return {
    write(id) {
      if (!open) return;
      try {
        writeSync(fd, id);
      } finally {
        closeSync(fd);
        open = false;
      }
    },
    abandon() {
      if (!open) return;
      closeSync(fd);
      open = false;
      rmSync(path, { force: true });
    },
  };
}
