/**
 * Fields of config.json that moby-dick does not carry out yet. Refused with
 * the field's path, never silently ignored: a container that looks confined
 * but is not would be worse than no container.
 */
import { MobyDickError } from '../errors.js';
import type { Spec } from '../spec/schema.js';

export function refuseUnsupported(spec: Spec): void {
  const refuse = (field: string, why: string): never => {
    throw new MobyDickError('INVALID_CONFIG', `config.json: ${field}: ${why}`, {
      subject: field,
      hint: 'remove the field, or run this container with runc for now',
    });
  };
  const linux = spec.linux ?? {};
  const ns = linux.namespaces ?? [];
  const newUser = ns.some((n) => n.type === 'user' && n.path === undefined);
  if ((linux.uidMappings?.length || linux.gidMappings?.length) && !newUser) {
    refuse('linux.uidMappings', 'mappings need a new user namespace in linux.namespaces');
  }
  if (newUser && (!linux.uidMappings?.length || !linux.gidMappings?.length)) {
    refuse('linux.uidMappings', 'a new user namespace needs uidMappings and gidMappings');
  }
  if (linux.timeOffsets && !ns.some((n) => n.type === 'time' && n.path === undefined)) {
    refuse('linux.timeOffsets', 'needs a new time namespace in linux.namespaces');
  }
  if (linux.personality?.flags?.length) refuse('linux.personality.flags', 'personality flags are not supported (runc ignores them)');
  if (linux.intelRdt) refuse('linux.intelRdt', 'not supported');
  if (spec.process?.apparmorProfile) refuse('process.apparmorProfile', 'AppArmor is not supported on this host');
  if (spec.process?.selinuxLabel || linux.mountLabel) refuse('process.selinuxLabel', 'SELinux is not supported on this host');
  spec.mounts?.forEach((m, i) => {
    if (m.uidMappings || m.gidMappings) refuse(`mounts[${i}].uidMappings`, 'id-mapped mounts are not supported yet');
  });
}
