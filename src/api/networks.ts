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
import { ApiError } from './errors.js';
import type { Filters } from './filters.js';
import { boolFilter, labelsLack, labelsMatch, filtersOf } from './filter-match.js';
import { untilSeconds } from './images.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { NetworkConnectBody, NetworkCreateBody, NetworkCreateResponse, NetworkDisconnectBody, NetworkPruneResponse, NetworkResource } from './types-networks.js';

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

function object(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, `invalid ${what}: expected a JSON object`);
  return v as Record<string, unknown>;
}

function stringMap(v: unknown, what: string): Record<string, string> {
  const o = object(v, what);
  for (const [k, x] of Object.entries(o)) if (typeof x !== 'string') throw new ApiError(400, `invalid ${what}: ${k} is not a string`);
  return o as Record<string, string>;
}

/** The engine's NetworkCreate for a POST /networks/create body; what moby-dick cannot make is refused by name. */
export function networkCreateOf(body: NetworkCreateBody): NetworkCreate {
  if (typeof body.Name !== 'string' || body.Name === '') throw new ApiError(400, 'a network needs a Name');
  if (body.Driver !== undefined && body.Driver !== '' && body.Driver !== 'bridge') throw new ApiError(404, `plugin "${body.Driver}" not found: moby-dick has the bridge driver only`);
  if (body.EnableIPv6) throw new ApiError(400, 'EnableIPv6: moby-dick networks are IPv4 only');
  if (body.Ingress || body.ConfigOnly || (body.ConfigFrom && body.ConfigFrom.Network)) throw new ApiError(400, 'swarm networks (Ingress, ConfigOnly, ConfigFrom) are not supported');
  if (body.Scope !== undefined && body.Scope !== '' && body.Scope !== 'local') throw new ApiError(400, `Scope ${body.Scope}: moby-dick networks are local`);
  const options = stringMap(body.Options, 'Options');
  const unknownOption = Object.keys(options)[0];
  if (unknownOption !== undefined) throw new ApiError(400, `the driver option ${unknownOption} is not supported`);
  const ipam = object(body.IPAM, 'IPAM');
  if (ipam.Driver !== undefined && ipam.Driver !== '' && ipam.Driver !== 'default') throw new ApiError(400, `IPAM driver ${String(ipam.Driver)} is not supported: only default`);
  const configs = ipam.Config ?? [];
  if (!Array.isArray(configs)) throw new ApiError(400, 'invalid IPAM.Config: expected a list');
  if (configs.length > 1) throw new ApiError(400, 'IPAM.Config: moby-dick networks have one IPv4 subnet');
  const c = object(configs[0], 'IPAM.Config[0]');
  if (c.IPRange || (c.AuxiliaryAddresses && Object.keys(object(c.AuxiliaryAddresses, 'AuxiliaryAddresses')).length)) throw new ApiError(400, 'IPAM.Config: IPRange and AuxiliaryAddresses are not supported');
  for (const k of ['Subnet', 'Gateway'] as const) if (c[k] !== undefined && typeof c[k] !== 'string') throw new ApiError(400, `invalid IPAM.Config[0].${k}: expected a string`);
  const subnet = (c.Subnet as string | undefined) || undefined;
  const gateway = (c.Gateway as string | undefined) || undefined;
  if (gateway !== undefined && subnet === undefined) throw new ApiError(400, 'IPAM.Config: a Gateway needs a Subnet');
  return {
    name: body.Name,
    ...(subnet !== undefined ? { subnet } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
    internal: body.Internal === true,
    labels: stringMap(body.Labels, 'Labels'),
  };
}

async function create(engine: Engine, ctx: RequestContext): Promise<void> {
  const body = object(await ctx.json(), 'body') as NetworkCreateBody;
  const req = networkCreateOf(body);
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

function containerOf(body: Record<string, unknown>): string {
  if (typeof body.Container !== 'string' || body.Container === '') throw new ApiError(400, 'a Container is required');
  return body.Container;
}

/** The aliases of a connect's EndpointConfig; a fixed address is refused (the engine allocates them). */
export function connectAliases(body: NetworkConnectBody): string[] {
  const ep = object(body.EndpointConfig, 'EndpointConfig');
  const ipam = object(ep.IPAMConfig, 'EndpointConfig.IPAMConfig');
  if (ipam.IPv4Address || ipam.IPv6Address) throw new ApiError(400, 'EndpointConfig.IPAMConfig: a fixed address is not supported');
  if (Array.isArray(ep.Links) && ep.Links.length) throw new ApiError(400, 'EndpointConfig.Links is not supported');
  const aliases = ep.Aliases ?? [];
  if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== 'string')) throw new ApiError(400, 'invalid EndpointConfig.Aliases: expected a list of names');
  return aliases as string[];
}

async function connect(engine: Engine, ctx: RequestContext): Promise<void> {
  const body = object(await ctx.json(), 'body');
  const container = containerOf(body);
  await engine.connect(container, ctx.params.id!, connectAliases(body as NetworkConnectBody));
  ctx.reply.empty(200);
}

async function disconnect(engine: Engine, ctx: RequestContext): Promise<void> {
  const body = object(await ctx.json(), 'body') as NetworkDisconnectBody & Record<string, unknown>;
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
