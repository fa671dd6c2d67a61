/**
 * A container's output held back until --explain's explanation is written:
 * the explanation now ends with the steps the helper takes after `start`
 * released it (exec, a late seccomp filter), which arrive once the program
 * already runs, and it must still come before anything the program writes
 * (on stderr the two would mix; a tool parses --explain=json from there).
 */
import { Writable } from 'node:stream';

/** TARGET, with what is written before RELEASED settles kept and written then, in order. */
export function heldUntil(target: NodeJS.WritableStream, released: Promise<unknown>): Writable {
  let held: Buffer[] | null = [];
  const forward = (chunk: Buffer, done: (e?: Error | null) => void): void => {
    if (target.write(chunk)) done();
    else target.once('drain', () => done());
  };
  const release = (): void => {
    const chunks = held ?? [];
    held = null;
    for (const c of chunks) target.write(c);
  };
  released.then(release, release);
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (held) {
        held.push(chunk);
        done();
      } else {
        forward(chunk, done);
      }
    },
  });
}
