/** Blocks this thread for MS milliseconds: the runtime's commands are synchronous, one-shot processes. */
let cell: Int32Array | undefined;

export function sleepSync(ms: number): void {
  // made on first use: a V8 startup snapshot cannot hold a SharedArrayBuffer
  cell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(cell, 0, 0, ms);
}
