/**
 * Writing a rootless container's uid_map and gid_map while its first
 * process waits at the plan's "userns" sync point: through Debian's
 * newuidmap and newgidmap (package uidmap, setuid root; they check the
 * ranges against /etc/subuid and /etc/subgid) when the maps hold more than
 * the user alone, else directly, with setgroups denied first as the kernel
 * requires of an unprivileged writer of gid_map.
 */
import { writeFileSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import { type IdMapping, mapHelperArgs, mapText, needsMapHelper } from './id-maps.js';

export interface UserNamespaceMaps {
  uidMappings: readonly IdMapping[];
  gidMappings: readonly IdMapping[];
}

function procWrite(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new MobyDickError('SETUP', `cannot write ${file}: ${code}`, {
      step: 'user namespace',
      subject: file,
      errnoName: code,
      hint: 'an ordinary user may map only their own uid and gid: give the user ranges in /etc/subuid and /etc/subgid and install newuidmap (package uidmap)',
    });
  }
}

function runMapHelper(tool: 'newuidmap' | 'newgidmap', pid: number, maps: readonly IdMapping[]): void {
  // child_process only here: the CLI's startup snapshot should not hold it (cli/snapshot.ts)
  const r = process.getBuiltinModule('node:child_process').spawnSync(tool, [String(pid), ...mapHelperArgs(maps)], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code ?? 'error';
    throw new MobyDickError('SETUP', `cannot run ${tool}: ${code}`, {
      step: 'user namespace',
      subject: tool,
      errnoName: code,
      hint: code === 'ENOENT' ? `install ${tool} (Debian: apt-get install uidmap)` : undefined,
    });
  }
  if (r.status !== 0) {
    const file = tool === 'newuidmap' ? '/etc/subuid' : '/etc/subgid';
    throw new MobyDickError('SETUP', `${tool} failed: ${(r.stderr ?? '').trim() || `exit ${r.status}`}`, {
      step: 'user namespace',
      subject: tool,
      hint: `check your ranges in ${file} and that ${tool} is setuid root`,
    });
  }
}

/** Writes PID's maps as an ordinary user whose uid and gid are UID and GID. */
export function writeRootlessMaps(pid: number, maps: UserNamespaceMaps, uid: number, gid: number): void {
  if (needsMapHelper(maps.uidMappings, uid)) runMapHelper('newuidmap', pid, maps.uidMappings);
  else procWrite(`/proc/${pid}/uid_map`, mapText(maps.uidMappings));
  if (needsMapHelper(maps.gidMappings, gid)) {
    runMapHelper('newgidmap', pid, maps.gidMappings);
  } else {
    procWrite(`/proc/${pid}/setgroups`, 'deny');
    procWrite(`/proc/${pid}/gid_map`, mapText(maps.gidMappings));
  }
}
