import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { hostDevices } from './host-devices.js';

test("the host's devices: /dev/vda-like block and char devices with their numbers; not the ones every container has", () => {
  const devs = hostDevices();
  assert.ok(devs.length > 0);
  assert.ok(!devs.some((d) => d.path === '/dev/null' || d.path.startsWith('/dev/pts/')));
  for (const d of devs.slice(0, 20)) {
    const st = statSync(d.path);
    assert.equal(d.type === 'b', st.isBlockDevice(), d.path);
    // the kernel's encoding, back again
    const rdev = (d.minor & 0xff) | ((d.major & 0xfff) << 8) | ((d.minor & ~0xff) << 12);
    assert.equal(rdev >>> 0, st.rdev, d.path);
  }
});
