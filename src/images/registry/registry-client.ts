/**
 * A client of one registry over the distribution API v2 (HTTP from http.ts):
 * the /v2/ ping and its WWW-Authenticate challenge, bearer tokens fetched
 * from the realm for a scope and cached until they expire, basic auth,
 * manifests, blobs (streamed), and the upload of blobs (monolithic: POST
 * then one PUT) and manifests.
 */
import type { Readable } from 'node:stream';
import { MobyDickError } from '../../errors.js';
import { type Challenge, parseChallenges } from './auth-challenge.js';
import type { Credentials } from './docker-config.js';
import { MANIFEST_ACCEPT } from '../manifest.js';
import { registryHost } from '../reference.js';
import { sha256 } from '../digest.js';
import { type HttpClient, type HttpRequest, type HttpResponse, request as defaultRequest } from './http.js';

export interface RegistryClientOptions {
  /** the reference's domain: docker.io, localhost:5000 */
  domain: string;
  /** plain HTTP instead of HTTPS */
  insecure: boolean;
  credentials?: Credentials;
  /** for tests: another HTTP client */
  http?: HttpClient;
}

export interface FetchedManifest {
  bytes: Buffer;
  /** the sha256 of BYTES */
  digest: string;
  /** Content-Type as served */
  contentType: string | undefined;
}

interface CachedToken {
  token: string;
  expires: number;
}

/** A registry's answer that is not what was asked for. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** the registry's error code: MANIFEST_UNKNOWN, UNAUTHORIZED, ... */
    readonly registryCode?: string,
    /** the registry's own words, without what was asked: "manifest unknown: manifest unknown" */
    readonly detail: string = message,
  ) {
    super(message);
  }
}

/** "connect ECONNREFUSED 127.0.0.1:5000" (an error may carry it as its cause). */
export function networkErrorMessage(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string; code?: string } };
  if (err.cause?.message) return err.cause.message;
  return err.message ?? String(e);
}

const ok = (res: HttpResponse): boolean => res.status >= 200 && res.status < 300;

const USER_AGENT = 'moby-dick';

export class RegistryClient {
  readonly domain: string;
  readonly base: string;
  private readonly creds: Credentials | undefined;
  private readonly http: HttpClient;
  private readonly tokens = new Map<string, CachedToken>();
  private challenge: Challenge | undefined;
  private pinged = false;

  constructor(opts: RegistryClientOptions) {
    this.domain = opts.domain;
    this.base = `${opts.insecure ? 'http' : 'https'}://${registryHost(opts.domain)}`;
    this.creds = opts.credentials;
    this.http = opts.http ?? defaultRequest;
  }

