/** `moby-dick network inspect`: Docker's network inspect document */
import type { Engine } from '../../engine/engine.js';
import type { NetworkRecord } from '../../network/network-table.js';
import { defineCommand } from '../command.js';
import { inspectOutput } from '../go-template.js';
import { withEngine } from '../engine-context.js';

/** Docker's network inspect document. */
function inspectJson(e: Engine, n: NetworkRecord): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const ep of e.networks.table.endpoints({ networkId: n.id })) {
    let name = '';
    try {
      name = e.containers.find(ep.containerId).name;
    } catch {
      /* removed meanwhile */
    }
    containers[ep.containerId] = { Name: name, EndpointID: `${ep.containerId.slice(0, 32)}${n.id.slice(0, 32)}`, MacAddress: ep.mac, IPv4Address: `${ep.ip}/${ep.prefixLen}`, IPv6Address: '' };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: { 'com.docker.network.bridge.name': n.bridge, ...(n.isDefault ? { 'com.docker.network.bridge.default_bridge': 'true' } : {}) },
    Labels: n.labels,
  };
}

export const command = defineCommand({
  name: 'network inspect',
  usage: 'network inspect [-f FORMAT] NETWORK [NETWORK...]',
  summary: 'Display detailed information on one or more networks',
  options: { format: { type: 'string', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    const docs = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      return operands.map((ref) => inspectJson(e, e.networks.find(ref)));
    });
    process.stdout.write(inspectOutput(docs, values.format));
    return 0;
  },
});
