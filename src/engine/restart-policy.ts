import type { ContainerRecord } from './container-table.js';

/** Docker's restart policies, decided when the container has ended. */
export function shouldRestart(record: ContainerRecord, exitCode: number): boolean {
  const p = record.restart;
  if (p.name === 'no') return false;
  if (record.state.stoppedByUser) return false;
  if (p.name === 'on-failure') {
    if (exitCode === 0) return false;
    return p.maximumRetryCount === 0 || record.state.restartCount < p.maximumRetryCount;
  }
  return true; // always, unless-stopped
}
