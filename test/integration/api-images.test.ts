/**
 * The Engine API's images, networks, volumes, /system/df and /auth, driven
 * by real unmodified clients: Debian's docker CLI (/usr/bin/docker) and a
 * newer one when the machine has it (/usr/local/bin/docker), docker-py
 * (python3-docker) and dockerode, against `moby-dick system service` on a
 * socket in a temp dir with the test's own store. Images come from
 * docker-registry on 127.0.0.1 (one without auth, one with htpasswd for
 * login and pushes with X-Registry-Auth). Containers are made through the
 * API and with the moby-dick CLI on the same store (the same records).
 * Traffic stays on 127.0.0.1 and between containers the test made; every
 * name starts with mdk-test-; the service, the registries, the store, the
 * networks (bridges, nftables table) and the containers are removed after.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type IncomingMessage, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import Docker from 'dockerode';
import { cgroupDirsOf } from '../../src/engine/leftovers.js';
import { CLI, type CliResult, run, sleep } from '../helpers/cli.js';
import { ENGINE_CGROUP_PARENT, type ImageEnv, makeImageEnv } from '../helpers/image-env.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';
import { makeImage, writeLayout } from '../helpers/oci-image.js';
import { type Registry, skopeo, startRegistry } from '../helpers/registry.js';
import { makeBusyboxRootfs, removeRootfs, TEST_PREFIX } from '../helpers/rootfs.js';

const CLIENTS = ['/usr/bin/docker', '/usr/local/bin/docker'].filter((c) => existsSync(c));
const USER = 'mdk-test-user';
const PASSWORD = 'mdk-test-secret';

describe('the Engine API: images, networks, volumes, system df, auth', () => {
  let env: ImageEnv;
  let reg: Registry;
  let authReg: Registry;
  let rootfs: string;
  let layout: string;
  let dir: string;
  let sock: string;
  let service: ChildProcess;
  let serviceLog = '';
  let image = '';
  let snap: Snapshot;

  const mdk = async (...args: string[]): Promise<string> => {
    const r = await env.mdk(args);
    assert.equal(r.code, 0, `moby-dick ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** the docker CLI CLIENT against the service, with a client config of its own */
  const dockerRun = (args: readonly string[], client = CLIENTS[0]!, input?: string): Promise<CliResult> =>
    run(client, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'client'), DOCKER_CLI_HINTS: 'false' },
      timeoutMs: 60_000,
      ...(input !== undefined ? { input } : {}),
    });
  const docker = async (...args: string[]): Promise<string> => {
    const r = await dockerRun(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const dockerFails = async (pattern: RegExp, ...args: string[]): Promise<void> => {
    const r = await dockerRun(args);
    assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail: ${r.stdout}`);
    assert.match(r.stderr, pattern);
  };
  /** POST PATH to the service; its status and whole body */
  const fetchSocket = (path: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath: sock, method: 'POST', path }, (res: IncomingMessage) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const removeContainers = async (): Promise<void> => {
    const ids = (await env.mdk(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await env.mdk(['rm', '-f', '-v', ...ids]);
  };

  before(async () => {
    rootfs = makeBusyboxRootfs();
    reg = await startRegistry();
    authReg = await startRegistry({ user: USER, password: PASSWORD });
    layout = writeLayout(makeImage([rootfs], { cmd: ['sh'] }));
    image = `${reg.host}/mdk-test/busybox:latest`;
    skopeo(['copy', `oci:${layout}:latest`, `docker://${image}`]);
    env = makeImageEnv();
    dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}api-images-`));
    sock = join(dir, 'docker.sock');
    service = spawn(CLI, ['system', 'service', '--host', `unix://${sock}`, '--timeout', '0'], { env: env.env, stdio: ['ignore', 'ignore', 'pipe'] });
    service.stderr?.on('data', (b: Buffer) => (serviceLog += b.toString()));
    for (let i = 0; i < 200 && !serviceLog.includes('API listening'); i++) await sleep(50);
    assert.match(serviceLog, /API listening on/);
  });

  after(async () => {
    if (service && service.exitCode === null) {
      const exited = new Promise((r) => service.once('exit', r));
      service.kill('SIGTERM');
      await exited;
    }
    assert.equal(existsSync(sock), false, 'the service removed its socket');
    await removeContainers();
    assert.deepEqual(cgroupDirsOf(`/${ENGINE_CGROUP_PARENT}`), [], 'no cgroup left');
    env.remove();
    await reg.stop();
    await authReg.stop();
    removeRootfs(rootfs);
    rmSync(layout, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    snap = snapshot();
  });
  /** every image of the store removed: each test starts from an empty store (a pull downloads) */
  const removeImages = async (): Promise<void> => {
    const ids = [...new Set((await env.mdk(['images', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean))];
    if (ids.length) await env.mdk(['rmi', '-f', ...ids]);
  };
  afterEach(async () => {
    await removeContainers();
    await removeImages();
    await assertNoLeaks(snap);
  });

  test('docker pull, images, image inspect, history, tag, push, rmi, save, load, image prune, import', async () => {
    const pulled = await docker('pull', image);
    assert.match(pulled, /latest: Pulling from mdk-test\/busybox/);
    assert.match(pulled, /Pull complete/);
    assert.match(pulled, /Digest: sha256:[a-f0-9]{64}/);
    assert.match(pulled, new RegExp(`Status: Downloaded newer image for ${image.replaceAll('.', '\\.')}`));
    assert.match(await docker('pull', image), /Status: Image is up to date/);
    await dockerFails(/not found|manifest unknown/, 'pull', `${reg.host}/mdk-test/none:latest`);

    const id = (await mdk('images', '-q', '--no-trunc')).trim();
    assert.equal((await docker('images', '-q', '--no-trunc')).trim(), id, 'the CLI and the API see one store');
    assert.match(await docker('images'), new RegExp(`${reg.host}/mdk-test/busybox\\s+latest\\s+${id.slice(7, 19)}`));
    assert.equal((await docker('image', 'inspect', '--format', '{{.Id}} {{.Os}} {{.Architecture}} {{index .RepoTags 0}} {{len .RootFS.Layers}} {{json .Config.Cmd}}', image)).trim(), `${id} linux amd64 ${image} 1 ["sh"]`);
    await dockerFails(/No such image/, 'image', 'inspect', 'mdk-test-none');
    const history = (await docker('history', '--no-trunc', '--format', '{{.ID}}|{{.Size}}', image)).trim().split('\n');
    assert.equal(history.length, 1, history.join('\n'));
    assert.match(history[0]!, new RegExp(`^${id}\\|\\d`));

    const copy = `${reg.host}/mdk-test/copy:v1`;
    await docker('tag', image, copy);
    assert.match(await docker('images', '--filter', `reference=*/mdk-test/copy`, '--format', '{{.Repository}}:{{.Tag}}'), new RegExp(`^${copy.replaceAll('.', '\\.')}\n$`));
    const pushed = await docker('push', copy);
    assert.match(pushed, /The push refers to repository/);
    assert.match(pushed, /v1: digest: sha256:[a-f0-9]{64} size: \d+/);
    assert.match(await docker('rmi', copy), new RegExp(`Untagged: ${copy.replaceAll('.', '\\.')}`));
    // what was pushed comes back from the registry
    assert.match(await docker('pull', copy), /Status: Downloaded newer image|Image is up to date/);

    // an image a container uses is refused (409), unless forced
    await mdk('create', '--name', 'mdk-test-user', image, 'true');
    await dockerFails(/conflict: unable to (delete|remove)/, 'rmi', id);
    await removeContainers();

    const archive = join(dir, 'images.tar');
    await docker('save', '-o', archive, image, copy);
    assert.ok(readFileSync(archive).length > 1_000_000);
    await dockerFails(/No such image/, 'save', '-o', join(dir, 'none.tar'), 'mdk-test-none');
    const removed = await docker('rmi', image, copy);
    assert.match(removed, new RegExp(`Deleted: ${id}`));
    assert.equal((await docker('images', '-q')).trim(), '');
    const loaded = await docker('load', '-i', archive);
    assert.match(loaded, new RegExp(`Loaded image: ${image.replaceAll('.', '\\.')}`));
    assert.match(loaded, new RegExp(`Loaded image: ${copy.replaceAll('.', '\\.')}`));
    assert.deepEqual([...new Set((await docker('images', '-q', '--no-trunc')).trim().split('\n'))], [id]);
    await docker('load', '-q', '-i', archive);

    // untagged: dangling, and pruned without -a; then -a removes the rest
    await docker('rmi', copy);
    await docker('tag', image, `${reg.host}/mdk-test/keep:1`);
    await docker('rmi', image);
    assert.equal((await docker('images', '--filter', 'dangling=true', '-q')).trim(), '');
    assert.match(await docker('image', 'prune', '-a', '-f'), new RegExp(`deleted: ${id}`, 'i'));
    assert.equal((await docker('images', '-q')).trim(), '');
    assert.deepEqual(env.contents().layers, [], 'the layers went with the last image');

    // docker import: a root filesystem tarball as the body of POST /images/create?fromSrc=-
    const tarball = join(dir, 'rootfs.tar');
    const tar = await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
    assert.equal(tar.code, 0, tar.stderr);
    const imported = (await docker('import', '-m', 'mdk-test import', tarball, 'mdk-test-imported:1')).trim();
    assert.match(imported, /^sha256:[a-f0-9]{64}$/);
    assert.equal((await docker('image', 'inspect', '-f', '{{.Id}} {{index .RepoTags 0}}', 'mdk-test-imported:1')).trim(), `${imported} mdk-test-imported:1`);
    assert.match(await docker('history', '--format', '{{.Comment}}', 'mdk-test-imported:1'), /mdk-test import/);
    assert.equal(await mdk('run', '--rm', 'mdk-test-imported:1', 'echo', 'imported'), 'imported\n');
  });

  test('docker import URL and moby-dick import URL: the tarball fetched from an HTTP server on 127.0.0.1 (POST /images/create?fromSrc=URL)', async () => {
    const tarball = join(dir, 'rootfs.tar.gz');
    const tar = await run('tar', ['-C', rootfs, '-czf', tarball, '.']);
    assert.equal(tar.code, 0, tar.stderr);
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/moved') {
        res.writeHead(302, { Location: '/rootfs.tar.gz' }).end();
      } else if (req.url === '/rootfs.tar.gz') {
        res.writeHead(200, { 'Content-Length': statSync(tarball).size });
        createReadStream(tarball).pipe(res);
      } else res.writeHead(404).end('no such file');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // as with dockerd, the CLI shows where from, then the image ID
      const said = (await docker('import', `${base}/rootfs.tar.gz`, 'mdk-test-url:1')).trim().split('\n');
      assert.equal(said[0], `Downloading from ${base}/rootfs.tar.gz`);
      const imported = said.at(-1)!;
      assert.match(imported, /^sha256:[a-f0-9]{64}$/);
      assert.equal((await docker('image', 'inspect', '-f', '{{.Id}} {{index .RepoTags 0}}', 'mdk-test-url:1')).trim(), `${imported} mdk-test-url:1`);
      assert.match(await docker('history', '--format', '{{.Comment}}', 'mdk-test-url:1'), new RegExp(`Imported from ${base}/rootfs.tar.gz`));
      assert.equal(await mdk('run', '--rm', '--network', 'none', 'mdk-test-url:1', 'echo', 'from a URL'), 'from a URL\n');
      // the stream as a client reads it: where from, how far, the image ID last
      const res = await fetchSocket(`/v1.41/images/create?fromSrc=${encodeURIComponent(`${base}/moved`)}&repo=mdk-test-url&tag=2&message=via-redirect`);
      assert.equal(res.status, 200);
      const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { status?: string; error?: string });
      assert.equal(lines[0]?.status, `Downloading from ${base}/moved`);
      assert.match(lines.at(-1)?.status ?? '', /^sha256:[a-f0-9]{64}$/);
      assert.ok(lines.some((l) => l.status === 'Importing'), res.body);
      assert.ok(lines.every((l) => l.error === undefined), res.body);
      assert.match(await docker('history', '--format', '{{.Comment}}', 'mdk-test-url:2'), /via-redirect/);
      // a status that is not 2xx is an error naming it; nothing is imported
      await dockerFails(/status 404/, 'import', `${base}/none.tar`, 'mdk-test-url:none');
      const ftp = await fetchSocket(`/v1.41/images/create?fromSrc=${encodeURIComponent('ftp://127.0.0.1/x.tar')}`);
      assert.equal(ftp.status, 400);
      assert.match(ftp.body, /only http and https URLs are fetched/);
      assert.equal((await docker('images', '-q', 'mdk-test-url:none')).trim(), '');
      // moby-dick's own import takes a URL too
      const cli = (await mdk('import', '-m', 'mdk-test cli', `${base}/rootfs.tar.gz`, 'mdk-test-url:3')).trim();
      assert.match(cli, /^sha256:[a-f0-9]{64}$/);
      assert.match(await mdk('history', '--format', '{{.Comment}}', 'mdk-test-url:3'), /mdk-test cli/);
      const bad = await env.mdk(['import', `${base}/none.tar`]);
      assert.equal(bad.code, 1, bad.stderr); // as docker import's
      assert.match(bad.stderr, /failed to GET .*none\.tar with status 404/);
      assert.ok(requests.filter((u) => u === '/rootfs.tar.gz').length >= 3, requests.join(' '));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('docker rm through the service: the container\'s directory is gone at once, its files removed in the background', async () => {
    await docker('pull', '-q', image);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await docker('create', '--network', 'none', image, 'true')).trim());
    await docker('rm', ...ids);
    for (const id of ids) assert.equal(existsSync(join(env.root, 'containers', id)), false, `${id}'s directory`);
    const removing = join(env.root, 'removing');
    for (let i = 0; i < 100 && readdirSync(removing).length > 0; i++) await sleep(50);
    assert.deepEqual(readdirSync(removing), [], 'the files went too');
    assert.equal((await mdk('ps', '-aq')).trim(), '');
  });

  test('docker login checks the credentials through /auth; push and pull carry them as X-Registry-Auth', async () => {
    await docker('pull', '-q', image);
    const target = `${authReg.host}/mdk-test/private:1`;
    await docker('tag', image, target);
    await dockerFails(/denied|unauthorized|authentication required/i, 'push', target);
    await dockerFails(/unauthorized: incorrect username or password/, 'login', '-u', USER, '-p', 'wrong', authReg.host);
    const login = await dockerRun(['login', '-u', USER, '--password-stdin', authReg.host], CLIENTS[0], `${PASSWORD}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    assert.match(await docker('push', target), /1: digest: sha256:/);
    await docker('rmi', target, image);
    assert.match(await docker('pull', target), /Status: Downloaded newer image/);
    await docker('logout', authReg.host);
    await docker('rmi', target);
    await dockerFails(/denied|unauthorized|authentication required/i, 'pull', target);
    // the service kept nothing: the store's own Docker config has no login
    assert.equal(existsSync(join(env.dockerConfig, 'config.json')), false);
  });

  test('docker network create/ls/inspect/connect/disconnect/rm/prune: containers on a user network find each other by name and alias', async () => {
    await docker('pull', '-q', image);
    const id = (await docker('network', 'create', '--label', 'mdk-test=1', 'mdk-test-net')).trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    await docker('network', 'create', '--subnet', '10.231.7.0/24', '--gateway', '10.231.7.1', '--internal', 'mdk-test-inner');
    await dockerFails(/already exists/, 'network', 'create', 'mdk-test-net');
    const ls = await docker('network', 'ls', '--format', '{{.Name}} {{.Driver}}');
    for (const row of ['bridge bridge', 'host host', 'none null', 'mdk-test-net bridge', 'mdk-test-inner bridge']) assert.ok(ls.split('\n').includes(row), `${row} in\n${ls}`);
    assert.equal((await docker('network', 'ls', '--filter', 'label=mdk-test=1', '-q', '--no-trunc')).trim(), id);
    assert.equal((await docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}}', 'mdk-test-inner')).trim(), '10.231.7.0/24 10.231.7.1 true');

    await docker('run', '-d', '--name', 'mdk-test-a', '--network', 'mdk-test-net', image, 'sleep', '60');
    await mdk('run', '-d', '--name', 'mdk-test-b', '--network', 'mdk-test-net', image, 'sleep', '60');
    assert.match(await mdk('exec', 'mdk-test-b', 'ping', '-c1', '-W2', 'mdk-test-a'), /1 packets received/);
    await docker('network', 'connect', '--alias', 'mdk-test-alias', 'mdk-test-inner', 'mdk-test-a');
    await docker('network', 'connect', 'mdk-test-inner', 'mdk-test-b');
    assert.match(await mdk('exec', 'mdk-test-b', 'ping', '-c1', '-W2', 'mdk-test-alias'), /from 10\.231\.7\.\d+/);
    const members = JSON.parse(await docker('network', 'inspect', '-f', '{{json .Containers}}', 'mdk-test-inner')) as Record<string, { Name: string; IPv4Address: string }>;
    assert.deepEqual(Object.values(members).map((m) => m.Name).sort(), ['mdk-test-a', 'mdk-test-b']);
    for (const m of Object.values(members)) assert.match(m.IPv4Address, /^10\.231\.7\.\d+\/24$/);
    await docker('network', 'disconnect', 'mdk-test-inner', 'mdk-test-a');
    const gone = await env.mdk(['exec', 'mdk-test-b', 'ping', '-c1', '-W1', 'mdk-test-alias']);
    assert.notEqual(gone.code, 0, 'the alias went with the disconnect');
    await dockerFails(/has active endpoints/, 'network', 'rm', 'mdk-test-net');
    await dockerFails(/pre-defined network/, 'network', 'rm', 'host');
    await removeContainers();
    await docker('network', 'rm', 'mdk-test-net');
    await dockerFails(/not found|No such network/, 'network', 'inspect', 'mdk-test-net');
    assert.match(await docker('network', 'prune', '-f'), /mdk-test-inner/);
    assert.equal((await docker('network', 'ls', '--filter', 'type=custom', '-q')).trim(), '');
    await docker('rmi', image);
  });

  test('docker volume create/ls/inspect/rm/prune; -v VOLUME:/path keeps its files across containers', async () => {
    await docker('pull', '-q', image);
    assert.equal((await docker('volume', 'create', '--label', 'mdk-test=1', 'mdk-test-vol')).trim(), 'mdk-test-vol');
    await docker('volume', 'create', 'mdk-test-other');
    assert.equal((await docker('volume', 'ls', '--filter', 'label=mdk-test=1', '-q')).trim(), 'mdk-test-vol');
    assert.equal((await docker('volume', 'inspect', '-f', '{{.Driver}} {{.Labels}} {{.Mountpoint}}', 'mdk-test-vol')).trim(), `local map[mdk-test:1] ${env.root}/volumes/mdk-test-vol/_data`);
    await dockerFails(/no such volume/i, 'volume', 'inspect', 'mdk-test-none');

    await docker('run', '--rm', '-v', 'mdk-test-vol:/data', image, 'sh', '-c', 'echo kept > /data/f');
    assert.equal(await mdk('run', '--rm', '-v', 'mdk-test-vol:/data', image, 'cat', '/data/f'), 'kept\n');
    assert.equal(await docker('run', '--rm', '-v', 'mdk-test-vol:/data', image, 'cat', '/data/f'), 'kept\n');
    await mdk('create', '--name', 'mdk-test-user', '-v', 'mdk-test-vol:/data', image, 'true');
    assert.equal((await docker('volume', 'ls', '--filter', 'dangling=true', '-q')).trim(), 'mdk-test-other');
    await dockerFails(/volume is in use/, 'volume', 'rm', 'mdk-test-vol');
    const df = await docker('system', 'df', '-v');
    assert.match(df, /mdk-test-vol\s+1\s+5B/);
    await removeContainers();
    await docker('volume', 'rm', 'mdk-test-vol');
    await docker('volume', 'rm', '-f', 'mdk-test-vol');
    await dockerFails(/no such volume/i, 'volume', 'rm', 'mdk-test-vol');
    // the 20.10 client speaks API 1.41: prune takes named volumes too, as dockerd does for it
    assert.match(await docker('volume', 'prune', '-f'), /mdk-test-other/);
    assert.equal((await docker('volume', 'ls', '-q')).trim(), '');
    await docker('rmi', image);
  });

  test('docker system df: images, containers and volumes as the store has them', async () => {
    await docker('pull', '-q', image);
    await mdk('create', '--name', 'mdk-test-df', image, 'true');
    const rows = Object.fromEntries(
      (await docker('system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Reclaimable}}')).trim().split('\n').map((l) => {
        const [type, ...rest] = l.split('|');
        return [type!, rest.join('|')];
      }),
    );
    assert.deepEqual(rows, { Images: '1|1|0B (0%)', Containers: '1|0|0B', 'Local Volumes': '0|0|0B', 'Build Cache': '0|0|0B' });
    await removeContainers();
    await docker('rmi', image);
  });

  test('the newer docker CLI too, where the machine has one: pull, images, inspect, network and volume ls, system df', { skip: CLIENTS.length < 2 ? 'no /usr/local/bin/docker' : false }, async () => {
    const newer = CLIENTS[1]!;
    const ok = async (...args: string[]): Promise<string> => {
      const r = await dockerRun(args, newer);
      assert.equal(r.code, 0, `${newer} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    assert.match(await ok('pull', image), /Status: Downloaded newer image/);
    assert.match(await ok('images', '--format', '{{.Repository}}:{{.Tag}}'), new RegExp(image.replaceAll('.', '\\.')));
    assert.equal((await ok('image', 'inspect', '-f', '{{.Os}}', image)).trim(), 'linux');
    assert.match(await ok('network', 'ls'), /bridge/);
    await ok('volume', 'create', 'mdk-test-newer');
    assert.match(await ok('volume', 'ls'), /mdk-test-newer/);
    await ok('volume', 'rm', 'mdk-test-newer');
    assert.match(await ok('system', 'df'), /Images\s+1/);
    await ok('rmi', image);
  });

  test('docker-py: pull with progress, image list, volumes, networks, and a container created, started, waited for, its logs read, removed', async () => {
    const script = `
import docker, json, sys
c = docker.DockerClient(base_url=sys.argv[1])
events = list(c.api.pull(sys.argv[2], tag='latest', stream=True, decode=True))
statuses = [e.get('status', '') for e in events]
out = {
  'statuses': statuses,
  'layers': sorted({e['id'] for e in events if e.get('status') == 'Pull complete'}),
  'tags': [t for i in c.images.list() for t in i.tags],
  'volume': c.volumes.create('mdk-test-py', labels={'a': 'b'}).attrs['Labels'],
  'network': c.networks.create('mdk-test-py', labels={'a': 'b'}).attrs['Labels'],
}
c.volumes.get('mdk-test-py').remove()
c.networks.get('mdk-test-py').remove()
ctr = c.containers.run(sys.argv[2] + ':latest', ['sh', '-c', 'echo py-out; echo py-err >&2; exit 3'], detach=True, name='mdk-test-py')
out['wait'] = ctr.wait()['StatusCode']
out['logs'] = ctr.logs(stdout=True, stderr=True).decode()
ctr.remove()
out['left'] = [x.name for x in c.containers.list(all=True)]
try:
  c.images.pull(sys.argv[3], tag='latest')
except docker.errors.NotFound as e:
  out['missing'] = 404
print(json.dumps(out))
`;
    // Debian's python3 and its python3-docker (scripts/install-deps.sh), not whatever python3 PATH finds first
    const r = await run('/usr/bin/python3', ['-c', script, `unix://${sock}`, image.replace(/:latest$/, ''), `${reg.host}/mdk-test/none`], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { statuses: string[]; layers: string[]; tags: string[]; volume: unknown; network: unknown; missing?: number; wait: number; logs: string; left: string[] };
    assert.equal(out.statuses[0], 'Pulling from mdk-test/busybox');
    assert.ok(out.statuses.includes('Pulling fs layer'), out.statuses.join(','));
    assert.match(out.statuses.at(-1)!, /^Status: Downloaded newer image for /);
    assert.equal(out.layers.length, 1);
    assert.deepEqual(out.tags, [image]);
    assert.deepEqual(out.volume, { a: 'b' });
    assert.deepEqual(out.network, { a: 'b' });
    assert.equal(out.missing, 404);
    assert.equal(out.wait, 3);
    assert.equal(out.logs, 'py-out\npy-err\n');
    assert.deepEqual(out.left, []);
    await docker('rmi', image);
  });

  test('dockerode: pull with followProgress, listImages, getImage().inspect; createContainer, start, wait, logs, remove', async () => {
    const d = new Docker({ socketPath: sock });
    const stream = await d.pull(image);
    const events: { status?: string; id?: string; progressDetail?: { current?: number; total?: number } }[] = [];
    await new Promise<void>((resolve, reject) => d.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), (e: (typeof events)[number]) => events.push(e)));
    assert.equal(events[0]?.status, 'Pulling from mdk-test/busybox');
    assert.ok(events.some((e) => e.status === 'Pull complete'));
    assert.match(events.at(-1)?.status ?? '', /^Status: Downloaded newer image for /);
    const list = await d.listImages();
    assert.deepEqual(list.map((i) => i.RepoTags), [[image]]);
    const info = await d.getImage(image).inspect();
    assert.equal(info.Id, list[0]!.Id);
    await assert.rejects(d.getImage('mdk-test-none').inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
    const c = await d.createContainer({ Image: image, Cmd: ['sh', '-c', 'echo node-out; exit 4'], name: 'mdk-test-node' });
    await c.start();
    assert.equal(((await c.wait()) as { StatusCode: number }).StatusCode, 4);
    const logs = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    // no TTY: the stdcopy framing, stream 1 (stdout) and the length, then the bytes
    assert.deepEqual([...logs.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 9]);
    assert.equal(logs.subarray(8).toString(), 'node-out\n');
    await assert.rejects(d.getImage(image).remove(), (e: { statusCode?: number }) => e.statusCode === 409);
    await c.remove();
    assert.deepEqual(await d.listContainers({ all: true }), []);
    await d.getImage(image).remove();
    assert.deepEqual(await d.listImages(), []);
  });
});
