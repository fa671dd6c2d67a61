/**
 * Docker Compose against `moby-dick system service`: Debian's docker-compose
 * (1.29, python, docker-py underneath) with DOCKER_HOST=unix://... runs a
 * three-service project in a temp dir: web (busybox httpd, its port 80
 * published on 127.0.0.1), db (a named volume it writes to, read back after
 * a restart and after its container is made anew), worker (depends_on both,
 * fetches http://web/ by name on the project's user network). up -d, ps,
 * logs, exec -T, restart, down -v; afterwards no container, network, volume,
 * bridge or nftables table is left. And an attached `up` (the image pulled
 * through the service, the logs streamed, --abort-on-container-exit). The project is named mdk-test-...; the
 * traffic stays on the project's network and 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService, httpGet } from '../helpers/api-service.js';
import { type CliResult, run, until } from '../helpers/cli.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';

const COMPOSE = '/usr/bin/docker-compose';
const PROJECT = `mdk-test-compose-${process.pid}`;

function composeFile(image: string): string {
  // stop_grace_period: busybox's sh and httpd as PID 1 do not die of SIGTERM; 1 s, then SIGKILL
  return `version: "3.7"
services:
  web:
    image: ${image}
    command: ["sh", "-c", "mkdir -p /www && echo hello from web > /www/index.html && echo web up && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1::80"]
    networks: [net]
    stop_grace_period: 1s
  db:
    image: ${image}
    command: ["sh", "-c", "echo boot >> /data/boots && echo db ready && trap 'exit 0' TERM && while :; do sleep 1; done"]
    volumes: ["data:/data"]
    networks: [net]
    stop_grace_period: 1s
  worker:
    image: ${image}
    depends_on: [web, db]
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do wget -q -O - http://web/ && echo worker fetched; sleep 1; done"]
    networks: [net]
    stop_grace_period: 1s
networks:
  net: {}
volumes:
  data: {}
`;
}

describe('Docker Compose (docker-compose 1.29) against the service', { skip: existsSync(COMPOSE) ? false : `${COMPOSE} is not installed (scripts/install-deps.sh installs it)` }, () => {
  let api: ApiService;
  let snap: Snapshot;
  let projectDir = '';

  const composeRun = (args: readonly string[], project = PROJECT, cwd = projectDir): Promise<CliResult> =>
    run(COMPOSE, ['--ansi', 'never', ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: api.dir, DOCKER_HOST: `unix://${api.sock}`, DOCKER_CONFIG: join(api.dir, 'client'), COMPOSE_PROJECT_NAME: project },
      spawn: { cwd },
      timeoutMs: 120_000,
    });
  const compose = async (...args: string[]): Promise<string> => {
    const r = await composeRun(args);
    assert.equal(r.code, 0, `docker-compose ${args.join(' ')}: ${r.stderr}${r.stdout}\nservice: ${api.log().slice(-3000)}`);
    return r.stdout;
  };
  /** compose's progress lines (Creating ..., Removing ...) go to stderr */
  const composeProgress = async (...args: string[]): Promise<string> => {
    const r = await composeRun(args);
    assert.equal(r.code, 0, `docker-compose ${args.join(' ')}: ${r.stderr}${r.stdout}\nservice: ${api.log().slice(-3000)}`);
    return r.stderr;
  };

  before(async () => {
    snap = snapshot();
    api = await startApiService('api-compose');
    projectDir = api.dir;
    writeFileSync(join(projectDir, 'docker-compose.yml'), composeFile(api.image));
  });

  after(async () => {
    // the test itself checks that down -v left nothing; this removes what a failure left
    await api?.stop();
    await assertNoLeaks(snap);
  });

  test('up -d, ps, logs, exec, restart, down -v', async () => {
    const up = await composeProgress('up', '-d');
    assert.match(up, new RegExp(`Creating network "${PROJECT}_net"`));
    assert.match(up, new RegExp(`Creating volume "${PROJECT}_data"`));
    assert.match(up, /Creating .*worker.* \.\.\. done|Creating .*worker/);

    const ps = await compose('ps');
    for (const s of ['web', 'db', 'worker']) assert.match(ps, new RegExp(`${PROJECT}_${s}_1 .* Up`), ps);
    assert.match(ps, /127\.0\.0\.1:\d+->80\/tcp/);
    const ids = (await composeRun(['ps', '-q'])).stdout.trim().split('\n');
    assert.equal(ids.length, 3, ids.join('\n'));

    // the published port, from the host on 127.0.0.1
    const mapped = (await composeRun(['port', 'web', '80'])).stdout.trim();
    assert.match(mapped, /^127\.0\.0\.1:\d+$/, `port web 80: ${mapped}\n${await compose('ps')}`);
    const port = Number(mapped.split(':')[1]);
    assert.equal(await httpGet(port), 'hello from web\n');

    // the worker reaches web by its name on the project's network
    await until(async () => (await compose('logs', '--no-color', 'worker')).includes('worker fetched'), 20_000);
    const logs = await compose('logs', '--no-color');
    assert.match(logs, /web_1 +\| web up/);
    assert.match(logs, /db_1 +\| db ready/);
    assert.match(logs, /worker_1 +\| hello from web/);

    assert.equal((await compose('exec', '-T', 'worker', 'wget', '-q', '-O', '-', 'http://web/')).trim(), 'hello from web');
    assert.equal((await compose('exec', '-T', 'db', 'cat', '/data/boots')).trim(), 'boot');
    const failed = await composeRun(['exec', '-T', 'db', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, 'exec passes the exit code on');

    // restart: the same containers, the volume's file written again
    await compose('restart', 'db');
    assert.equal((await compose('exec', '-T', 'db', 'cat', '/data/boots')).trim(), 'boot\nboot');
    // a new db container: the named volume keeps what the old one wrote
    await compose('rm', '-s', '-f', 'db');
    await compose('up', '-d', 'db');
    await until(async () => (await composeRun(['exec', '-T', 'db', 'cat', '/data/boots'])).stdout.trim() === 'boot\nboot\nboot', 10_000);

    const down = await composeProgress('down', '-v');
    assert.match(down, new RegExp(`Removing network ${PROJECT}_net`));
    assert.match(down, new RegExp(`Removing volume ${PROJECT}_data`));
    assert.equal((await compose('ps', '-q')).trim(), '');
    assert.deepEqual(await api.leftovers(), { containers: [], networks: [], volumes: [], host: [] });
  });

  test('up attached: the image pulled, the logs streamed, --abort-on-container-exit; down', async () => {
    // a project of its own (its default network), its image not in the store yet
    const dir = join(api.dir, 'once');
    mkdirSync(dir);
    writeFileSync(join(dir, 'docker-compose.yml'), `version: "3.7"\nservices:\n  once:\n    image: ${api.image}\n    command: ["sh", "-c", "echo once says hi; sleep 1; echo once done"]\n`);
    const project = `${PROJECT}-once`;
    await api.env.mdk(['rmi', '-f', api.image]);
    const up = await composeRun(['up', '--abort-on-container-exit'], project, dir);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /Pulling once/);
    assert.match(up.stdout, /once_1 +\| once says hi\n.*once_1 +\| once done/s);
    assert.match(up.stdout, /exited with code 0/);
    const down = await composeRun(['down', '-v'], project, dir);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, new RegExp(`Removing network ${project}_default`));
    assert.deepEqual(await api.leftovers(), { containers: [], networks: [], volumes: [], host: [] });
  });
});
