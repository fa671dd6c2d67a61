/**
 * The system endpoints: /_ping (GET and HEAD, with the headers a client
 * negotiates from), /version, /info (what moby-dick knows of the host and
 * its containers; images, networks and volumes are counted as the store
 * has them): the documents are engine/system-info.ts's, which the CLI's
 * `version` and `info` print too.
 */
import type { Engine } from '../engine/engine.js';
import { systemInfo, systemVersion } from '../engine/system-info.js';
import type { Route } from './router.js';
import type { RequestContext } from './reply.js';

/** /_ping's own headers, on top of the common ones: no builder but the classic one, no swarm, never cached. */
export const PING_HEADERS: Readonly<Record<string, string>> = {
  'Builder-Version': '1',
  Swarm: 'inactive',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
};

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
