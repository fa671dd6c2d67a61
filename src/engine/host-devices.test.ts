import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { hostDevices, mappedDevices } from './host-devices.js';

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

test('--device: the host node made at the container path, allowed with its permissions; a missing or plain file is refused', () => {
  const { devices, deviceRules } = mappedDevices([{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', cgroupPermissions: 'rw' }]);
  assert.deepEqual(devices.map((d) => [d.type, d.path, d.major, d.minor]), [['c', '/dev/mynull', 1, 3]]);
  assert.deepEqual(deviceRules, [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]);
  assert.throws(() => mappedDevices([{ pathOnHost: '/dev/mdk-test-none', pathInContainer: '/dev/x', cgroupPermissions: 'rwm' }]), /error gathering device information while adding custom device "\/dev\/mdk-test-none": no such file or directory/);
  assert.throws(() => mappedDevices([{ pathOnHost: '/etc/hostname', pathInContainer: '/dev/x', cgroupPermissions: 'rwm' }]), /not a device node/);
});
