/**
 * The N-API addon (native/addon/spawn.c, built to build/mdk-node.node next
 * to the helper): posix_spawn, pipes and waitpid for the Node process, so
 * that starting a container loads neither child_process nor net; and the
 * *at syscalls that unpacking a layer needs (LayerSyscalls, layer.c); and
 * the service's memory given back when idle (memory.c).
 */
import { dirname, join } from 'node:path';
import { MobyDickError } from '../errors.js';
import type { LayerSyscalls } from './layer-syscalls.js';
import { helperPath } from './helper-path.js';

export interface NativeAddon extends LayerSyscalls {
  /** starts FILE with ARGV; the child gets fds[i] as fd i (-1: /dev/null), and our environment unless CLEAR_ENV */
  spawn(file: string, argv: readonly string[], fds: readonly number[], clearEnv?: boolean): number;
  /** [readFd, writeFd], close-on-exec */
  pipe(): [number, number];
  /** blocks until PID ends: [exitCode, signal], the other one -1 */
  wait(pid: number): [number, number];
  /** blocks until it holds an exclusive flock on PATH (created if missing); close the fd to release */
  lock(path: string): number;
  /**
   * CALLBACK(true) once FD is readable or at its end, CALLBACK(false) once TIMEOUT_MS passed first (negative: no
   * limit); in the event loop (poll.c), which it keeps alive meanwhile. One wait per fd at a time.
   */
  whenReadable(fd: number, timeoutMs: number, callback: (ready: boolean) => void): void;
  /** makes a fifo with exactly MODE */
  mkfifo(path: string, mode: number): void;
  /** the id of the mount PATH is on (the topmost, for a mount point); a last symlink is not followed */
  mountId(path: string): number;
  /** detaches the topmost mount at PATH with what is under it (MNT_DETACH, UMOUNT_NOFOLLOW) */
  unmount(path: string): void;
  /** loads an eBPF cgroup-device program and attaches it to a cgroup2 directory; REPLACE: then detaches the device programs that were there */
  attachDeviceFilter(cgroupDir: string, program: Buffer, replace: boolean): void;
  /**
   * An overlay of LOWER (topmost first), UPPER and WORK as a detached mount
   * (view.c): the fd of its root, mounted nowhere, gone when the fd closes.
   * Without UPPER (null) it is read-only.
   */
  /** VOLATILE: overlay's volatile option (no sync of the upper filesystem), for an upper that is removed soon; USERXATTR: overlay's userxattr (a rootless store, in the user namespace) */
  mountOverlay(lower: readonly Buffer[], upper: Buffer | null, work: Buffer | null, volatile?: boolean, userxattr?: boolean): number;
  /** binds host directory SOURCE (recursively; READ_ONLY) onto TARGET inside the detached mount ROOT_FD (RESOLVE_IN_ROOT) */
  attachBind(rootFd: number, target: Buffer, source: Buffer, readOnly: boolean): void;
  /** NAME itself (empty: DIRFD): [mode, uid, gid, size, nlink, ino, dev, rdevMajor, rdevMinor, atimeSec, atimeNsec, mtimeSec, mtimeNsec]; undefined if missing */
  lstatAt(dirFd: number, name: Buffer): number[] | undefined;
  readlinkAt(dirFd: number, name: Buffer): Buffer;
  /** the names in DIRFD, without "." and ".." */
  readDirAt(dirFd: number): Buffer[];
  /**
   * the directory PATH's names (UTF-8) and each one's lstat, one call for all:
   * 11 numbers a name (mode, uid, gid, size, nlink, ino, dev, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec);
   * PATH itself is followed, as readdir of a path
   */
  statDir(path: Buffer): [names: string[], stats: Float64Array];
  /**
   * statDir of each of PATHS as one buffer, to compare with an earlier one: for each
   * directory, its entries' count (u32), their 11 numbers each (float64), then their
   * names (NUL after each), in readdir's order; null when one cannot be listed
   */
  statDirs(paths: readonly Buffer[]): Buffer | null;
  /** the keys of NAME's xattrs (NAME itself; empty: DIRFD's) */
  listXattrAt(dirFd: number, name: Buffer): string[];
  /** removes NAME's xattr KEY (NAME itself; empty: DIRFD's) */
  removeXattrAt(dirFd: number, name: Buffer, key: string): void;
  /** NAME (not followed) opened for reading; EINVAL unless it is a regular file */
  openFileAt(dirFd: number, name: Buffer): number;
  /** a non-blocking, close-on-exec unix stream socket bound to PATH, listening (unix-socket.c) */
  unixListen(path: Buffer): number;
  /** the next connection on FD (non-blocking, close-on-exec), or -1 when none waits */
  unixAccept(fd: number): number;
  /** [pid, uid, gid] of the peer of the unix socket FD (SO_PEERCRED) */
  peerCred(fd: number): [number, number, number];
  /** one recvmsg into BUF: [bytes (0: the end, -1: nothing waits), ...fds passed along (SCM_RIGHTS, close-on-exec)] */
  recvFds(fd: number, buf: Buffer): number[];
  /** madvise(MADV_DONTNEED) of START..START+LENGTH (page-aligned): only for what release-memory.ts chose */
  releasePages(start: number, length: number): void;
  /** glibc's malloc_trim(0): 1 if memory was given back */
  trimMalloc(): number;
  /** glibc's mallopt(M_ARENA_MAX, N) for the threads that allocate from now on: 1 if glibc took it */
  limitMallocArenas(n: number): number;
  /** glibc's mallopt(M_TRIM_THRESHOLD, BYTES): a free arena top above BYTES goes back at once, and the thresholds stop following freed blocks; 1 if glibc took it */
  fixMallocTrimThreshold(bytes: number): number;
}

let addon: NativeAddon | undefined;

export function nativeAddon(): NativeAddon {
  if (addon) return addon;
  const path = join(dirname(helperPath()), 'mdk-node.node');
  const mod = { exports: {} as NativeAddon };
  try {
    process.dlopen(mod, path);
  } catch (e) {
    throw new MobyDickError('HELPER', `cannot load ${path}: ${(e as Error).message}`, {
      subject: path,
      hint: 'build it with `make build` (or `npm ci`)',
    });
  }
  return (addon = mod.exports);
}
