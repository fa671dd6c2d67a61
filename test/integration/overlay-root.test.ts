/**
 * An overlay root (how images run): the layers stay untouched, the writes
 * land in the upper directory, whiteouts hide lower files, and the mount
 * lives only in the container's mount namespace.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { startContainer } from '../../src/index.js';
import { useRootfs } from '../helpers/fixtures.js';
import { TEST_PREFIX } from '../helpers/rootfs.js';

async function output(c: ReturnType<typeof startContainer>): Promise<[string, number]> {
  let out = '';
  for await (const chunk of c.stdout ?? []) out += String(chunk);
  return [out, (await c.wait()).exitCode];
}

describe('overlay root', () => {
  const fx = useRootfs();
  let dir = '';
  let layer2 = '';
  beforeEach(() => {
    dir = mkdtempSync(join('/tmp', `${TEST_PREFIX}overlay-`));
    layer2 = join(dir, 'layer2');
    mkdirSync(join(layer2, 'etc'), { recursive: true });
    writeFileSync(join(layer2, 'etc/motd'), 'from layer 2\n');
    for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('reads through the layers, writes to the upper dir, leaves the layers alone', async () => {
    const c = startContainer(
      {
        rootfs: join(dir, 'merged'),
        overlay: { lower: [layer2, fx.rootfs], upper: join(dir, 'upper'), work: join(dir, 'work') },
        command: ['sh', '-c', 'cat /etc/motd; echo new > /etc/motd; echo made > /made; rm /etc/group; ls /etc; grep -c " / overlay " /proc/mounts'],
      },
      { stdio: 'pipe' },
    );
    const [out, code] = await output(c);
    assert.equal(code, 0, out);
    assert.equal(out, 'from layer 2\nmotd\npasswd\n1\n');
    assert.equal(readFileSync(join(layer2, 'etc/motd'), 'utf8'), 'from layer 2\n', 'the layer is unchanged');
    assert.ok(existsSync(join(fx.rootfs, 'etc/group')), 'the lowest layer is unchanged');
    assert.equal(readFileSync(join(dir, 'upper/etc/motd'), 'utf8'), 'new\n');
    assert.equal(readFileSync(join(dir, 'upper/made'), 'utf8'), 'made\n');
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(join(dir, 'merged')), 'no mount on the host');
  });
});
