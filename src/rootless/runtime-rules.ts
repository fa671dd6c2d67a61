/**
 * What an OCI config.json must be for an ordinary user's container
 * (moby-dick-runtime as a user, as runc's rootless mode): a new user
 * namespace with its maps (an ordinary user may make a mount namespace
 * only inside one), and no cgroup limits (refuseRootlessLimits) unless a
 * cgroup v2 subtree is delegated to the user. Pure.
 */
import { MobyDickError } from '../errors.js';
import type { Spec } from '../spec/schema.js';
import { refuseRootlessLimits } from './rootless.js';

/** The linux.resources fields of SPEC that ask for a limit (device rules are the cgroup's, none here). */
export function limitFields(spec: Spec): string[] {
  const r = spec.linux?.resources ?? {};
  return Object.entries(r)
    .filter(([key, value]) => key !== 'devices' && value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0))
    .map(([key]) => `linux.resources.${key}`);
}

/** DELEGATED: a cgroup v2 subtree is delegated to the user (its caller checks the limits' controllers: cgroups/delegation.ts). */
export function refuseForRootless(spec: Spec, delegated = false): void {
  if (!(spec.linux?.namespaces ?? []).some((n) => n.type === 'user' && n.path === undefined)) {
    throw new MobyDickError('INVALID_CONFIG', 'config.json: linux.namespaces: a rootless container needs a new user namespace', {
      subject: 'linux.namespaces',
      hint: 'add {"type": "user"} with linux.uidMappings and linux.gidMappings (`moby-dick-runtime spec --rootless` writes them), or run as root',
    });
  }
  if (!delegated) refuseRootlessLimits(limitFields(spec));
}
