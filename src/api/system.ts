/**
 * The system endpoints: /_ping (GET and HEAD, with the headers a client
 * negotiates from), /version, /info (what moby-dick knows of the host and
 * its containers; images, networks and volumes are counted as the store
 * has them).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Engine } from '../engine/engine.js';
import type { Route } from './router.js';
import type { RequestContext } from './reply.js';
import type { SystemInfo, SystemVersion } from './types.js';
import { API_VERSION, MIN_API_VERSION } from './version.js';

/** /_ping's own headers, on top of the common ones: no builder but the classic one, no swarm, never cached. */
export const PING_HEADERS: Readonly<Record<string, string>> = {
  'Builder-Version': '1',
  Swarm: 'inactive',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
};

export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

export function systemVersion(serverVersion: string): SystemVersion {
  return {
    Platform: { Name: 'moby-dick' },
    Components: [{ Name: 'Engine', Version: serverVersion, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: goArch(), KernelVersion: os.release(), NodeVersion: process.version } }],
    Version: serverVersion,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    Experimental: false,
    BuildTime: '',
  };
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export function systemInfo(engine: Engine, serverVersion: string): SystemInfo {
  const views = engine.list();
  const running = views.filter((v) => v.state.Running && !v.state.Paused).length;
  const paused = views.filter((v) => v.state.Paused).length;
  const v2 = !existsSync('/sys/fs/cgroup/memory') && existsSync('/sys/fs/cgroup/cgroup.controllers');
  return {
    ID: '',
    Containers: views.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: views.length - running - paused,
    Images: engine.store.listImages().length,
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'extfs']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: v2 ? '2' : '1',
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: osName(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: os.machine(),
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
    DockerRootDir: engine.store.root,
    HttpProxy: process.env.HTTP_PROXY ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? '',
    NoProxy: process.env.NO_PROXY ?? '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: serverVersion,
    Runtimes: { 'moby-dick': { path: 'moby-dick-runtime' } },
    DefaultRuntime: 'moby-dick',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'mdk-init',
    SecurityOptions: ['name=seccomp,profile=builtin'],
    Warnings: null,
  };
}

export function systemRoutes(engine: Engine, serverVersion: string): Route[] {
  const ping = (ctx: RequestContext): void => {
    if (ctx.method === 'HEAD') ctx.reply.empty(200, { ...PING_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '0' });
    else ctx.reply.stream(200, { ...PING_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '2' }).end('OK');
  };
  return [
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'HEAD', path: '/_ping', handler: ping },
    { method: 'GET', path: '/version', handler: (ctx) => ctx.reply.json(200, systemVersion(serverVersion)) },
    { method: 'GET', path: '/info', handler: (ctx) => ctx.reply.json(200, systemInfo(engine, serverVersion)) },
  ];
}
