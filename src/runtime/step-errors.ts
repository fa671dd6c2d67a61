/** Turns a failed step reported by the helper (step, errno, detail) into a sentence. */
import { MobyDickError } from '../errors.js';
import { errnoMessage, errnoName } from '../linux/errno.js';

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
  'check /proc': (d) => `checking that ${d}`,
  pivot_root: () => 'pivot_root into the container root',
  hostname: (d) => `setting the hostname to ${d}`,
  setsid: () => 'starting a new session',
  pty: (d) => `opening a terminal (${d})`,
  user: (d) => `switching user (${d})`,
  capabilities: (d) => `setting capabilities (${d})`,
  no_new_privs: () => 'setting no_new_privs',
  init: () => 'starting the init process',
};

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
  if (step === 'cwd') {
    return new MobyDickError('SETUP', `cannot change to working directory ${JSON.stringify(detail)}: ${reason}`, {
      ...details,
      hint: errno === 18 ? 'the directory is outside the container root' : 'give -w a directory that exists in the container',
    });
  }
  const what = (WHAT[step] ?? ((d: string) => `${step} ${d}`))(detail);
  return new MobyDickError('SETUP', `container setup failed ${what}: ${reason} (${details.errnoName})`, details);
}
