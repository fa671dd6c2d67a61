/**
 * Which registries may be spoken to over plain HTTP. As Docker does, the
 * loopback addresses (localhost, 127.0.0.0/8, ::1) are insecure by default;
 * others only when named by `--insecure-registry HOST[:PORT]` or in the
 * config file's "insecure-registries" (the key of Docker's daemon.json),
 * /etc/moby-dick/config.json or $MOBY_DICK_CONFIG. A registry that is not
 * insecure is spoken to over HTTPS only, with certificates verified.
 */
import { readFileSync } from 'node:fs';
import { MobyDickError } from '../errors.js';

export const DEFAULT_CONFIG_PATH = '/etc/moby-dick/config.json';

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOBY_DICK_CONFIG || DEFAULT_CONFIG_PATH;
}

/** "insecure-registries" of the config file; [] when there is no file. */
export function configuredInsecureRegistries(env: NodeJS.ProcessEnv = process.env): string[] {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new MobyDickError('INVALID_CONFIG', `cannot read ${path}: ${(e as Error).message}`, { subject: path });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new MobyDickError('INVALID_CONFIG', `${path} is not valid JSON: ${(e as Error).message}`, { subject: path });
  }
  const list = (doc as { 'insecure-registries'?: unknown })['insecure-registries'];
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string')) {
    throw new MobyDickError('INVALID_CONFIG', `${path}: "insecure-registries" must be a list of HOST[:PORT] strings`, {
      subject: path,
    });
  }
  return list;
}

/** The host of HOST[:PORT], brackets of an IPv6 address removed. */
function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  return domain.replace(/:\d+$/, '');
}

export function isLoopback(domain: string): boolean {
  const h = hostOf(domain).toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Is DOMAIN (host[:port]) allowed plain HTTP? An entry without a port covers every port of its host. */
export function isInsecure(domain: string, insecure: readonly string[]): boolean {
  if (isLoopback(domain)) return true;
  const d = domain.toLowerCase();
  return insecure.some((entry) => {
    const e = entry.toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return e === d || (!/:\d+$/.test(e) && e === hostOf(d));
  });
}
