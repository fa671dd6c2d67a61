/**
 * Docker's commands about the engine and its objects, through the built
 * CLI in the test's own store: version, info, system df, system prune,
 * inspect of any object type, images --filter, ps -n/-l/-s.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkEachTest, useEngine } from '../helpers/engine-env.js';

describe('cli: version, info, system, inspect, images and ps options', () => {
  const w = useEngine();
  const mdk = (...args: string[]) => w.env.mdk(args);
  checkEachTest(w, () => mdk('volume', 'prune', '-a', '-f'));

  const ok = async (...args: string[]): Promise<string> => {
    const r = await mdk(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const lines = (s: string): string[] => s.split('\n').filter(Boolean);

  test("version: Docker's Client and Server sections (the engine in process), --format of each and as JSON", async () => {
    const out = await ok('version');
    assert.match(out, /^Client: moby-dick\n Version: {11}\S+\n API version: {7}1\.43\n Node version: {6}v\d+\.\d+\.\d+\n OS\/Arch: {11}linux\/\w+\n/);
    assert.match(out, /\nServer: moby-dick\n Engine:\n  Version: {10}\S+\n  API version: {6}1\.43 \(minimum version 1\.24\)\n  Node version: {5}v\d+/);
    assert.equal(await ok('version', '--format', '{{.Server.ApiVersion}}'), '1.43\n');
    const [client, server] = (await ok('version', '--format', '{{.Client.Version}} {{.Server.Version}}')).trim().split(' ');
    assert.equal(client, server);
    const json = JSON.parse(await ok('version', '-f', '{{json .}}'));
    assert.equal(json.Server.Components[0].Name, 'Engine');
    assert.equal(json.Server.Components[0].Details.ApiVersion, '1.43');
    assert.equal((await mdk('version', 'extra')).code, 1);
    assert.match(await ok('version', '--help'), /^Usage: moby-dick version \[OPTIONS\]/);
  });

  test("info: the store's containers by state, its images, root and the host, in Docker's layout; --format; system info the same", async () => {
    const running = (await ok('run', '-d', '--network', 'none', '--name', 'mdk-test-info-run', w.image, 'sleep', '60')).trim();
    await ok('create', '--network', 'none', '--name', 'mdk-test-info-made', w.image, 'true');
    const out = await ok('info');
    assert.match(out, /\nServer:\n Containers: 2\n  Running: 1\n  Paused: 0\n  Stopped: 1\n Images: 1\n Server Version: \S+\n Storage Driver: overlay2\n/);
    assert.match(out, /\n Cgroup Driver: cgroupfs\n Cgroup Version: [12]\n/);
    assert.match(out, /\n Kernel Version: \S+\n Operating System: .+\n OSType: linux\n Architecture: \w+\n CPUs: \d+\n Total Memory: [\d.]+GiB\n Name: \S+\n/);
    assert.ok(out.includes(`\n Docker Root Dir: ${w.env.root}\n`), out);
    assert.equal(await ok('info', '--format', '{{.ContainersRunning}} {{.Images}} {{.DockerRootDir}}'), `1 1 ${w.env.root}\n`);
    assert.equal(JSON.parse(await ok('info', '--format', 'json')).Containers, 2);
    assert.equal(await ok('system', 'info', '--format', '{{.ContainersStopped}}'), '1\n');
    await ok('rm', '-f', running);
  });

  test('system df: TYPE/TOTAL/ACTIVE/SIZE/RECLAIMABLE of what the store holds; -v lists each; --format', async () => {
    await ok('run', '--network', 'none', '--name', 'mdk-test-df-wrote', w.image, 'sh', '-c', 'printf 12345 > /five');
    await ok('run', '-d', '--network', 'none', '--name', 'mdk-test-df-run', '-v', 'mdk-test-df-vol:/data', w.image, 'sleep', '60');
    const out = await ok('system', 'df');
    const table = lines(out).map((l) => l.split(/ {2,}/));
    assert.deepEqual(table[0], ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']);
    assert.deepEqual(table[1]!.slice(0, 3), ['Images', '1', '1']);
    assert.match(table[1]![4]!, /^[\d.]+[kM]?B \(\d+%\)$/);
    // the stopped one's 5 bytes are reclaimable, all of the containers' bytes (the running one wrote none)
    assert.deepEqual(table[2], ['Containers', '2', '1', '5B', '5B (100%)']);
    assert.deepEqual(table[3]!.slice(0, 3), ['Local Volumes', '1', '1']);
    assert.deepEqual(table[4], ['Build Cache', '0', '0', '0B', '0B']);
    const rows = lines(await ok('system', 'df', '--format', 'json')).map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.Type), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
    assert.equal(await ok('system', 'df', '--format', '{{.Type}}={{.TotalCount}}'), 'Images=1\nContainers=2\nLocal Volumes=1\nBuild Cache=0\n');
    const verbose = await ok('system', 'df', '-v');
    assert.match(verbose, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n.*mdk-test\/busybox +latest .* 2\n/);
    assert.match(verbose, /\nContainers space usage:\n\nCONTAINER ID .*\n(.*\n)*.*"sh -c printf 12345 …" +0 +5B .*mdk-test-df-wrote\n/);
    assert.match(verbose, /\nLocal Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\nmdk-test-df-vol +1 +0B\n/);
    assert.match(verbose, /\nBuild cache usage: 0B\n/);
  });

  test('system prune: asks first; -f removes the stopped containers, unused networks and dangling images of its store, keeps the rest; --volumes; --filter', async () => {
    const running = (await ok('run', '-d', '--network', 'none', '--name', 'mdk-test-prune-run', w.image, 'sleep', '60')).trim();
    const stopped = (await ok('create', '--network', 'none', '--name', 'mdk-test-prune-stopped', w.image, 'true')).trim();
    const labelled = (await ok('create', '--network', 'none', '--label', 'mdk-test=keep', '--name', 'mdk-test-prune-labelled', w.image, 'true')).trim();
    await ok('network', 'create', 'mdk-test-prune-net');
    await ok('volume', 'create', 'mdk-test-prune-named');
    await ok('run', '--network', 'none', '--name', 'mdk-test-prune-anon', '-v', '/anon', w.image, 'true');
    const anonymous = JSON.parse(await ok('inspect', '--format', '{{json .Mounts}}', 'mdk-test-prune-anon'))[0].Name as string;
    const anonContainer = (await ok('inspect', '--format', '{{.Id}}', 'mdk-test-prune-anon')).trim();
    const dangling = (await ok('commit', stopped)).trim();
    assert.match(dangling, /^sha256:[0-9a-f]{64}$/);

    // no: nothing goes
    const asked = await w.env.mdk(['system', 'prune'], { input: 'n\n' });
    assert.equal(asked.code, 0, asked.stderr);
    assert.equal(asked.stdout, 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ');
    assert.equal(lines(await ok('ps', '-aq')).length, 4);

    // a label filter: only what carries the label goes
    const only = await ok('system', 'prune', '-f', '--filter', 'label=mdk-test=keep');
    assert.equal(only, `Deleted Containers:\n${labelled}\n\nTotal reclaimed space: 0B\n`);
    assert.equal((await mdk('system', 'prune', '-f', '--volumes', '--filter', 'until=1h')).code, 1);
    assert.match((await mdk('system', 'prune', '-f', '--filter', 'colour=red')).stderr, /invalid filter 'colour'/);

    const out = await ok('system', 'prune', '-f', '--volumes');
    const deletedContainers = /Deleted Containers:\n((?:[0-9a-f]{64}\n)+)\n/.exec(out)?.[1];
    assert.deepEqual(lines(deletedContainers ?? '').sort(), [stopped, anonContainer].sort(), out);
    assert.match(out, /\nDeleted Networks:\nmdk-test-prune-net\n\n/);
    assert.ok(out.includes(`\nDeleted Volumes:\n${anonymous}\n\n`), out);
    assert.ok(out.includes(`\nDeleted Images:\ndeleted: ${dangling}\n\n`), out);
    assert.match(out, /\nTotal reclaimed space: [\d.]+k?B\n$/);
    // what is left: the running container, the image it uses, the named volume, the default networks
    assert.deepEqual(lines(await ok('ps', '-aq', '--no-trunc')), [running]);
    assert.equal(lines(await ok('images', '-q')).length, 1);
    assert.deepEqual(lines(await ok('volume', 'ls', '-q')), ['mdk-test-prune-named']);
    assert.deepEqual(lines(await ok('network', 'ls', '--format', '{{.Name}}')).sort(), ['bridge', 'host', 'none']);
    // again: nothing more
    assert.equal(await ok('system', 'prune', '-f'), 'Total reclaimed space: 0B\n');
    await ok('rm', '-f', running);
  });

  test('inspect finds a container, else an image, a network, a volume; --type; -s; several names mixed; missing ones on stderr, exit 1', async () => {
    await ok('run', '--network', 'none', '--name', 'mdk-test-insp', w.image, 'sh', '-c', 'printf abc > /three');
    await ok('network', 'create', 'mdk-test-insp-net');
    await ok('volume', 'create', 'mdk-test-insp-vol');
    // a volume of the container's name: the container comes first, as Docker's order
    await ok('volume', 'create', 'mdk-test-insp');
    const imageId = (await ok('images', '-q', '--no-trunc')).trim();

    assert.equal(await ok('inspect', '--format', '{{.Name}}', 'mdk-test-insp'), '/mdk-test-insp\n');
    assert.equal(await ok('inspect', '--format', '{{.Id}}', w.image), `${imageId}\n`);
    assert.equal(await ok('inspect', '--format', '{{.Name}} {{.Driver}}', 'mdk-test-insp-net'), 'mdk-test-insp-net bridge\n');
    assert.equal(await ok('inspect', '--format', '{{.Name}} {{.Driver}}', 'mdk-test-insp-vol'), 'mdk-test-insp-vol local\n');
    assert.equal(await ok('inspect', '--type', 'volume', '--format', '{{.Name}} {{.Driver}}', 'mdk-test-insp'), 'mdk-test-insp local\n');
    assert.equal(await ok('inspect', '--type', 'container', '--format', '{{.State.Status}}', 'mdk-test-insp'), 'exited\n');
    assert.equal(await ok('inspect', '--type', 'image', '--format', '{{.Id}}', w.image), `${imageId}\n`);
    assert.equal(await ok('inspect', '--type', 'network', '--format', '{{.Name}}', 'mdk-test-insp-net'), 'mdk-test-insp-net\n');

    const all = JSON.parse(await ok('inspect', 'mdk-test-insp', w.image, 'mdk-test-insp-net', 'mdk-test-insp-vol'));
    assert.equal(all.length, 4);
    assert.equal(all[0].Name, '/mdk-test-insp');
    assert.equal(all[1].Id, imageId);
    assert.equal(all[2].Name, 'mdk-test-insp-net');
    assert.equal(all[3].Mountpoint.startsWith(w.env.root), true);

    // -s: the container's writable layer (3 bytes) and with its image
    const [rw, rootFs] = (await ok('inspect', '-s', '--format', '{{.SizeRw}} {{.SizeRootFs}}', 'mdk-test-insp')).trim().split(' ').map(Number);
    assert.equal(rw, 3);
    assert.ok(rootFs! > 3, String(rootFs));
    assert.equal(await ok('inspect', '--format', '{{.SizeRw}}', 'mdk-test-insp'), '<nil>\n', 'no sizes without -s: nil, as Docker\'s typed document');
    assert.equal(await ok('container', 'inspect', '-s', '--format', '{{.SizeRw}}', 'mdk-test-insp'), '3\n');

    const missing = await mdk('inspect', '--format', '{{.Name}}', 'mdk-test-insp', 'mdk-test-nothing');
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '/mdk-test-insp\n');
    assert.equal(missing.stderr, 'moby-dick: No such object: mdk-test-nothing\n');
    const wrongType = await mdk('inspect', '--type', 'network', 'mdk-test-insp-vol');
    assert.equal(wrongType.code, 1);
    assert.equal(wrongType.stdout, '[]\n');
    assert.equal(wrongType.stderr, 'moby-dick: No such network: mdk-test-insp-vol\n');
    const badType = await mdk('inspect', '--type', 'secret', 'x');
    assert.equal(badType.code, 1);
    assert.match(badType.stderr, /"secret" is not a valid value for --type/);

    await ok('network', 'rm', 'mdk-test-insp-net');
  });

  test('images --filter: dangling, label, reference globs, before and since; -q once per image; --digests', async () => {
    const base = (await ok('images', '-q', '--no-trunc')).trim();
    await ok('create', '--network', 'none', '--name', 'mdk-test-img-src', w.image, 'true');
    const dangling = (await ok('commit', 'mdk-test-img-src')).trim();
    const labelled = (await ok('commit', '--change', 'LABEL mdk-test.kind=second', 'mdk-test-img-src', 'mdk-test/second:v1')).trim();
    await ok('tag', 'mdk-test/second:v1', 'mdk-test/second:v2');
    const ids = async (...filters: string[]): Promise<string[]> => lines(await ok('images', '-q', '--no-trunc', ...filters.flatMap((f) => ['--filter', f]))).sort();

    assert.deepEqual(await ids(), [base, dangling, labelled].sort());
    assert.deepEqual(await ids('dangling=true'), [dangling]);
    assert.deepEqual(await ids('dangling=false'), [base, labelled].sort());
    assert.deepEqual(await ids('label=mdk-test.kind'), [labelled]);
    assert.deepEqual(await ids('label=mdk-test.kind=second'), [labelled]);
    assert.deepEqual(await ids('label=mdk-test.kind=first'), []);
    assert.deepEqual(await ids('reference=mdk-test/second'), [labelled]);
    assert.deepEqual(await ids('reference=*/mdk-test/busy*'), [base]);
    assert.deepEqual(await ids('reference=mdk-test/*:v1'), [labelled]);
    // the loaded image was made in 2024; the commits now (the labelled one not before the dangling one)
    assert.deepEqual(await ids(`before=${dangling}`), [base]);
    assert.deepEqual(await ids('before=mdk-test/second:v1').then((l) => l.includes(base) && !l.includes(labelled)), true);
    assert.deepEqual(await ids('since=' + w.image), [dangling, labelled].sort());
    assert.deepEqual(await ids('since=' + w.image, 'dangling=false'), [labelled], 'filters ANDed');

    // a row per tag; a reference filter keeps the tags that match
    const table = lines(await ok('images', '--filter', 'reference=mdk-test/second:v2'));
    assert.equal(table.length, 2);
    assert.match(table[1]!, /^mdk-test\/second +v2 /);
    assert.equal(lines(await ok('images', '-q', '--filter', 'reference=mdk-test/second')).length, 1, '-q: an image once for its two tags');
    assert.match(lines(await ok('images', '--digests'))[0]!, /^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$/);

    const bad = await mdk('images', '--filter', 'colour=red');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid filter 'colour'/);
    const noSuch = await mdk('images', '--filter', 'before=mdk-test/none:v9');
    assert.notEqual(noSuch.code, 0);
    assert.match(noSuch.stderr, /No such image/);

    await ok('rm', 'mdk-test-img-src');
    await ok('rmi', 'mdk-test/second:v1', 'mdk-test/second:v2', dangling);
  });

  test("ps -n N and -l: the last created, in every state; -s: Docker's SIZE column", async () => {
    const first = (await ok('run', '-d', '--network', 'none', '--name', 'mdk-test-ps-1', w.image, 'sh', '-c', 'printf 1234567 > /seven; sleep 60')).trim();
    await ok('create', '--network', 'none', '--name', 'mdk-test-ps-2', w.image, 'true');
    await ok('create', '--network', 'none', '--name', 'mdk-test-ps-3', w.image, 'true');
    assert.equal(await ok('ps', '--format', '{{.Names}}'), 'mdk-test-ps-1\n');
    assert.equal(await ok('ps', '-n', '2', '--format', '{{.Names}}'), 'mdk-test-ps-3\nmdk-test-ps-2\n');
    assert.equal(await ok('ps', '-n', '5', '--format', '{{.Names}}'), 'mdk-test-ps-3\nmdk-test-ps-2\nmdk-test-ps-1\n');
    assert.equal(await ok('ps', '-l', '--format', '{{.Names}}'), 'mdk-test-ps-3\n');
    assert.equal(await ok('ps', '--latest', '-q'), `${(await ok('inspect', '--format', '{{.Id}}', 'mdk-test-ps-3')).slice(0, 12)}\n`);
    assert.equal(await ok('ps', '-n', '1', '--filter', 'status=running', '--format', '{{.Names}}'), 'mdk-test-ps-1\n');
    assert.equal((await mdk('ps', '-n', 'x')).code, 125);

    // the file is written by the time it is there
    let size = '';
    for (let i = 0; i < 50 && !size.startsWith('7B'); i++) {
      size = (await ok('ps', '-s', '--format', '{{.Size}}', '--filter', `id=${first}`)).trim();
      if (!size.startsWith('7B')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(size, /^7B \(virtual [\d.]+[kM]B\)$/);
    const table = lines(await ok('ps', '-s'));
    assert.match(table[0]!, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES +SIZE$/);
    assert.match(table[1]!, /mdk-test-ps-1 +7B \(virtual [\d.]+[kM]B\)$/);
    assert.ok(!lines(await ok('ps'))[0]!.includes('SIZE'));
  });
});