  private async send(url: string, init: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.http(url, { ...init, headers: { 'User-Agent': USER_AGENT, ...init.headers } });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new MobyDickError('REGISTRY', `cannot reach registry ${this.domain}: ${networkErrorMessage(e)}`, {
        subject: this.domain,
        hint: 'is the registry running and its address right? Plain HTTP needs --insecure-registry',
      });
    }
  }

  /** GET /v2/: learns how the registry wants to be authenticated. */
  async ping(): Promise<void> {
    if (this.pinged) return;
    const res = await this.send(`${this.base}/v2/`, { method: 'GET' });
    res.discard();
    if (res.status === 401) {
      const header = res.header('www-authenticate');
      this.challenge = header ? parseChallenges(header)[0] : undefined;
    } else if (!ok(res)) {
      throw new MobyDickError('REGISTRY', `registry ${this.domain} answered ${res.status} ${res.statusText} to /v2/: it does not look like a registry (distribution API v2)`, {
        subject: this.domain,
      });
    }
    this.pinged = true;
  }

  private basicHeader(): string | undefined {
    return this.creds && !this.creds.identityToken ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}` : undefined;
  }

  /** A bearer token for SCOPE from the challenge's realm, cached until it expires. */
  private async token(challenge: Challenge, scope: string): Promise<string> {
    const cached = this.tokens.get(scope);
    if (cached && cached.expires > Date.now()) return cached.token;
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`registry ${this.domain} asked for a bearer token without naming a realm`, 401);
    const url = new URL(realm);
    const res = this.creds?.identityToken ? await this.refreshToken(url, challenge, scope, this.creds.identityToken) : await this.getToken(url, challenge, scope);
    const text = await res.text();
    if (!ok(res)) {
      throw new RegistryError(
        res.status === 401 ? `unauthorized: the token server ${url.host} refused ${this.creds?.identityToken ? 'the stored identity token' : this.creds ? 'the stored credentials' : 'an anonymous token'}` : `the token server ${url.host} answered ${res.status}`,
        res.status === 401 ? 401 : res.status,
        'UNAUTHORIZED',
      );
    }
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RegistryError(`the token server ${url.host} sent something that is not JSON`, res.status);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`the token server ${url.host} sent no token`, res.status);
    // a minute earlier than it says, as the Docker client does; 60 s when it does not say
    const lifetime = Math.max((body.expires_in ?? 60) - 60, 10) * 1000;
    this.tokens.set(scope, { token, expires: Date.now() + lifetime });
    return token;
  }

  /** the distribution token API: GET with the service, scope and account, basic auth when there are credentials */
  private getToken(url: URL, challenge: Challenge, scope: string): Promise<HttpResponse> {
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    // several scopes (a push that mounts from another repository) are several parameters
    for (const one of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', one);
    if (this.creds) url.searchParams.set('account', this.creds.username);
    const basic = this.basicHeader();
    return this.send(url.toString(), { method: 'GET', headers: basic ? { Authorization: basic } : {} });
  }

  /** OAuth2 with an identity token, as Docker does: a POST of grant_type=refresh_token to the realm */
  private refreshToken(url: URL, challenge: Challenge, scope: string, refresh: string): Promise<HttpResponse> {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, client_id: 'moby-dick' });
    if (challenge.params.service) form.set('service', challenge.params.service);
    if (scope) form.set('scope', scope);
    return this.send(url.toString(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
    });
  }

  private async authHeader(scope: string): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'bearer') return `Bearer ${await this.token(c, scope)}`;
    if (c.scheme === 'basic') return this.basicHeader();
    return undefined;
  }

  /**
   * A request with authentication for SCOPE. A 401 with a new challenge
   * (an expired token, a registry that asks late) is retried once.
   */
  async request(method: string, pathOrUrl: string, scope: string, init: Omit<HttpRequest, 'method'> = {}): Promise<HttpResponse> {
    await this.ping();
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const attempt = async (): Promise<HttpResponse> => {
      const auth = await this.authHeader(scope);
      const headers: Record<string, string> = { ...init.headers };
      if (auth) headers.Authorization = auth;
      return this.send(url, { ...init, method, headers });
    };
    let res = await attempt();
    if (res.status === 401) {
      const header = res.header('www-authenticate');
      const fresh = header ? parseChallenges(header)[0] : undefined;
      if (fresh) {
        res.discard();
        this.challenge = fresh;
        this.tokens.delete(scope);
        res = await attempt();
      }
    }
    return res;
  }

  /**
   * Checks the credentials as `docker login` does: a token without a scope
   * from a bearer realm, or GET /v2/ with basic auth. A registry that asks
   * for no authentication accepts anyone.
   */
  async checkLogin(): Promise<void> {
    await this.ping();
    const c = this.challenge;
    if (!c) return;
    if (c.scheme === 'bearer') {
      await this.token(c, '');
      return;
    }
    const basic = this.basicHeader();
    const res = await this.send(`${this.base}/v2/`, { method: 'GET', headers: basic ? { Authorization: basic } : {} });
    if (!ok(res)) throw await RegistryClient.failure(res, 'login');
    res.discard();
  }

  /** Throws a RegistryError with the registry's own words for a failed answer. */
  static async failure(res: HttpResponse, what: string): Promise<RegistryError> {
    let code: string | undefined;
    let message = `${res.status} ${res.statusText}`.trim();
    try {
      const text = await res.text();
      const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      const first = doc.errors?.[0];
      if (first) {
        code = first.code;
        message = [first.code?.toLowerCase().replaceAll('_', ' '), first.message].filter(Boolean).join(': ');
      }
    } catch {
      /* not the registry's JSON: keep the status */
    }
    if (res.status === 401 && code === undefined) code = 'UNAUTHORIZED';
    if (res.status === 404 && code === undefined) code = 'NOT_FOUND';
    return new RegistryError(`${what}: ${message}`, res.status, code, message);
  }

  static pullScope(repository: string): string {
    return `repository:${repository}:pull`;
  }

  static pushScope(repository: string): string {
    return `repository:${repository}:pull,push`;
  }

  /** GET a manifest by tag or digest. */
  async getManifest(repository: string, reference: string, maxBytes = 4 << 20): Promise<FetchedManifest> {
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, RegistryClient.pullScope(repository), {
      headers: { Accept: MANIFEST_ACCEPT },
    });
    if (!ok(res)) throw await RegistryClient.failure(res, `manifest ${reference}`);
    const declared = Number(res.header('content-length') ?? '0');
    if (declared > maxBytes) {
      res.body.destroy();
      throw new RegistryError(`manifest ${reference} is ${declared} bytes, more than the ${maxBytes} a manifest may have`, res.status);
    }
    // read up to the limit, not the whole of an endless body
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res.body) {
      n += (c as Buffer).length;
      if (n > maxBytes) {
        res.body.destroy();
        throw new RegistryError(`manifest ${reference} is more than ${maxBytes} bytes`, res.status);
      }
      chunks.push(c as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    return { bytes, digest: sha256(bytes), contentType: res.header('content-type') };
  }

  /**
   * GET a blob: its body as a Node stream, from byte FROM when the registry
   * honours a Range (OFFSET says where the body starts). The caller verifies
   * the digest.
   */
  async getBlob(
    repository: string,
    digest: string,
    signal?: AbortSignal,
    from = 0,
  ): Promise<{ stream: Readable; size: number | undefined; offset: number }> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const scope = RegistryClient.pullScope(repository);
    let res = await this.request('GET', path, scope, { ...(signal ? { signal } : {}), ...(from > 0 ? { headers: { Range: `bytes=${from}-` } } : {}) });
    let offset = 0;
    if (res.status === 206) {
      const start = /^bytes (\d+)-/.exec(res.header('content-range') ?? '');
      if (start && Number(start[1]) === from) offset = from;
      else {
        // a range it did not ask for: start over
        res.discard();
        res = await this.request('GET', path, scope, signal ? { signal } : {});
      }
    } else if (res.status === 416) {
      res.discard();
      res = await this.request('GET', path, scope, signal ? { signal } : {});
    }
    if (!ok(res)) throw await RegistryClient.failure(res, `blob ${digest}`);
    const length = res.header('content-length');
    return { stream: res.body, size: length === undefined ? undefined : Number(length), offset };
  }

  /** Does the repository have the blob? (HEAD) */
  async hasBlob(repository: string, digest: string, scope = RegistryClient.pushScope(repository)): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, scope);
    res.discard();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await RegistryClient.failure(res, `blob ${digest}`);
  }

  /**
   * Uploads a blob in one piece: POST for an upload URL, then PUT ?digest=.
   * With MOUNT_FROM (another repository of the registry that has it), the
   * POST asks the registry to mount it from there instead (201), as Docker
   * does; a registry that cannot answers with an upload URL as usual.
   */
  async uploadBlob(repository: string, digest: string, size: number, body: () => Readable, mountFrom?: string): Promise<'mounted' | 'uploaded'> {
    const scope = RegistryClient.pushScope(repository) + (mountFrom ? ` repository:${mountFrom}:pull` : '');
    const query = mountFrom ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/${query}`, scope, { headers: { 'Content-Length': '0' } });
    if (mountFrom && start.status === 201) {
      start.discard();
      return 'mounted';
    }
    if (start.status !== 202) throw await RegistryClient.failure(start, `upload of blob ${digest}`);
    start.discard();
    const location = start.header('location');
    if (!location) throw new RegistryError(`upload of blob ${digest}: the registry gave no upload location`, start.status);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const put = await this.request('PUT', url.toString(), scope, {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body,
    });
    if (put.status !== 201) throw await RegistryClient.failure(put, `upload of blob ${digest}`);
    put.discard();
    return 'uploaded';
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, RegistryClient.pushScope(repository), {
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    if (res.status !== 201 && res.status !== 200) throw await RegistryClient.failure(res, `manifest ${reference}`);
    res.discard();
    return res.header('docker-content-digest') ?? sha256(bytes);
  }
}
