/**
 * The HostConfig fields of create's host flags (--device, --sysctl,
 * --group-add, --ipc, --pid, --uts, --userns, --volumes-from, the cpuset,
 * blkio and OOM settings, --log-driver) as Docker's inspect shows them,
 * for `moby-dick inspect` and GET /containers/{id}/json alike.
 */
import { MobyDickError } from '../errors.js';
import type { ContainerRecord } from './container-table.js';

export interface HostFlagsConfig {
  Devices: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  Sysctls: Record<string, string>;
  GroupAdd: string[] | null;
  IpcMode: string;
  PidMode: string;
  UTSMode: string;
  UsernsMode: string;
  VolumesFrom: string[] | null;
  OomKillDisable: boolean;
  CpusetCpus: string;
  CpusetMems: string;
  BlkioWeight: number;
}

export function hostFlagsConfig(r: ContainerRecord): HostFlagsConfig {
  const e = r.engine;
  const modes = r.namespaceModes;
  return {
    Devices: (e.deviceMappings ?? []).map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.cgroupPermissions })),
    Sysctls: { ...e.sysctls },
    GroupAdd: r.groupAdd ? [...r.groupAdd] : null,
    IpcMode: modes?.ipc ?? 'private',
    PidMode: modes?.pid ?? '',
    UTSMode: modes?.uts ?? '',
    UsernsMode: modes?.userns ?? '',
    VolumesFrom: r.volumesFrom ? [...r.volumesFrom] : null,
    OomKillDisable: e.oomKillDisable === true,
    CpusetCpus: e.cpusetCpus ?? '',
    CpusetMems: e.cpusetMems ?? '',
    BlkioWeight: e.blkioWeight ?? 0,
  };
}

/** HostConfig.LogConfig: the driver and its options. */
/** HostConfig's resource fields of R, with Docker's zero values: inspect's (the CLI's and the API's). */
export function resourcesConfig(r: ContainerRecord): Record<string, unknown> {
  const e = r.engine;
  return {
    Memory: e.memory ?? 0,
    MemorySwap: e.memorySwap ?? (e.memory ? e.memory * 2 : 0),
    NanoCpus: e.nanoCpus ?? 0,
    CpuShares: e.cpuShares ?? 0,
    CpuPeriod: e.cpuPeriod ?? 0,
    CpuQuota: e.cpuQuota ?? 0,
    MemoryReservation: e.memoryReservation ?? 0,
    PidsLimit: e.pidsLimit ?? null,
    Ulimits: e.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
  };
}

export function logConfig(r: ContainerRecord): { Type: string; Config: Record<string, string> } {
  const driver = r.log.driver ?? 'json-file';
  return { Type: driver, Config: driver === 'json-file' && r.log.maxSize ? { 'max-size': String(r.log.maxSize), 'max-file': String(r.log.maxFiles) } : {} };
}

/** `logs` of a container whose driver keeps none: Docker's error. */
export function checkLogsReadable(r: ContainerRecord): void {
  if (r.log.driver === 'none') {
    throw new MobyDickError('USAGE', 'configured logging driver does not support reading', { container: r.name, hint: 'the container runs with --log-driver none: its output is not kept' });
  }
}
