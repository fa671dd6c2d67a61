/**
 * The fast state: what the launcher (native/launcher/fast-*.c) needs to
 * answer `state`, `start`, `kill`, `delete`, `pause`, `resume`, `ps` and `list`
 * without starting Node, written by TypeScript next to state.json whenever
 * that holds a running container's pid. The decisions stay here: the exact
 * bytes `state` prints (but for the pid and the status, which /proc tells
 * at the time), the cgroup files to read, freeze and remove, and which
 * commands the launcher must leave to Node for this container (hooks, a
 * root bound on the host). The launcher only reads, looks at /proc,
 * signals, writes and removes what is listed; whatever it is unsure of, it
 * leaves to the TypeScript path (same argv), so the bytes and exit codes
 * are that path's.
 *
 * Format: records of "KEY LENGTH\nVALUE\n" (VALUE is LENGTH bytes, any
 * bytes), the first one "version 1". A record of a key the launcher does
 * not know, or another version, makes it leave every command to Node.
 * "state-file" is state.json's stat when the fast state was written
 * (inode, size, mtime in ns): a state.json changed since (by a crash's
 * recovery, or by hand) no longer matches, and the launcher leaves the
 * command to Node rather than answer from a stale copy.
 */
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupPlacement } from '../cgroups/cgroup.js';
import type { OciState, SavedState } from './saved-state.js';

export const FAST_STATE_FILE = 'fast-state';
export const FAST_STATE_VERSION = '1';

/** The commands the launcher may serve; `slow` lists those it must not, for one container. */
export const FAST_COMMANDS = ['state', 'start', 'kill', 'delete', 'pause', 'resume', 'ps', 'list'] as const;
export type FastCommand = (typeof FAST_COMMANDS)[number];

/** Every key of the format, in the order they are written ("rmdir-own" and "rmdir-parent" repeat). */
export const FAST_STATE_KEYS = [
  'version', 'state-file', 'pid', 'start-time', 'state-0', 'state-1', 'state-2', 'list-0', 'list-1', 'list-2', 'bundle', 'created', 'owner', 'slow', 'freezer-v1', 'freezer-v2', 'procs', 'rmdir-own', 'rmdir-parent',
] as const;
type Key = (typeof FAST_STATE_KEYS)[number];

/** `state`'s output: the OCI state as indented JSON and a newline. */
export function stateJson(state: OciState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** `list --format json`'s form of one state, compact. */
export function stateLine(state: OciState): string {
  return JSON.stringify(state);
}

/**
 * RENDER(STATE) as three pieces: the output is piece 0, the pid, piece 1,
 * the status, piece 2. Undefined if they do not give RENDER's bytes back
 * (then the launcher leaves the command to Node).
 */
export function stateTemplate(state: OciState, render: (s: OciState) => string = stateJson): [string, string, string] | undefined {
  const text = render({ ...state, pid: 0, status: 'creating' });
  // ociVersion and id come first and hold no '"' unescaped: the first of each key is the state's own
  const after = (key: string): number => {
    const at = text.indexOf(key);
    return at < 0 ? -1 : at + key.length + (text.startsWith(' ', at + key.length) ? 1 : 0);
  };
  const pidAt = after('"pid":');
  const statusAt = after('"status":');
  if (pidAt < 0 || statusAt < pidAt || !text.startsWith('0,', pidAt) || !text.startsWith('"creating"', statusAt)) return undefined;
  const pieces: [string, string, string] = [text.slice(0, pidAt), `${text.slice(pidAt + 1, statusAt)}"`, text.slice(statusAt + '"creating'.length)];
  const fill = (pid: number, status: OciState['status']): string => `${pieces[0]}${pid}${pieces[1]}${status}${pieces[2]}`;
  for (const [pid, status] of [[0, 'stopped'], [4194304, 'running']] as const) {
    if (fill(pid, status) !== render({ ...state, pid, status })) return undefined;
  }
  return pieces;
}

/** The commands the launcher must leave to Node for SAVED: those that run hooks, and delete of a root bound on the host. */
export function slowCommands(saved: SavedState): FastCommand[] {
  const hooks = saved.spec?.hooks ?? {};
  const has = (kind: keyof typeof hooks): boolean => (hooks[kind]?.length ?? 0) > 0;
  const slow: FastCommand[] = [];
  if (has('startContainer') || has('poststart')) slow.push('start');
  if (has('poststop') || saved.hostRootBelow !== undefined) slow.push('delete');
  return slow;
}

/** The cgroup records: the freezer, where the processes are listed, and the directories to remove in order. */
function cgroupRecords(placement: CgroupPlacement): [Key, string][] {
  const out: [Key, string][] = [];
  if (placement.freezer) out.push([placement.version === 1 ? 'freezer-v1' : 'freezer-v2', placement.freezer]);
  const procs = placement.byController.pids ?? placement.byController.memory ?? placement.dirs[0];
  if (procs) out.push(['procs', procs]);
  // the container's own directories and the parents made for it, as CgroupManager.remove takes them (removalRetries)
  for (const dir of [...placement.created].reverse()) out.push([placement.dirs.includes(dir) ? 'rmdir-own' : 'rmdir-parent', dir]);
  return out;
}

/** "INODE SIZE MTIME_NS" of a file, as the launcher prints its stat (fast_state_file_matches). */
export function fileStamp(file: string): string {
  const st = statSync(file, { bigint: true });
  return `${st.ino} ${st.size} ${st.mtimeNs}`;
}

/** The fast state of SAVED (which has its pid), OCI being its OCI state, STAMP state.json's fileStamp. */
export function renderFastState(saved: SavedState, oci: OciState, stamp: string): string {
  const records: [Key, string][] = [
    ['version', FAST_STATE_VERSION],
    ['state-file', stamp],
    ['pid', String(saved.pid)],
    ['start-time', saved.pidStartTime],
  ];
  const slow = slowCommands(saved);
  const template = stateTemplate(oci);
  if (template) records.push(['state-0', template[0]], ['state-1', template[1]], ['state-2', template[2]]);
  else slow.push('state');
  // list: the compact form, and the table's columns (ASCII only: the launcher pads by bytes)
  const line = stateTemplate(oci, stateLine);
  const columns = [oci.bundle, oci.created, oci.owner];
  if (line && columns.every((c) => /^[\x20-\x7e]*$/.test(c))) {
    records.push(['list-0', line[0]], ['list-1', line[1]], ['list-2', line[2]], ['bundle', oci.bundle], ['created', oci.created], ['owner', oci.owner]);
  } else slow.push('list');
  records.push(['slow', slow.join(' ')]);
  if (saved.cgroup) records.push(...cgroupRecords(saved.cgroup));
  return records.map(([key, value]) => `${key} ${Buffer.byteLength(value)}\n${value}\n`).join('');
}

/** Writes the fast state into DIR (beside, then renamed: the launcher never reads half of it). */
export function writeFastState(dir: string, saved: SavedState, oci: OciState): void {
  const file = join(dir, FAST_STATE_FILE);
  writeFileSync(`${file}.tmp`, renderFastState(saved, oci, fileStamp(join(dir, 'state.json'))));
  renameSync(`${file}.tmp`, file);
}
