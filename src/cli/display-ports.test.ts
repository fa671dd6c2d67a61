import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayPorts } from './display-ports.js';

test("ps's PORTS as Docker's DisplayablePorts: sorted, exposed ports and same-port mappings grouped into ranges, other mappings last", () => {
  assert.equal(displayPorts([]), '');
  assert.equal(displayPorts([{ privatePort: 8080, protocol: 'tcp' }]), '8080/tcp');
  assert.equal(displayPorts([{ privatePort: 80, publicPort: 32768, ip: '0.0.0.0', protocol: 'tcp' }]), '0.0.0.0:32768->80/tcp');
  assert.equal(displayPorts([{ privatePort: 80, publicPort: 80, ip: '127.0.0.1', protocol: 'tcp' }]), '127.0.0.1:80->80/tcp');
  assert.equal(
    displayPorts([
      { privatePort: 8002, protocol: 'tcp' }, { privatePort: 8000, protocol: 'tcp' }, { privatePort: 8001, protocol: 'tcp' },
      { privatePort: 53, protocol: 'udp' }, { privatePort: 9000, protocol: 'tcp' },
      { privatePort: 80, publicPort: 32768, ip: '0.0.0.0', protocol: 'tcp' },
    ]),
    // Docker's order: a range ended by a gap is written at once, the groups still open at the end after it
    '8000-8002/tcp, 53/udp, 9000/tcp, 0.0.0.0:32768->80/tcp',
  );
  assert.equal(
    displayPorts([
      { privatePort: 81, publicPort: 81, ip: '0.0.0.0', protocol: 'tcp' }, { privatePort: 80, publicPort: 80, ip: '0.0.0.0', protocol: 'tcp' },
      { privatePort: 443, publicPort: 8443, ip: '::', protocol: 'tcp' },
    ]),
    '0.0.0.0:80-81->80-81/tcp, [::]:8443->443/tcp',
  );
});
