/**
 * What a handler gets: the request (method, path parameters, query, the
 * API version asked for, its body) and one way to answer it — JSON, an
 * empty status, a stream, or the connection itself (hijack: attach, exec).
 * A request that came as `Upgrade: tcp` (Node's 'upgrade' event) has no
 * ServerResponse: its answers are written on the socket (RawReply).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { ApiError } from './errors.js';

/** A JSON body larger than this is refused (413): no create or exec needs a fraction of it. */
export const MAX_JSON_BODY = 8 << 20;

export interface RequestContext {
  readonly method: string;
  /** the path without its version prefix and query */
  readonly path: string;
  /** the API version asked for (the highest without a prefix) */
  readonly version: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** the body as a stream (archive PUT) */
  readonly body: Readable;
  /** the body as JSON; undefined when it is empty; 400 when it is not JSON, 413 above MAX_JSON_BODY */
  json(): Promise<unknown>;
  readonly reply: Reply;
  /** resolves when the client goes away (hangs up before the answer ended) */
  readonly closed: Promise<void>;
  /**
   * A request that came with an Upgrade header (Node's 'upgrade' event):
   * the request and its socket, for a protocol of its own (the websocket of
   * attach/ws). Whatever the socket had after the request's body is back on it.
   */
  readonly upgrade?: { readonly request: IncomingMessage; readonly socket: Duplex };
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface Reply {
  /** whether an answer has begun */
  readonly started: boolean;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  /** a status without a body (204, 304, a HEAD's 200) */
  empty(status: number, headers?: Record<string, string>): void;
  /** a body written as it comes (logs -f, stats, archive GET, export) */
  stream(status: number, headers: Record<string, string>): Writable;
  /**
   * The connection itself: 101 UPGRADED for an `Upgrade: tcp` request, else
   * a 200 with Docker's raw-stream type after which the answer is raw bytes
   * (old clients; their input then goes no further). CONTENT_TYPE defaults
   * to application/vnd.docker.raw-stream (multiplexed-stream when framed).
   */
  hijack(contentType?: string): Duplex;
}

/** Reads a JSON body of at most LIMIT bytes. */
export async function readJson(body: Readable, limit = MAX_JSON_BODY): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, `request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ApiError(400, `invalid JSON: ${(e as Error).message}`);
  }
}

const REASONS: Record<number, string> = { 101: 'UPGRADED', 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 500: 'Internal Server Error', 501: 'Not Implemented' };

function head(status: number, headers: Record<string, string | number>): string {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? 'Status'}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const RAW = 'application/vnd.docker.raw-stream';

/** Answers through a ServerResponse: a plain request. */
export class HttpReply implements Reply {
  constructor(
    private readonly res: ServerResponse,
    private readonly common: Record<string, string>,
  ) {}

  get started(): boolean {
    return this.res.headersSent;
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = `${JSON.stringify(body)}\n`;
    this.res.writeHead(status, { ...this.common, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    this.res.end(this.res.req.method === 'HEAD' ? undefined : text);
  }

  empty(status: number, headers: Record<string, string> = {}): void {
    this.res.writeHead(status, { ...this.common, ...headers });
    this.res.end();
  }

  stream(status: number, headers: Record<string, string>): Writable {
    this.res.writeHead(status, { ...this.common, ...headers });
    this.res.flushHeaders();
    return this.res;
  }

  hijack(contentType = RAW): Duplex {
    const socket = this.res.socket;
    if (!socket) throw new ApiError(500, 'the connection is gone');
    // answered by hand on the socket: the server's response is never used, and the connection not kept alive
    (socket as Duplex & { mdkHijacked?: boolean }).mdkHijacked = true;
    this.res.detachSocket(socket);
    this.res.shouldKeepAlive = false;
    socket.write(head(200, { ...this.common, 'Content-Type': contentType }));
    return socket;
  }
}

/** Answers on the socket of an `Upgrade: tcp` request. */
export class RawReply implements Reply {
  private begun = false;

  constructor(
    private readonly socket: Duplex,
    private readonly common: Record<string, string>,
  ) {}

  get started(): boolean {
    return this.begun;
  }

  private begin(): void {
    if (this.begun) throw new ApiError(500, 'answered twice');
    this.begun = true;
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.begin();
    const text = `${JSON.stringify(body)}\n`;
    this.socket.end(head(status, { ...this.common, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Connection: 'close', ...headers }) + text);
  }

  empty(status: number, headers: Record<string, string> = {}): void {
    this.begin();
    this.socket.end(head(status, { ...this.common, 'Content-Length': 0, Connection: 'close', ...headers }));
  }

  stream(status: number, headers: Record<string, string>): Writable {
    this.begin();
    this.socket.write(head(status, { ...this.common, Connection: 'close', ...headers }));
    return this.socket;
  }

  hijack(contentType = RAW): Duplex {
    this.begin();
    this.socket.write(head(101, { ...this.common, 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' }));
    return this.socket;
  }
}
