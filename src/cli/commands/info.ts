/**
 * `moby-dick info [--format TEMPLATE]`: Docker's Client and Server
 * sections. The server's document is the engine's (engine/system-info.ts,
 * GET /info's too), about the store at $MOBY_DICK_ROOT; `--format` sees
 * its fields at the top ({{.ServerVersion}}, {{.NCPU}}), with ClientInfo.
 */
import { systemInfo, type SystemInfo } from '../../engine/system-info.js';
import { bytesSize } from '../../util/human-units.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { ENGINE_VERSION } from '../engine-version.js';
import { renderTemplate } from '../go-template.js';

export interface ClientInfo {
  Debug: boolean;
  Version: string;
  Context: string;
  Plugins: never[];
  Warnings: null;
}

export type InfoDocument = SystemInfo & { ClientInfo: ClientInfo };

/** `info`'s text, as Docker lays it out. */
export function infoText(d: InfoDocument): string {
  const c = d.ClientInfo;
  const lines: string[] = [
    'Client:',
    ` Version:    ${c.Version}`,
    ` Context:    ${c.Context}`,
    ` Debug Mode: ${c.Debug}`,
    '',
    'Server:',
    ` Containers: ${d.Containers}`,
    `  Running: ${d.ContainersRunning}`,
    `  Paused: ${d.ContainersPaused}`,
    `  Stopped: ${d.ContainersStopped}`,
    ` Images: ${d.Images}`,
    ` Server Version: ${d.ServerVersion}`,
    ` Storage Driver: ${d.Driver}`,
    ...d.DriverStatus.map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${d.LoggingDriver}`,
    ` Cgroup Driver: ${d.CgroupDriver}`,
    ` Cgroup Version: ${d.CgroupVersion}`,
    ' Plugins:',
    `  Volume: ${d.Plugins.Volume.join(' ')}`,
    `  Network: ${d.Plugins.Network.join(' ')}`,
    `  Log: ${d.Plugins.Log.join(' ')}`,
    ` Swarm: ${d.Swarm.LocalNodeState}`,
    ` Runtimes: ${Object.keys(d.Runtimes).join(' ')}`,
    ` Default Runtime: ${d.DefaultRuntime}`,
    ` Init Binary: ${d.InitBinary}`,
    ' Security Options:',
    ...d.SecurityOptions.flatMap((o) => {
      const [name, ...rest] = o.split(',');
      return [`  ${name!.replace(/^name=/, '')}`, ...rest.map((kv) => `   ${kv.replace(/^(\w)(\w*)=/, (_m, a: string, b: string) => `${a.toUpperCase()}${b}: `)}`)];
    }),
    ` Kernel Version: ${d.KernelVersion}`,
    ` Operating System: ${d.OperatingSystem}`,
    ` OSType: ${d.OSType}`,
    ` Architecture: ${d.Architecture}`,
    ` CPUs: ${d.NCPU}`,
    ` Total Memory: ${bytesSize(d.MemTotal)}`,
    ` Name: ${d.Name}`,
    ...(d.ID ? [` ID: ${d.ID}`] : []),
    ` Docker Root Dir: ${d.DockerRootDir}`,
    ` Debug Mode: ${d.Debug}`,
    ...(d.HttpProxy ? [` HTTP Proxy: ${d.HttpProxy}`] : []),
    ...(d.HttpsProxy ? [` HTTPS Proxy: ${d.HttpsProxy}`] : []),
    ...(d.NoProxy ? [` No Proxy: ${d.NoProxy}`] : []),
    ` Experimental: ${d.ExperimentalBuild}`,
    ' Insecure Registries:',
    ...d.RegistryConfig.InsecureRegistryCIDRs.map((r) => `  ${r}`),
    ` Live Restore Enabled: ${d.LiveRestoreEnabled}`,
  ];
  return `${lines.join('\n')}\n`;
}

export const command = defineCommand({
  name: 'info',
  usage: 'info [OPTIONS]',
  summary: 'Display system-wide information',
  description: `Display system-wide information: the engine's (in this process: moby-dick has
no daemon), its store's containers and images ($MOBY_DICK_ROOT), and the host

Options:
  -f, --format TEMPLATE   a Go template: {{.ServerVersion}}, {{.Containers}},
                          {{.DockerRootDir}}, {{json .}}; json: the whole as JSON`,
  options: { format: { type: 'string', short: 'f' } },
  args: { min: 0, max: 0 },
  async run(values) {
    const info = await withEngine((e) => systemInfo(e, ENGINE_VERSION));
    const doc: InfoDocument = { ...info, ClientInfo: { Debug: false, Version: ENGINE_VERSION, Context: 'default', Plugins: [], Warnings: null } };
    const format = values.format === 'json' ? '{{json .}}' : values.format;
    process.stdout.write(format !== undefined && format !== '' ? `${renderTemplate(format, doc)}\n` : infoText(doc));
    return 0;
  },
});
