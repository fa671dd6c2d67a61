/**
 * The kernel side of a network: bridges, veth pairs and sysctls, made with
 * `ip -batch` (one process per side: the host's, then the container's
 * network namespace through nsenter). Each function says what it makes;
 * the policy (which names, which addresses) is the caller's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { programPath, runTool } from './tool.js';

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

function sysctl(path: string, value: string): void {
  const full = `/proc/sys/net/${path}`;
  if (readFileSync(full, 'utf8').trim() !== value) writeFileSync(full, value);
}

/**
 * A bridge NAME with GATEWAY/BITS, up; forwarding on (as Docker turns it
 * on), and route_localnet on the bridge so that 127.0.0.1 can be DNAT'ed
 * into it (published ports on localhost).
 */
export function ensureBridge(name: string, gateway: string, bits: number): boolean {
  let made = false;
  if (!linkExists(name)) {
    runTool('ip', ['-batch', '-'], `link add ${name} type bridge\naddr add ${gateway}/${bits} dev ${name}\nlink set ${name} up\n`, `creating bridge ${name}`);
    made = true;
  }
  sysctl(`ipv4/conf/${name}/route_localnet`, '1');
  sysctl('ipv4/ip_forward', '1');
  return made;
}

export function deleteLink(name: string): void {
  if (linkExists(name)) {
    try {
      runTool('ip', ['link', 'del', name], '', `deleting ${name}`);
    } catch (e) {
      if (linkExists(name)) throw e; // gone meanwhile (its namespace ended): fine
    }
  }
}

export interface VethPlan {
  /** the container's init, whose network namespace gets IFNAME */
  pid: number;
  hostVeth: string;
  bridge: string;
  ifname: string;
  mac: string;
  ip: string;
  bits: number;
  /** the default route through this interface (the first network's) */
  gateway?: string;
}

/** The `ip -batch` scripts for one veth: the host side, and the container side. Pure. */
export function vethScripts(p: VethPlan): { host: string; container: string } {
  const host = `link add ${p.hostVeth} type veth peer name ${p.ifname} address ${p.mac} netns ${p.pid}\nlink set ${p.hostVeth} master ${p.bridge}\nlink set ${p.hostVeth} up\n`;
  let container = `link set lo up\naddr add ${p.ip}/${p.bits} dev ${p.ifname}\nlink set ${p.ifname} up\n`;
  if (p.gateway) container += `route add default via ${p.gateway} dev ${p.ifname}\n`;
  return { host, container };
}

/** Plugs the container of P into its bridge: a veth pair, its inside end addressed and up. */
export function addVeth(p: VethPlan): void {
  deleteLink(p.hostVeth); // a leftover of an earlier run of this container (a veth's name is reused only by it)
  const s = vethScripts(p);
  runTool('ip', ['-batch', '-'], s.host, `creating veth ${p.hostVeth}`);
  runTool('nsenter', [`--net=/proc/${p.pid}/ns/net`, '--', programPath('ip', 'iproute2'), '-batch', '-'], s.container, `configuring ${p.ifname} in the container`);
}

/** Removes IFNAME from the container (its host end goes with it). */
export function removeInside(pid: number, ifname: string): void {
  runTool('nsenter', [`--net=/proc/${pid}/ns/net`, '--', programPath('ip', 'iproute2'), 'link', 'del', ifname], '', `removing ${ifname} from the container`);
}
