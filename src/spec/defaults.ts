/**
 * Docker's and runc's defaults for a container's /proc, /sys and /dev:
 * what the jail's and the engine's specs
 * (spec-builder.ts), `moby-dick-runtime spec` (default-spec.ts)
 * and the OCI runtime's /dev (src/oci/compile.ts) all use. Data only.
 */

/** Docker's masked and read-only paths (moby's oci/defaults.go). */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys',
  '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug',
  '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Device nodes of a minimal /dev, as runc creates them. */
export const DEVICES: readonly { name: string; major: number; minor: number }[] = [
  { name: 'null', major: 1, minor: 3 },
  { name: 'zero', major: 1, minor: 5 },
  { name: 'full', major: 1, minor: 7 },
  { name: 'random', major: 1, minor: 8 },
  { name: 'urandom', major: 1, minor: 9 },
  { name: 'tty', major: 5, minor: 0 },
];

export const DEV_SYMLINKS: readonly [target: string, path: string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['/proc/kcore', '/dev/core'],
  ['pts/ptmx', '/dev/ptmx'],
];
