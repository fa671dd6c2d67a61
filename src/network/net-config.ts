/**
 * The host-wide names moby-dick's networking uses: interface names start
 * with a prefix (MOBY_DICK_NET_PREFIX, "mdk" by default: the default bridge
 * is mdk0, a user network's bridge mdk-<ID>, a container's host-side veth
 * mdkv<hash>), the nftables table is "moby-dick" (or the prefix when one is
 * set, so that tests own theirs), and the default bridge's address comes
 * from the config file's "bip" (Docker's daemon.json key, e.g.
 * "172.26.0.1/16") or the first free subnet of Docker's pools.
 */
import { createHash } from 'node:crypto';
import { MobyDickError } from '../errors.js';
import { configuredBip } from '../config/config-file.js';

export interface NetConfig {
  prefix: string;
  table: string;
  defaultBridge: string;
  /** GATEWAY/LEN for the default bridge, if configured */
  bip?: string;
}

const IFNAMSIZ = 15;

export function netConfig(env: NodeJS.ProcessEnv = process.env): NetConfig {
  const prefix = env.MOBY_DICK_NET_PREFIX || 'mdk';
  if (!/^[a-z][a-z0-9]{0,8}$/.test(prefix)) {
    throw new MobyDickError('INVALID_CONFIG', `MOBY_DICK_NET_PREFIX must be 1-9 lowercase letters and digits, not ${prefix}`, {
      subject: prefix,
      hint: 'interface names are at most 15 characters: the prefix leaves room for a network or container ID',
    });
  }
  const bip = configuredBip(env);
  return { prefix, table: prefix === 'mdk' ? 'moby-dick' : prefix, defaultBridge: `${prefix}0`, ...(bip ? { bip } : {}) };
}

/** A user network's bridge: the prefix, "-", and as much of its ID as fits. */
export function bridgeName(c: NetConfig, networkId: string): string {
  return `${c.prefix}-${networkId.slice(0, IFNAMSIZ - c.prefix.length - 1)}`;
}

/** The host end of a container's veth on a network. */
export function vethName(c: NetConfig, containerId: string, networkId: string): string {
  const hash = createHash('sha256').update(`${containerId}/${networkId}`).digest('hex');
  return `${c.prefix}v${hash.slice(0, IFNAMSIZ - c.prefix.length - 1)}`;
}
