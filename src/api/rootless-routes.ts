/**
 * The Engine API of an ordinary user's service (rootless, as Podman's
 * `podman system service` as a user): each route serves what the same
 * command of the CLI may do as that user (rootless/rootless.ts), and
 * answers the others with Docker's error shape, 403 and the CLI's one line
 * (`network: networks need root ...`). Always served: _ping, version, info
 * and events, which read nothing of root's; and attach (and resize), which
 * `docker run` uses to run a container in the foreground.
 */
import { refuseRootlessEngine } from '../rootless/rootless.js';
import type { Route } from './router.js';

/** The CLI command of each route (METHOD PATH), by which it is refused or served; null: always served. */
const COMMANDS: Record<string, string | null> = {
  'GET /_ping': null,
  'HEAD /_ping': null,
  'GET /version': null,
  'GET /info': null,
  'GET /events': null,
  'POST /auth': 'login',
  'POST /build': 'build',
  'POST /_moby-dick/build': 'build',
  'POST /commit': 'commit',
  'GET /system/df': 'system df',
  'GET /containers/json': 'ps',
  'POST /containers/create': 'create',
  'POST /containers/prune': 'container prune',
  'GET /containers/{id}/json': 'inspect',
  'GET /containers/{id}/top': 'top',
  'GET /containers/{id}/logs': 'logs',
  'GET /containers/{id}/changes': 'diff',
  'GET /containers/{id}/export': 'export',
  'GET /containers/{id}/stats': 'stats',
  'POST /containers/{id}/resize': null,
  'POST /containers/{id}/start': 'start',
  'POST /containers/{id}/stop': 'stop',
  'POST /containers/{id}/restart': 'restart',
  'POST /containers/{id}/kill': 'kill',
  'POST /containers/{id}/update': 'update',
  'POST /containers/{id}/rename': 'rename',
  'POST /containers/{id}/pause': 'pause',
  'POST /containers/{id}/unpause': 'unpause',
  'POST /containers/{id}/attach': null,
  'GET /containers/{id}/attach/ws': null,
  'POST /containers/{id}/wait': 'wait',
  'DELETE /containers/{id}': 'rm',
  'HEAD /containers/{id}/archive': 'cp',
  'GET /containers/{id}/archive': 'cp',
  'PUT /containers/{id}/archive': 'cp',
  'POST /containers/{id}/exec': 'exec',
  'POST /exec/{id}/start': 'exec',
  'POST /exec/{id}/resize': 'exec',
  'GET /exec/{id}/json': 'exec',
  'GET /images/json': 'images',
  'POST /images/create': 'pull',
  'POST /images/load': 'load',
  'POST /images/prune': 'image prune',
  'GET /images/get': 'save',
  'GET /images/{name*}/json': 'inspect',
  'GET /images/{name*}/history': 'history',
  'GET /images/{name*}/get': 'save',
  'POST /images/{name*}/tag': 'tag',
  'POST /images/{name*}/push': 'push',
  'DELETE /images/{name*}': 'rmi',
};

/** The CLI command route R stands for: a route missing from the table counts as one an ordinary user may not use. */
export function routeCommand(r: Pick<Route, 'method' | 'path'>): string | null {
  const key = `${r.method} ${r.path}`;
  if (key in COMMANDS) return COMMANDS[key]!;
  return r.path.startsWith('/networks') ? 'network' : r.path.startsWith('/volumes') ? 'volume' : `${r.method} ${r.path}`;
}

/** ROUTES as an ordinary user's service serves them: the refused ones answer with the CLI's refusal (a NOT_ROOT error: 403). */
export function rootlessRoutes(routes: readonly Route[]): Route[] {
  return routes.map((r) => {
    const command = routeCommand(r);
    if (command === null) return r;
    try {
      refuseRootlessEngine(command, true);
      return r;
    } catch (refusal) {
      return {
        method: r.method,
        path: r.path,
        handler: () => {
          throw refusal;
        },
      };
    }
  });
}
