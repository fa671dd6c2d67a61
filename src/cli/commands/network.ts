/**
 * `moby-dick network create|ls|inspect|rm|connect|disconnect|prune`:
 * bridge networks (network/networks.ts), with Docker's words and output.
 * `ls` shows the pre-defined "host" and "none" next to "bridge", as Docker.
 */
import { createHash } from 'node:crypto';
import type { Engine } from '../../engine/engine.js';
import { MobyDickError } from '../../errors.js';
import type { NetworkRecord } from '../../network/network-table.js';
import { parseLabels } from '../container-flags.js';
import { inspectOutput, renderTemplate } from '../go-template.js';
import { table } from '../../util/human-units.js';
import { confirm, defineCommand, defineGroup } from '../command.js';
import { withEngine } from '../engine-context.js';

const CREATE_OPTIONS = {
  driver: { type: 'string', short: 'd' },
  subnet: { type: 'string' },
  gateway: { type: 'string' },
  internal: { type: 'boolean' },
  label: { type: 'string', multiple: true },
} as const;

const create = defineCommand({
  name: 'network create',
  usage: 'network create [OPTIONS] NETWORK',
  summary: 'Create a network',
  description: `Create a network

Options:
  -d, --driver bridge     the driver (bridge, the only one)
      --subnet CIDR       its IPv4 subnet (default: a free one of 172.17-31.0.0/16, 192.168.0.0/16 in /20s)
      --gateway IP        the bridge's address (default: the subnet's first)
      --internal          no traffic to or from outside the network
      --label KEY=VALUE   set metadata`,
  options: CREATE_OPTIONS,
  args: { min: 1, max: 1 },
  async run(values, operands) {
    if (values.driver !== undefined && values.driver !== 'bridge') {
      throw new MobyDickError('USAGE', `plugin "${values.driver}" not found`, { hint: 'moby-dick has the bridge driver only' });
    }
    if (values.gateway !== undefined && values.subnet === undefined) throw new MobyDickError('USAGE', 'a --gateway needs a --subnet', { subject: values.gateway });
    const n = await withEngine((e) =>
      e.networks.create({
        name: operands[0]!,
        ...(values.subnet !== undefined ? { subnet: values.subnet } : {}),
        ...(values.gateway !== undefined ? { gateway: values.gateway } : {}),
        internal: values.internal === true,
        labels: parseLabels(values.label ?? []),
      }),
    );
    process.stdout.write(`${n.id}\n`);
    return 0;
  },
});

/** Docker lists these next to the networks it made; they have no bridge. */
function pseudoId(name: string): string {
  return createHash('sha256').update(`moby-dick-network/${name}`).digest('hex');
}

interface Row {
  id: string;
  name: string;
  driver: string;
  internal: boolean;
  labels: Record<string, string>;
  created: string;
}

function rows(networks: readonly NetworkRecord[]): Row[] {
  const out: Row[] = networks.map((n) => ({ id: n.id, name: n.name, driver: 'bridge', internal: n.internal, labels: n.labels, created: n.created }));
  for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
    out.push({ id: pseudoId(name), name, driver, internal: false, labels: {}, created: '' });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const LS_OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  filter: { type: 'string', short: 'f', multiple: true },
  format: { type: 'string' },
  'no-trunc': { type: 'boolean' },
} as const;

function rowMatches(r: Row, filters: readonly string[]): boolean {
  return filters.every((f) => {
    const eq = f.indexOf('=');
    const [key, value] = eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
    if (key === 'name') return r.name.includes(value);
    if (key === 'id') return r.id.startsWith(value);
    if (key === 'driver') return r.driver === value;
    if (key === 'label') return value.includes('=') ? r.labels[value.slice(0, value.indexOf('='))] === value.slice(value.indexOf('=') + 1) : Object.hasOwn(r.labels, value);
    throw new MobyDickError('USAGE', `invalid filter '${key}'`, { hint: 'network ls takes name=, id=, driver=, label=' });
  });
}

