/**
 * `moby-dick system service [--host unix:///PATH | tcp://HOST:PORT --tlsverify ...] [--timeout SECONDS] [--group G] [--ip ADDRESS]`:
 * the Docker Engine API on a unix socket, or over TCP with TLS and client
 * verification (src/api/), over the same engine and store as the CLI's
 * commands, for the docker CLI, Compose and the SDKs.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HOST, defaultHost, runService, type TlsFiles } from '../../api/service.js';
import { MobyDickError } from '../../errors.js';
import { nativeAddon } from '../../helper/native-addon.js';
import { releaseHeap, releaseMemory } from '../../helper/release-memory.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { forwardedBuild } from './build.js';
import { selfCommand } from '../self-command.js';

declare const MOBY_DICK_VERSION: string;

/**
 * glibc's malloc arenas for the service (mallopt M_ARENA_MAX, set before
 * its threads first allocate): with 2 it was about 2 MiB lower after 1-3k
 * requests, with 1 about 4, for the same CPU (bench/README.md, "The API
 * service's memory"); 2 leaves the worker threads (V8's, libuv's, the layer
 * writers) an arena apart from the main thread's.
 */
const SERVICE_MALLOC_ARENAS = 2;

/**
 * glibc's trim threshold for the service (mallopt M_TRIM_THRESHOLD): the
 * free top of an arena above it goes back to the kernel when a free reaches
 * it. glibc's default (128 KiB) rises with each larger mmap'd block freed,
 * up to 64 MiB; V8's worker threads' arenas then kept 2-3 MiB each of free
 * top resident, which malloc_trim does not give back (it trims only the
 * main arena's top): 9 MiB of the service's growth over 6,000 requests
 * (bench/README.md, "The API service's memory"). 1 MiB, not glibc's 128
 * KiB: with 128 KiB a request's own frees trimmed the tops and the next
 * request faulted them in again (10,300 minor faults per 3,000 light
 * requests against main's 2,100); with 1 MiB 5,100 per 6,000 against 3,400.
 */
const SERVICE_MALLOC_TRIM_THRESHOLD = 1024 * 1024;

/**
 * After how long idle the service gives back what (api/idle-release.ts): the
 * JavaScript heap's garbage and malloc's free memory soon, for about 5 ms
 * of CPU; the node binary's resident pages later, since the next request
 * faults them in again (about 10 ms of CPU over its first requests).
 * Measured in bench/README.md, "The API service's memory".
 */
const HEAP_RELEASE_IDLE_MS = 2_000;
const PAGES_RELEASE_IDLE_MS = 10_000;

const DESCRIPTION = `Serve the Docker Engine API (version 1.43, from 1.24) on a unix socket, for the docker CLI, Compose and the SDKs (DOCKER_HOST=unix://PATH)

Options:
  -H, --host URI          where to listen (default ${DEFAULT_HOST}, rootless as below); tcp://HOST[:PORT]
                          (port 2376 by default) only with --tlsverify: whoever
                          reaches the API is root on this host
      --tlsverify         TLS, and only clients with a certificate of --tlscacert
      --tls               refused without --tlsverify (TLS that lets any client in)
      --tlscacert FILE    the CA of the clients' certificates (default ~/.docker/ca.pem)
      --tlscert FILE      the server's certificate (default ~/.docker/cert.pem)
      --tlskey FILE       the server's key (default ~/.docker/key.pem)
  -t, --timeout SECONDS   end after this long without a connection (default 5; 0: never)
      --group GROUP       the socket's group (read and write); root's only by default
      --ip ADDRESS        the host address of a published port that names none
                          (dockerd's --ip; default every address), e.g. 127.0.0.1

Containers keep running when the service ends; the next service finds them.
As an ordinary user (rootless) it serves that user's engine on
$XDG_RUNTIME_DIR/moby-dick/moby-dick.sock (0600, the user's), and answers
what needs root (networks, and the commands not yet available rootless)
with 403 and the reason.
A client over TCP: DOCKER_HOST=tcp://HOST:PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=DIR
(DIR holding ca.pem, and the client's cert.pem and key.pem).`;

