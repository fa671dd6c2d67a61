/**
 * The tarball of an import given as a URL (`docker import URL`, POST
 * /images/create?fromSrc=URL): fetched over http or https (redirects
 * followed, the registry client's HTTP: registry/http.ts) and streamed
 * into the import. As dockerd, a source without a scheme is an http URL;
 * a status that is not 2xx is an error naming the URL and the status.
 */
import type { Readable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { request } from './registry/http.js';

/** Whether SOURCE names a URL to fetch (the docker CLI sends http:// and https:// sources to the engine). */
export function isImportUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** SOURCE as the URL to fetch: http:// added when it has no scheme, other schemes refused. */
export function importUrl(source: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? source : `http://${source}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new MobyDickError('USAGE', `invalid import source: ${source} is not a URL`, { subject: source, hint: 'give an http:// or https:// URL, or a file' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MobyDickError('USAGE', `cannot import from ${source}: only http and https URLs are fetched`, { subject: source });
  }
  return url;
}

export interface FetchedTarball {
  body: Readable;
  /** Content-Length, when the server said it */
  size?: number;
}

/** GETs URL's body as a stream; ABORT stops it. A failed connection or a non-2xx status is a MobyDickError. */
export async function fetchImportTarball(url: URL, signal?: AbortSignal): Promise<FetchedTarball> {
  let res;
  try {
    res = await request(url.toString(), { method: 'GET', ...(signal ? { signal } : {}) });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MobyDickError('USAGE', `error downloading from ${url}: ${(e as Error).message}`, {
      subject: url.toString(),
      ...(code ? { errnoName: code } : {}),
      hint: 'check the URL, and that its server answers from this host',
    });
  }
  if (res.status < 200 || res.status > 299) {
    const text = (await res.text().catch(() => '')).trim().slice(0, 200);
    throw new MobyDickError('USAGE', `failed to GET ${url} with status ${res.status} ${res.statusText}${text ? `: ${text}` : ''}`, { subject: url.toString() });
  }
  const length = Number(res.header('content-length'));
  return { body: res.body, ...(Number.isSafeInteger(length) && length >= 0 ? { size: length } : {}) };
}