const ls = defineCommand({
  name: 'network ls',
  usage: 'network ls [-q] [--no-trunc] [-f name=|id=|driver=|label=] [--format table|json|TEMPLATE]',
  summary: 'List networks',
  options: LS_OPTIONS,
  args: { min: 0 },
  async run(values) {
    const networks = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      return e.networks.list();
    });
    const shown = rows(networks).filter((r) => rowMatches(r, values.filter ?? []));
    const id = (r: Row) => (values['no-trunc'] ? r.id : r.id.slice(0, 12));
    if (values.quiet) {
      process.stdout.write(shown.map((r) => `${id(r)}\n`).join(''));
      return 0;
    }
    const fields = (r: Row): Record<string, string> => ({
      ID: id(r), Name: r.name, Driver: r.driver, Scope: 'local', IPv6: 'false', Internal: String(r.internal), CreatedAt: r.created,
      Labels: Object.entries(r.labels).map(([k, x]) => `${k}=${x}`).join(','),
    });
    const format = values.format ?? 'table';
    if (format === 'json') process.stdout.write(shown.map((r) => `${JSON.stringify(fields(r))}\n`).join(''));
    else if (format === 'table') process.stdout.write(table([['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], ...shown.map((r) => [id(r), r.name, r.driver, 'local'])]));
    else {
      const template = format.startsWith('table ') ? format.slice(6) : format;
      process.stdout.write(shown.map((r) => `${renderTemplate(template, fields(r))}\n`).join(''));
    }
    return 0;
  },
});

/** Docker's network inspect document. */
function inspectJson(e: Engine, n: NetworkRecord): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const ep of e.networks.table.endpoints({ networkId: n.id })) {
    let name = '';
    try {
      name = e.containers.find(ep.containerId).name;
    } catch {
      /* removed meanwhile */
    }
    containers[ep.containerId] = { Name: name, EndpointID: `${ep.containerId.slice(0, 32)}${n.id.slice(0, 32)}`, MacAddress: ep.mac, IPv4Address: `${ep.ip}/${ep.prefixLen}`, IPv6Address: '' };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: { 'com.docker.network.bridge.name': n.bridge, ...(n.isDefault ? { 'com.docker.network.bridge.default_bridge': 'true' } : {}) },
    Labels: n.labels,
  };
}

const inspect = defineCommand({
  name: 'network inspect',
  usage: 'network inspect [-f FORMAT] NETWORK [NETWORK...]',
  summary: 'Display detailed information on one or more networks',
  options: { format: { type: 'string', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    const docs = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      return operands.map((ref) => inspectJson(e, e.networks.find(ref)));
    });
    process.stdout.write(inspectOutput(docs, values.format));
    return 0;
  },
});

const rm = defineCommand({
  name: 'network rm',
  usage: 'network rm NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 1 },
  async run(_values, operands) {
    await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      for (const ref of operands) {
        if (ref === 'host' || ref === 'none') throw new MobyDickError('USAGE', `${ref} is a pre-defined network and cannot be removed`, { subject: ref });
        e.networks.remove(ref);
        process.stdout.write(`${ref}\n`);
      }
    });
    return 0;
  },
});

const connect = defineCommand({
  name: 'network connect',
  usage: 'network connect [--alias NAME] NETWORK CONTAINER',
  summary: 'Connect a container to a network',
  options: { alias: { type: 'string', multiple: true } },
  args: { min: 2, max: 2 },
  async run(values, operands) {
    await withEngine((e) => e.connect(operands[1]!, operands[0]!, values.alias ?? []));
    return 0;
  },
});

const disconnect = defineCommand({
  name: 'network disconnect',
  usage: 'network disconnect NETWORK CONTAINER',
  summary: 'Disconnect a container from a network',
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 2, max: 2 },
  async run(_values, operands) {
    await withEngine((e) => e.disconnect(operands[1]!, operands[0]!));
    return 0;
  },
});

const prune = defineCommand({
  name: 'network prune',
  usage: 'network prune [-f]',
  summary: 'Remove all unused networks',
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 0 },
  async run(values) {
    if (!values.force && !(await confirm('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return 0;
    const removed = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      const used = new Set(e.containers.all().flatMap((r) => (r.net?.mode === 'bridge' ? r.net.networks.map((a) => a.id) : [])));
      return e.networks.prune((id) => used.has(id));
    });
    if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n.name}\n`).join('')}`);
    return 0;
  },
});

export const command = defineGroup({
  name: 'network',
  summary: 'Manage networks',
  commands: { connect, create, disconnect, inspect, ls, prune, rm },
  aliases: { list: 'ls', remove: 'rm' },
});
