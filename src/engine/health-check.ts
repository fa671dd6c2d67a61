/**
 * One health check of a running container, as the container's monitor asks
 * for it (`moby-dick container-health ID`, native/src/watch.c): the
 * check's command run as an exec in the container (the way `moby-dick exec`
 * runs one: the container's user, working directory and environment), its
 * output kept, killed at the timeout; then, under the container's lock,
 * the result applied to its health (health.ts), which is kept in the
 * container's directory (health.json, with the start it belongs to, so a
 * check of an earlier run never counts for a later one) and a
 * `health_status: STATUS` event when the status changes.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { formatGoDuration } from '../util/go-duration.js';
import type { Container } from '../helper/container.js';
import type { ContainerRecord } from './container-table.js';
import type { EngineCore } from './engine-core.js';
import { containerEvent } from './events.js';
import { applyResult, type Health, HEALTH_DEFAULTS, type HealthLogEntry, healthSettings, MAX_OUTPUT, nextCheckDelay, probeArgv, probeOutput, runsChecks, startingHealth } from './health.js';
import type { ContainerPaths } from './paths.js';

/** health.json: the health of the run that started at startedAt. */
interface HealthFile {
  startedAt: string;
  health: Health;
}

function readHealthFile(paths: ContainerPaths): HealthFile | undefined {
  try {
    const f = JSON.parse(readFileSync(paths.healthFile, 'utf8')) as HealthFile;
    return typeof f.startedAt === 'string' && typeof f.health?.Status === 'string' ? f : undefined;
  } catch {
    return undefined;
  }
}

function writeHealthFile(paths: ContainerPaths, f: HealthFile): void {
  const tmp = `${paths.healthFile}.tmp`;
  writeFileSync(tmp, JSON.stringify(f));
  renameSync(tmp, paths.healthFile);
}

/** RECORD's State.Health: undefined without checks or before its first start; "starting" until a check of this run has a result. */
export function healthOf(record: ContainerRecord, paths: ContainerPaths): Health | undefined {
  const startedAt = record.state.startedAt;
  if (!runsChecks(record.healthcheck) || startedAt === undefined) return undefined;
  const f = readHealthFile(paths);
  return f?.startedAt === startedAt ? f.health : startingHealth(f?.health);
}

/** Keeps the first MAX_OUTPUT bytes of STREAMS; whether more came. */
function collect(streams: readonly (Readable | null)[]): { bytes: () => Buffer; more: () => boolean; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  let size = 0;
  let more = false;
  const ended = streams.map(
    (s) =>
      new Promise<void>((resolve) => {
        if (!s) return resolve();
        s.on('data', (b: Buffer) => {
          const room = MAX_OUTPUT - size;
          if (b.length > room) more = true;
          if (room > 0) {
            chunks.push(b.subarray(0, room));
            size += Math.min(room, b.length);
          }
        });
        s.on('end', resolve).on('close', resolve).on('error', () => resolve());
      }),
  );
  return { bytes: () => Buffer.concat(chunks), more: () => more, ended: Promise.all(ended).then(() => {}) };
}

/**
 * Runs ARGV in container ID, stdout and stderr kept, killed after TIMEOUT
 * nanoseconds from its start: Docker's result (exit code -1 with its words
 * when it timed out or could not run).
 */
export async function runProbe(e: EngineCore, id: string, argv: readonly string[], timeout: number): Promise<Omit<HealthLogEntry, 'Start'>> {
  let container: Container | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let output: ReturnType<typeof collect> | undefined;
  try {
    const code = await e.runtime.exec(id, {
      args: [...argv],
      stdio: 'pipe',
      onContainer: (c) => {
        container = c;
        output = collect([c.stdout, c.stderr]);
        c.pid.then(
          () => {
            timer = setTimeout(() => {
              timedOut = true;
              c.kill('SIGKILL');
            }, Math.max(1, Math.ceil(timeout / 1e6)));
          },
          () => {},
        );
      },
    });
    // what is still in the pipes (a process it left behind may hold them: not waited for long)
    if (output) await Promise.race([output.ended, new Promise((r) => setTimeout(r, 200).unref())]);
    const text = output ? probeOutput(output.bytes(), output.more()) : '';
    if (timedOut) {
      const limit = formatGoDuration(timeout);
      return { End: new Date().toISOString(), ExitCode: -1, Output: text ? `Health check exceeded timeout (${limit}): ${text}` : `Health check exceeded timeout (${limit})` };
    }
    return { End: new Date().toISOString(), ExitCode: code, Output: text };
  } catch (err) {
    return { End: new Date().toISOString(), ExitCode: -1, Output: (err as Error).message };
  } finally {
    clearTimeout(timer);
    container?.stdout?.destroy();
    container?.stderr?.destroy();
  }
}

/**
 * The monitor's check of container ID: runs it when the container runs (and
 * is not paused), records the result; the milliseconds until the next check.
 */
export async function checkHealth(e: EngineCore, id: string): Promise<number> {
  const record = e.containers.find(id);
  const config = record.healthcheck;
  if (!runsChecks(config)) return HEALTH_DEFAULTS.interval / 1e6;
  const settings = healthSettings(config);
  const startedAt = record.state.startedAt;
  const v = e.view(record);
  if (startedAt === undefined || !v.state.Running || v.state.Paused) return Math.ceil(settings.interval / 1e6);
  const Start = new Date().toISOString();
  const result = await runProbe(e, id, probeArgv(config, record.shell), settings.timeout);
  const health = await e.locked(id, () => {
    let now: ContainerRecord;
    try {
      now = e.containers.find(id);
    } catch {
      return undefined; // removed meanwhile
    }
    // a later run (restarted meanwhile), or it ended: this result is not its
    if (now.state.startedAt !== startedAt || !e.view(now).state.Running) return undefined;
    const before = healthOf(now, v.paths) ?? startingHealth();
    const after = applyResult(before, { Start, ...result }, settings, Date.parse(startedAt));
    writeHealthFile(v.paths, { startedAt, health: after });
    if (after.Status !== before.Status) containerEvent(e, now, `health_status: ${after.Status}`);
    return after;
  });
  return nextCheckDelay(settings, Date.parse(startedAt), Date.now(), health?.Status ?? 'starting');
}
