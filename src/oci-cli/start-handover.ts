/**
 * The launcher's hand-over of `start` (native/launcher/fast-commands.c):
 * when it released a container's init itself but the fifo did not end the
 * plain way (no byte, or records behind it: a step failed before exec), it
 * starts this path with what it read in a memfd named in
 * MOBY_DICK_START_HANDOVER, so the error is this path's, word for word.
 * The memfd holds '1' or '0' (whether the byte came), then the records.
 */
import { closeSync, readFileSync, readlinkSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import { RecordSplitter } from '../helper/plan-wire.js';
import type { StartReport } from '../oci/exec-fifo.js';

export const HANDOVER_ENV = 'MOBY_DICK_START_HANDOVER';
/** the memfd's name, as the launcher makes it */
export const HANDOVER_MEMFD = 'mdk-start-report';

/** The report handed over in ENV (taken out of it, so no child inherits it), or undefined when there is none. */
export function takeStartHandover(env: NodeJS.ProcessEnv = process.env): StartReport | undefined {
  const text = env[HANDOVER_ENV];
  if (text === undefined) return undefined;
  delete env[HANDOVER_ENV];
  const fd = /^\d{1,4}$/.test(text) ? Number(text) : -1;
  let link = '';
  try {
    link = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    /* not an open fd */
  }
  if (fd < 3 || !link.startsWith(`/memfd:${HANDOVER_MEMFD} `)) {
    throw new MobyDickError('USAGE', `${HANDOVER_ENV}=${JSON.stringify(text)} is not the launcher's report`, { hint: `unset ${HANDOVER_ENV}` });
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  return { started: bytes[0] === 0x31, records: new RecordSplitter().push(bytes.subarray(1)) };
}
