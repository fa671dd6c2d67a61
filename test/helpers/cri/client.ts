/**
 * A CRI v1 client (runtime.v1.RuntimeService) over gRPC on a unix socket,
 * as the kubelet is one: @grpc/grpc-js with the messages of api.proto
 * beside this file (our own declaration of the part the CRI test uses).
 * Field names are the proto's (snake_case); int64 values are numbers.
 */
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition, type ServiceDefinition } from '@grpc/proto-loader';
import { PROJECT } from '../cli.js';

const PROTO = `${PROJECT}test/helpers/cri/api.proto`;

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
}

export interface SecurityProfile {
  profile_type?: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhost_ref?: string;
}

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  log_directory?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroup_parent?: string;
    security_context?: {
      namespace_options?: NamespaceOption;
      run_as_user?: { value: number };
      readonly_rootfs?: boolean;
      privileged?: boolean;
      seccomp?: SecurityProfile;
    };
  };
}

export interface LinuxContainerResources {
  cpu_period?: number;
  cpu_quota?: number;
  cpu_shares?: number;
  memory_limit_in_bytes?: number;
  oom_score_adj?: number;
  cpuset_cpus?: string;
  cpuset_mems?: string;
  memory_swap_limit_in_bytes?: number;
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  working_dir?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  log_path?: string;
  stdin?: boolean;
  stdin_once?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    security_context?: {
      capabilities?: { add_capabilities?: string[]; drop_capabilities?: string[] };
      privileged?: boolean;
      namespace_options?: NamespaceOption;
      run_as_user?: { value: number };
      run_as_group?: { value: number };
      readonly_rootfs?: boolean;
      no_new_privs?: boolean;
      seccomp?: SecurityProfile;
    };
  };
}

export interface PodSandboxStatus {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number };
  state: PodSandboxState;
  created_at: number;
  network: { ip: string } | null;
  labels: Record<string, string>;
  runtime_handler: string;
}

export interface PodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
  state: PodSandboxState;
  created_at: number;
  labels: Record<string, string>;
  runtime_handler: string;
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata: { name: string; attempt: number } | null;
  image: { image: string } | null;
  image_ref: string;
  state: ContainerState;
  created_at: number;
  labels: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number } | null;
  state: ContainerState;
  created_at: number;
  started_at: number;
  finished_at: number;
  exit_code: number;
  image: { image: string } | null;
  image_ref: string;
  reason: string;
  message: string;
  log_path: string;
}

interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  pod_sandbox_id?: string;
  label_selector?: Record<string, string>;
}

interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  label_selector?: Record<string, string>;
}

/** Each method: [request, response]. */
export interface RuntimeService {
  Version: [{ version: string }, { version: string; runtime_name: string; runtime_version: string; runtime_api_version: string }];
  RunPodSandbox: [{ config: PodSandboxConfig; runtime_handler: string }, { pod_sandbox_id: string }];
  StopPodSandbox: [{ pod_sandbox_id: string }, object];
  RemovePodSandbox: [{ pod_sandbox_id: string }, object];
  PodSandboxStatus: [{ pod_sandbox_id: string; verbose?: boolean }, { status: PodSandboxStatus; info: Record<string, string> }];
  ListPodSandbox: [{ filter?: PodSandboxFilter }, { items: PodSandbox[] }];
  CreateContainer: [{ pod_sandbox_id: string; config: ContainerConfig; sandbox_config: PodSandboxConfig }, { container_id: string }];
  StartContainer: [{ container_id: string }, object];
  StopContainer: [{ container_id: string; timeout: number }, object];
  RemoveContainer: [{ container_id: string }, object];
  ListContainers: [{ filter?: ContainerFilter }, { containers: Container[] }];
  ContainerStatus: [{ container_id: string; verbose?: boolean }, { status: ContainerStatus; info: Record<string, string> }];
  UpdateContainerResources: [{ container_id: string; linux: LinuxContainerResources }, object];
  ExecSync: [{ container_id: string; cmd: string[]; timeout: number }, { stdout: Buffer; stderr: Buffer; exit_code: number }];
  Exec: [{ container_id: string; cmd: string[]; tty?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean }, { url: string }];
  Attach: [{ container_id: string; stdin?: boolean; tty?: boolean; stdout?: boolean; stderr?: boolean }, { url: string }];
}

/** A failed call: the method and gRPC's status, code and details. */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`${method}: ${details} (grpc code ${code})`);
  }
}

let service: ServiceDefinition | null = null;

function runtimeService(): ServiceDefinition {
  if (service) return service;
  const pkg = loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: false });
  const def = pkg['runtime.v1.RuntimeService'];
  if (!def || typeof def !== 'object' || !('Version' in def)) throw new Error(`${PROTO}: no runtime.v1.RuntimeService`);
  service = def as ServiceDefinition;
  return service;
}

export class CriClient {
  private readonly client: Client;
  private readonly methods: ServiceDefinition;

  /**
   * A client of the CRI server on the unix socket SOCKET (no connection until
   * the first call); OBSERVE sees every successful response.
   */
  constructor(
    readonly socket: string,
    private readonly observe: (method: keyof RuntimeService, response: object) => void = () => {},
  ) {
    this.methods = runtimeService();
    this.client = new Client(`unix://${socket}`, credentials.createInsecure());
  }

  /** Calls METHOD with REQUEST; fails after TIMEOUT ms (the kubelet's default is 2 minutes: a test needs less). */
  call<M extends keyof RuntimeService>(method: M, request: RuntimeService[M][0], timeoutMs = 30_000): Promise<RuntimeService[M][1]> {
    const def = this.methods[method] as MethodDefinition<RuntimeService[M][0], RuntimeService[M][1]> | undefined;
    if (!def) throw new Error(`api.proto declares no ${method}`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, res?: RuntimeService[M][1]) => {
          if (err) reject(new CriError(method, err.code, err.details));
          else if (res === undefined) reject(new CriError(method, -1, 'no response'));
          else {
            this.observe(method, res);
            resolve(res);
          }
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
