/**
 * moby-dick's settings file: /etc/moby-dick/config.json, or the file
 * $MOBY_DICK_CONFIG names. Its keys are those of Docker's daemon.json that
 * moby-dick knows: "insecure-registries" (images/registry/registry-config.ts) and
 * "bip" (network/net-config.ts). This module is the only one that reads it;
 * it is read when a setting is needed, never at a module's top level (the
 * startup snapshots evaluate every module when they are built).
 */
import { readFileSync } from 'node:fs';
import { MobyDickError } from '../errors.js';

export const DEFAULT_CONFIG_PATH = '/etc/moby-dick/config.json';

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOBY_DICK_CONFIG || DEFAULT_CONFIG_PATH;
}

/** The file's path and its parsed JSON; undefined when there is no file. */
function readConfigFile(env: NodeJS.ProcessEnv): { path: string; doc: unknown } | undefined {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MobyDickError('INVALID_CONFIG', `cannot read ${path}: ${(e as Error).message}`, { subject: path });
  }
  try {
    return { path, doc: JSON.parse(text) };
  } catch (e) {
    throw new MobyDickError('INVALID_CONFIG', `${path} is not valid JSON: ${(e as Error).message}`, { subject: path });
  }
}

/** "insecure-registries" of the config file; [] when there is no file. A broken file is an error. */
export function configuredInsecureRegistries(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = readConfigFile(env);
  if (file === undefined) return [];
  const list = (file.doc as { 'insecure-registries'?: unknown })['insecure-registries'];
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string')) {
    throw new MobyDickError('INVALID_CONFIG', `${file.path}: "insecure-registries" must be a list of HOST[:PORT] strings`, {
      subject: file.path,
    });
  }
  return list;
}

/**
 * "bip" of the config file (GATEWAY/LEN of the default bridge), if it is a
 * string. No file, or a broken one, is no bip: configuredInsecureRegistries
 * reports a broken file.
 */
export function configuredBip(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    const doc = readConfigFile(env)?.doc as { bip?: unknown } | undefined;
    return typeof doc?.bip === 'string' ? doc.bip : undefined;
  } catch {
    return undefined;
  }
}
