import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { ROOTLESS_IMAGE_COMMANDS } from '../rootless/rootless.js';
import { statusOf } from './errors.js';
import type { RequestContext } from './reply.js';
import { routeCommand, rootlessRoutes } from './rootless-routes.js';
import type { Route } from './router.js';

const served = (): void => {};
const route = (method: Route['method'], path: string): Route => ({ method, path, handler: served });

describe('rootlessRoutes', () => {
  const routes = [
    route('GET', '/_ping'),
    route('GET', '/info'),
    route('POST', '/containers/create'),
    route('POST', '/containers/{id}/start'),
    route('POST', '/containers/{id}/wait'),
    route('POST', '/containers/{id}/attach'),
    route('GET', '/containers/{id}/top'),
    route('DELETE', '/containers/{id}'),
    route('POST', '/networks/create'),
    route('GET', '/networks'),
    route('POST', '/containers/{id}/pause'),
    route('POST', '/containers/{id}/unpause'),
    route('POST', '/containers/{id}/update'),
    route('POST', '/containers/{id}/restart'),
    route('POST', '/containers/{id}/rename'),
    route('GET', '/system/df'),
    route('POST', '/containers/prune'),
    route('POST', '/images/prune'),
    route('POST', '/images/{name*}/push'),
    route('GET', '/volumes'),
    route('GET', '/new/route'),
    route('HEAD', '/containers/{id}/archive'),
    route('GET', '/containers/{id}/archive'),
    route('PUT', '/containers/{id}/archive'),
    route('GET', '/containers/{id}/changes'),
    route('POST', '/commit'),
    route('GET', '/containers/{id}/export'),
  ];
  const out = rootlessRoutes(routes);
  const handlerOf = (method: string, path: string) => out.find((r) => r.method === method && r.path === path)!.handler;
  const refusal = (method: string, path: string): MobyDickError => {
    try {
      void handlerOf(method, path)({} as RequestContext);
    } catch (e) {
      assert.ok(e instanceof MobyDickError);
      return e;
    }
    assert.fail(`${method} ${path} was served`);
  };

  test('what the user\'s CLI may do is served as is; ping, info, attach always', () => {
    for (const [m, p] of [['GET', '/_ping'], ['GET', '/info'], ['POST', '/containers/create'], ['POST', '/containers/{id}/start'], ['POST', '/containers/{id}/wait'], ['POST', '/containers/{id}/attach'], ['GET', '/containers/{id}/top'], ['DELETE', '/containers/{id}'], ['GET', '/volumes']] as const) {
      assert.equal(handlerOf(m, p), served, `${m} ${p}`);
    }
  });

  test('what needs root answers 403 with the CLI\'s one line', () => {
    const net = refusal('POST', '/networks/create');
    assert.equal(statusOf(net), 403);
    assert.match(net.message, /^network: networks need root \(rootless/);
    assert.equal(refusal('GET', '/networks').message, net.message);
    assert.match(refusal('POST', '/images/{name*}/push').message, /^push: not available to an ordinary user yet \(rootless/);
    assert.match(refusal('GET', '/new/route').message, /^GET \/new\/route: not available to an ordinary user yet/, 'a route the table does not know is refused');
  });

  test('pause, unpause, update, restart, rename and system df are served as is: the engine refuses what needs a delegated cgroup', () => {
    for (const [m, p] of [['POST', '/containers/prune'], ['POST', '/images/prune'], ['POST', '/containers/{id}/pause'], ['POST', '/containers/{id}/unpause'], ['POST', '/containers/{id}/update'], ['POST', '/containers/{id}/restart'], ['POST', '/containers/{id}/rename'], ['GET', '/system/df']] as const) {
      assert.equal(handlerOf(m, p), served, `${m} ${p}`);
    }
  });

  test('cp (HEAD, GET, PUT archive), diff, commit and export are served as is: the engine takes their rootless path (engine/container-files.ts)', () => {
    for (const [m, p] of [['HEAD', '/containers/{id}/archive'], ['GET', '/containers/{id}/archive'], ['PUT', '/containers/{id}/archive'], ['GET', '/containers/{id}/changes'], ['POST', '/commit'], ['GET', '/containers/{id}/export']] as const) {
      assert.equal(handlerOf(m, p), served, `${m} ${p}`);
    }
  });

  test('each route\'s command: the CLI\'s words', () => {
    assert.equal(routeCommand(route('GET', '/containers/{id}/archive')), 'cp');
    assert.equal(routeCommand(route('POST', '/images/create')), 'pull');
    assert.equal(routeCommand(route('GET', '/system/df')), 'system df');
    assert.equal(routeCommand(route('GET', '/version')), null);
    for (const c of ['create', 'start', 'wait', 'rm', 'ps', 'logs', 'stop', 'kill', 'exec', 'inspect', 'top', 'stats', 'pull', 'load', 'images', 'rmi', 'tag', 'save', 'history', 'volume', 'export']) {
      assert.ok(ROOTLESS_IMAGE_COMMANDS.has(c), c);
    }
  });
});
