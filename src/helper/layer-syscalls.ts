/**
 * The addon's primitives for unpacking layers (native/addon/layer.c). A NAME
 * is one path component relative to DIRFD (no '/', not "." or ".."; the C
 * side refuses anything else); an empty NAME means DIRFD itself. Names and
 * targets are Buffers because file names are bytes. Errors are thrown with
 * `code` set to the errno's name.
 */
export interface LayerSyscalls {
  /** openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a directory fd for PATH inside ROOTFD */
  openInRoot(rootFd: number, path: Buffer): number;
  mkdirAt(dirFd: number, name: Buffer, mode: number): void;
  /** MODE includes the type bits (S_IFCHR, S_IFBLK, S_IFIFO) */
  mknodAt(dirFd: number, name: Buffer, mode: number, major: number, minor: number): void;
  symlinkAt(target: Buffer, dirFd: number, name: Buffer): void;
  /** a hard link; a symlink is linked itself, not its target */
  linkAt(oldDirFd: number, oldName: Buffer, newDirFd: number, newName: Buffer): void;
  /** a new regular file opened for writing: O_CREAT|O_EXCL|O_NOFOLLOW, with the permission bits MODE (default 0600) */
  createFileAt(dirFd: number, name: Buffer, mode?: number): number;
  /** the directory NAME, not a symlink to one */
  openDirAt(dirFd: number, name: Buffer): number;
  /** [st_mode, st_ino, st_uid, st_gid] of NAME itself, undefined if it does not exist */
  statAt(dirFd: number, name: Buffer): [number, number, number, number] | undefined;
  /** another fd of the same open file (close-on-exec) */
  dupFd(fd: number): number;
  unlinkAt(dirFd: number, name: Buffer, isDir: boolean): void;
  /** NAME itself, never a symlink's target */
  chownAt(dirFd: number, name: Buffer, uid: number, gid: number): void;
  /** NAME itself; a symlink is left as it is */
  chmodAt(dirFd: number, name: Buffer, mode: number): void;
  utimesAt(dirFd: number, name: Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  /** through /proc/self/fd/DIRFD/NAME unless NAME is empty: check /proc is procfs first */
  setXattrAt(dirFd: number, name: Buffer, key: string, value: Buffer): void;
  /** NAME's attribute KEY (NAME itself, never a symlink's target); undefined when it has none, also when its filesystem cannot hold KEY's namespace (ENOTSUP: user.* on tmpfs before Linux 6.6) */
  getXattrAt(dirFd: number, name: Buffer, key: string): Buffer | undefined;
  /**
   * Queues regular files for the addon's worker thread, which writes,
   * chowns, chmods (after chown: it clears setuid/setgid), sets times and
   * closes them, in the order queued: files the caller created
   * (createFileAt), through their fds, or files it creates itself (a name in
   * a directory fd, as createFileAt does). OPS holds COUNT operations of
   * FileOp.Fields numbers each (file-queue.ts); their data lies in DATA (an
   * input chunk's memory, kept until the worker is done with it), their
   * names in NAMES (copied).
   */
  queueFiles(data: ArrayBuffer | null, ops: Float64Array, count: number, names: Buffer): void;
  /** blocks while more than MAXBYTES of data or MAXJOBS operations are queued: [the id up to which every operation is done, 1 if any failed] */
  waitFiles(maxBytes: number, maxJobs: number): [number, number];
  /** how many threads write the queued files (1 to 8); never fewer than before */
  fileWorkers(n: number): void;
  /** waits for every queued file (of the whole process); the failed ones as [id, errno, id, errno, ...] */
  drainFiles(): number[];
  /**
   * The first LENGTH (> 0) bytes of the regular file FD mapped read-only, as
   * an ArrayBuffer unmapped when it is collected (FD may be closed at once).
   * The file must not shrink while mapped: a read past its end kills the
   * process (SIGBUS). Writing into it faults.
   */
  mapFile(fd: number, length: number): ArrayBuffer;
}
