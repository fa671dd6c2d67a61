/**
 * moby-dick's nftables table, as one script that replaces the whole table
 * in one transaction (`nft -f`): the table is made from the database's
 * networks and published ports each time one changes, so it can never drift
 * from them, and nothing outside it — other tables, other chains — is
 * touched. Pure.
 *
 * - nat: published ports are DNAT'ed through two maps (by host address and
 *   by port alone) from prerouting (other hosts, containers) and output
 *   (the host itself, 127.0.0.1 included); postrouting masquerades a
 *   network's traffic leaving its bridge, connections from the host's
 *   loopback into a bridge (route_localnet is set on it), and DNAT'ed
 *   connections between containers of one bridge (hairpin).
 * - filter: an internal network's bridge forwards to and from nothing but
 *   itself; different networks cannot reach each other, as in Docker.
 */
import type { PortBinding } from './port-spec.js';

export interface RulesetNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

export interface RulesetPort extends PortBinding {
  containerIp: string;
}

export interface Ruleset {
  table: string;
  networks: readonly RulesetNetwork[];
  ports: readonly RulesetPort[];
}

const q = (name: string) => JSON.stringify(name);

function elements(items: readonly string[]): string {
  return items.length ? ` elements = { ${items.join(', ')} };` : '';
}

/** The nft script that makes the table exactly RULESET (`add` then `delete` makes the delete safe when it is new). */
export function rulesetScript(r: Ruleset): string {
  const byAddr = r.ports.filter((p) => p.hostIp !== '').map((p) => `${p.hostIp} . ${p.protocol} . ${p.hostPort} : ${p.containerIp} . ${p.containerPort}`);
  const byPort = r.ports.filter((p) => p.hostIp === '').map((p) => `${p.protocol} . ${p.hostPort} : ${p.containerIp} . ${p.containerPort}`);
  const masquerade: string[] = [];
  const forward: string[] = ['ct state established,related accept'];
  const bridges = r.networks.map((n) => q(n.bridge));
  for (const n of r.networks) {
    const br = q(n.bridge);
    if (!n.internal) masquerade.push(`ip saddr ${n.subnet} oifname != ${br} masquerade`);
    masquerade.push(`oifname ${br} ip saddr 127.0.0.0/8 masquerade`);
    masquerade.push(`oifname ${br} ct status dnat ip saddr ${n.subnet} masquerade`);
    if (n.internal) {
      forward.push(`iifname ${br} oifname != ${br} drop`);
      forward.push(`oifname ${br} iifname != ${br} drop`);
    }
    const others = bridges.filter((b) => b !== br);
    if (others.length) forward.push(`iifname ${br} oifname { ${others.join(', ')} } drop`);
  }
  const chain = (name: string, hook: string, rules: readonly string[]) =>
    `  chain ${name} {\n    ${hook}\n${rules.map((l) => `    ${l}\n`).join('')}  }\n`;
  return (
    `add table ip ${r.table}\ndelete table ip ${r.table}\n` +
    `table ip ${r.table} {\n` +
    `  map published-addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service;${elements(byAddr)} }\n` +
    `  map published-any { type inet_proto . inet_service : ipv4_addr . inet_service;${elements(byPort)} }\n` +
    `  chain published {\n    dnat ip to ip daddr . meta l4proto . th dport map @published-addr\n    dnat ip to meta l4proto . th dport map @published-any\n  }\n` +
    chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', ['fib daddr type local jump published']) +
    chain('output', 'type nat hook output priority -100; policy accept;', ['fib daddr type local jump published']) +
    chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', masquerade) +
    chain('forward', 'type filter hook forward priority filter; policy accept;', forward) +
    `}\n`
  );
}

/** The script that removes the table (when moby-dick has no network left). */
export function deleteScript(table: string): string {
  return `add table ip ${table}\ndelete table ip ${table}\n`;
}
