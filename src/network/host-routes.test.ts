import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRouteTable } from './host-routes.js';
import { formatSubnet } from './subnet.js';

test('/proc/net/route: connected routes, not the default one', () => {
  const text = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
`;
  assert.deepEqual(parseRouteTable(text).map(formatSubnet), ['192.0.2.0/24', '172.17.0.0/16']);
});
