/**
 * The kernel side of a network: bridges (made with `ip -batch`, once per
 * network), veth pairs (netlink ops compiled in link-ops.ts, carried out by
 * the C helper in one short process for both sides, the host's and the
 * container's network namespace) and sysctls. Each function says what it
 * makes; the policy (which names, which addresses) is the caller's.
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { MobyDickError } from '../errors.js';
import { helperPath } from '../helper/helper-path.js';
import { type LinkOp, linkOpsArgv, linkOpsError, needsNetns, removeInsideOps, type VethPlan, vethOps } from './link-ops.js';
import { runTool, spawnCapturing } from './tool.js';

export type { VethPlan } from './link-ops.js';

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

/**
 * Carries out OPS with the helper (`mdk-init net`, through the addon's
 * posix_spawn), the container's network namespace opened here from
 * /proc/PID/ns/net and handed over as an fd: a pid reused meanwhile cannot
 * redirect the helper. Throws the failing op, its errno and STEP.
 */
export function runLinkOps(ops: readonly LinkOp[], pid: number | undefined, step: string, container?: string): void {
  let nsFd = -1;
  if (needsNetns(ops)) {
    const path = `/proc/${pid}/ns/net`;
    try {
      nsFd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new MobyDickError('NETWORK', `${step}: cannot open the container's network namespace ${path}: ${code === 'ENOENT' ? 'its process is gone' : code}`, {
        step, subject: path, errnoName: code, ...(container ? { container } : {}),
        ...(code === 'ENOENT' ? { hint: 'the container has stopped; start it again' } : {}),
      });
    }
  }
  let code: number;
  let stderr: string;
  try {
    // the namespace becomes the helper's fd 3 (link-ops.ts NETNS_FD)
    ({ code, stderr } = spawnCapturing(helperPath(), ['mdk-init', 'net', ...linkOpsArgv(ops)], '', nsFd >= 0 ? [nsFd] : []));
  } finally {
    if (nsFd >= 0) closeSync(nsFd);
  }
  if (code !== 0) throw linkOpsError(stderr, ops, step, container);
}

/**
 * Deletes host link NAME if it is there. Gone meanwhile (its namespace
 * ended) is fine: a veth being torn down has left the kernel's name table
 * (ENODEV) while /sys/class/net still shows it for a moment.
 */
export function deleteLink(name: string): void {
  if (!linkExists(name)) return;
  try {
    runLinkOps([{ op: 'del', link: name }], undefined, `deleting ${name}`);
  } catch (e) {
    if (e instanceof MobyDickError && e.details.errnoName === 'ENODEV') return;
    if (linkExists(name)) throw e;
  }
}

/** Plugs the container of P into its bridge: a veth pair, its inside end addressed and up. */
export function addVeth(p: VethPlan, container?: string): void {
  deleteLink(p.hostVeth); // a leftover of an earlier run of this container (a veth's name is reused only by it)
  try {
    runLinkOps(vethOps(p), p.pid, `connecting the container to bridge ${p.bridge} (${p.ifname})`, container);
  } catch (e) {
    deleteLink(p.hostVeth); // half made: the pair goes, with its peer in the container
    throw e;
  }
}

/** Removes IFNAME from the container (its host end goes with it). */
export function removeInside(pid: number, ifname: string, container?: string): void {
  runLinkOps(removeInsideOps(ifname), pid, `removing ${ifname} from the container`, container);
}