export const command = defineCommand({
  name: 'system service',
  usage: 'system service [OPTIONS]',
  summary: 'Serve the Docker Engine API on a unix socket (or TCP with TLS)',
  description: DESCRIPTION,
  options: {
    host: { type: 'string', short: 'H' },
    timeout: { type: 'string', short: 't' },
    group: { type: 'string' },
    ip: { type: 'string' },
    tlsverify: { type: 'boolean' },
    tlscacert: { type: 'string' },
    tlscert: { type: 'string' },
    tlskey: { type: 'string' },
    // dockerd's --tls (TLS without verifying clients) is refused by name below
    tls: { type: 'boolean' },
  },
  args: { min: 0, max: 0 },
  async run(values) {
    const timeout = Number(values.timeout ?? '5');
    if (!Number.isFinite(timeout) || timeout < 0) throw new MobyDickError('USAGE', `invalid --timeout ${values.timeout}: give seconds, 0 for none`, { subject: String(values.timeout) });
    if (values.ip !== undefined && isIP(values.ip) !== 4) throw new MobyDickError('USAGE', `invalid --ip ${values.ip}: give an IPv4 address`, { subject: values.ip, hint: 'e.g. --ip 127.0.0.1' });
    if (values.tls && !values.tlsverify) {
      throw new MobyDickError('USAGE', '--tls without --tlsverify is refused: a client without a certificate of your CA would be root on this host', { hint: 'give --tlsverify' });
    }
    const tls = values.tlsverify ? readTlsFiles(values) : undefined;
    const version = typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev';
    let releaseFailed = false;
    const warnOnce = (release: () => void): void => {
      try {
        release();
      } catch (e) {
        if (!releaseFailed) process.stderr.write(`moby-dick system service: warning: memory not given back (${e instanceof Error ? e.message : String(e)}); serving on\n`);
        releaseFailed = true;
      }
    };
    // the threads allocate from one of at most SERVICE_MALLOC_ARENAS arenas (glibc's default is 8 a core),
    // each of which otherwise grows and keeps its own free memory; V8's threads have made theirs before
    // this runs (5 arenas measured), so it binds the threads started later (libuv's, the layer writers'),
    // and the trim threshold keeps every arena's free top small
    try {
      nativeAddon().limitMallocArenas(SERVICE_MALLOC_ARENAS);
      nativeAddon().fixMallocTrimThreshold(SERVICE_MALLOC_TRIM_THRESHOLD);
    } catch {
      // without the addon the engine says so where it needs it
    }
    await withEngine((engine) =>
      runService({
        engine,
        host: values.host ?? defaultHost(),
        timeout,
        ...(values.group !== undefined ? { group: values.group } : {}),
        ...(values.ip !== undefined ? { hostIp: values.ip } : {}),
        ...(tls ? { tls } : {}),
        serverVersion: version,
        selfCommand: selfCommand(),
        forwardedBuild,
        log: (line) => process.stderr.write(`moby-dick system service: ${line}\n`),
        onListening: (path) => process.stderr.write(`moby-dick system service: API listening on ${path}\n`),
        // memory only: a failure is said once, and the service serves on
        idleReleases: [
          { afterMs: HEAP_RELEASE_IDLE_MS, run: () => warnOnce(() => void releaseHeap(nativeAddon())) },
          {
            afterMs: PAGES_RELEASE_IDLE_MS,
            run: () =>
              warnOnce(() => {
                const r = releaseMemory(nativeAddon());
                if (r.failed > 0) throw new Error(`madvise refused ${r.failed} file mapping(s)`);
              }),
          },
        ],
      }),
    );
    return 0;
  },
});

/** The PEM files of --tlscacert, --tlscert and --tlskey (dockerd's defaults in ~/.docker). */
function readTlsFiles(values: { tlscacert?: string; tlscert?: string; tlskey?: string }): TlsFiles {
  const read = (flag: string, given: string | undefined, name: string): Buffer => {
    const file = given ?? join(homedir(), '.docker', name);
    try {
      return readFileSync(file);
    } catch (e) {
      throw new MobyDickError('USAGE', `cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { subject: file, hint: `give ${flag} FILE (PEM)` });
    }
  };
  return { ca: read('--tlscacert', values.tlscacert, 'ca.pem'), cert: read('--tlscert', values.tlscert, 'cert.pem'), key: read('--tlskey', values.tlskey, 'key.pem') };
}
