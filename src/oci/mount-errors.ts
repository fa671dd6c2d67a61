/**
 * A mount the kernel refuses is reported by the helper with the path it
 * mounted on ("container setup failed mounting /dev/pts: invalid argument").
 * For a config.json that is not the field to fix: this names the entry of
 * `mounts`, and its options when the kernel said EINVAL (what a bad option
 * gets; the type and source are named in the hint).
 */
import { posix } from 'node:path';
import { MobyDickError } from '../errors.js';
import { errnoMessage } from '../linux/errno.js';
import type { Spec } from '../spec/schema.js';

const EINVAL = 22;
const MOUNT_STEPS = new Set(['mount', 'remount', 'propagate']);

const normal = (p: string): string => posix.normalize(posix.join('/', p)).replace(/(.)\/$/, '$1');

/** E, naming the entry of SPEC's mounts it failed on when it is a failed mount step; otherwise E itself. */
export function nameMountField(e: unknown, spec: Spec): unknown {
  if (!(e instanceof MobyDickError) || e.code !== 'SETUP') return e;
  const { step, errno, errnoName, subject } = e.details;
  if (step === undefined || !MOUNT_STEPS.has(step) || subject === undefined || errno === undefined) return e;
  const mounts = spec.mounts ?? [];
  // the last one: a later mount on the same destination covers an earlier one
  let i = -1;
  mounts.forEach((m, k) => {
    if (normal(m.destination) === normal(subject)) i = k;
  });
  const m = mounts[i];
  if (m === undefined) return e;
  const field = errno === EINVAL ? `mounts[${i}].options` : `mounts[${i}]`;
  const what = step === 'mount' ? `mounting ${m.type ?? 'bind'} on ${subject}` : step === 'remount' ? `remounting ${subject}` : `setting the propagation of ${subject}`;
  return new MobyDickError('INVALID_CONFIG', `config.json: ${field}: ${what} failed: ${errnoMessage(errno)} (${errnoName ?? errno})`, {
    ...e.details,
    subject: field,
    hint: errno === EINVAL ? `the kernel refused the options ${(m.options ?? []).join(',')}: check them, and the type and source` : 'check this mount\'s destination, type and source',
  });
}
