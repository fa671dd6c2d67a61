/**
 * The netlink ops that plug a container into a bridge, compiled here and
 * carried out by the C helper (`mdk-init net`, native/src/netlink.c) in one
 * short process: the host's side first, then, after entering the
 * container's network namespace, its side. Pure: names, addresses and MACs
 * come from the caller; this only orders the ops, writes them as the
 * helper's arguments, and reads its error line back.
 */
import { MobyDickError } from '../errors.js';
import { errnoMessage, errnoName } from '../linux/errno.js';

/**
 * One op. "The container's namespace" is the one whose fd the caller hands
 * the helper (NETNS_FD, opened from /proc/PID/ns/net).
 */
export type LinkOp =
  /** a veth pair HOST <-> PEER, PEER (with MAC) made in the container's namespace */
  | { op: 'veth'; host: string; peer: string; mac: string }
  /** LINK enslaved to BRIDGE */
  | { op: 'master'; link: string; bridge: string }
  | { op: 'up'; link: string }
  /** the ops after this one work in the container's namespace */
  | { op: 'netns' }
  /** an IPv4 address, "A.B.C.D/BITS" */
  | { op: 'addr'; link: string; cidr: string }
  /** an IPv4 route to DEST ("A.B.C.D/BITS"; 0.0.0.0/0 is the default route) via GATEWAY out of LINK */
  | { op: 'route'; dest: string; gateway: string; link: string }
  | { op: 'del'; link: string };

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

/** The fd at which the helper gets the container's network namespace. */
export const NETNS_FD = 3;

/** A veth into P's container: made on the host with its peer inside, enslaved, up; then lo, the address, the link and the default route inside. */
export function vethOps(p: VethPlan): LinkOp[] {
  const ops: LinkOp[] = [
    { op: 'veth', host: p.hostVeth, peer: p.ifname, mac: p.mac },
    { op: 'master', link: p.hostVeth, bridge: p.bridge },
    { op: 'up', link: p.hostVeth },
    { op: 'netns' },
    { op: 'up', link: 'lo' },
    { op: 'addr', link: p.ifname, cidr: `${p.ip}/${p.bits}` },
    { op: 'up', link: p.ifname },
  ];
  if (p.gateway) ops.push({ op: 'route', dest: '0.0.0.0/0', gateway: p.gateway, link: p.ifname });
  return ops;
}

/** IFNAME removed from inside the container (its host end goes with it). */
export function removeInsideOps(ifname: string): LinkOp[] {
  return [{ op: 'netns' }, { op: 'del', link: ifname }];
}

/** The helper's arguments after `net`, in its order (native/src/netlink.c). */
export function linkOpsArgv(ops: readonly LinkOp[]): string[] {
  const fd = String(NETNS_FD);
  return ops.flatMap((o): string[] => {
    switch (o.op) {
      case 'veth': return ['veth', o.host, o.peer, o.mac, fd];
      case 'master': return ['master', o.link, o.bridge];
      case 'up': return ['up', o.link];
      case 'netns': return ['netns', fd];
      case 'addr': return ['addr', o.link, o.cidr];
      case 'route': return ['route', o.dest, o.gateway, o.link];
      case 'del': return ['del', o.link];
    }
  });
}

/** Whether the ops need the container's namespace (a veth's peer goes there, or they enter it). */
export function needsNetns(ops: readonly LinkOp[]): boolean {
  return ops.some((o) => o.op === 'veth' || o.op === 'netns');
}

/** What OPS[INDEX] does, for an error message; INSIDE: it runs in the container's namespace. */
function describe(o: LinkOp, inside: boolean): string {
  const where = inside ? ' in the container' : '';
  switch (o.op) {
    case 'veth': return `creating veth ${o.host} with its peer ${o.peer} (${o.mac}) in the container`;
    case 'master': return `attaching ${o.link} to bridge ${o.bridge}`;
    case 'up': return `setting ${o.link} up${where}`;
    case 'netns': return 'entering the container\'s network namespace';
    case 'addr': return `adding address ${o.cidr} to ${o.link}${where}`;
    case 'route': return `${o.dest === '0.0.0.0/0' ? 'adding the default route' : `adding a route to ${o.dest}`} via ${o.gateway} on ${o.link}${where}`;
    case 'del': return `deleting ${o.link}${where}`;
  }
}

/**
 * The helper's error line ("error\tINDEX\tOP\tERRNO\tWHY") as a
 * MobyDickError: STEP (what the caller was doing), the failing op in words,
 * the errno, and the kernel's own reason when it gave one.
 */
export function linkOpsError(stderr: string, ops: readonly LinkOp[], step: string, container?: string): MobyDickError {
  const line = stderr.split('\n').find((l) => l.startsWith('error\t'));
  const [, index, name, errnoText, why] = line?.split('\t') ?? [];
  const errno = Number(errnoText);
  const about = container ? { container } : {};
  const helper = { step, subject: 'mdk-init net', ...about, hint: 'check that build/mdk-init is the one built with this moby-dick (`make build`)' };
  if (!line || !name || !Number.isInteger(errno)) {
    return new MobyDickError('HELPER', `${step}: the network helper failed: ${stderr.trim().split('\n')[0] || 'no message'}`, helper);
  }
  const reason = `${errnoMessage(errno)} (${errnoName(errno)})${why ? `: ${why}` : ''}`;
  const op = ops[Number(index)];
  if (!op || name !== op.op) {
    // not one of our ops: no netlink socket, or ops this helper does not know (an older build)
    return new MobyDickError('HELPER', `${step}: the network helper's ${name} failed: ${reason}`, { ...helper, errno, errnoName: errnoName(errno) });
  }
  const inside = ops.slice(0, Number(index)).some((o) => o.op === 'netns');
  return new MobyDickError('NETWORK', `${step}: ${describe(op, inside)} failed: ${reason}`, {
    step, errno, errnoName: errnoName(errno), subject: 'link' in op ? op.link : op.op === 'veth' ? op.host : 'netns', ...about,
  });
}
