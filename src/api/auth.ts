/**
 * Registry logins on the API: POST /auth checks credentials against the
 * registry as `moby-dick login` does (and, like dockerd, keeps nothing: the
 * client stores them), and X-Registry-Auth, the base64url JSON login a
 * client sends with pull and push, turned into the registry client's
 * credentials.
 */
import type { Engine } from '../engine/engine.js';
import { MobyDickError } from '../errors.js';
import type { Credentials } from '../images/registry/docker-config.js';
import { checkLogin, loginDomain } from '../images/registry/login.js';
import { ApiError } from './errors.js';
import type { RequestContext } from './reply.js';
import type { Route } from './router.js';
import type { AuthConfig, AuthResponse } from './types-images.js';

function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ApiError(400, `invalid ${key}: expected a string`);
  return v;
}

/** An AuthConfig of a body or a header, checked field by field. */
export function authConfigOf(value: unknown): AuthConfig {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, 'invalid auth config: expected a JSON object');
  const o = value as Record<string, unknown>;
  const out: AuthConfig = {};
  for (const key of ['username', 'password', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const v = str(o, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** The credentials an AuthConfig gives: a user and password, or an identity token; undefined when it has neither. */
export function credentialsOf(a: AuthConfig): Credentials | undefined {
  if (a.identitytoken) return { username: a.username ?? '', password: '', identityToken: a.identitytoken };
  if (a.username || a.password) return { username: a.username ?? '', password: a.password ?? '' };
  return undefined;
}

/**
 * The login of X-Registry-Auth (base64url of an AuthConfig; standard base64
 * is read too), undefined without one: the stored credentials are used then.
 */
export function registryAuth(header: string | string[] | undefined): Credentials | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid X-Registry-Auth header: expected base64url-encoded JSON');
  }
  return credentialsOf(authConfigOf(parsed));
}

/**
 * The logins of X-Registry-Config (what `docker build` and docker-py's
 * build send: base64url of a JSON map from registry address to AuthConfig),
 * by registry domain. A header that does not decode gives none, as dockerd
 * ignores it; the stored credentials are used then.
 */
export function registryConfigs(header: string | string[] | undefined): Map<string, Credentials> {
  const out = new Map<string, Credentials>();
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8'));
  } catch {
    return out;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return out;
  for (const [address, config] of Object.entries(parsed as Record<string, unknown>)) {
    let creds: Credentials | undefined;
    try {
      creds = credentialsOf(authConfigOf(config));
    } catch {
      continue;
    }
    if (creds) out.set(loginDomain(address), creds);
  }
  return out;
}

async function postAuth(ctx: RequestContext): Promise<void> {
  const a = authConfigOf(await ctx.json());
  const creds = credentialsOf(a);
  if (!creds || (!creds.identityToken && (creds.username === '' || creds.password === ''))) throw new ApiError(400, 'a username and a password (or an identity token) are required');
  const domain = loginDomain(a.serveraddress);
  try {
    await checkLogin(domain, creds);
  } catch (e) {
    if (e instanceof MobyDickError && /unauthorized/i.test(e.message)) throw new ApiError(401, e.message);
    throw e;
  }
  const body: AuthResponse = { Status: 'Login Succeeded', IdentityToken: '' };
  ctx.reply.json(200, body);
}

export function authRoutes(_engine: Engine): Route[] {
  return [{ method: 'POST', path: '/auth', handler: postAuth }];
}
