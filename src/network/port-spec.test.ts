import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExposed, parsePublish, portLine, publishedPorts } from './port-spec.js';

test('-p forms as Docker reads them', () => {
  assert.deepEqual(parsePublish('80'), [{ protocol: 'tcp', hostIp: '', hostPort: 0, containerPort: 80 }]);
  assert.deepEqual(parsePublish('8080:80'), [{ protocol: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 }]);
  assert.deepEqual(parsePublish('127.0.0.1:8080:80/udp'), [{ protocol: 'udp', hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80 }]);
  assert.deepEqual(parsePublish('localhost::80'), [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0, containerPort: 80 }]);
  assert.deepEqual(parsePublish('0.0.0.0:81:80'), [{ protocol: 'tcp', hostIp: '', hostPort: 81, containerPort: 80 }]);
  assert.deepEqual(parsePublish('9000-9001:80-81').map((b) => [b.hostPort, b.containerPort]), [[9000, 80], [9001, 81]]);
});

test('bad -p values are refused with the reason', () => {
  assert.throws(() => parsePublish('80/sctp'), /protocol sctp/);
  assert.throws(() => parsePublish('70000'), /within 1-65535/);
  assert.throws(() => parsePublish('1:2:3:4'), /too many colons/);
  assert.throws(() => parsePublish('300.1.1.1:80:80'), /not an IPv4 address/);
  assert.throws(() => parsePublish('9000-9002:80-81'), /differ in length/);
  assert.throws(() => parsePublish('8080:'), /no container port/);
  assert.throws(() => parsePublish('http'), /not a port/);
});

test('-P publishes the exposed ports -p did not name', () => {
  assert.deepEqual(parseExposed('53/udp'), [{ protocol: 'udp', port: 53 }]);
  const ports = publishedPorts(['8080:80'], true, ['80/tcp', '443/tcp', '53/udp']);
  assert.deepEqual(ports.map(portLine), ['80/tcp -> 0.0.0.0:8080', '443/tcp -> 0.0.0.0:0', '53/udp -> 0.0.0.0:0']);
  assert.deepEqual(publishedPorts([], false, ['80/tcp']), []);
});

test("-P's bindings on the API service's --ip when it has one", () => {
  const ports = publishedPorts(['127.0.0.2:8080:80'], true, ['80/tcp', '443/tcp'], '127.0.0.1');
  assert.deepEqual(ports.map(portLine), ['80/tcp -> 127.0.0.2:8080', '443/tcp -> 127.0.0.1:0']);
});
