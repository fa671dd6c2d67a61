import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundPorts } from './host-ports.js';

test('listening TCP sockets and bound UDP sockets', () => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:1F91 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1
`;
  assert.deepEqual([...boundPorts(tcp, 'tcp')], [8080]);
  assert.deepEqual([...boundPorts(tcp, 'udp')], [8080, 8081]);
});
