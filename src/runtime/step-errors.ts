/** Turns a failed step reported by the helper (step, errno, detail) into a sentence. */
import { MobyDickError } from '../errors.js';
import { errnoMessage, errnoName } from '../linux/errno.js';
import { RLIMITS } from '../linux/rlimits.js';

const WHAT: Record<string, (detail: string) => string> = {
  'read plan': () => 'reading the plan',
  'seal helper': () => 'copying the helper into a sealed memfd',
  clone: () => 'creating the namespaces',
  propagation: () => 'making mounts private to the container',
  mount: (d) => `mounting ${d}`,
  mkdir: (d) => `creating directory ${d}`,
  mknod: (d) => `creating device ${d}`,
  symlink: (d) => `creating symlink ${d}`,
  touch: (d) => `creating file ${d}`,
  tree_clone: (d) => `cloning the host's ${d}`,
  tree_attach: (d) => `attaching ${d}`,
  root: (d) => `opening the root ${d}`,
  remount: (d) => `remounting ${d}`,
  readonly: (d) => `making ${d} read-only`,
  mask: (d) => `masking ${d}`,
  'mount into /proc': (d) => `mounting ${d}, which a symlink leads into /proc`,
  'mask source': (d) => `opening ${d}, the file masked paths are covered with`,
  console: (d) => `binding the terminal onto ${d}`,
  'check /proc': (d) => `checking that ${d}`,
  pivot_root: () => 'pivot_root into the container root',
  hostname: (d) => `setting the hostname to ${d}`,
  setsid: () => 'starting a new session',
  pty: (d) => `opening a terminal (${d})`,
  user: (d) => `switching user (${d})`,
  capabilities: (d) => `setting capabilities (${d})`,
  no_new_privs: () => 'setting no_new_privs',
  init: () => 'starting the init process',
  sync: (d) => `waiting for the engine (${d})`,
  setns: (d) => `joining the namespace ${d}`,
  unshare: () => 'creating a namespace',
  chown: (d) => `changing the owner of ${d}`,
  propagate: (d) => `setting the propagation of ${d}`,
  procwrite: (d) => `writing /proc/${d}`,
  domainname: (d) => `setting the domain name to ${d}`,
  rlimit: (d) => `setting ${rlimitName(d)}`,
  personality: (d) => `setting personality ${d}`,
  seccomp: (d) => `loading the seccomp filter (${d})`,
  'exec fifo': (d) => `waiting on the exec fifo (${d})`,
  'move root': () => 'moving the root (--no-pivot)',
  chroot: () => 'chroot into the container root',
  'parent propagation': (d) => `setting the propagation of the mount that holds ${d}`,
  'preserve fds': (d) => `passing on --preserve-fds (${d})`,
  'console socket': (d) => `sending the terminal to the console socket ${d}`,
  monitor: (d) => `setting up the container's monitor (${d})`,
  log: (d) => `opening the log file ${d}`,
  'attach socket': (d) => `listening on the attach socket ${d}`,
};

function rlimitName(n: string): string {
  return Object.entries(RLIMITS).find(([, v]) => String(v) === n)?.[0] ?? `rlimit ${n}`;
}

/** What the user can do, where moby-dick knows. */
function hintFor(step: string, errno: number): string | undefined {
  // root here may lack CAP_SYS_RESOURCE (design.md): a hard limit cannot go up
  if (step === 'rlimit' && errno === 1) return 'a hard limit above this process\'s own needs CAP_SYS_RESOURCE; lower it';
  // CVE-2025-31133: a planted /dev/null would turn masked /proc files into binds of what it names
  if (step === 'mask source') return 'the container\'s /dev (from the image, or a volume or bind mount over /dev) needs a real /dev/null, the character device 1:3';
  if (step === 'console') return '/dev/console in the container must be a file or a device, not a symlink or a directory';
  return undefined;
}

export function stepError(step: string, errno: number, detail: string, container?: string): MobyDickError {
  const details = { step, errno, errnoName: errnoName(errno), subject: detail, container };
  const reason = errnoMessage(errno);
  if (step === 'exec') {
    const name = JSON.stringify(detail);
    if (errno === 2 && !detail.includes('/')) {
      return new MobyDickError('COMMAND_NOT_FOUND', `exec: ${name}: executable file not found in $PATH`, {
        ...details,
        hint: 'check the command name and the PATH inside the container',
      });
    }
    if (errno === 2) return new MobyDickError('COMMAND_NOT_FOUND', `exec: ${name}: ${reason}`, details);
    return new MobyDickError('COMMAND_NOT_EXECUTABLE', `exec: ${name}: ${reason}`, details);
  }
  if (step === 'mask source' && errno === 19) {
    return new MobyDickError('SETUP', `container setup failed: ${detail} in the container is not the null device (char 1:3), refusing to mask paths with it`, {
      ...details,
      hint: hintFor(step, errno),
    });
  }
  if (step === 'cwd') {
    return new MobyDickError('SETUP', `cannot change to working directory ${JSON.stringify(detail)}: ${reason}`, {
      ...details,
      hint: errno === 18 ? 'the directory is outside the container root' : 'give -w a directory that exists in the container',
    });
  }
  const what = (WHAT[step] ?? ((d: string) => `${step} ${d}`))(detail);
  const hint = hintFor(step, errno);
  return new MobyDickError('SETUP', `container setup failed ${what}: ${reason} (${details.errnoName})`, hint ? { ...details, hint } : details);
}
