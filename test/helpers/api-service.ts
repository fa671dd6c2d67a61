/**
 * `moby-dick system service` for a client test: the busybox image in a
 * docker-registry of its own on 127.0.0.1, a private store (makeImageEnv),
 * and the service on a socket in a temp dir, publishing ports on 127.0.0.1
 * where a client names no address (--ip). stop() ends the service, removes
 * every container and network of the store, then the store, the registry and
 * the temp dir: what a test of a real client (Compose, testcontainers) needs.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { CLI, sleep } from './cli.js';
import { type ImageEnv, makeImageEnv, networkLeftovers } from './image-env.js';
import { makeImage, writeLayout } from './oci-image.js';
import { type Registry, skopeo, startRegistry } from './registry.js';
import { makeBusyboxRootfs, removeRootfs, TEST_PREFIX } from './rootfs.js';

export interface ApiService {
  env: ImageEnv;
  /** a temp dir of the test's own (the socket is in it) */
  dir: string;
  sock: string;
  /** the busybox image in the registry: REGISTRY/mdk-test/busybox:latest */
  image: string;
  /** what the service wrote to stderr so far */
  log(): string;
  /** the service's process (Node, which the launcher execs) */
  pid: number;
  /** the store's names of networks, containers and volumes (as the CLI lists them) */
  leftovers(): Promise<{ containers: string[]; networks: string[]; volumes: string[]; host: string[] }>;
  /** SIGTERM to the service; resolves when it has ended (SIGKILL after 15 s): whether it had to be killed */
  terminate(): Promise<{ killed: boolean }>;
  stop(): Promise<void>;
}

export async function startApiService(name: string): Promise<ApiService> {
  const rootfs = makeBusyboxRootfs();
  const layout = writeLayout(makeImage([rootfs], { cmd: ['sh'] }));
  let reg: Registry | undefined;
  let service: ChildProcess | undefined;
  const env = makeImageEnv();
  const dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}${name}-`));
  const sock = join(dir, 'docker.sock');
  let log = '';
  let stuck = false;
  const lines = async (args: readonly string[]): Promise<string[]> => (await env.mdk(args)).stdout.split('\n').filter(Boolean);
  const leftovers = async (): Promise<{ containers: string[]; networks: string[]; volumes: string[]; host: string[] }> => ({
    containers: await lines(['ps', '-aq', '--no-trunc']),
    // bridge, host and none are always there
    networks: (await lines(['network', 'ls', '--format', '{{.Name}}'])).filter((n) => !['bridge', 'host', 'none'].includes(n)),
    volumes: await lines(['volume', 'ls', '-q']),
    host: networkLeftovers(env.netPrefix),
  });
  const terminate = async (): Promise<{ killed: boolean }> => {
    const child = service;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      // a service that does not end is a failure of the test, but must not hang it
      const killed = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killed);
      stuck ||= child.signalCode === 'SIGKILL';
    }
    return { killed: stuck };
  };
  const stop = async (): Promise<void> => {
    await terminate();
    const left = await leftovers();
    if (left.containers.length) await env.mdk(['rm', '-f', '-v', ...left.containers]);
    for (const n of left.networks) await env.mdk(['network', 'rm', n]);
    if (left.volumes.length) await env.mdk(['volume', 'rm', '-f', ...left.volumes]);
    env.remove();
    await reg?.stop();
    removeRootfs(rootfs);
    rmSync(layout, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(stuck, false, `the service did not end on SIGTERM within 15 s: ${log}`);
  };
  try {
    reg = await startRegistry();
    const image = `${reg.host}/mdk-test/busybox:latest`;
    skopeo(['copy', `oci:${layout}:latest`, `docker://${image}`]);
    service = spawn(CLI, ['system', 'service', '--host', `unix://${sock}`, '--timeout', '0', '--ip', '127.0.0.1'], { env: env.env, stdio: ['ignore', 'ignore', 'pipe'] });
    service.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    for (let i = 0; i < 200 && !log.includes('API listening'); i++) await sleep(50);
    assert.match(log, /API listening on/);
    assert.ok(existsSync(sock));
    return { env, dir, sock, image, log: () => log, pid: service.pid!, leftovers, terminate, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** `moby-dick system service ARGS` as a child of a test: its stderr kept, stop() ends it with SIGTERM. */
export interface ServiceProcess {
  /** what it wrote to stderr so far */
  log(): string;
  stop(): Promise<void>;
}

/** Starts the service with ARGS and ENV, once it says it listens (an assertion when it does not within 10 s). */
export async function spawnService(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  let log = '';
  const child = spawn(CLI, ['system', 'service', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 200 && !log.includes('API listening') && child.exitCode === null; i++) await sleep(50);
  if (!log.includes('API listening')) {
    await stop();
    assert.fail(`the service did not listen: ${log}`);
  }
  return { log: () => log, stop };
}

/** The body of GET / on 127.0.0.1:PORT (a container's published web server). */
export function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}
