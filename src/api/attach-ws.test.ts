import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import { webSocketClient, webSocketWants } from './attach-ws.js';
import { flag } from './containers.js';

/** what webSocketClient uses of a WebSocket: its events, send, close, and readyState */
class FakeWs extends EventEmitter {
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readyState = 1;
  readonly sent: { data: string; binary: boolean }[] = [];
  paused = false;
  send(data: Buffer, o: { binary: boolean }, cb: () => void): void {
    this.sent.push({ data: data.toString(), binary: o.binary });
    cb();
  }
  close(code: number): void {
    this.readyState = this.CLOSED;
    this.emit('close', code);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  terminate(): void {
    this.close(1006);
  }
}

test("attach/ws's streams: the query from API 1.42, all three before; the client's hang-up never closes stdin", () => {
  const q = new URLSearchParams('stdin=1&stdout=true&logs=1&detachKeys=ctrl-x');
  assert.deepEqual(webSocketWants(q, '1.43', flag), { stdin: true, stdout: true, stderr: false, logs: true, stream: false, detachKeys: 'ctrl-x', closeStdin: false });
  assert.deepEqual(webSocketWants(new URLSearchParams('stream=1'), '1.41', flag), { stdin: true, stdout: true, stderr: true, logs: false, stream: true, detachKeys: '', closeStdin: false });
});

test('a websocket as an attach client: a message per chunk (none for an empty one), binary or text; messages in; gone when closed', async () => {
  const fake = new FakeWs();
  const c = webSocketClient(fake as unknown as WebSocket, true);
  const out = c.output(1);
  await new Promise<void>((r) => out.write(Buffer.from(''), () => r()));
  await new Promise<void>((r) => out.write(Buffer.from('hi\n'), () => r()));
  assert.deepEqual(fake.sent, [{ data: 'hi\n', binary: true }]);
  const text = webSocketClient(new FakeWs() as unknown as WebSocket, false);
  assert.equal(text.gone, false);
  const got: string[] = [];
  c.input!.on('data', (d: Buffer) => got.push(d.toString()));
  fake.emit('message', Buffer.from('typed\n'));
  fake.emit('message', [Buffer.from('a'), Buffer.from('b')]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, ['typed\n', 'ab']);
  let hungUp = 0;
  c.onGone(() => hungUp++);
  c.end();
  assert.equal(c.gone, true);
  assert.equal(hungUp, 1);
  await new Promise((r) => c.input!.once('end', r));
});
