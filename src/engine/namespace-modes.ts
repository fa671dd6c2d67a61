/**
 * --ipc, --pid, --uts and --userns (HostConfig.IpcMode, PidMode, UTSMode,
 * UsernsMode): parsed as Docker takes them (parseNamespaceModes, pure), a
 * joined container found when the container is created (its full ID is
 * recorded, as Docker shows it), and its namespaces' paths found when the
 * container starts (joinedNamespaces: it must run then).
 *
 * IPC: private (Docker's default) and shareable both make a new IPC
 * namespace with a /dev/shm of its own; none has no /dev/shm; host is the
 * engine's, with the host's /dev/shm; container:NAME joins a shareable container's IPC namespace
 * (its SysV objects, and its POSIX message queues: /dev/mqueue is mounted
 * in that namespace) and its /dev/shm, as Docker: that tmpfs lives in the
 * donor's mount namespace, which a bind cannot reach (EINVAL), so the
 * helper clones it there (native/src/rootfs.c's shm_clone); moby-dick
 * keeps no mount of it on the host's side, as Docker does.
 * PID: host, or container:NAME. UTS: host. USER: host (moby-dick makes no
 * user namespace for an engine container).
 */
import { MobyDickError } from '../errors.js';
import type { EngineContainer } from '../spec/spec-builder.js';
import type { ContainerRecord, NamespaceModes } from './container-table.js';
import type { EngineCore } from './engine-core.js';

/** A container's modes as asked: a joined container by the name or ID given. */
export interface AskedModes {
  ipc: { mode: 'private' | 'shareable' | 'host' | 'none' } | { mode: 'container'; ref: string };
  pid: { mode: '' | 'host' } | { mode: 'container'; ref: string };
  uts: '' | 'host';
  userns: '' | 'host';
}

function invalid(flag: string, kind: string, value: string, accepted: string): MobyDickError {
  return new MobyDickError('USAGE', `${flag}: invalid ${kind} mode: ${JSON.stringify(value)}`, { subject: value, hint: `${flag} takes ${accepted}` });
}

function containerRef(value: string, flag: string, kind: string, accepted: string): string | null {
  if (!value.startsWith('container:')) return null;
  const ref = value.slice('container:'.length);
  if (ref === '') throw invalid(flag, kind, value, accepted);
  return ref;
}

/** The modes of a create request; '' and undefined are the defaults. */
export function parseNamespaceModes(req: { ipc?: string; pid?: string; uts?: string; userns?: string }): AskedModes {
  const ipcAccepted = 'private, shareable, host, none or container:NAME';
  const ipcValue = req.ipc || 'private';
  const ipcRef = containerRef(ipcValue, '--ipc', 'IPC', ipcAccepted);
  let ipc: AskedModes['ipc'];
  if (ipcRef !== null) ipc = { mode: 'container', ref: ipcRef };
  else if (ipcValue === 'private' || ipcValue === 'shareable' || ipcValue === 'host' || ipcValue === 'none') ipc = { mode: ipcValue };
  else throw invalid('--ipc', 'IPC', ipcValue, ipcAccepted);

  const pidAccepted = 'host or container:NAME';
  const pidValue = req.pid ?? '';
  const pidRef = containerRef(pidValue, '--pid', 'PID', pidAccepted);
  let pid: AskedModes['pid'];
  if (pidRef !== null) pid = { mode: 'container', ref: pidRef };
  else if (pidValue === '' || pidValue === 'host') pid = { mode: pidValue };
  else throw invalid('--pid', 'PID', pidValue, pidAccepted);

  const uts = req.uts ?? '';
  if (uts !== '' && uts !== 'host') throw invalid('--uts', 'UTS', uts, 'host');
  const userns = req.userns ?? '';
  if (userns !== '' && userns !== 'host') {
    throw new MobyDickError('USAGE', `--userns: invalid USER mode: ${JSON.stringify(userns)}: moby-dick has no user namespace remapping`, {
      subject: userns,
      hint: '--userns takes host (what every container of moby-dick\'s engine has)',
    });
  }
  return { ipc, pid, uts, userns };
}

/** At create: the modes with a joined container's full ID, as the record keeps them (refuses joining itself, or a container that cannot be shared). */
export function resolveNamespaceModes(e: EngineCore, asked: AskedModes): NamespaceModes {
  let ipc: string;
  if (asked.ipc.mode === 'container') {
    const donor = e.containers.find(asked.ipc.ref);
    const donorIpc = donor.namespaceModes?.ipc ?? 'private';
    if (donorIpc !== 'shareable' && donorIpc !== 'host') {
      throw new MobyDickError('USAGE', `cannot join IPC of container ${donor.name}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`, {
        container: donor.name,
        hint: `run ${donor.name} with --ipc shareable`,
      });
    }
    ipc = donorIpc === 'host' ? 'host' : `container:${donor.id}`;
  } else ipc = asked.ipc.mode;
  const pid = asked.pid.mode === 'container' ? `container:${e.containers.find(asked.pid.ref).id}` : asked.pid.mode;
  return { ipc, pid, uts: asked.uts, userns: asked.userns };
}

/** The running container whose namespace MODE ("container:ID") names; Docker's words when it does not run. */
function donorOf(e: EngineCore, record: ContainerRecord, mode: string, kind: string): { pid: number } {
  const id = mode.slice('container:'.length);
  let v;
  try {
    v = e.view(e.containers.find(id));
  } catch {
    throw new MobyDickError('USAGE', `cannot join ${kind} of a non running container: ${id}`, { container: record.name, hint: 'the container it joins was removed: create this one again' });
  }
  if (!v.state.Running) {
    throw new MobyDickError('USAGE', `cannot join ${kind} of a non running container: ${v.record.id}`, { container: record.name, hint: `start ${v.record.name} first` });
  }
  return { pid: v.pid };
}

type Namespaces = Pick<EngineContainer, 'ipc' | 'pid' | 'uts' | 'shm'>;

/** What MODES give that needs no other container: the host's namespaces and /dev/shm, or none (recorded at create). */
export function ownNamespaces(modes: NamespaceModes): Namespaces {
  const out: Namespaces = {};
  if (modes.ipc === 'host') {
    out.ipc = { mode: 'host' };
    out.shm = { mode: 'host' };
  }
  if (modes.ipc === 'none') out.shm = { mode: 'none' };
  if (modes.pid === 'host') out.pid = { mode: 'host' };
  if (modes.uts === 'host') out.uts = { mode: 'host' };
  return out;
}

/** When RECORD starts: its namespaces and /dev/shm, a joined container's by its running process's paths. */
export function joinedNamespaces(e: EngineCore, record: ContainerRecord): Namespaces {
  const modes = record.namespaceModes;
  if (!modes) return {};
  const out = ownNamespaces(modes);
  if (modes.ipc.startsWith('container:')) {
    const donor = donorOf(e, record, modes.ipc, 'IPC');
    out.ipc = { mode: 'path', path: `/proc/${donor.pid}/ns/ipc` };
    // and its /dev/shm, as Docker shares it
    out.shm = { mode: 'container', nsPath: `/proc/${donor.pid}/ns/mnt` };
  }
  if (modes.pid.startsWith('container:')) out.pid = { mode: 'path', path: `/proc/${donorOf(e, record, modes.pid, 'PID namespace').pid}/ns/pid` };
  return out;
}
