/** `login`/`logout` without the terminal: which registry a server argument names, and checking credentials. */
import { authKey, type Credentials } from './docker-config.js';
import { DEFAULT_DOMAIN } from '../reference.js';
import { RegistryClient, RegistryError } from './registry-client.js';
import { isInsecure } from './registry-config.js';
import { configuredInsecureRegistries } from '../../config/config-file.js';
import { MobyDickError } from '../../errors.js';
import type { HttpClient } from './http.js';

/** "http://127.0.0.1:5000/v2/" -> "127.0.0.1:5000"; Docker Hub's names -> docker.io. */
export function loginDomain(server: string | undefined): string {
  if (server === undefined || server === '') return DEFAULT_DOMAIN;
  const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '').toLowerCase();
  return authKey(host) === authKey(DEFAULT_DOMAIN) ? DEFAULT_DOMAIN : host;
}

export async function checkLogin(
  domain: string,
  creds: Credentials,
  opts: { insecureRegistries?: readonly string[]; env?: NodeJS.ProcessEnv; http?: HttpClient } = {},
): Promise<void> {
  const env = opts.env ?? process.env;
  const insecure = isInsecure(domain, [...(opts.insecureRegistries ?? []), ...configuredInsecureRegistries(env)]);
  const client = new RegistryClient({ domain, insecure, credentials: creds, ...(opts.http ? { http: opts.http } : {}) });
  try {
    await client.checkLogin();
  } catch (e) {
    if (e instanceof RegistryError) {
      throw new MobyDickError('REGISTRY', `login to ${domain}: ${e.status === 401 ? 'unauthorized: incorrect username or password' : e.message}`, {
        subject: domain,
      });
    }
    if (e instanceof MobyDickError) throw new MobyDickError(e.code, `login to ${domain}: ${e.message}`, e.details);
    throw e;
  }
}
