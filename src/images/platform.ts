/**
 * Platforms (os/arch[/variant]) and picking one manifest out of an index, as
 * containerd's platform matcher does: os and architecture must be equal,
 * the variant too when both have one, with arm64's missing variant meaning
 * v8 and arm's meaning v7.
 */
import { MobyDickError } from '../errors.js';
import type { Descriptor, ImageIndex, Platform } from './manifest.js';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** Node's process.arch in GOARCH words. */
const GOARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips: 'mips',
  mipsel: 'mipsle',
  loong64: 'loong64',
};

/** The platform of this machine: linux/amd64 here. */
export function hostPlatform(): PlatformSpec {
  const architecture = GOARCH[process.arch] ?? process.arch;
  return { os: 'linux', architecture, ...(architecture === 'arm64' ? { variant: 'v8' } : {}) };
}

/** Fills in the variants that are implied. */
export function normalizePlatform(p: PlatformSpec): PlatformSpec {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'armhf') {
    architecture = 'arm';
    variant = 'v7';
  }
  if (architecture === 'armel') {
    architecture = 'arm';
    variant = 'v6';
  }
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'arm' && /^[5-8]$/.test(variant ?? '')) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return { os, architecture, ...(variant === undefined ? {} : { variant }) };
}

/** Parses `--platform os/arch[/variant]` (or just `arch`, taken as linux/arch). */
export function parsePlatform(s: string): PlatformSpec {
  const parts = s.split('/');
  const bad = (): MobyDickError =>
    new MobyDickError('USAGE', `invalid platform "${s}"`, { subject: s, hint: 'use os/arch[/variant], e.g. linux/amd64' });
  if (parts.some((p) => p === '' || !/^[A-Za-z0-9_.-]+$/.test(p)) || parts.length > 3) throw bad();
  if (parts.length === 1) return normalizePlatform({ os: 'linux', architecture: parts[0]! });
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform({ os, architecture, ...(variant === undefined ? {} : { variant }) });
}

export function formatPlatform(p: PlatformSpec): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Does an entry's platform satisfy the wanted one? */
export function platformMatches(wanted: PlatformSpec, have: Platform | PlatformSpec): boolean {
  const w = normalizePlatform(wanted);
  const h = normalizePlatform({ os: have.os, architecture: have.architecture, ...(have.variant ? { variant: have.variant } : {}) });
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  return w.variant === undefined || h.variant === undefined || w.variant === h.variant;
}

/**
 * The manifest of an index for PLATFORM, or undefined. Attestation
 * manifests (BuildKit's unknown/unknown) never match; of several matches,
 * an exact variant match wins, then the first in the index.
 */
export function selectManifest(index: ImageIndex, platform: PlatformSpec): Descriptor | undefined {
  const wanted = normalizePlatform(platform);
  const candidates = index.manifests.filter(
    (m) => m.platform !== undefined && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' && platformMatches(wanted, m.platform),
  );
  const exact = candidates.find((m) => normalizePlatform(m.platform!).variant === wanted.variant);
  return exact ?? candidates[0];
}

/** The platforms an index offers, for an error message. */
export function availablePlatforms(index: ImageIndex): string[] {
  return index.manifests
    .filter((m) => m.platform !== undefined && m.platform.os !== 'unknown')
    .map((m) => formatPlatform(normalizePlatform(m.platform!)));
}
