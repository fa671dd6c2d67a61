/**
 * Health checks as Docker has them (HEALTHCHECK, --health-*): the config
 * (Docker's HealthConfig, durations in nanoseconds, 0 meaning the default),
 * the image's merged under the user's, the command a check runs, and the
 * state machine: each check's result moves State.Health between starting,
 * healthy and unhealthy, counts the failing streak and keeps the last five
 * results; the time to the next check. Pure: the checks themselves are
 * health-check.ts, run by the container's monitor.
 */

/** Docker's HealthConfig: Test is ["NONE"], ["CMD", ARGV...] or ["CMD-SHELL", COMMAND]; [] inherits the image's. */
export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One check's result, as State.Health.Log holds it (RFC 3339 times). */
export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** State.Health */
export interface Health {
  Status: HealthStatus;
  FailingStreak: number;
  /** the last results, oldest first */
  Log: HealthLogEntry[];
}

/** The values a check uses, Docker's defaults filled in (nanoseconds). */
export interface HealthSettings {
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export const HEALTH_DEFAULTS: Readonly<HealthSettings> = { interval: 30e9, timeout: 30e9, startPeriod: 0, startInterval: 5e9, retries: 3 };
/** results kept in State.Health.Log */
export const MAX_LOG_ENTRIES = 5;
/** bytes of a check's output kept */
export const MAX_OUTPUT = 4096;
/** the shortest duration Docker takes (1ms) */
const MINIMUM_NS = 1e6;

export function healthSettings(c: HealthConfig): HealthSettings {
  const or = (v: number | undefined, d: number): number => (v ? v : d);
  return {
    interval: or(c.Interval, HEALTH_DEFAULTS.interval),
    timeout: or(c.Timeout, HEALTH_DEFAULTS.timeout),
    startPeriod: or(c.StartPeriod, HEALTH_DEFAULTS.startPeriod),
    startInterval: or(c.StartInterval, HEALTH_DEFAULTS.startInterval),
    retries: c.Retries !== undefined && c.Retries > 0 ? c.Retries : HEALTH_DEFAULTS.retries,
  };
}

/** Whether C runs checks: a CMD or CMD-SHELL test (NONE, none at all, or an unknown type: no). */
export function runsChecks(c: HealthConfig | undefined): c is HealthConfig {
  return c !== undefined && (c.Test[0] === 'CMD' || c.Test[0] === 'CMD-SHELL') && c.Test.length > 1;
}

/** The daemon's check of a HealthConfig, in Docker's words; undefined when it is fine. */
export function healthConfigError(c: HealthConfig): string | undefined {
  const durations = [['Interval', c.Interval], ['Timeout', c.Timeout], ['StartPeriod', c.StartPeriod], ['StartInterval', c.StartInterval]] as const;
  for (const [name, v] of durations) {
    if (v !== undefined && v !== 0 && v < MINIMUM_NS) return `${name} in Healthcheck cannot be less than 1ms`;
  }
  if (c.Retries !== undefined && c.Retries < 0) return 'Retries in Healthcheck cannot be negative';
  const kind = c.Test[0];
  if (kind !== undefined && kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') return `unknown healthcheck type '${kind}' (expected 'CMD', 'CMD-SHELL' or 'NONE')`;
  if ((kind === 'CMD' || kind === 'CMD-SHELL') && c.Test.length < 2) return `healthcheck ${kind} needs a command`;
  return undefined;
}

/** An image config's Healthcheck (kept as is by the store: read with care); undefined when it has none that reads. */
export function imageHealthcheck(raw: unknown): HealthConfig | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (!Array.isArray(o.Test) || !o.Test.every((t) => typeof t === 'string')) return undefined;
  const out: HealthConfig = { Test: [...(o.Test as string[])] };
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if (typeof o[k] === 'number' && Number.isFinite(o[k])) out[k] = o[k];
  }
  return out;
}

/** Docker's merge: the user's config, its empty Test and zero values taken from the image's. */
export function mergeHealthcheck(image: HealthConfig | undefined, user: HealthConfig | undefined): HealthConfig | undefined {
  if (user === undefined) return image;
  if (image === undefined) return user;
  const out: HealthConfig = { ...user, Test: user.Test.length ? [...user.Test] : [...image.Test] };
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if (!out[k] && image[k]) out[k] = image[k];
  }
  return out;
}

/** What a check runs: CMD's argv, or CMD-SHELL's command under SHELL (the image's SHELL, /bin/sh -c by default). */
export function probeArgv(c: HealthConfig, shell: readonly string[] = ['/bin/sh', '-c']): string[] {
  return c.Test[0] === 'CMD-SHELL' ? [...shell, ...c.Test.slice(1)] : c.Test.slice(1);
}

/** A check's output as Docker keeps it: the first 4096 bytes, "..." when there was more. */
export function probeOutput(bytes: Buffer, more: boolean): string {
  const kept = bytes.subarray(0, MAX_OUTPUT).toString('utf8');
  return more || bytes.length > MAX_OUTPUT ? `${kept}...` : kept;
}

/** Health at a container's start: starting, no failures; the log of its last run is kept, as Docker's. */
export function startingHealth(previous?: Health): Health {
  return { Status: 'starting', FailingStreak: 0, Log: previous ? [...previous.Log] : [] };
}

/**
 * Docker's handleProbeResult: a success makes it healthy and ends the
 * streak; a failure adds to the streak (not while it is starting within the
 * start period) and makes it unhealthy at RETRIES. STARTED_AT: when the
 * container started (ms since the epoch).
 */
export function applyResult(h: Health, r: HealthLogEntry, s: Pick<HealthSettings, 'retries' | 'startPeriod'>, startedAt: number): Health {
  const Log = [...h.Log, r].slice(-MAX_LOG_ENTRIES);
  if (r.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  const inStartPeriod = h.Status === 'starting' && (Date.parse(r.Start) - startedAt) * 1e6 < s.startPeriod;
  if (inStartPeriod) return { ...h, Log };
  const FailingStreak = h.FailingStreak + 1;
  return { Status: FailingStreak >= s.retries ? 'unhealthy' : h.Status, FailingStreak, Log };
}

/**
 * Milliseconds from the end of a check to the next, as Docker's monitor:
 * the interval; within the start period, the start interval while it is
 * starting, and never past the start period's end.
 */
export function nextCheckDelay(s: HealthSettings, startedAt: number, now: number, status: HealthStatus): number {
  const ms = (ns: number): number => Math.max(1, Math.ceil(ns / 1e6));
  const elapsed = (now - startedAt) * 1e6;
  if (elapsed >= s.startPeriod) return ms(s.interval);
  const remaining = s.startPeriod - elapsed;
  if (remaining < s.interval) return ms(remaining);
  return ms(status === 'starting' ? s.startInterval : s.interval);
}

/** ps's words for it: "health: starting", "healthy", "unhealthy". */
export function healthText(h: Health): string {
  return h.Status === 'starting' ? 'health: starting' : h.Status;
}

/** What `ps --filter health=` takes. */
export const HEALTH_FILTER_VALUES: readonly string[] = ['starting', 'healthy', 'unhealthy', 'none'];

/** A container's value for `ps --filter health=`: its status, "none" without checks. */
export function healthFilterValue(state: { Health?: Health }): string {
  return state.Health?.Status ?? 'none';
}
