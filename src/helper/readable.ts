/**
 * Waiting for a file descriptor without blocking the event loop: the
 * addon's whenReadable (native/addon/poll.c, epoll through libuv). The OCI
 * runtime waits so for the helper's status pipe and the exec fifo, so that
 * one Node process can make several containers at once.
 */
import { type NativeAddon, nativeAddon } from './native-addon.js';

/** true once FD is readable or at its end; false when TIMEOUT_MS (default: none) passed first */
export function readable(fd: number, timeoutMs = -1, addon: Pick<NativeAddon, 'whenReadable'> = nativeAddon()): Promise<boolean> {
  return new Promise((resolve) => addon.whenReadable(fd, Math.floor(timeoutMs), resolve));
}
