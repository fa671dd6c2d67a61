/** What the runtime keeps of a container (state.json) and the OCI state it prints: the types, apart from the store (state.ts). */
import type { CgroupPlacement } from '../cgroups/cgroup.js';
import type { Spec } from '../spec/schema.js';

export const OCI_VERSION = '1.2.0';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface SavedState {
  id: string;
  /** host pid of the container's pid 1; 0 while it is being created */
  pid: number;
  pidStartTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** the container's cgroups, to pause, update, read and remove them */
  cgroup?: CgroupPlacement;
  /** the validated config.json, for the hooks of start and delete */
  spec?: Spec;
  /**
   * no mount namespace of its own: the root is a bind on the host, taken
   * down at delete to this mount, the one root.path was on before (host-bind.ts)
   */
  hostRootBelow?: number;
}

/** The OCI state, as `state` prints it. */
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/**
 * The runtime's words the launcher says too (native/launcher/fast.h; the
 * fast state's test checks both sides): "%s" is the container's id.
 */
export const RUNTIME_MESSAGES = {
  notFound: 'container "%s" does not exist',
  notRunning: 'cannot kill container "%s": container not running',
} as const;

export function runtimeMessage(template: string, id: string): string {
  return template.replace('%s', id);
}
