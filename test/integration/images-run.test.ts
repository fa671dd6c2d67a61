/**
 * `moby-dick run IMAGE`: pulled when missing, an overlay of the image's
 * layers with a writable layer per container, the image's config applied.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type ImageEnv, makeImageEnv, oneLine } from '../helpers/image-env.js';
import { assertNoLeaks, type Snapshot, snapshot } from '../helpers/leaks.js';
import { dirWith, makeImage, writeLayout } from '../helpers/oci-image.js';
import { type Registry, skopeo, startRegistry } from '../helpers/registry.js';
import { makeBusyboxRootfs, removeRootfs } from '../helpers/rootfs.js';

describe('run IMAGE', () => {
  let reg: Registry;
  let env: ImageEnv;
  let rootfs: string;
  const made: string[] = [];
  let snap: Snapshot;
  const image = (name: string) => `${reg.host}/mdk-test/${name}`;

  before(async () => {
    rootfs = makeBusyboxRootfs();
    reg = await startRegistry();
    const app = dirWith({
      'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n',
      'etc/group': 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n',
      'etc/.wh.motd': '',
      'srv/hello': 'hello from the image\n',
    });
    made.push(app);
    const plain = makeImage([rootfs], { cmd: ['echo', 'default cmd'] });
    const configured = makeImage([rootfs, app], {
      cmd: ['-c', 'echo "$GREETING from $(pwd) as $(id -u):$(id -g) groups $(id -G) home $HOME"'],
      config: { Entrypoint: ['/bin/sh'], Env: ['PATH=/bin', 'GREETING=hi'], WorkingDir: '/srv', User: 'app' },
    });
    for (const [name, img] of [['plain', plain], ['configured', configured]] as const) {
      const layout = writeLayout(img);
      made.push(layout);
      skopeo(['copy', `oci:${layout}:latest`, `docker://${image(name)}:latest`]);
    }
  });
  after(async () => {
    await reg?.stop();
    removeRootfs(rootfs);
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  beforeEach(() => {
    env = makeImageEnv();
    snap = snapshot();
  });
  afterEach(async () => {
    await assertNoLeaks(snap);
    env.remove();
  });

  const containers = () => (existsSync(join(env.root, 'containers')) ? readdirSync(join(env.root, 'containers')) : []);

  test('pulls a missing image, runs its Cmd, and keeps the container without --rm', async () => {
    const r = await env.mdk(['run', image('plain')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'default cmd\n');
    assert.match(r.stderr, /Unable to find image '.*mdk-test\/plain' locally/);
    assert.equal(containers().length, 1, 'the container and its writable layer stay');
    const rmi = await env.mdk(['rmi', image('plain')]);
    assert.notEqual(rmi.code, 0, 'an image a container uses is not removed');
  });

  test('Entrypoint, Env, WorkingDir and User by name apply; -u, -w, -e and a COMMAND override', async () => {
    const r = await env.mdk(['run', '--rm', image('configured')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi from /srv as 1000:1000 groups 1000 50 home /home/app\n');
    const o = await env.mdk(['run', '--rm', '-u', 'root', '-w', '/tmp', '-e', 'GREETING=hey', image('configured'), '-c', 'echo $GREETING $(pwd) $(id -u) $HOME']);
    assert.equal(o.stdout, 'hey /tmp 0 /root\n', o.stderr);
    const e = await env.mdk(['run', '--rm', '--entrypoint', 'cat', image('configured'), '/srv/hello']);
    assert.equal(e.stdout, 'hello from the image\n', e.stderr);
    assert.deepEqual(containers(), [], '--rm removed the writable layers');
  });

  test('writes go to the container\'s own layer; the image and other containers do not see them', async () => {
    const w = await env.mdk(['run', '--rm', image('plain'), 'sh', '-c', 'echo x > /bin/mdk-test-new; rm /bin/ls; ls /bin/mdk-test-new; ls /bin/ls 2>&1 || true']);
    assert.match(w.stdout, /^\/bin\/mdk-test-new\n.*No such file/s, w.stderr);
    const r = await env.mdk(['run', '--rm', image('plain'), 'sh', '-c', 'ls /bin/mdk-test-new 2>/dev/null; ls /bin/ls']);
    assert.equal(r.stdout, '/bin/ls\n', 'a fresh container sees the image as it was');
  });

  test('errors: an unknown user, a name in use, a missing image; nothing is left behind', async () => {
    const u = await env.mdk(['run', '--rm', '-u', 'nobody-here', image('plain'), 'true']);
    assert.equal(u.code, 125);
    const last = u.stderr.trimEnd().split('\n').pop()!;
    assert.ok(oneLine(`${last}\n`) && !/^\s+at /m.test(u.stderr), u.stderr);
    assert.match(last, /unable to find user nobody-here: no matching entries in passwd file/);
    const first = await env.mdk(['run', '--name', 'mdk-test-taken', image('plain'), 'true']);
    assert.equal(first.code, 0, first.stderr);
    const second = await env.mdk(['run', '--name', 'mdk-test-taken', image('plain'), 'true']);
    assert.equal(second.code, 125);
    assert.match(second.stderr, /Conflict\. The container name "\/mdk-test-taken" is already in use/);
    const missing = await env.mdk(['run', '--rm', image('no-such-image'), 'true']);
    assert.equal(missing.code, 125);
    assert.equal(containers().length, 1, 'only the named container stays');
  });
});
