/** `moby-dick inspect [-f FORMAT] CONTAINER...`: Docker's inspect document of each container. */
import { containerSize } from '../../engine/disk-usage.js';
import type { ContainerView, Engine } from '../../engine/engine.js';
import { exposedPorts, type NetworkFacts, networkHostConfig, networkSettings } from '../../engine/network-inspect.js';
import { hostFlagsConfig, logConfig, resourcesConfig } from '../../engine/host-config.js';
import { inspectState } from '../../engine/status.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { nilSlice, withNilFields, writeInspect } from '../go-template.js';

/** REF's inspect document; with SIZE its SizeRw and SizeRootFs (without, nil to a template, absent from JSON). */
export function containerDocument(e: Engine, ref: string, size: boolean): Record<string, unknown> {
  const v = e.inspect(ref);
  const doc = inspectJson(v, e.networkFacts(v));
  if (!size) return withNilFields(doc, ['SizeRw', 'SizeRootFs']);
  const s = containerSize(e, v);
  return { ...doc, SizeRw: s.sizeRw, SizeRootFs: s.sizeRootFs };
}

/** inspect's JSON, with Docker's field names for what exists. */
export function inspectJson(v: ContainerView, facts: NetworkFacts): Record<string, unknown> {
  const r = v.record;
  const e = r.engine;
  return {
    Id: r.id,
    Created: r.created,
    Path: e.argv[0],
    Args: e.argv.slice(1),
    State: inspectState(v.state, v.pid, r.state.startedAt, r.state.oomKilled === true),
    Image: r.imageId,
    LogPath: r.log.driver === 'none' ? '' : v.paths.log,
    Name: `/${r.name}`,
    RestartCount: r.state.restartCount,
    Driver: 'overlay',
    HostConfig: {
      Binds: e.binds.map((b) => `${b.source}:${b.destination}${b.readOnly ? ':ro' : ''}`),
      AutoRemove: r.autoRemove,
      RestartPolicy: { Name: r.restart.name, MaximumRetryCount: r.restart.maximumRetryCount },
      LogConfig: logConfig(r),
      ...networkHostConfig(r, facts),
      Privileged: e.privileged,
      ReadonlyRootfs: e.readOnly,
      CapAdd: e.capAdd,
      CapDrop: e.capDrop,
      ...resourcesConfig(r),
      ShmSize: e.shmSize,
      Tmpfs: Object.fromEntries(e.tmpfs.map((t) => [t.destination, t.options.join(',')])),
      SecurityOpt: [...(e.noNewPrivileges ? ['no-new-privileges'] : []), ...(e.seccomp === 'unconfined' ? ['seccomp=unconfined'] : [])],
      Init: r.init,
      ...hostFlagsConfig(r),
    },
    Mounts: [
      ...e.binds.map((b) => {
        const volume = Object.entries(r.volumes).find(([, dst]) => dst === b.destination);
        return volume
          ? { Type: 'volume', Name: volume[0], Source: b.source, Destination: b.destination, Driver: 'local', RW: !b.readOnly }
          : { Type: 'bind', Source: b.source, Destination: b.destination, RW: !b.readOnly, Propagation: b.propagation ?? 'rprivate' };
      }),
      ...(e.filesystems ?? []).map((f) => ({
        Type: 'volume', Name: Object.entries(r.volumes).find(([, dst]) => dst === f.destination)?.[0] ?? '', Source: f.source, Destination: f.destination, Driver: 'local', RW: !f.options.includes('ro'),
      })),
    ],
    Config: {
      Hostname: e.hostname,
      User: e.user.uid === 0 && e.user.gid === 0 ? '' : `${e.user.uid}:${e.user.gid}`,
      Tty: e.tty,
      OpenStdin: r.openStdin,
      StdinOnce: r.stdinOnce === true,
      Env: e.env,
      // Docker's nil slices: null in JSON, [] to a template
      Entrypoint: r.entrypointLength ? e.argv.slice(0, r.entrypointLength) : nilSlice<string>(),
      Cmd: e.argv.length > (r.entrypointLength ?? 0) ? e.argv.slice(r.entrypointLength ?? 0) : nilSlice<string>(),
      Image: r.image,
      WorkingDir: e.cwd,
      Labels: r.labels,
      StopSignal: r.stopSignal,
      StopTimeout: r.stopTimeout,
      ExposedPorts: exposedPorts(r),
      ...(r.healthcheck ? { Healthcheck: r.healthcheck } : {}),
    },
    NetworkSettings: networkSettings(r, facts),
  };
}

export const command = defineCommand({
  name: 'container inspect',
  usage: 'container inspect [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Display detailed information on one or more containers',
  description: `Display detailed information on one or more containers

Options:
  -f, --format TEMPLATE   {{.Field}} or {{json .Field}} instead of the JSON
  -s, --size              the sizes too: SizeRw (the writable layer), SizeRootFs (with the image)`,
  options: { format: { type: 'string', short: 'f' }, size: { type: 'boolean', short: 's' } },
  args: { min: 1 },
  async run(values, operands) {
    const docs = await withEngine((e) =>
      operands.map((ref) => containerDocument(e, ref, values.size === true)),
    );
    return writeInspect(docs, values.format);
  },
});
