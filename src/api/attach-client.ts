/**
 * An API client attached to a container, whatever carries it: the
 * hijacked connection of POST /containers/{id}/attach (`Upgrade: tcp`, the
 * output framed with stdcopy when there is no tty) or a websocket (GET
 * /containers/{id}/attach/ws, one message per chunk, never framed). Both
 * give an AttachClient; attachClient() does the rest the same way: the
 * log replayed (logs=1), then, with stream=1, the monitor's attach socket
 * now if the container runs, or at its start through this service
 * (Sessions.addPending: the docker CLI attaches, then starts), the
 * client's input to the container's stdin when asked and open, its
 * hang-up a detach, and the container's end the client's.
 */
import { type Duplex, type Readable, Writable } from 'node:stream';
import { attach, type Attachment, DEFAULT_DETACH_KEYS, OUT_STDERR, OUT_STDOUT } from '../engine/attach.js';
import type { ContainerView } from '../engine/engine.js';
import { readLogs } from '../engine/logs.js';
import type { Sessions } from './sessions.js';
import { streamWriter } from './stdcopy.js';

export interface AttachClient {
  /** what the client sends; null when it sends nothing the container reads */
  readonly input: Readable | null;
  /** where the container's output of STREAM (1 stdout, 2 stderr) goes to the client */
  output(stream: typeof OUT_STDOUT | typeof OUT_STDERR): Writable;
  /** the client's connection is gone */
  readonly gone: boolean;
  /** calls FN once when the client hangs up; the function returned forgets it */
  onGone(fn: () => void): () => void;
  /** ends the connection cleanly: nothing more to send */
  end(): void;
  /** drops the connection: something failed */
  destroy(): void;
}

export interface AttachWants {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  logs: boolean;
  stream: boolean;
  /** Docker's detachKeys parameter ('' for the default) */
  detachKeys: string;
  /** when the client's input ends, close the container's stdin (the hijacked attach: `docker run -i`'s end of input) */
  closeStdin: boolean;
}

/** an output the client did not ask for */
const discard = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

/** Attaches CLIENT to the container V as WANTS says (see above); resolves once it is connected, or waits for the start. */
export async function attachClient(sessions: Sessions, v: ContainerView, wants: AttachWants, client: AttachClient): Promise<void> {
  const id = v.record.id;
  const tty = v.record.engine.tty;
  const stdin = wants.stdin && v.record.openStdin ? client.input : null;
  if (wants.logs) {
    const out = wants.stdout ? client.output(OUT_STDOUT) : discard();
    const err = wants.stderr ? client.output(OUT_STDERR) : discard();
    for await (const e of readLogs(v.paths.log, {})) {
      if (client.gone) return;
      (e.stream === 'stderr' ? err : out).write(Buffer.from(e.log));
    }
  }
  if (!wants.stream) {
    client.end();
    return;
  }
  const connect = async (view: ContainerView): Promise<Attachment | undefined> => {
    if (client.gone) return undefined;
    const a = attach(view.paths.attachSocket, {
      stdin,
      stdout: wants.stdout ? client.output(OUT_STDOUT) : discard(),
      stderr: wants.stderr ? client.output(OUT_STDERR) : discard(),
      tty,
      detachKeys: stdin && tty ? wants.detachKeys || DEFAULT_DETACH_KEYS : null,
      closeStdin: wants.closeStdin,
      // Docker's StdinOnce (docker run -i): the client's end closes the container's stdin, its death included
      stdinOnce: stdin !== null && v.record.stdinOnce === true,
    });
    await a.connected;
    const forget = client.onGone(() => a.detach());
    a.done.then(
      () => {
        forget();
        client.end();
      },
      () => client.destroy(),
    );
    return a;
  };
  if (v.state.Running) {
    const a = await connect(v);
    if (a) sessions.track(id, a);
    return;
  }
  const drop = sessions.addPending(id, connect);
  client.onGone(drop);
}

/** The hijacked connection of POST /containers/{id}/attach as a client: its output framed (stdcopy) when FRAMED. */
export function hijackedClient(conn: Duplex, framed: boolean): AttachClient {
  return {
    input: conn,
    output: (stream) => streamWriter(conn, stream, framed),
    get gone() {
      return conn.destroyed;
    },
    onGone(fn) {
      conn.once('close', fn);
      return () => conn.off('close', fn);
    },
    end: () => conn.end(),
    destroy: () => conn.destroy(),
  };
}
