/** A container's event (util/event-log.ts) in Docker's shape: its labels, image and name as attributes, and EXTRA (exitCode, signal). */
import { constants } from 'node:os';
import type { ContainerRecord } from './container-table.js';
import type { EngineCore } from './engine-core.js';

export function containerEvent(e: Pick<EngineCore, 'store'>, record: ContainerRecord, action: string, extra: Readonly<Record<string, string | undefined>> = {}): void {
  e.store.events.record('container', action, record.id, { ...record.labels, image: record.image, name: record.name, ...extra });
}

/** A signal's number as Docker's kill event gives it ("15" for SIGTERM or TERM). */
export function signalNumber(signal: string): string {
  if (/^\d+$/.test(signal)) return signal;
  const upper = signal.toUpperCase();
  const n = constants.signals[(upper.startsWith('SIG') ? upper : `SIG${upper}`) as NodeJS.Signals];
  return n === undefined ? signal : String(n);
}
