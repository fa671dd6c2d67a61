import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAttach, parseDevice, parseLogDriver, parseSysctls } from './host-flags.js';

describe('--device', () => {
  test('HOST, HOST:CONTAINER, HOST:PERMS and HOST:CONTAINER:PERMS, as Docker reads them', () => {
    assert.deepEqual(parseDevice('/dev/fuse'), { pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', cgroupPermissions: 'rwm' });
    assert.deepEqual(parseDevice('/dev/null:/dev/mynull'), { pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', cgroupPermissions: 'rwm' });
    assert.deepEqual(parseDevice('/dev/null:r'), { pathOnHost: '/dev/null', pathInContainer: '/dev/null', cgroupPermissions: 'r' });
    assert.deepEqual(parseDevice('/dev/sdb:/dev/xvdc:rw'), { pathOnHost: '/dev/sdb', pathInContainer: '/dev/xvdc', cgroupPermissions: 'rw' });
  });
  test('a bad mode, a relative path, too many parts are refused', () => {
    assert.throws(() => parseDevice('/dev/sdb:/dev/xvdc:rx'), /invalid device mode: rx/);
    assert.throws(() => parseDevice('/dev/sdb:/dev/xvdc:rr'), /invalid device mode: rr/);
    assert.throws(() => parseDevice('/dev/sdb:xvdc'), /xvdc is not an absolute path/);
    assert.throws(() => parseDevice('sdb'), /sdb is not an absolute path/);
    assert.throws(() => parseDevice('/a:/b:r:x'), /invalid device specification/);
    assert.throws(() => parseDevice('/a::r'), /invalid device specification/);
  });
});

test('--sysctl KEY=VALUE; a value may hold "="; no "=" is refused', () => {
  assert.deepEqual(parseSysctls(['net.ipv4.ip_forward=1', 'kernel.shmmax=1=2', 'net.ipv4.ip_forward=0']), { 'net.ipv4.ip_forward': '0', 'kernel.shmmax': '1=2' });
  assert.throws(() => parseSysctls(['net.ipv4.ip_forward']), /sysctl 'net.ipv4.ip_forward' is not allowed/);
  assert.throws(() => parseSysctls(['=1']), /not allowed/);
});

test('-a: the streams named; by default stdout and stderr; -i adds stdin', () => {
  assert.deepEqual([...parseAttach([], false)].sort(), ['stderr', 'stdout']);
  assert.deepEqual([...parseAttach([], true)].sort(), ['stderr', 'stdin', 'stdout']);
  assert.deepEqual([...parseAttach(['STDOUT'], false)], ['stdout']);
  assert.throws(() => parseAttach(['stdlog'], false), /valid streams are STDIN, STDOUT and STDERR/);
});

test('--log-driver: json-file and none', () => {
  assert.equal(parseLogDriver('none'), 'none');
  assert.equal(parseLogDriver('json-file'), 'json-file');
  assert.throws(() => parseLogDriver('syslog'), /no log driver named 'syslog'/);
});
