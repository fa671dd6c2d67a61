/** What `create` is asked for: the CLI's flags (create-options.ts), and the Engine API's body, parsed. */
import type { LogDriver, RestartPolicy } from './container-table.js';
import type { HealthConfig } from './health.js';
import type { PlatformSpec } from '../images/platform.js';
import type { DeviceMapping, ResourceLimits, SecuritySettings } from '../spec/spec-builder.js';

/** --pull: when `create` pulls the image (missing: only when the store lacks it) */
export type PullPolicy = 'always' | 'missing' | 'never';

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
  /** Docker's StdinOnce (run -i, create -i, attached): its stdin is closed when the attach that feeds it ends, however it ends */
  stdinOnce?: boolean;
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
  /** the host address of -P's bindings (the API service's --ip, as dockerd's); every address when absent */
  publishAllIp?: string;
  /** --expose, on top of the image's ExposedPorts */
  expose: readonly string[];
  dns: readonly string[];
  dnsSearch: readonly string[];
  dnsOptions: readonly string[];
  /** --add-host NAME:IP */
  addHost: readonly string[];
  shmSize?: number;
  /** --health-* or Config.Healthcheck, over the image's HEALTHCHECK (health.ts mergeHealthcheck) */
  healthcheck?: HealthConfig;
  /** default missing */
  pull?: PullPolicy;
  /** --platform: the image's platform; only this machine's runs here */
  platform?: PlatformSpec;
  /** --device: host device nodes made in the container and allowed in its device cgroup */
  devices?: readonly DeviceMapping[];
  /** --sysctl KEY=VALUE: namespaced ones only */
  sysctls?: Readonly<Record<string, string>>;
  /** --group-add: group names (the image's /etc/group) or numbers, on top of the user's */
  groupAdd?: readonly string[];
  /** --ipc private|shareable|host|none|container:NAME (default private) */
  ipc?: string;
  /** --pid host|container:NAME (default: a PID namespace of its own) */
  pid?: string;
  /** --uts host (default: a UTS namespace of its own) */
  uts?: string;
  /** --userns host (the only mode: no user namespace) */
  userns?: string;
  /** --volumes-from CONTAINER[:ro|rw] */
  volumesFrom?: readonly string[];
  /** --log-driver json-file (default) or none */
  logDriver?: LogDriver;
}

/**
 * The request `docker run IMAGE COMMAND` makes with no flags: nothing
 * published, kept or added, Docker's default security and seccomp, the
 * default bridge. The library's containers and the builder's steps start
 * from it and set what they need.
 */
export function plainCreateRequest(image: string, command: readonly string[]): CreateRequest {
  return {
    image,
    command,
    env: [],
    tty: false,
    openStdin: false,
    readOnly: false,
    mounts: [],
    ulimits: [],
    capAdd: [],
    capDrop: [],
    privileged: false,
    noNewPrivileges: false,
    seccomp: 'default',
    init: false,
    labels: {},
    restart: { name: 'no', maximumRetryCount: 0 },
    autoRemove: false,
    log: { maxSize: 0, maxFiles: 1 },
    network: 'bridge',
    networkAliases: [],
    publish: [],
    publishAll: false,
    expose: [],
    dns: [],
    dnsSearch: [],
    dnsOptions: [],
    addHost: [],
  };
}
