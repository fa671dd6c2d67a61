/**
 * `update`: new limits and restart policy for a container, as Docker's
 * `docker update` — checked (update-limits.ts), written to the cgroups of
 * a running or paused container through the OCI runtime's update (what
 * `moby-dick-runtime update --resources` does, as Docker has runc do it),
 * then kept in the record, so that inspect shows them and every later start
 * builds its config with them. A stopped container only has its record
 * changed. Under the container's lock: its exit handling waits.
 */
import { availableParallelism } from 'node:os';
import type { Delegation } from '../cgroups/delegation.js';
import { MobyDickError } from '../errors.js';
import { isRootless } from '../rootless/rootless.js';
import { runtimeStatus } from './container-lifecycle.js';
import type { ContainerRecord } from './container-table.js';
import type { EngineCore } from './engine-core.js';
import { containerEvent } from './events.js';
import { blkioWeightSupported, hostResources } from './resource-support.js';
import { refuseUndelegatedLimits, userDelegation } from './rootless-container.js';
import { checkUpdate, type HostLimits, mergeUpdate, UPDATABLE_KEYS, type UpdatableLimits, type UpdateRequest } from './update-limits.js';

export interface UpdateResult {
  record: ContainerRecord;
  /** what the host could not do and was left out (Docker's warnings) */
  warnings: string[];
}

/** what the host allows: its online CPUs and nodes, the CPUs this process may use, whether blkio weights exist */
function hostLimits(): HostLimits {
  const h = hostResources();
  return { cpus: h.cpus, mems: h.mems, cpuCount: availableParallelism(), blkioWeight: blkioWeightSupported(h.layout) };
}

/** the limits of RECORD that update can change */
function limitsOf(record: ContainerRecord): UpdatableLimits {
  const out: UpdatableLimits = {};
  const e = record.engine as UpdatableLimits;
  for (const k of UPDATABLE_KEYS) if (e[k] !== undefined) (out as Record<string, unknown>)[k] = e[k];
  return out;
}

/** `update` of the container REF; HOST: what the host's cgroups allow (read from them when not given). */
export async function update(e: EngineCore, ref: string, req: UpdateRequest, host?: HostLimits, delegation: () => Delegation | null = userDelegation): Promise<UpdateResult> {
  // an ordinary user's container: limits only in a delegated subtree, of the controllers it delegates; its restart policy always
  if (e.options.rootless ?? isRootless()) refuseUndelegatedLimits(req as Readonly<Record<string, unknown>>, delegation());
  const { request, warnings } = checkUpdate(req, host ?? hostLimits());
  const found = e.containers.find(ref);
  return e.locked(found.id, () => {
    const record = e.containers.find(found.id);
    const merged = mergeUpdate(record.id, limitsOf(record), record.autoRemove, request);
    // running or paused (the runtime's state is there until the monitor's exit handling removes it)
    const status = runtimeStatus(e, record.id)?.status;
    if (status !== undefined && status !== 'stopped' && Object.keys(merged.resources).length > 0) {
      try {
        e.runtime.update(record.id, merged.resources);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new MobyDickError(err instanceof MobyDickError ? err.code : 'SETUP', `Cannot update container ${record.id}: ${message}`, {
          ...(err instanceof MobyDickError ? err.details : {}),
          container: record.id,
        });
      }
    }
    const engine = record.engine as typeof record.engine & UpdatableLimits;
    for (const k of UPDATABLE_KEYS) delete engine[k];
    Object.assign(engine, merged.limits);
    if (merged.restart) record.restart = merged.restart;
    e.containers.save(record);
    containerEvent(e, record, 'update');
    return { record, warnings };
  });
}
