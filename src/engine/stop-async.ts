/**
 * Engine.stop() without blocking: the same steps (the stop signal, SIGKILL
 * to every process of the container after the timeout, the exit file
 * awaited), waiting with timers instead of sleeps, so that a process
 * serving many clients (the Engine API's service) goes on serving while a
 * container takes its time to stop. Engine.restart()'s counterpart too.
 */
import { existsSync } from 'node:fs';
import type { ContainerRecord } from './container-table.js';
import type { ContainerView, Engine } from './engine.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function runtimeStopped(engine: Engine, id: string): boolean {
  try {
    return engine.runtime.state(id).status === 'stopped';
  } catch {
    return true; // no state: nothing runs
  }
}

async function until(test: () => boolean, ms: number, step = 20): Promise<boolean> {
  for (let waited = 0; ; waited += step) {
    if (test()) return true;
    if (waited >= ms) return false;
    await sleep(step);
  }
}

/** `stop`: the stop signal (or SIGNAL), then SIGKILL after TIMEOUT seconds; resolves once it has ended. */
export async function stopAsync(engine: Engine, ref: string, timeout?: number, signal?: string): Promise<ContainerRecord> {
  const found = engine.containers.find(ref);
  const record = await engine.locked(found.id, () => {
    const r = engine.containers.find(found.id);
    r.state.stoppedByUser = true;
    engine.containers.save(r);
    return r;
  });
  const v = engine.view(record);
  if (!v.state.Running) return record;
  if (v.state.Paused) engine.runtime.pause(record.id, false);
  const seconds = timeout ?? record.stopTimeout;
  try {
    engine.runtime.kill(record.id, (signal ?? record.stopSignal) as NodeJS.Signals);
  } catch {
    /* it ended meanwhile */
  }
  if (!(await until(() => runtimeStopped(engine, record.id), Math.max(0, seconds) * 1000))) {
    try {
      engine.runtime.kill(record.id, 'SIGKILL', true);
    } catch {
      /* it ended meanwhile */
    }
    await until(() => runtimeStopped(engine, record.id), 10_000);
  }
  await until(() => existsSync(engine.paths(record.id).exitFile), 2000, 10);
  return record;
}

/** `restart`: stopAsync, then the engine's start (under the container's lock). */
export async function restartAsync(engine: Engine, ref: string, timeout?: number, signal?: string, beforeStart?: (v: ContainerView) => Promise<void> | void): Promise<ContainerView> {
  const record = await stopAsync(engine, ref, timeout, signal);
  return engine.locked(record.id, () => engine.start(record.id, beforeStart));
}
