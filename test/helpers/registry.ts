/**
 * Registries for the image tests, on 127.0.0.1 only:
 * - Debian's docker-registry (distribution 2.8) on a free port, with its
 *   config and storage in a temp dir, htpasswd auth when asked, stopped
 *   and removed by stop();
 * - a fake registry (node:http) that serves given manifests and blobs and
 *   can misbehave: wrong bytes, cut-off bodies, slow bodies, 401s.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './cli.js';
import type { Blob } from './oci-image.js';
import { TEST_PREFIX } from './rootfs.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Registry {
  /** 127.0.0.1:PORT */
  host: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startRegistry(auth?: { user: string; password: string }): Promise<Registry> {
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}registry-`));
  const port = await freePort();
  let authBlock = '';
  if (auth) {
    const line = execFileSync('htpasswd', ['-Bbn', auth.user, auth.password], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'htpasswd'), `${line}\n`);
    authBlock = `auth:\n  htpasswd:\n    realm: mdk-test-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${authBlock}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const host = `127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return { host, dir, stop };
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  await stop();
  throw new Error(`docker-registry did not start on ${host}: ${log}`);
}

/** skopeo with TLS off (the registries here are plain HTTP on loopback). */
export function skopeo(args: readonly string[], creds?: string): string {
  const [verb, ...rest] = args;
  const tls = verb === 'copy' ? ['--src-tls-verify=false', '--dest-tls-verify=false'] : ['--tls-verify=false'];
  const auth = creds ? (verb === 'copy' ? ['--dest-creds', creds, '--src-creds', creds] : ['--creds', creds]) : [];
  return execFileSync('skopeo', [verb!, ...tls, ...auth, ...rest], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface FakeRegistry {
  host: string;
  /** requests seen, "GET /v2/..." */
  requests: string[];
  close(): Promise<void>;
}

export interface FakeContent {
  /** repository path, e.g. mdk-test/img */
  repo: string;
  /** tag or digest -> manifest (or index) */
  manifests: Record<string, Blob>;
  blobs: Blob[];
  /** how to misbehave for a blob digest */
  faults?: Record<string, 'wrong-bytes' | 'truncate' | 'slow' | '404' | 'endless' | 'longer'>;
  /** tags whose manifest is an endless body (chunked, no Content-Length) */
  endlessManifests?: string[];
  /** require this bearer token (served by /token) */
  bearer?: boolean;
  /** the refresh token (identity token) a POST to /token must bring */
  refreshToken?: string;
}

/** Zeros on RES until the client goes away. */
function endless(res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024);
  const more = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', more);
  };
  res.on('error', () => {});
  more();
}

export async function startFakeRegistry(content: FakeContent): Promise<FakeRegistry> {
  const requests: string[] = [];
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push(`${req.method} ${req.url}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname === '/token' && req.method === 'POST') {
      // OAuth2 with a refresh token (an identity token): the form says which
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        requests.push(`POST /token ${body}`);
        const good = form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === content.refreshToken;
        res.writeHead(good ? 200 : 401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(good ? { access_token: 'mdk-test-token', expires_in: 300 } : { error: 'invalid_grant' }));
      });
      return;
    }
    if (url.pathname === '/token') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: 'mdk-test-token', expires_in: 300 }));
      return;
    }
    if (content.bearer && req.headers.authorization !== 'Bearer mdk-test-token') {
      res.writeHead(401, {
        'Content-Type': 'application/json',
        'WWW-Authenticate': `Bearer realm="http://${host}/token",service="mdk-test",scope="repository:${content.repo}:pull"`,
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m || m[1] !== content.repo) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }));
      return;
    }
    const [, , kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'manifests' && content.endlessManifests?.includes(ref)) {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
      endless(res);
      return;
    }
    if (kind === 'manifests') {
      const man = content.manifests[ref];
      if (!man) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': man.mediaType, 'Docker-Content-Digest': man.digest, 'Content-Length': man.bytes.length });
      res.end(req.method === 'HEAD' ? undefined : man.bytes);
      return;
    }
    const blob = content.blobs.find((b) => b.digest === ref);
    const fault = content.faults?.[ref];
    if (!blob || fault === '404') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
      return;
    }
    if (fault === 'wrong-bytes') {
      const bad = Buffer.from(blob.bytes);
      bad[bad.length >> 1] = (bad[bad.length >> 1]! ^ 0xff) & 0xff;
      res.writeHead(200, { 'Content-Length': bad.length });
      res.end(bad);
      return;
    }
    if (fault === 'endless') {
      // no Content-Length, and no end
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      endless(res);
      return;
    }
    if (fault === 'longer') {
      // the blob and then more, all of it announced
      const more = Buffer.concat([blob.bytes, Buffer.alloc(4096, 0x41)]);
      res.writeHead(200, { 'Content-Length': more.length, 'Content-Type': 'application/octet-stream' });
      res.end(more);
      return;
    }
    if (fault === 'truncate') {
      // announce the whole length, send half, then drop the connection
      res.writeHead(200, { 'Content-Length': blob.bytes.length });
      res.write(blob.bytes.subarray(0, blob.bytes.length >> 1), () => res.socket?.destroy());
      return;
    }
    if (fault === 'slow') {
      res.writeHead(200, { 'Content-Length': blob.bytes.length });
      let off = 0;
      const step = Math.max(1, blob.bytes.length >> 6);
      const tick = setInterval(() => {
        if (res.destroyed) return clearInterval(tick);
        res.write(blob.bytes.subarray(off, off + step));
        off += step;
        if (off >= blob.bytes.length) {
          clearInterval(tick);
          res.end();
        }
      }, 100);
      res.on('close', () => clearInterval(tick));
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && Number(range[1]) < blob.bytes.length) {
      const from = Number(range[1]);
      res.writeHead(206, { 'Content-Length': blob.bytes.length - from, 'Content-Range': `bytes ${from}-${blob.bytes.length - 1}/${blob.bytes.length}` });
      res.end(req.method === 'HEAD' ? undefined : blob.bytes.subarray(from));
      return;
    }
    res.writeHead(200, { 'Content-Length': blob.bytes.length, 'Content-Type': 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : blob.bytes);
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
