/**
 * `moby-dick version [--format TEMPLATE]`: Docker's Client and Server
 * sections. moby-dick is daemonless, so the server is the engine in this
 * process (engine/system-info.ts's document, the same as GET /version);
 * Node's version stands where Docker prints Go's.
 */
import { goArch, systemVersion, API_VERSION, type SystemVersion } from '../../engine/system-info.js';
import { defineCommand } from '../command.js';
import { ENGINE_VERSION } from '../engine-version.js';
import { renderTemplate } from '../go-template.js';

export interface ClientVersion {
  Platform: { Name: string };
  Version: string;
  ApiVersion: string;
  DefaultAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  BuildTime: string;
  Context: string;
}

export interface VersionDocument {
  Client: ClientVersion;
  Server: SystemVersion;
}

export function versionDocument(version: string): VersionDocument {
  return {
    Client: {
      Platform: { Name: 'moby-dick' },
      Version: version,
      ApiVersion: API_VERSION,
      DefaultAPIVersion: API_VERSION,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: 'linux',
      Arch: goArch(),
      BuildTime: '',
      Context: 'default',
    },
    Server: systemVersion(version),
  };
}

/** Docker's "key:<pad to 20>value" lines (its tabwriter, minimum width 20). */
const line = (indent: string, key: string, value: string): string => `${`${indent}${key}:`.padEnd(19)} ${value}\n`;

/** `version`'s text, as Docker lays it out. */
export function versionText(d: VersionDocument): string {
  const c = d.Client;
  const s = d.Server;
  const engine = s.Components.find((x) => x.Name === 'Engine');
  const details = engine?.Details ?? {};
  return (
    `Client: ${c.Platform.Name}\n` +
    line(' ', 'Version', c.Version) +
    line(' ', 'API version', c.ApiVersion) +
    line(' ', 'Node version', process.version) +
    line(' ', 'OS/Arch', `${c.Os}/${c.Arch}`) +
    line(' ', 'Context', c.Context) +
    `\nServer: ${s.Platform.Name}\n` +
    ` Engine:\n` +
    line('  ', 'Version', engine?.Version ?? s.Version) +
    line('  ', 'API version', `${details.ApiVersion ?? s.ApiVersion} (minimum version ${details.MinAPIVersion ?? s.MinAPIVersion})`) +
    line('  ', 'Node version', details.NodeVersion ?? process.version) +
    line('  ', 'OS/Arch', `${details.Os ?? s.Os}/${details.Arch ?? s.Arch}`) +
    line('  ', 'Kernel version', s.KernelVersion) +
    line('  ', 'Experimental', String(s.Experimental))
  );
}

export const command = defineCommand({
  name: 'version',
  usage: 'version [OPTIONS]',
  summary: 'Show the moby-dick version information',
  description: `Show the moby-dick version information: the client (this command line) and the
server (the engine, which runs in this same process: moby-dick has no daemon)

Options:
  -f, --format TEMPLATE   a Go template: {{.Client.Version}}, {{.Server.Version}},
                          {{.Server.ApiVersion}}, {{json .}}; json: the whole as JSON`,
  options: { format: { type: 'string', short: 'f' } },
  args: { min: 0, max: 0 },
  run(values) {
    const doc = versionDocument(ENGINE_VERSION);
    const format = values.format === 'json' ? '{{json .}}' : values.format;
    process.stdout.write(format !== undefined && format !== '' ? `${renderTemplate(format, doc)}\n` : versionText(doc));
    return 0;
  },
});
