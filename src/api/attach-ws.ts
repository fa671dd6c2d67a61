/**
 * GET /containers/{id}/attach/ws: attach over a websocket, as dockerd
 * serves it. The handshake and the framing are the `ws` package's (a
 * well-kept library with no dependencies: masking, fragments, control
 * frames and the closing handshake are easy to get subtly wrong by hand);
 * it is loaded when the first websocket comes, so the service's start and
 * its startup snapshot do not carry it.
 *
 * As dockerd: the container's output goes out unframed, a message per
 * chunk, binary from API 1.28 on (text before); every message from the
 * client goes to the container's stdin when stdin=1 and the container's
 * stdin is open; before API 1.42 stdin, stdout and stderr are all on
 * whatever the query says. logs, stream and detachKeys as the hijacked
 * attach (attach-client.ts does the rest the same way). The client's
 * hang-up detaches; it closes the container's stdin only for a container
 * made with StdinOnce (which `docker run -i` attached sets), as dockerd.
 */
import { PassThrough, Writable } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { ContainerView } from '../engine/engine.js';
import { attachClient, type AttachClient, type AttachWants } from './attach-client.js';
import { ApiError } from './errors.js';
import type { RequestContext } from './reply.js';
import type { Sessions } from './sessions.js';
import { compareVersions } from './version.js';

/** the largest message taken from a client (stdin comes in small pieces) */
const MAX_MESSAGE = 1 << 20;

/** The open websocket WS as an attach client; BINARY: output as binary messages (else text). */
export function webSocketClient(ws: WebSocket, binary: boolean): AttachClient {
  const input = new PassThrough();
  ws.on('message', (data: RawData) => {
    const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!input.write(chunk)) {
      ws.pause();
      input.once('drain', () => ws.resume());
    }
  });
  ws.on('close', () => input.end());
  ws.on('error', () => ws.terminate());
  const gone = (): boolean => ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED;
  return {
    input,
    output: () =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          // the monitor's first frame is empty (it says it accepted us): no message for it
          if (gone() || chunk.length === 0) return cb();
          ws.send(chunk, { binary }, () => cb());
        },
      }),
    get gone() {
      return gone();
    },
    onGone(fn) {
      ws.once('close', fn);
      return () => ws.off('close', fn);
    },
    end: () => ws.close(1000),
    destroy: () => ws.terminate(),
  };
}

/**
 * Docker's streams of an attach/ws request: before API 1.42 stdin, stdout
 * and stderr are all on, whatever the query says.
 */
export function webSocketWants(q: URLSearchParams, version: string, flag: (q: URLSearchParams, name: string) => boolean): AttachWants {
  const all = compareVersions(version, '1.42') < 0;
  return {
    stdin: all || flag(q, 'stdin'), stdout: all || flag(q, 'stdout'), stderr: all || flag(q, 'stderr'),
    logs: flag(q, 'logs'), stream: flag(q, 'stream'), detachKeys: q.get('detachKeys') ?? '', closeStdin: false,
  };
}

/** The handler: the websocket's handshake on the request's socket, then the attach as WANTS says (see above). */
export async function attachWebSocket(ctx: RequestContext, v: ContainerView, sessions: Sessions, wants: AttachWants): Promise<void> {
  const up = ctx.upgrade;
  if (!up || String(up.request.headers.upgrade).toLowerCase() !== 'websocket') throw new ApiError(400, 'attach/ws needs a websocket: send Upgrade: websocket');
  const { WebSocketServer } = await import('ws');
  const server = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_MESSAGE });
  // ws answers a bad handshake itself (400) and closes the socket; then no callback comes
  const ws = await new Promise<WebSocket | undefined>((resolve) => {
    up.socket.once('close', () => resolve(undefined));
    server.handleUpgrade(up.request, up.socket as Parameters<typeof server.handleUpgrade>[1], Buffer.alloc(0), (socket) => resolve(socket));
  });
  if (!ws) return;
  const client = webSocketClient(ws, compareVersions(ctx.version, '1.28') >= 0);
  try {
    await attachClient(sessions, v, wants, client);
  } catch (e) {
    // the answer is the websocket now: a failure closes it, with the reason (at most 123 bytes)
    ws.close(1011, (e instanceof Error ? e.message : String(e)).replace(/[^\x20-\x7e]/g, '?').slice(0, 123));
  }
}
