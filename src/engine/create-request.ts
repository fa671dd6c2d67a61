/** What `create` is asked for: the CLI's flags (create-options.ts), and the Engine API's body, parsed. */
import type { RestartPolicy } from './container-table.js';
import type { ResourceLimits, SecuritySettings } from '../spec/spec-builder.js';

export interface VolumeRequest {
  kind: 'bind' | 'volume' | 'tmpfs';
  /** host path (bind), volume name ('' for an anonymous one), unused for tmpfs */
  source: string;
  destination: string;
  readOnly: boolean;
  propagation?: string;
  /** bind from -v: a missing host path is made, as Docker does (--mount refuses it) */
  createSource?: boolean;
  tmpfsOptions?: string[];
}

export interface CreateRequest extends ResourceLimits, SecuritySettings {
  image: string;
  command: readonly string[];
  entrypoint?: string;
  name?: string;
  hostname?: string;
  /** -e and --env-file, expanded: on top of the image's */
  env: readonly string[];
  workdir?: string;
  user?: string;
  tty: boolean;
  openStdin: boolean;
  readOnly: boolean;
  mounts: readonly VolumeRequest[];
  init: boolean;
  labels: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  restart: RestartPolicy;
  autoRemove: boolean;
  log: { maxSize: number; maxFiles: number };
  /** mount its upper dir volatile (overlay's option: never synced to disk), for a container removed right after (a build step's) */
  volatileUpper?: boolean;
  /** bridge (the default network), none, host, container:NAME, or a network's name or ID */
  network: string;
  /** --network-alias: more names on a user-defined network */
  networkAliases: readonly string[];
  /** -p values, as given */
  publish: readonly string[];
  /** -P: every exposed port on a port the engine picks */
  publishAll: boolean;
  /** --expose, on top of the image's ExposedPorts */
  expose: readonly string[];
  dns: readonly string[];
  dnsSearch: readonly string[];
  dnsOptions: readonly string[];
  /** --add-host NAME:IP */
  addHost: readonly string[];
  shmSize?: number;
}
