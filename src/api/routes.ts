/**
 * Every route of the API, by resource: one module each (system.ts,
 * containers.ts, later images.ts, networks.ts, volumes.ts, ...), each
 * giving its routes for the one engine the service holds.
 */
import type { Engine } from '../engine/engine.js';
import type { Route } from './router.js';
import { systemRoutes } from './system.js';

export function apiRoutes(engine: Engine, serverVersion: string): Route[] {
  return [...systemRoutes(engine, serverVersion)];
}
