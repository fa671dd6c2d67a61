/** Turns a failed step reported by the helper (step, errno, detail) into a sentence. */
import { MobyDickError } from '../errors.js';
import { errnoMessage, errnoName } from '../linux/errno.js';
import { stepWhat } from './ops.js';

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
  const what = (stepWhat(step) ?? ((d: string) => `${step} ${d}`))(detail);
  const hint = hintFor(step, errno);
  return new MobyDickError('SETUP', `container setup failed ${what}: ${reason} (${details.errnoName})`, hint ? { ...details, hint } : details);
}
