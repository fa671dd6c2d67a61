/**
 * A container's state as Docker reports it (State in `inspect`, STATUS in
 * `ps`), from what the engine recorded, what the OCI runtime sees in /proc
 * and what the monitor wrote when the container ended. Pure.
 */
import { humanDuration } from '../util/human-units.js';
import { type Health, healthText } from './health.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead';

export interface Observed {
  /** the engine started it at least once */
  started: boolean;
  /** the OCI runtime's view, undefined when it has no state for it */
  runtime?: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  /** the monitor's exit file, if written */
  exit?: { exitCode: number; finishedAt: string };
}

export interface State {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Dead: boolean;
  ExitCode: number;
  Error: string;
  FinishedAt?: string;
  /** with health checks, once started */
  Health?: Health;
}

export function containerState(o: Observed): State {
  const base = { Running: false, Paused: false, Dead: false, ExitCode: 0, Error: '' };
  if (o.runtime === 'running') return { ...base, Status: 'running', Running: true };
  if (o.runtime === 'paused') return { ...base, Status: 'paused', Running: true, Paused: true };
  if (!o.started) return { ...base, Status: 'created' };
  // made and not started yet: a start under way, or one killed between the runtime's create and start
  // (its process is parked, or was never made; `start` and `rm -f` deal with either)
  if (!o.exit && (o.runtime === 'created' || o.runtime === 'creating')) return { ...base, Status: 'created' };
  if (o.exit) return { ...base, Status: 'exited', ExitCode: o.exit.exitCode, FinishedAt: o.exit.finishedAt };
  // it ran, and nothing recorded its end: its monitor was killed, or the host went down
  return { ...base, Status: 'dead', Dead: true, ExitCode: 255, Error: 'the container\'s monitor ended before it could record the exit' };
}

/** Docker's zero time, for a time that has not come */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** inspect's State object (the CLI's inspect and the Engine API's), Docker's fields. */
export interface InspectState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: Health;
}

export function inspectState(s: State, pid: number, startedAt: string | undefined, oomKilled: boolean): InspectState {
  return {
    Status: s.Status,
    Running: s.Running,
    Paused: s.Paused,
    Restarting: false,
    OOMKilled: oomKilled,
    Dead: s.Dead,
    Pid: pid,
    ExitCode: s.ExitCode,
    Error: s.Error,
    StartedAt: startedAt ?? ZERO_TIME,
    FinishedAt: s.FinishedAt ?? ZERO_TIME,
    ...(s.Health ? { Health: s.Health } : {}),
  };
}

/** ps's STATUS column: "Up 3 seconds", "Up 3 seconds (healthy)", "Exited (0) 2 minutes ago", "Created", "Dead". */
export function statusText(s: State, startedAt: string | undefined, now: number): string {
  if (s.Status === 'running' || s.Status === 'paused') {
    const up = `Up ${humanDuration(now - Date.parse(startedAt ?? new Date(now).toISOString()))}`;
    if (s.Paused) return `${up} (Paused)`;
    return s.Health ? `${up} (${healthText(s.Health)})` : up;
  }
  if (s.Status === 'exited') return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt ?? ''))} ago`;
  if (s.Status === 'dead') return 'Dead';
  return s.Status === 'restarting' ? 'Restarting' : 'Created';
}
