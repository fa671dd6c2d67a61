/**
 * The HTTP side of the service: node:http, or node:https with client
 * verification (loaded where used), Docker's common headers on every answer, the version
 * prefix, the route table, errors as `{"message": ...}`, and the limits
 * that keep bad clients from taking it down: a header and a request
 * timeout (slowloris), a cap on JSON bodies, a malformed request answered
 * 400 and its connection closed, a client that goes away mid-answer
 * noticed (RequestContext.closed). `Upgrade: tcp` requests (the docker
 * CLI's attach and exec) come through Node's 'upgrade' event with the raw
 * socket; their answers are written on it (RawReply). So does a websocket
 * (attach/ws): its handler takes the socket (RequestContext.upgrade).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import { ApiError, messageOf, statusOf } from './errors.js';
import { HttpReply, MAX_JSON_BODY, RawReply, type Reply, type RequestContext, readJson } from './reply.js';
import type { Router } from './router.js';
import { API_VERSION, splitVersion } from './version.js';

export interface ServerLimits {
  /** ms to receive a request's headers */
  headersTimeout: number;
  /** ms to receive a whole request (headers and body); 0 for none (archive uploads can be long) */
  requestTimeout: number;
  /** ms an idle kept-alive connection stays */
  keepAliveTimeout: number;
}

export const DEFAULT_LIMITS: ServerLimits = { headersTimeout: 10_000, requestTimeout: 0, keepAliveTimeout: 5_000 };

/** Headers of every answer, as dockerd sends them. */
export function commonHeaders(serverVersion: string): Record<string, string> {
  return { 'Api-Version': API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux', Server: `moby-dick/${serverVersion} (linux)` };
}

/** PEM: the server's certificate and key, and the CA that signed the certificates clients must show. */
export interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface ApiServerOptions {
  router: Router;
  serverVersion: string;
  /** HTTPS, with every client verified against tls.ca (dockerd's --tlsverify) */
  tls?: TlsFiles;
  limits?: ServerLimits;
  /** a request failed with a 500 (for the service's own log) */
  onInternalError?: (e: unknown, method: string, path: string) => void;
  /** each request's handling, settled when it is done (the service waits for them before it closes the store) */
  onRequest?: (handling: Promise<void>) => void;
}

/** The request's body and answer, dispatched to its route; every failure answered with Docker's error shape. */
async function dispatch(o: ApiServerOptions, req: IncomingMessage, reply: Reply, body: Readable, closed: Promise<void>, upgraded?: Duplex): Promise<void> {
  const method = req.method ?? 'GET';
  let path = '';
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const split = splitVersion(url.pathname);
    path = split.path;
    const { route, params } = o.router.match(method, path);
    if (upgraded && !route.hijack) throw new ApiError(400, `${path} does not upgrade the connection`);
    const ctx: RequestContext = {
      method,
      path,
      version: split.version,
      params,
      query: url.searchParams,
      headers: req.headers,
      body,
      json: () => readJson(body),
      reply,
      closed,
      ...(upgraded ? { upgrade: { request: req, socket: upgraded } } : {}),
    };
    await route.handler(ctx);
  } catch (e) {
    const status = statusOf(e);
    if (status >= 500) o.onInternalError?.(e, method, path);
    if (!reply.started) reply.json(status, { message: messageOf(e) });
    else body.destroy();
  }
}

/** Resolves when SOCKET closes. */
function closedOf(socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

/**
 * An upgrade request's body: Content-Length bytes, from HEAD and then the
 * socket; what follows (the client's first input) is put back on the socket.
 */
async function upgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Readable> {
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(length) || length < 0) throw new ApiError(400, 'invalid Content-Length');
  if (length > MAX_JSON_BODY) throw new ApiError(413, `request body is larger than ${MAX_JSON_BODY} bytes`);
  let have = head;
  while (have.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (c: Buffer): void => {
        socket.pause();
        done(c);
      };
      const onEnd = (): void => done(null);
      const done = (c: Buffer | null): void => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        resolve(c);
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.resume();
    });
    if (chunk === null) throw new ApiError(400, 'the request body ended early');
    have = Buffer.concat([have, chunk]);
  }
  if (have.length > length) socket.unshift(have.subarray(length));
  return Readable.from(length ? [have.subarray(0, length)] : []);
}

export function createApiServer(o: ApiServerOptions): Server {
  const limits = o.limits ?? DEFAULT_LIMITS;
  const common = commonHeaders(o.serverVersion);
  const options = {
    headersTimeout: limits.headersTimeout,
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeout),
  };
  // a client without a certificate of the CA is refused in the handshake, before any request. Half
  // open, as node:http's own: the docker CLI ends its side of a hijacked connection (no stdin) and
  // reads on; a TLS server would otherwise end ours at that close_notify, before the output came
  const server: Server = o.tls
    ? process.getBuiltinModule('node:https').createServer({ ...options, ...o.tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', allowHalfOpen: true })
    : process.getBuiltinModule('node:http').createServer(options);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    const handling = dispatch(o, req, new HttpReply(res, common), req, closed);
    o.onRequest?.(handling);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const reply = new RawReply(socket, common);
    const closed = closedOf(socket);
    const handling = upgradeBody(req, socket, head).then(
      (body) => dispatch(o, req, reply, body, closed, socket),
      (e: unknown) => reply.json(statusOf(e), { message: messageOf(e) }),
    );
    o.onRequest?.(handling);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // a hijacked connection's input is the container's, not a request: the parser's complaint is not ours
    if ((socket as Duplex & { mdkHijacked?: boolean }).mdkHijacked) return;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const text = `${JSON.stringify({ message: `bad request: ${err.code ?? err.message}` })}\n`;
    socket.end(`HTTP/1.1 ${status} Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  });
  return server;
}
