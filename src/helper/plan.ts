/**
 * The plan: the steps the C helper (native/src/ops.c, container.c) carries
 * out, in order, compiled by src/oci/compile.ts (compileOciPlan). Each op here has its record
 * in ops.ts (wire arguments, its failure in words) and its row in
 * native/src/ops.c. Data only; every decision is made before it reaches C.
 * Paths of in-root steps are resolved by the helper inside the root set by
 * `setroot` (openat2 RESOLVE_IN_ROOT).
 */
export type Op =
  // settings for the outer helper
  | { op: 'clone'; flags: number }
  | { op: 'tty'; interactive: boolean }
  | { op: 'debug' }
  | { op: 'init' }
  | { op: 'detach' }
  | { op: 'console_socket'; path: string }
  | { op: 'join_pid'; path: string }
  /** the helper itself joins this user namespace first (an ordinary user's exec: its pid namespace is the user namespace's) */
  | { op: 'join_user'; path: string }
  // --preserve-fds: the helper got the caller's fds 3.. at 5..; the command gets them at 3..
  | { op: 'preserve_fds'; count: number }
  // a monitor that can outlive the engine (native/src/watch.c; built by monitor-ops.ts):
  // Docker's json-file log with rotation (maxSize 0: never), stdin fed from attach
  // clients, the attach socket, the exit file, and a command run after the exit (argv, one op each)
  | { op: 'log_json'; path: string; maxSize: number; maxFiles: number }
  | { op: 'stdin_open' }
  | { op: 'attach_socket'; path: string }
  | { op: 'exit_file'; path: string }
  | { op: 'on_exit'; arg: string }
  // health checks: the first after FIRSTMS, the next after what the check printed (EVERYMS if nothing),
  // a check killed after LIMITMS; the check command (argv, one op each)
  | { op: 'health_every'; firstMs: number; everyMs: number; limitMs: number }
  | { op: 'health_cmd'; arg: string }
  // steps of the container child
  | { op: 'propagation'; flags: number }
  | { op: 'mount_host'; source: string; target: string; fstype: string; flags: number; data: string }
  | { op: 'tree_clone'; source: string; slot: number }
  | { op: 'setroot'; path: string }
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'mknod'; path: string; mode: number; major: number; minor: number }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'touch'; path: string; mode: number }
  | { op: 'mount'; source: string; target: string; fstype: string; flags: number; data: string }
  // a host device bound onto the file made for it (a user namespace refuses mknod), not followed
  | { op: 'bind_device'; source: string; target: string }
  | { op: 'tree_attach'; slot: number; target: string }
  // another container's /dev/shm, cloned in its mount namespace (NSPATH) into SLOT for tree_attach
  | { op: 'shm_clone'; nsPath: string; slot: number }
  | { op: 'remount'; target: string; flags: number }
  | { op: 'mask'; path: string }
  | { op: 'readonly'; path: string }
  | { op: 'pivot' }
  // --no-pivot: MS_MOVE the root over / and chroot
  | { op: 'move_root' }
  // no mount namespace of the container's own: chroot (pivot_root would move everyone's root)
  | { op: 'chroot' }
  // propagation of the mount that holds a host path (the path, or its nearest ancestor that is a mount point)
  | { op: 'propagate_up'; path: string; flags: number }
  | { op: 'hostname'; name: string }
  | { op: 'umask'; mask: number }
  | { op: 'setsid' }
  | { op: 'pty'; console: string }
  | { op: 'bounding'; keep: string }
  | { op: 'user'; uid: number; gid: number; groups: readonly number[] }
  | { op: 'caps'; effective: string; permitted: string; inheritable: string; ambient: string }
  | { op: 'nonewprivs' }
  | { op: 'cwd'; path: string }
  | { op: 'env'; value: string }
  | { op: 'arg'; value: string }
  | { op: 'exec' }
  // the child waits here until the engine sends "resume" (cgroups, id maps, hooks)
  | { op: 'sync'; name: string }
  | { op: 'setns'; path: string; nstype: number }
  // after the cgroup sync: the child moves itself into a v1 cgroup (writes 0 to its tasks file)
  | { op: 'join_cgroup'; path: string }
  // a namespace made after a sync: cgroup, once the child is in its cgroups
  | { op: 'unshare'; flags: number }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'propagate'; target: string; flags: number }
  | { op: 'procwrite'; path: string; value: string }
  | { op: 'domainname'; name: string }
  | { op: 'rlimit'; resource: number; soft: string; hard: string }
  // OCI create/start: make the exec fifo, resolve the command, park until start
  | { op: 'fifo_open'; path: string }
  | { op: 'exec_check' }
  // run this file with the args given (OCI hooks: args[0] need not be the path)
  | { op: 'exec_path'; path: string }
  // a compiled BPF filter (src/oci/seccomp.ts) as hex, and SECCOMP_FILTER_FLAG_* bits
  | { op: 'seccomp'; flags: number; program: string }
  | { op: 'personality'; persona: number }
  | { op: 'fifo_wait' }
  // exec --detach: the process outlives the helper; report "ready"
  | { op: 'release' };

export type OpName = Op['op'];
export type Plan = readonly Op[];
