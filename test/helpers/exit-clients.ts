/**
 * Attach clients that do what a test asks when the container ends, for the
 * tests of the exit's hand-over (native/src/attach.c: a client that handles
 * the exit confirms it, and the monitor skips its container-exited).
 * `node exit-clients.js IMAGE KIND...` starts `run -d -i --rm` of IMAGE with
 * `read` as its command (the CLI on the store of MOBY_DICK_ROOT), attaches
 * one client of each KIND, then one more that sends the line that ends it;
 * prints the container's ID and, per client, how its attach ended. KIND:
 *   confirm  handles the exit, confirms it (without doing the work)
 *   hangup   handles the exit, hangs up after the exit record without confirming
 *   detach   handles the exit, detaches before the container ends
 *   plain    an attach client as `moby-dick attach` is
 *   rogue    raw frames: confirms after the exit record without having declared
 */
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { attach, exitHandledFrame, FrameDecoder, OUT_EXIT } from '../../src/engine/attach.js';
import { containerPaths, runRoot } from '../../src/engine/paths.js';
import { CLI } from './cli.js';

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

/** a client of raw frames: after the exit record, "exit handled" though it never said it handles the exit */
function rogue(path: string): { connected: Promise<void>; done: Promise<string> } {
  const socket = createConnection(path);
  const decoder = new FrameDecoder();
  let onWelcome: () => void = () => {};
  const connected = new Promise<void>((r) => (onWelcome = r));
  const done = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      onWelcome();
      if (decoder.push(chunk).some((f) => f.stream === OUT_EXIT)) socket.write(exitHandledFrame());
    });
    socket.on('close', () => resolve('rogue: closed'));
    socket.on('error', () => {});
  });
  return { connected, done };
}

async function main(image: string, kinds: string[]): Promise<void> {
  const store = process.env.MOBY_DICK_ROOT!;
  const r = spawnSync(CLI, ['run', '-d', '-i', '--rm', '--network', 'none', image, 'sh', '-c', 'read x'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const id = r.stdout.trim();
  const socketPath = containerPaths(store, runRoot(store), id).attachSocket;
  const clients = kinds.map((kind): { connected: Promise<void>; done: Promise<string> } => {
    if (kind === 'rogue') return rogue(socketPath);
    const a = attach(socketPath, { stdout: sink(), stderr: sink(), handlesExit: kind !== 'plain' });
    const done = (async (): Promise<string> => {
      await a.connected;
      if (kind === 'detach') a.detach();
      const end = await a.done;
      if (kind === 'confirm') await a.exitHandled();
      if (kind === 'hangup') a.close();
      return `${kind}: ${end.kind}`;
    })();
    return { connected: a.connected, done };
  });
  // every client is in (and a detached one gone) before the line that ends the container
  await Promise.all(clients.map((c) => c.connected));
  await new Promise((res) => setTimeout(res, 50));
  const input = new PassThrough();
  const trigger = attach(socketPath, { stdin: input, stdout: sink(), stderr: sink(), detachKeys: null });
  await trigger.connected;
  input.write('go\n');
  const ends = await Promise.all(clients.map((c) => c.done));
  await trigger.done;
  process.stdout.write(`${id}\n${ends.join('\n')}\n`);
}

// `node --test build/tsc/` also loads the files under test/: without arguments it does nothing
if (process.argv[2] !== undefined) await main(process.argv[2], process.argv.slice(3));
