/**
 * The network endpoints: list (filters), inspect, create, remove,
 * connect (with aliases), disconnect, prune; through the engine's networks
 * and its connect/disconnect, as the CLI's `network` commands do. The
 * networks Docker lists beside its own, host and none, are listed and
 * inspected here too (they have no record), and cannot be removed.
 */
import type { Engine } from '../engine/engine.js';
import { networkDocument, pseudoNetworkId } from '../engine/network-inspect.js';
import { MobyDickError } from '../errors.js';
import type { NetworkCreate } from '../network/networks.js';
import type { NetworkRecord } from '../network/network-table.js';
import { array, boolean, type JsonObject, object, string, stringMap, strings } from './body.js';
import { ApiError } from './errors.js';
import type { Filters } from './filters.js';
import { boolFilter, labelsLack, labelsMatch, filtersOf } from './filter-match.js';
import { untilSeconds } from './images.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { NetworkCreateResponse, NetworkPruneResponse, NetworkResource } from './types-networks.js';

const PSEUDO: readonly { name: string; driver: string }[] = [
  { name: 'host', driver: 'host' },
  { name: 'none', driver: 'null' },
];

/** Docker's document of a pre-defined network without a bridge (host, none). */
export function pseudoNetwork(name: string, driver: string): NetworkResource {
  return {
    Name: name,
    Id: pseudoNetworkId(name),
    Created: '0001-01-01T00:00:00Z',
    Scope: 'local',
    Driver: driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

export const NETWORK_LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;

/**
 * GET /networks's filters over DOCS (Docker's: name and id are substrings,
 * label all given, type custom or builtin, dangling: no container names
 * it (the pre-defined ones never are)); USED says which IDs containers name.
 */
export function filterNetworks(docs: readonly NetworkResource[], filters: Filters, used: (id: string) => boolean): NetworkResource[] {
  const builtin = (d: NetworkResource): boolean => ['bridge', 'host', 'none'].includes(d.Name);
  const types = filters.get('type') ?? [];
  for (const t of types) if (t !== 'custom' && t !== 'builtin') throw new ApiError(400, `invalid filter: 'type'='${t}'`);
  const dangling = boolFilter(filters, 'dangling');
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(test);
  };
  return docs.filter(
    (d) =>
      any('name', (v) => d.Name.includes(v)) &&
      any('id', (v) => d.Id.includes(v)) &&
      any('driver', (v) => d.Driver === v) &&
      any('scope', (v) => d.Scope === v) &&
      any('type', (v) => (v === 'builtin') === builtin(d)) &&
      labelsMatch(d.Labels, filters.get('label') ?? []) &&
      (dangling === undefined || dangling === (!builtin(d) && !used(d.Id))),
  );
}

function nameOf(engine: Engine): (id: string) => string {
  return (id) => {
    try {
      return engine.containers.find(id).name;
    } catch {
      return ''; // removed meanwhile
    }
  };
}

/** The IDs of the networks a container record names, running or not. */
function usedNetworks(engine: Engine): Set<string> {
  return new Set(engine.containers.all().flatMap((r) => (r.net?.mode === 'bridge' ? r.net.networks.map((a) => a.id) : [])));
}

function document(engine: Engine, n: NetworkRecord, withContainers: boolean): NetworkResource {
  return networkDocument(n, withContainers ? engine.networks.table.endpoints({ networkId: n.id }) : [], nameOf(engine));
}

/** A network by name, ID or ID prefix, the pre-defined ones too. */
function findNetwork(engine: Engine, ref: string): NetworkResource {
  const pseudo = PSEUDO.find((p) => p.name === ref || pseudoNetworkId(p.name) === ref);
  if (pseudo) return pseudoNetwork(pseudo.name, pseudo.driver);
  return document(engine, engine.networks.find(ref), true);
}

async function list(engine: Engine, ctx: RequestContext): Promise<void> {
  const filters = filtersOf(ctx.query, NETWORK_LIST_FILTERS);
  await engine.releaseStaleNetworks();
  const docs = [...engine.networks.list().map((n) => document(engine, n, false)), ...PSEUDO.map((p) => pseudoNetwork(p.name, p.driver))];
  const used = usedNetworks(engine);
  ctx.reply.json(200, filterNetworks(docs, filters, (id) => used.has(id)));
}

async function inspect(engine: Engine, ctx: RequestContext): Promise<void> {
  await engine.releaseStaleNetworks();
  ctx.reply.json(200, findNetwork(engine, ctx.params.id!));
}

/** The engine's NetworkCreate for a POST /networks/create body (types-networks.ts's NetworkCreateBody), read field by field; what moby-dick cannot make is refused by name. */
export function networkCreateOf(value: unknown): NetworkCreate {
  const body = object(value, 'body') ?? {};
  const name = string(body.Name, 'Name');
  if (name === undefined || name === '') throw new ApiError(400, 'a network needs a Name');
  boolean(body.CheckDuplicate, 'CheckDuplicate'); // deprecated: names are always checked
  const driver = string(body.Driver, 'Driver');
  if (driver !== undefined && driver !== '' && driver !== 'bridge') throw new ApiError(404, `plugin "${driver}" not found: moby-dick has the bridge driver only`);
  if (boolean(body.EnableIPv6, 'EnableIPv6')) throw new ApiError(400, 'EnableIPv6: moby-dick networks are IPv4 only');
  if (boolean(body.Ingress, 'Ingress') || boolean(body.ConfigOnly, 'ConfigOnly') || string(object(body.ConfigFrom, 'ConfigFrom')?.Network, 'ConfigFrom.Network')) {
    throw new ApiError(400, 'swarm networks (Ingress, ConfigOnly, ConfigFrom) are not supported');
  }
  boolean(body.Attachable, 'Attachable'); // every network can be joined
  const scope = string(body.Scope, 'Scope');
  if (scope !== undefined && scope !== '' && scope !== 'local') throw new ApiError(400, `Scope ${scope}: moby-dick networks are local`);
  const unknownOption = Object.keys(stringMap(body.Options, 'Options') ?? {})[0];
  if (unknownOption !== undefined) throw new ApiError(400, `the driver option ${unknownOption} is not supported`);
  const ipam = object(body.IPAM, 'IPAM') ?? {};
  const ipamDriver = string(ipam.Driver, 'IPAM.Driver');
  if (ipamDriver !== undefined && ipamDriver !== '' && ipamDriver !== 'default') throw new ApiError(400, `IPAM driver ${ipamDriver} is not supported: only default`);
  stringMap(ipam.Options, 'IPAM.Options');
  const configs = array(ipam.Config, 'IPAM.Config') ?? [];
  if (configs.length > 1) throw new ApiError(400, 'IPAM.Config: moby-dick networks have one IPv4 subnet');
  const c = object(configs[0], 'IPAM.Config[0]') ?? {};
  if (string(c.IPRange, 'IPAM.Config[0].IPRange') || Object.keys(stringMap(c.AuxiliaryAddresses, 'IPAM.Config[0].AuxiliaryAddresses') ?? {}).length) {
    throw new ApiError(400, 'IPAM.Config: IPRange and AuxiliaryAddresses are not supported');
  }
  const subnet = string(c.Subnet, 'IPAM.Config[0].Subnet') || undefined;
  const gateway = string(c.Gateway, 'IPAM.Config[0].Gateway') || undefined;
  if (gateway !== undefined && subnet === undefined) throw new ApiError(400, 'IPAM.Config: a Gateway needs a Subnet');
  return {
    name,
    ...(subnet !== undefined ? { subnet } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
    internal: boolean(body.Internal, 'Internal') === true,
    labels: stringMap(body.Labels, 'Labels') ?? {},
  };
}

async function create(engine: Engine, ctx: RequestContext): Promise<void> {
  const req = networkCreateOf(await ctx.json());
  if (PSEUDO.some((p) => p.name === req.name) || req.name === 'bridge') throw new ApiError(403, `${req.name} is a pre-defined network and cannot be created`);
  const n = engine.networks.create(req);
  const res: NetworkCreateResponse = { Id: n.id, Warning: '' };
  ctx.reply.json(201, res);
}

async function remove(engine: Engine, ctx: RequestContext): Promise<void> {
  const ref = ctx.params.id!;
  await engine.releaseStaleNetworks();
  if (PSEUDO.some((p) => p.name === ref || pseudoNetworkId(p.name) === ref)) throw new ApiError(403, `${ref} is a pre-defined network and cannot be removed`);
  try {
    engine.networks.remove(ref);
  } catch (e) {
    if (e instanceof MobyDickError && /has active endpoints|pre-defined network/.test(e.message)) throw new ApiError(403, e.message);
    throw e;
  }
  ctx.reply.empty(204);
}

function containerOf(body: JsonObject): string {
  const c = string(body.Container, 'Container');
  if (c === undefined || c === '') throw new ApiError(400, 'a Container is required');
  return c;
}

/** The aliases of a connect body's EndpointConfig (NetworkConnectBody); a fixed address is refused (the engine allocates them). */
export function connectAliases(value: unknown): string[] {
  const ep = object(object(value, 'body')?.EndpointConfig, 'EndpointConfig') ?? {};
  const ipam = object(ep.IPAMConfig, 'EndpointConfig.IPAMConfig') ?? {};
  if (string(ipam.IPv4Address, 'EndpointConfig.IPAMConfig.IPv4Address') || string(ipam.IPv6Address, 'EndpointConfig.IPAMConfig.IPv6Address')) {
    throw new ApiError(400, 'EndpointConfig.IPAMConfig: a fixed address is not supported');
  }
  if ((strings(ep.Links, 'EndpointConfig.Links') ?? []).length) throw new ApiError(400, 'EndpointConfig.Links is not supported');
  return strings(ep.Aliases, 'EndpointConfig.Aliases') ?? [];
}

async function connect(engine: Engine, ctx: RequestContext): Promise<void> {
  const value = await ctx.json();
  const container = containerOf(object(value, 'body') ?? {});
  await engine.connect(container, ctx.params.id!, connectAliases(value));
  ctx.reply.empty(200);
}

async function disconnect(engine: Engine, ctx: RequestContext): Promise<void> {
  const body = object(await ctx.json(), 'body') ?? {};
  boolean(body.Force, 'Force'); // the engine's disconnect works on a stopped container as on a running one
  await engine.disconnect(containerOf(body), ctx.params.id!);
  ctx.reply.empty(200);
}

async function prune(engine: Engine, ctx: RequestContext): Promise<void> {
  const filters = filtersOf(ctx.query, ['label', 'label!', 'until']);
  await engine.releaseStaleNetworks();
  const used = usedNetworks(engine);
  const until = filters.get('until')?.map((u) => untilSeconds(u));
  const byId = new Map(engine.networks.list().map((n) => [n.id, n]));
  const keep = (id: string): boolean => {
    const n = byId.get(id);
    if (!n) return true;
    if (until && !until.every((t) => Date.parse(n.created) / 1000 < t)) return true;
    return !labelsMatch(n.labels, filters.get('label') ?? []) || !labelsLack(n.labels, filters.get('label!') ?? []);
  };
  const removed = engine.networks.prune((id) => used.has(id) || keep(id));
  const body: NetworkPruneResponse = { NetworksDeleted: removed.length ? removed.map((n) => n.name) : null };
  ctx.reply.json(200, body);
}

export function networkRoutes(engine: Engine): Route[] {
  return [
    { method: 'GET', path: '/networks', handler: (ctx) => list(engine, ctx) },
    { method: 'POST', path: '/networks/create', handler: (ctx) => create(engine, ctx) },
    { method: 'POST', path: '/networks/prune', handler: (ctx) => prune(engine, ctx) },
    { method: 'GET', path: '/networks/{id}', handler: (ctx) => inspect(engine, ctx) },
    { method: 'DELETE', path: '/networks/{id}', handler: (ctx) => remove(engine, ctx) },
    { method: 'POST', path: '/networks/{id}/connect', handler: (ctx) => connect(engine, ctx) },
    { method: 'POST', path: '/networks/{id}/disconnect', handler: (ctx) => disconnect(engine, ctx) },
  ];
}
