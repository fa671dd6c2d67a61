/**
 * Sizes and durations as the Docker CLI prints them (go-units): 4.26MB in
 * powers of 1000 with three significant digits, "2 weeks ago".
 */
import { tabwrite } from './tabwriter.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(precision))}${UNITS[i]}`;
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units' BytesSize: powers of 1024, four significant digits ("1.523MiB", "7.66GiB"). */
export function bytesSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < BINARY_UNITS.length - 1) {
    size /= 1024;
    i++;
  }
  return `${Number(size.toPrecision(4))}${BINARY_UNITS[i]}`;
}

export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(Math.floor(ms / 3_600_000) / 24 / 365)} years`;
}

/** Go's time.Time String() in UTC: "2023-07-18 23:19:33 +0000 UTC" (with FRACTIONS: "23:19:33.12 +0000 UTC", trailing zeros dropped). */
export function goTimeString(date: Date, fractions = false): string {
  const iso = date.toISOString();
  const frac = fractions ? `.${iso.slice(20, 23)}`.replace(/\.?0+$/, '') : '';
  return `${iso.slice(0, 19).replace('T', ' ')}${frac} +0000 UTC`;
}

/** Columns as Docker's CLI prints its tables (Go's tabwriter: at least 10 wide, 3 spaces after the widest cell). */
export function table(rows: readonly (readonly string[])[]): string {
  return tabwrite(rows.map((r) => `${r.join('\t')}\n`).join(''));
}
