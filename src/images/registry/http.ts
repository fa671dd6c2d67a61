/**
 * HTTP for the registry client, on node:http and node:https. Not fetch:
 * Node 20's fetch loads its bundled undici on first use, about 40 ms here
 * (measured: the first fetch to a local registry took 44 ms, the next 3-7),
 * which was a fifth of an up-to-date `pull`. This is the part of fetch the
 * client needs: keep-alive, redirects (Authorization dropped when the host
 * changes, as registries redirect blobs to storage), streamed bodies, an
 * idle timeout, an abort signal.
 *
 * node:http and node:https are loaded on the first request: the CLI's
 * startup snapshot (cli/snapshot.ts) cannot hold them (Node 20 fails to
 * load node:http while it builds one), and most commands make none.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { tlsContextWithDeferredCerts } from '../../util/deferred-ca-certs.js';

export interface HttpRequest {
  method: string;
  headers?: Record<string, string>;
  /** a Buffer, or a function that makes a fresh stream (a redirect may resend it) */
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** the URL that answered, after redirects */
  url: string;
  header(name: string): string | undefined;
  body: Readable;
  text(): Promise<string>;
  bytes(): Promise<Buffer>;
  /** throws the body away and frees the connection */
  discard(): void;
}

export type HttpClient = (url: string, req: HttpRequest) => Promise<HttpResponse>;

const MAX_REDIRECTS = 5;
/** a connection that sends nothing for this long is given up */
const IDLE_TIMEOUT_MS = 60_000;

let modules: { http: typeof import('node:http'); https: typeof import('node:https') } | undefined;
let agents: { http: HttpAgent; https: HttpsAgent } | undefined;

function httpModules(): NonNullable<typeof modules> {
  return (modules ??= { http: process.getBuiltinModule('node:http'), https: process.getBuiltinModule('node:https') });
}

function keepAliveAgents(): NonNullable<typeof agents> {
  const { http, https } = httpModules();
  if (agents) return agents;
  // NODE_EXTRA_CA_CERTS, when the launcher deferred it (one context for every connection: making one costs ms)
  const secureContext = tlsContextWithDeferredCerts();
  return (agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true, ...(secureContext ? { secureContext } : {}) }),
  });
}

function wrap(res: IncomingMessage, url: string): HttpResponse {
  const bytes = async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    url,
    header(name) {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    body: res,
    bytes,
    text: async () => (await bytes()).toString('utf8'),
    discard() {
      res.resume();
    },
  };
}

function once(url: URL, req: HttpRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = { ...req.headers };
    if (Buffer.isBuffer(req.body)) headers['Content-Length'] = String(req.body.length);
    const { http, https } = httpModules();
    const agent = keepAliveAgents();
    const r = (secure ? https.request : http.request)(url, {
      method: req.method,
      headers,
      agent: secure ? agent.https : agent.http,
      timeout: IDLE_TIMEOUT_MS,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    r.on('response', resolve);
    r.on('error', reject);
    r.on('timeout', () => r.destroy(new Error(`no answer from ${url.host} for ${IDLE_TIMEOUT_MS / 1000} s`)));
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else {
      const body = req.body();
      body.on('error', (e) => r.destroy(e));
      body.pipe(r);
    }
  });
}

/** A request, following redirects. Network failures reject with Node's error (ECONNREFUSED, ...). */
export const request: HttpClient = async (url, req) => {
  let target = new URL(url);
  let current = req;
  for (let hop = 0; ; hop++) {
    const res = await once(target, current);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(status) || location === undefined || hop === MAX_REDIRECTS) {
      // an idle body still arriving after the caller stopped must not stall forever
      res.setTimeout(IDLE_TIMEOUT_MS, () => res.destroy(new Error(`no data from ${target.host} for ${IDLE_TIMEOUT_MS / 1000} s`)));
      return wrap(res, target.toString());
    }
    res.resume();
    const next = new URL(location, target);
    const headers = { ...current.headers };
    if (next.host !== target.host) {
      for (const h of Object.keys(headers)) if (h.toLowerCase() === 'authorization') delete headers[h];
    }
    // 303, and 301/302 of anything but GET/HEAD, become a GET without a body (as browsers and fetch do)
    const keepsMethod = status === 307 || status === 308 || current.method === 'GET' || current.method === 'HEAD';
    current = keepsMethod ? { ...current, headers } : { method: 'GET', headers, ...(current.signal ? { signal: current.signal } : {}) };
    target = next;
  }
};
