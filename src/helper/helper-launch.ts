/** Starting the C helper: its fds, the spawn through the addon, and the plan on fd 3. */
import { closeSync, writeSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import { processSignals, type SignalSource } from './signal-source.js';
import { HelperFds, type StdioMode } from './helper-fds.js';
import { helperPath } from './helper-path.js';
import { type NativeAddon, nativeAddon } from './native-addon.js';

export interface HelperProcess {
  addon: LaunchSyscalls;
  pid: number;
  fds: HelperFds;
  /** [exitCode, signal] once reaped */
  exit?: [number, number];
}

/** Waits for the helper to end (once); it ends soon after its status pipe does. */
export function reapHelper(helper: HelperProcess): [number, number] {
  helper.exit ??= helper.addon.wait(helper.pid);
  return helper.exit;
}

export interface LaunchOptions {
  stdio: StdioMode;
  interactive: boolean;
  /** run the helper from a sealed memfd (see needsSealedHelper) */
  sealed: boolean;
  /** pass this process's fds 3..3+N-1 on (--preserve-fds); they reach the helper at 5.. */
  preserveFds?: number;
  /** pass these fds of this process on instead (they reach the helper at 5.., the command at 3..; the plan's preserve_fds counts them) */
  passFds?: readonly number[];
}

/** What launching the helper needs of the addon: its pipes and posix_spawn, and its wait (reapHelper). */
export type LaunchSyscalls = Pick<NativeAddon, 'pipe' | 'spawn' | 'wait'>;

export function launchHelper(plan: Buffer, options: LaunchOptions, addon: LaunchSyscalls = nativeAddon()): HelperProcess {
  const fds = new HelperFds(addon, options.stdio, options.interactive);
  const helper = helperPath();
  let pid: number;
  try {
    const args = [helper, String(process.pid), ...(options.sealed ? ['seal'] : [])];
    const preserved = options.passFds ?? Array.from({ length: options.preserveFds ?? 0 }, (_, i) => 3 + i);
    // no environment: the helper reads none (the plan carries the container's), and with --init it stays
    // the container's pid 1, whose /proc/1/environ must not show the host's
    pid = addon.spawn(helper, args, [...fds.child, ...preserved], true);
  } catch (e) {
    for (const fd of [fds.control, fds.status]) closeSync(fd);
    for (const stream of Object.values(fds.streams)) stream?.destroy();
    throw new MobyDickError('HELPER', `cannot start the helper: ${(e as Error).message}`, { subject: helper });
  } finally {
    fds.closeChildEnds();
  }
  sendControl(fds.control, plan);
  return { addon, pid, fds };
}

/** Writes to the helper's fd 3; false when the helper is gone (its exit says why). */
export function sendControl(fd: number, message: Buffer): boolean {
  try {
    writeSync(fd, message);
    return true;
  } catch {
    return false;
  }
}

/** A helper as the OCI runtime drives it: its pid, its plan/control and status fds, and its reaping. */
export interface LaunchedHelper {
  pid: number;
  fds: { control: number; status: number; streams?: HelperFds['streams'] };
  /** waits for the helper to end (once): [exitCode, signal] */
  reap(): Promise<[number, number]>;
}

/**
 * Where a helper is started: in this process (the Node path), or in the
 * process of a compile service's caller (src/oci-cli/compile-service.ts),
 * which then hands over the two pipe ends.
 */
export interface HelperLauncher {
  launch(plan: Buffer, options: LaunchOptions): Promise<LaunchedHelper>;
  /** throws when this launcher cannot make the container of SPEC; called before anything is done for it */
  accept(spec: { hooks?: object }): void;
  /** the signals a foreground run or exec passes on to its container: those of the process the helper is a child of */
  signals: SignalSource;
}

/** The Node path's launcher: the helper is this process's child. */
export const localLauncher: HelperLauncher = {
  launch: async (plan, options) => {
    const helper = launchHelper(plan, options);
    return { pid: helper.pid, fds: helper.fds, reap: async () => reapHelper(helper) };
  },
  accept: () => {},
  signals: processSignals,
};

/** A launcher's refusal (accept): the command goes back to its caller untouched, to run on the Node path. */
export class LaunchRefused extends Error {}
