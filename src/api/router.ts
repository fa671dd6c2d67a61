/**
 * The route table: METHOD and a path pattern (`/containers/{id}/json`; a
 * `{name*}` parameter takes several segments, as image names have) to a
 * handler. The path has lost its `/vN.NN` prefix (version.ts) and its query.
 * A path that matches no pattern is 404; one that matches with another
 * method is 405, as Docker's router answers.
 */
import { ApiError } from './errors.js';
import type { Handler } from './reply.js';

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler: Handler;
  /** takes over the connection (attach, exec start): served from an `Upgrade: tcp` request too */
  hijack?: boolean;
}

interface Compiled extends Route {
  re: RegExp;
  names: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: Compiled[] = [];

  constructor(routes: readonly Route[] = []) {
    for (const r of routes) this.add(r);
  }

  add(route: Route): void {
    const names: string[] = [];
    const source = route.path.replace(/[.+?^$()[\]\\|]/g, '\\$&').replace(/\{(\w+)(\*?)\}/g, (_, name: string, star: string) => {
      names.push(name);
      return star ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ ...route, re: new RegExp(`^${source}/?$`), names });
  }

  /** The route for METHOD and PATH, with its parameters decoded; ApiError 404 or 405 else. */
  match(method: string, path: string): Match {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET' && !this.hasHead(r.path))) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        params[n] = decode(m[i + 1]!);
      });
      return { route: r, params };
    }
    if (pathMatched) throw new ApiError(405, `method ${method} not allowed for ${path}`);
    throw new ApiError(404, 'page not found');
  }

  private hasHead(path: string): boolean {
    return this.routes.some((r) => r.path === path && r.method === 'HEAD');
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ApiError(400, `invalid escape in the path: ${s}`);
  }
}
