/**
 * Every route of the API, by resource: one module each (system.ts,
 * containers.ts; images.ts, networks.ts, volumes.ts, events.ts, ... to
 * come), each giving its routes for the one engine the service holds and
 * the state the service keeps between requests (sessions, exec instances).
 */
import type { Engine } from '../engine/engine.js';
import { containerRoutes } from './containers.js';
import type { Execs } from './exec.js';
import type { Route } from './router.js';
import type { Sessions } from './sessions.js';
import { systemRoutes } from './system.js';
import { authRoutes } from './auth.js';
import { buildRoutes } from './build.js';
import { commitRoutes } from './commit.js';
import { eventRoutes } from './events.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
import { systemDfRoutes } from './system-df.js';
import { volumeRoutes } from './volumes.js';

export interface ApiDeps {
  engine: Engine;
  serverVersion: string;
  sessions: Sessions;
  execs: Execs;
  /** the host address of a published port that names none (the service's --ip) */
  hostIp?: string;
}

export function apiRoutes(d: ApiDeps): Route[] {
  return [
    ...systemRoutes(d.engine, d.serverVersion),
    ...containerRoutes(d),
    ...imageRoutes(d.engine),
    ...networkRoutes(d.engine),
    ...volumeRoutes(d.engine),
    ...systemDfRoutes(d.engine),
    ...authRoutes(d.engine),
    ...eventRoutes(d.engine),
    ...buildRoutes(d.engine),
    ...commitRoutes(d.engine),
  ];
}
