/**
 * Limits on what the image store writes, against decompression bombs and
 * registries that send without end:
 *
 * - a reserve of free space on the store's filesystem: writing a blob
 *   (download, load, import) or unpacking a layer stops with an error once
 *   the space available (statfs f_bavail) would fall under it. Default: the
 *   smaller of 1 GiB and 5% of the filesystem (a small disk keeps 5%, a large
 *   one 1 GiB; the larger of the two would refuse pulls on a 2 TB disk with
 *   tens of GB free). MOBY_DICK_STORE_RESERVE sets it: bytes with an optional
 *   k/m/g/t suffix (powers of 1024), or a percentage ("10%"), or 0 for none.
 * - a largest layer: MOBY_DICK_MAX_LAYER_SIZE (same units, no percentage),
 *   for both the compressed blob (refused before its download when the
 *   manifest says more) and the unpacked tar. Default none, as in Docker:
 *   the reserve is what stops a bomb.
 *
 * Free space is looked at every CHECK_EVERY bytes written and at the
 * start, so a write may pass the reserve by that much (and what the
 * unpacker's writer threads still hold).
 */
import { statfsSync } from 'node:fs';
import { MobyDickError } from '../../errors.js';

export interface StoreLimits {
  /** the reserve: an absolute number of bytes, or a fraction of the filesystem's size; undefined: the default */
  reserve: { bytes: number } | { fraction: number } | undefined;
  /** the largest layer, compressed or unpacked, in bytes; Infinity: none */
  maxLayerBytes: number;
}

const GiB = 1024 ** 3;
const DEFAULT_RESERVE_BYTES = GiB;
const DEFAULT_RESERVE_FRACTION = 0.05;
/** how many bytes are written between two looks at the free space */
const CHECK_EVERY = 4 << 20;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: GiB, gb: GiB, gib: GiB, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/** "512m", "2g", "1048576": bytes; undefined if it does not parse */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

function badSetting(name: string, value: string, hint: string): MobyDickError {
  return new MobyDickError('INVALID_CONFIG', `${name} must be ${hint}, not ${JSON.stringify(value)}`, { subject: name, hint: `e.g. ${name}=2g` });
}

/** The limits ENV sets (MOBY_DICK_STORE_RESERVE, MOBY_DICK_MAX_LAYER_SIZE). */
export function storeLimits(env: NodeJS.ProcessEnv = process.env): StoreLimits {
  let reserve: StoreLimits['reserve'];
  const r = env.MOBY_DICK_STORE_RESERVE;
  if (r !== undefined && r !== '') {
    const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(r);
    if (pct) {
      const p = Number(pct[1]);
      if (p > 100) throw badSetting('MOBY_DICK_STORE_RESERVE', r, 'a size (512m, 2g) or a percentage of the filesystem up to 100%');
      reserve = { fraction: p / 100 };
    } else {
      const bytes = parseSize(r);
      if (bytes === undefined) throw badSetting('MOBY_DICK_STORE_RESERVE', r, 'a size (512m, 2g) or a percentage of the filesystem (10%)');
      reserve = { bytes };
    }
  }
  let maxLayerBytes = Infinity;
  const l = env.MOBY_DICK_MAX_LAYER_SIZE;
  if (l !== undefined && l !== '') {
    const bytes = parseSize(l);
    if (bytes === undefined || bytes === 0) throw badSetting('MOBY_DICK_MAX_LAYER_SIZE', l, 'a size above 0 (512m, 20g)');
    maxLayerBytes = bytes;
  }
  return { reserve, maxLayerBytes };
}

/** "1.5 GiB", "12 MiB", "900 bytes" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

/** The space the store's filesystem at ROOT has for it, and the reserve it must keep, in bytes. */
export function storeSpace(root: string, limits: StoreLimits): { available: number; reserve: number } {
  const st = statfsSync(root);
  const size = Number(st.blocks) * Number(st.bsize);
  const available = Number(st.bavail) * Number(st.bsize);
  const r = limits.reserve;
  const reserve = r === undefined ? Math.min(DEFAULT_RESERVE_BYTES, Math.floor(size * DEFAULT_RESERVE_FRACTION)) : 'bytes' in r ? r.bytes : Math.floor(size * r.fraction);
  return { available, reserve };
}

/**
 * Watches one write into the store (WHAT names it in errors: "layer
 * sha256:..."): add() each chunk's size before it is written. Throws a
 * MobyDickError (STORE) when the store's filesystem would fall under the
 * reserve, or (with MAX_BYTES) when the write grows past it.
 */
export class SpaceGuard {
  private written = 0;
  private nextCheck = 0;

  constructor(
    private readonly root: string,
    private readonly limits: StoreLimits,
    private readonly what: string,
    private readonly maxBytes = Infinity,
  ) {}

  add(n: number): void {
    this.written += n;
    if (this.written > this.maxBytes) {
      throw new MobyDickError('STORE', `${this.what}: more than ${formatBytes(this.maxBytes)} (MOBY_DICK_MAX_LAYER_SIZE)`, {
        subject: this.what,
        hint: 'raise MOBY_DICK_MAX_LAYER_SIZE if the image is to be trusted',
      });
    }
    if (this.written >= this.nextCheck) this.check();
  }

  /** Throws when the space left, less PENDING bytes about to be written, is under the reserve. */
  check(pending = 0): void {
    this.nextCheck = this.written + CHECK_EVERY;
    const { available, reserve } = storeSpace(this.root, this.limits);
    if (reserve > 0 && available - pending < reserve) {
      const free = `the image store's filesystem (${this.root}) has ${formatBytes(Math.max(0, available))} free, and keeps a reserve of ${formatBytes(reserve)}`;
      const what = this.written > 0 ? `${this.what}: stopped after ${formatBytes(this.written)}` : pending > 0 ? `${this.what}: ${formatBytes(pending)} do not fit` : this.what;
      throw new MobyDickError('STORE', `${what}: ${free}`, {
        subject: this.root,
        hint: 'free some space (moby-dick image prune), or lower MOBY_DICK_STORE_RESERVE (0 turns it off)',
      });
    }
  }
}
