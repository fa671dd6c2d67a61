/**
 * The engine's containers in the API's shapes: GET /containers/{id}/json
 * (ContainerInspectResponse) and a row of GET /containers/json
 * (ContainerSummary). The network parts come from engine/network-inspect.ts,
 * as `moby-dick inspect` has them.
 */
import type { ContainerView } from '../engine/engine.js';
import { exposedPorts, type NetworkFacts, networkHostConfig, networkSettings } from '../engine/network-inspect.js';
import { hostFlagsConfig, logConfig, resourcesConfig } from '../engine/host-config.js';
import { inspectState, statusText } from '../engine/status.js';
import type { PublishedPort } from '../network/network-table.js';
import type { ContainerInspectResponse, ContainerSummary, EndpointSettings, HostConfig, MountPoint, Port, PortMap } from './types.js';


export function mountPoints(v: ContainerView): MountPoint[] {
  const r = v.record;
  const e = r.engine;
  const volumeAt = (dst: string): string | undefined => Object.entries(r.volumes).find(([, d]) => d === dst)?.[0];
  return [
    ...e.binds.map((b): MountPoint => {
      const name = volumeAt(b.destination);
      return name !== undefined
        ? { Type: 'volume', Name: name, Source: b.source, Destination: b.destination, Driver: 'local', Mode: b.readOnly ? 'ro' : '', RW: !b.readOnly, Propagation: '' }
        : { Type: 'bind', Source: b.source, Destination: b.destination, Mode: b.readOnly ? 'ro' : '', RW: !b.readOnly, Propagation: b.propagation ?? 'rprivate' };
    }),
    ...(e.filesystems ?? []).map((f): MountPoint => ({ Type: 'volume', Name: volumeAt(f.destination) ?? '', Source: f.source, Destination: f.destination, Driver: 'local', Mode: '', RW: !f.options.includes('ro'), Propagation: '' })),
    ...e.tmpfs.map((t): MountPoint => ({ Type: 'tmpfs', Source: '', Destination: t.destination, Mode: t.options.join(','), RW: !t.options.includes('ro'), Propagation: '' })),
  ];
}

export function inspectContainer(v: ContainerView, facts: NetworkFacts): ContainerInspectResponse {
  const r = v.record;
  const e = r.engine;
  const net = networkSettings(r, facts) as ContainerInspectResponse['NetworkSettings'];
  const hostNet = networkHostConfig(r, facts) as HostConfig;
  const files = `${v.paths.dir}`;
  return {
    Id: r.id,
    Created: r.created,
    Path: e.argv[0] ?? '',
    Args: e.argv.slice(1),
    State: inspectState(v.state, v.pid, r.state.startedAt, r.state.oomKilled === true),
    Image: r.imageId ?? '',
    ResolvConfPath: r.net?.mode === 'bridge' ? `${files}/resolv.conf` : '',
    HostnamePath: r.net?.mode === 'bridge' ? `${files}/hostname` : '',
    HostsPath: r.net?.mode === 'bridge' ? `${files}/hosts` : '',
    LogPath: r.log.driver === 'none' ? '' : v.paths.log,
    Name: `/${r.name}`,
    RestartCount: r.state.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: e.binds.filter((b) => !Object.values(r.volumes).includes(b.destination)).map((b) => `${b.source}:${b.destination}${b.readOnly ? ':ro' : ''}`),
      ContainerIDFile: '',
      LogConfig: logConfig(r),
      ...hostNet,
      RestartPolicy: { Name: r.restart.name, MaximumRetryCount: r.restart.maximumRetryCount },
      AutoRemove: r.autoRemove,
      VolumeDriver: '',
      CapAdd: [...e.capAdd],
      CapDrop: [...e.capDrop],
      CgroupnsMode: 'private',
      Cgroup: '',
      Links: null,
      OomScoreAdj: 0,
      Privileged: e.privileged,
      PublishAllPorts: false,
      ReadonlyRootfs: e.readOnly,
      SecurityOpt: [...(e.noNewPrivileges ? ['no-new-privileges'] : []), ...(e.seccomp === 'unconfined' ? ['seccomp=unconfined'] : [])],
      Tmpfs: Object.fromEntries(e.tmpfs.map((t) => [t.destination, t.options.join(',')])),
      ShmSize: e.shmSize,
      Runtime: 'moby-dick',
      Isolation: '',
      ...resourcesConfig(r),
      Init: r.init,
      ...hostFlagsConfig(r),
    },
    GraphDriver: { Name: 'overlay2', Data: { UpperDir: v.paths.upper, WorkDir: v.paths.work, MergedDir: v.paths.merged } },
    Mounts: mountPoints(v),
    Config: {
      Hostname: e.hostname,
      Domainname: '',
      User: e.user.uid === 0 && e.user.gid === 0 ? '' : `${e.user.uid}:${e.user.gid}`,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: exposedPorts(r),
      Tty: e.tty,
      OpenStdin: r.openStdin,
      StdinOnce: r.stdinOnce === true,
      Env: [...e.env],
      Cmd: [...e.argv],
      Image: r.image,
      Volumes: null,
      WorkingDir: e.cwd,
      Entrypoint: null,
      Labels: r.labels,
      StopSignal: r.stopSignal,
      StopTimeout: r.stopTimeout,
      ...(r.healthcheck ? { Healthcheck: r.healthcheck } : {}),
    },
    NetworkSettings: { ...net, SandboxID: '' },
  };
}

/** An argument as a shell would need it, as Docker shows commands. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function portsOf(ports: readonly PublishedPort[], exposed: PortMap | Record<string, unknown>): Port[] {
  const out: Port[] = ports.map((p) => ({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol as Port['Type'] }));
  for (const key of Object.keys(exposed)) {
    const [port, proto = 'tcp'] = key.split('/');
    if (!out.some((p) => String(p.PrivatePort) === port && p.Type === proto)) out.push({ PrivatePort: Number(port), Type: proto as Port['Type'] });
  }
  return out;
}

export function summarizeContainer(v: ContainerView, facts: NetworkFacts, now = Date.now()): ContainerSummary {
  const r = v.record;
  const net = networkSettings(r, facts) as { Networks: Record<string, EndpointSettings> };
  return {
    Id: r.id,
    Names: [`/${r.name}`],
    Image: r.image,
    ImageID: r.imageId ?? '',
    Command: r.engine.argv.map(shellQuote).join(' '),
    Created: Math.floor(Date.parse(r.created) / 1000),
    Ports: portsOf(facts.ports, exposedPorts(r)),
    Labels: r.labels,
    State: v.state.Status,
    Status: statusText(v.state, r.state.startedAt, now),
    ...(v.state.Health ? { Health: { Status: v.state.Health.Status, FailingStreak: v.state.Health.FailingStreak } } : {}),
    HostConfig: { NetworkMode: String((networkHostConfig(r, facts) as HostConfig).NetworkMode) },
    NetworkSettings: { Networks: net.Networks },
    Mounts: mountPoints(v),
  };
}
