/**
 * Credentials in Docker's client config, ~/.docker/config.json (or
 * $DOCKER_CONFIG/config.json): `auths` maps a registry to base64
 * "user:password". Docker Hub's key is "https://index.docker.io/v1/".
 * A credential helper named for the registry by `credHelpers`, or for all
 * by `credsStore`, keeps them instead (credential-helper.ts), as in Docker:
 * `auths` then holds an empty entry for the registry. Other fields of the
 * file (proxies, ...) are kept as they are when moby-dick writes it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { MobyDickError } from '../../errors.js';
import { type Credentials, helperErase, helperGet, helperStore } from './credential-helper.js';
import { DEFAULT_DOMAIN } from '../reference.js';

export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export type { Credentials } from './credential-helper.js';

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: unknown;
  credHelpers?: unknown;
  [key: string]: unknown;
}

/** the credential helper that keeps KEY's credentials: credHelpers (by key or host) before credsStore */
function helperFor(config: ConfigFile, key: string): string | undefined {
  const valid = (v: unknown): string | undefined => (typeof v === 'string' && /^[\w.-]+$/.test(v) ? v : undefined);
  if (typeof config.credHelpers === 'object' && config.credHelpers !== null) {
    for (const [k, v] of Object.entries(config.credHelpers as Record<string, unknown>)) {
      if ((k === key || keyHost(k) === keyHost(key)) && valid(v)) return valid(v);
    }
  }
  return valid(config.credsStore);
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

/** The key under `auths` for a registry domain, as docker login writes it. */
export function authKey(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === 'index.docker.io' || domain === 'registry-1.docker.io'
    ? DOCKER_HUB_AUTH_KEY
    : domain;
}

/** "https://host:5000/v2/" -> "host:5000", as Docker matches keys written by old clients. */
function keyHost(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

function readConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new MobyDickError('STORE', `cannot read ${path}: ${(e as Error).message}`, { subject: path });
  }
  try {
    const doc: unknown = JSON.parse(text);
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not an object');
    return doc as ConfigFile;
  } catch (e) {
    throw new MobyDickError('STORE', `${path} is not valid JSON: ${(e as Error).message}`, {
      subject: path,
      hint: 'fix or remove the file',
    });
  }
}

/** Decodes an entry; undefined when it holds nothing usable. */
export function decodeAuth(entry: AuthEntry): Credentials | undefined {
  if (entry.identitytoken) {
    const user = entry.auth ? Buffer.from(entry.auth, 'base64').toString('utf8').split(':')[0]! : (entry.username ?? '');
    return { username: user, password: '', identityToken: entry.identitytoken };
  }
  if (entry.auth) {
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

/** The credentials stored for a registry domain, if any. */
export function credentialsFor(domain: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const config = readConfig(dockerConfigPath(env));
  const key = authKey(domain);
  const helper = helperFor(config, key);
  if (helper) return helperGet(helper, key, env);
  const auths = config.auths ?? {};
  const exact = auths[key];
  if (exact) return decodeAuth(exact);
  for (const [k, entry] of Object.entries(auths)) {
    if (keyHost(k) === keyHost(key)) return decodeAuth(entry);
  }
  return undefined;
}

/** Writes the file through a temp file and rename, mode 0600 (it holds passwords). */
function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export function storeCredentials(domain: string, creds: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = dockerConfigPath(env);
  const config = readConfig(path);
  const auths = { ...(config.auths ?? {}) };
  const key = authKey(domain);
  const helper = helperFor(config, key);
  if (helper) helperStore(helper, key, creds, env);
  auths[key] = helper ? {} : { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  writeConfig(path, { ...config, auths });
  return path;
}

/** Removes a registry's credentials; false when there were none. */
export function removeCredentials(domain: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = dockerConfigPath(env);
  const config = readConfig(path);
  const auths = { ...(config.auths ?? {}) };
  const key = authKey(domain);
  const helper = helperFor(config, key);
  const erased = helper ? helperErase(helper, key, env) : false;
  const keys = Object.keys(auths).filter((k) => k === key || keyHost(k) === keyHost(key));
  if (keys.length === 0) return erased;
  for (const k of keys) delete auths[k];
  writeConfig(path, { ...config, auths });
  return true;
}
