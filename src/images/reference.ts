/**
 * Image references as Docker reads them (the grammar of the distribution
 * project's reference package, and its normalisation for Docker Hub):
 *
 *   busybox                      -> docker.io/library/busybox:latest
 *   index.docker.io/foo/bar      -> docker.io/foo/bar:latest
 *   localhost:5000/x:1           -> localhost:5000/x:1
 *   busybox@sha256:<64 hex>      -> docker.io/library/busybox@sha256:...
 *   busybox:1.36@sha256:<hex>    -> both kept; the digest is what is pulled
 *
 * Written here rather than taken from npm: the packages there either skip
 * Docker Hub's normalisation or accept names Docker refuses. Pure, no I/O.
 */
import { MobyDickError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

// the grammar, piece by piece as the distribution project writes it
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const ANCHORED_TAG_RE = new RegExp(`^${tagPat}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const SHORT_IDENTIFIER_RE = /^[a-f0-9]{6,64}$/;

/** A fully qualified reference: a domain, a path, and a tag or a digest or both. */
export interface Reference {
  /** docker.io, localhost:5000, ... */
  readonly domain: string;
  /** library/busybox, x/y/z */
  readonly path: string;
  readonly tag?: string;
  /** sha256:<hex> */
  readonly digest?: string;
}

const invalid = (input: string, why?: string): MobyDickError =>
  new MobyDickError('IMAGE', why ? `invalid reference format: ${why}` : 'invalid reference format', {
    subject: input,
    hint: `"${input}" is not a valid image reference; use NAME[:TAG][@DIGEST], e.g. busybox:latest`,
  });

/** sha256:<64 lowercase hex>; the only algorithm that registries use today. */
export function validateDigest(digest: string, input = digest): string {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (colon <= 0) throw invalid(input, 'invalid digest format');
  if (algorithm === 'sha256') {
    if (!/^[a-f0-9]+$/.test(hex)) throw invalid(input, 'invalid checksum digest format');
    if (hex.length !== 64) throw invalid(input, 'invalid checksum digest length');
    return digest;
  }
  if (algorithm === 'sha384' || algorithm === 'sha512') {
    throw invalid(input, `unsupported digest algorithm ${algorithm}: moby-dick verifies sha256 digests only`);
  }
  throw invalid(input, 'unsupported digest algorithm');
}

/** Splits NAME into Docker's domain and path, as Docker's splitDockerDomain does. */
function splitDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = name.slice(0, slash);
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * Parses what a user typed into a fully qualified reference, as Docker's
 * ParseNormalizedNamed. No tag is added: see withDefaultTag.
 */
export function parseNormalizedReference(input: string): Reference {
  if (IDENTIFIER_RE.test(input)) {
    throw new MobyDickError(
      'IMAGE',
      `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`,
      { subject: input, hint: 'an image ID is not a repository name' },
    );
  }
  // the domain and the rest are split before the rest is checked, so an
  // upper-case host is fine and an upper-case repository is named
  const { domain, remainder } = splitDomain(input);
  const colon = remainder.indexOf(':');
  const remoteName = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remoteName.toLowerCase() !== remoteName) {
    throw invalid(input, `repository name (${remoteName}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`, input);
}

/** Parses a fully qualified reference (no normalisation), as Docker's reference.Parse. */
export function parseReference(s: string, input = s): Reference {
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (s === '') throw invalid(input, 'repository name must have at least one component');
    if (REFERENCE_RE.test(s.toLowerCase())) throw invalid(input, 'repository name must be lowercase');
    throw invalid(input);
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(input, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const nm = ANCHORED_NAME_RE.exec(name)!;
  const domain = nm[1];
  if (domain === undefined) throw invalid(input, 'repository name must be canonical');
  const digest = m[3] === undefined ? undefined : validateDigest(m[3], input);
  return { domain, path: nm[2]!, ...(m[2] === undefined ? {} : { tag: m[2] }), ...(digest ? { digest } : {}) };
}

/** Adds :latest when there is neither a tag nor a digest (Docker's TagNameOnly). */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** docker.io/library/busybox */
export function repositoryName(ref: Pick<Reference, 'domain' | 'path'>): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full string: docker.io/library/busybox:latest, x/y@sha256:... */
export function referenceString(ref: Reference): string {
  return `${repositoryName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** The repository as Docker shows it: busybox, foo/bar, localhost:5000/x. */
export function familiarName(ref: Pick<Reference, 'domain' | 'path'>): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  return ref.path.startsWith(OFFICIAL_REPO_PREFIX) && ref.path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1
    ? ref.path.slice(OFFICIAL_REPO_PREFIX.length)
    : ref.path;
}

/** The whole reference as Docker shows it: busybox:latest. */
export function familiarString(ref: Reference): string {
  return `${familiarName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** A tag on its own, as `docker tag` checks it. */
export function validateTag(tag: string): string {
  if (!ANCHORED_TAG_RE.test(tag)) throw invalid(tag, 'invalid tag format');
  return tag;
}

/**
 * Could INPUT be an image ID or a prefix of one (sha256:abc..., abc123)?
 * Docker looks references up as IDs first when they look like hex.
 */
export function looksLikeImageId(input: string): boolean {
  const hex = input.startsWith('sha256:') ? input.slice(7) : input;
  return SHORT_IDENTIFIER_RE.test(hex);
}

/** The host that serves a domain's registry API: Docker Hub's is registry-1.docker.io. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}
