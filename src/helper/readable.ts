/**
 * Waiting for a file descriptor without blocking the event loop: the
 * addon's whenReadable (native/addon/poll.c, epoll through libuv). The OCI
 * runtime waits so for the helper's status pipe and the exec fifo, so that
 * one Node process can make several containers at once.
 */
import { closeSync, readSync } from 'node:fs';
import { type NativeAddon, nativeAddon } from './native-addon.js';

/** true once FD is readable or at its end; false when TIMEOUT_MS (default: none) passed first */
export function readable(fd: number, timeoutMs = -1, addon: Pick<NativeAddon, 'whenReadable'> = nativeAddon()): Promise<boolean> {
  return new Promise((resolve) => addon.whenReadable(fd, Math.floor(timeoutMs), resolve));
}

/**
 * Reads FD to its end in the event loop (readable, then a read that does
 * not block), handing each chunk to ON_DATA; closes it. Unlike a read in
 * libuv's thread pool (four threads), any number of these can wait at once:
 * a compile service follows every foreground container of its callers so.
 */
export async function readPolledUntilEnd(fd: number, onData: (chunk: Buffer) => void, addon: Pick<NativeAddon, 'whenReadable'> = nativeAddon()): Promise<void> {
  const buf = Buffer.allocUnsafe(65536);
  try {
    for (;;) {
      await readable(fd, -1, addon);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      if (n === 0) return;
      onData(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
}
