/**
 * A client of the CRI streaming server (the URL that Exec and Attach return)
 * over WebSocket with the v4.channel.k8s.io subprotocol, as kubectl's
 * fallback speaks it: every message is one channel byte (0 stdin, 1 stdout,
 * 2 stderr, 3 the final status, 4 resize) and its data. Only what the CRI
 * test needs: send stdin (optional), read stdout and stderr until the server
 * closes, and the exit code from the status (a metav1.Status JSON). Plain
 * HTTP to 127.0.0.1: the test's containerd listens there only.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface StreamResult {
  stdout: string;
  stderr: string;
  /** the exit code the status carries (0 on Success), or null if none came */
  exitCode: number | null;
  status: string;
}

/** A masked client frame (RFC 6455 5.3): OPCODE with PAYLOAD. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return Buffer.concat([head, mask, body]);
}

/** The exit code in a metav1.Status: Success is 0; NonZeroExitCode names it in details.causes. */
function exitCodeOf(status: string): number | null {
  if (!status) return null;
  const s = JSON.parse(status) as { status?: string; reason?: string; details?: { causes?: { reason?: string; message?: string }[] } };
  if (s.status === 'Success') return 0;
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause?.message !== undefined ? Number(cause.message) : null;
}

/**
 * Opens URL, writes STDIN (then closes stdin) if given, and collects the
 * session until the server closes it or TIMEOUT passes.
 */
export async function stream(url: string, options: { stdin?: string; timeoutMs?: number; untilStdout?: RegExp } = {}): Promise<StreamResult> {
  const key = randomBytes(16).toString('base64');
  const req = request(url, {
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
    },
  });
  const socket = await new Promise<Socket>((resolve, reject) => {
    req.on('upgrade', (_res, s: Socket, head: Buffer) => {
      if (head.length) s.unshift(head);
      resolve(s);
    });
    req.on('response', (res) => reject(new Error(`${url}: no upgrade: HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  const channels: Buffer[][] = [[], [], [], [], []];
  return new Promise<StreamResult>((resolve) => {
    let buf = Buffer.alloc(0);
    let message: Buffer[] = [];
    let done = false;
    const result = (): StreamResult => {
      const status = Buffer.concat(channels[3] ?? []).toString();
      return { stdout: Buffer.concat(channels[1] ?? []).toString(), stderr: Buffer.concat(channels[2] ?? []).toString(), exitCode: exitCodeOf(status), status };
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result());
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 20_000);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 2) return;
        const b0 = buf[0] ?? 0;
        const b1 = buf[1] ?? 0;
        let len = b1 & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return; // the server's frames are not masked
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        const opcode = b0 & 0x0f;
        if (opcode === 0x8) {
          socket.write(frame(0x8, Buffer.alloc(0)));
          finish();
          return;
        }
        if (opcode === 0x9) {
          socket.write(frame(0xa, payload));
          continue;
        }
        if (opcode > 0x2) continue;
        message.push(payload);
        if ((b0 & 0x80) === 0) continue; // more fragments follow
        const whole = Buffer.concat(message);
        message = [];
        if (whole.length > 0) channels[whole[0] ?? 0]?.push(whole.subarray(1));
        if (options.untilStdout?.test(result().stdout)) finish();
      }
    });
    socket.on('close', finish);
    socket.on('error', finish);
    if (options.stdin !== undefined) {
      socket.write(frame(0x2, Buffer.concat([Buffer.from([0]), Buffer.from(options.stdin)])));
      // v4 has no "close stdin" message: an empty stdin message does not end it either; the command must not wait for EOF
    }
  });
}
