/** Blocks this thread for MS milliseconds: the runtime's commands are synchronous, one-shot processes. */
const cell = new Int32Array(new SharedArrayBuffer(4));

export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}
