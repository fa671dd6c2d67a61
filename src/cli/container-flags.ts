/**
 * The values of Docker's container flags, parsed as Docker parses them:
 * sizes (`--memory 512m`), `--cpus 1.5`, `-v SRC:DST[:OPTS]`, `--mount`,
 * `--tmpfs`, `--ulimit`, `--security-opt`, `--restart`, `--log-opt`,
 * `--label`, `--health-*`, `--pull`. Pure; every error is Docker's wording and exit 125.
 */
import { constants } from 'node:os';
import { isAbsolute, posix } from 'node:path';
import type { PullPolicy } from '../engine/create-request.js';
import type { HealthConfig } from '../engine/health.js';
import { MobyDickError } from '../errors.js';
import { DurationError, parseGoDuration } from '../util/go-duration.js';

function bad(message: string, hint?: string): MobyDickError {
  return new MobyDickError('USAGE', message, hint ? { hint } : {});
}

/** A flag's value that does not parse as its type: Docker's flag error (exit 125 for every command). */
function badValue(message: string, hint?: string): MobyDickError {
  return new MobyDickError('FLAG', message, hint ? { hint } : {});
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** "512m", "1g", "1024", "1.5GB" -> bytes (binary units, as Docker's RAMInBytes). */
export function parseBytes(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtpb]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw badValue(`invalid argument "${text}" for "${flag}" flag: invalid size: '${text}'`, 'give a number with an optional unit: b, k, m, g');
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

/** --memory-swap: bytes, or -1 for unlimited. */
export function parseSwap(text: string): number {
  return text.trim() === '-1' ? -1 : parseBytes(text, '--memory-swap');
}

/** --cpus 1.5 -> 1.5e9 nano CPUs. */
export function parseCpus(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || text.trim() === '') throw badValue(`invalid argument "${text}" for "--cpus" flag: failed to parse ${text} as a rational number`);
  return Math.round(n * 1e9);
}

export function parseInteger(text: string, flag: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw badValue(`invalid argument "${text}" for "${flag}" flag: strconv.ParseInt: parsing "${text}": invalid syntax`);
  return Number(text);
}

export interface VolumeSpec {
  /** a host path (bind) or a volume name */
  kind: 'bind' | 'volume';
  source: string;
  destination: string;
  readOnly: boolean;
  propagation?: string;
}

const PROPAGATIONS = ['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate'];

function checkDestination(dst: string, what: string): string {
  if (!isAbsolute(dst)) throw bad(`invalid ${what}: destination "${dst}" must be an absolute path`);
  const clean = posix.resolve(dst);
  if (clean === '/') throw bad(`invalid ${what}: destination can't be '/'`);
  return clean;
}

/** -v SRC:DST[:ro|rw|z|Z|propagation,...] (a SRC without "/" names a volume); -v DST alone is an anonymous volume. */
export function parseVolume(spec: string): VolumeSpec {
  const parts = spec.split(':');
  if (parts.length === 1) return { kind: 'volume', source: '', destination: checkDestination(parts[0]!, 'volume specification'), readOnly: false };
  if (parts.length > 3 || parts.some((p) => p === '')) throw bad(`invalid volume specification: '${spec}'`);
  const [source, dst, opts = ''] = parts as [string, string, string?];
  let readOnly = false;
  let propagation: string | undefined;
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro') readOnly = true;
    else if (o === 'rw') readOnly = false;
    else if (PROPAGATIONS.includes(o)) propagation = o;
    else if (o === 'z' || o === 'Z' || o === 'nocopy') continue; // SELinux labels and copy-up: nothing to do here
    else throw bad(`invalid mode: ${o}`, `in volume specification '${spec}'`);
  }
  const kind = source.startsWith('/') || source.startsWith('.') ? 'bind' : 'volume';
  if (kind === 'volume' && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) {
    throw bad(`"${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { kind, source, destination: checkDestination(dst, 'volume specification'), readOnly, ...(propagation ? { propagation } : {}) };
}

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string;
  destination: string;
  readOnly: boolean;
  propagation?: string;
  /** tmpfs: size in bytes and mode */
  tmpfsSize?: number;
  tmpfsMode?: number;
}

/** --mount type=bind|volume|tmpfs,source=...,target=...[,readonly][,bind-propagation=...][,tmpfs-size=...][,tmpfs-mode=...] */
export function parseMount(spec: string): MountSpec {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    fields.set(key, eq < 0 ? 'true' : part.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw bad(`invalid argument "${spec}" for "--mount" flag: unexpected type '${type}'`);
  const target = fields.get('target') ?? fields.get('destination') ?? fields.get('dst');
  if (!target) throw bad(`invalid argument "${spec}" for "--mount" flag: target is required`);
  const source = fields.get('source') ?? fields.get('src') ?? '';
  if (type === 'bind' && !source) throw bad(`invalid argument "${spec}" for "--mount" flag: source is required when specifying a bind mount`);
  if (type === 'tmpfs' && source) throw bad(`invalid argument "${spec}" for "--mount" flag: source must not be specified for a tmpfs mount`);
  const ro = fields.get('readonly') ?? fields.get('ro');
  const m: MountSpec = { type, source, destination: checkDestination(target, 'mount config'), readOnly: ro === 'true' || ro === '1' };
  const prop = fields.get('bind-propagation');
  if (prop !== undefined) {
    if (!PROPAGATIONS.includes(prop)) throw bad(`invalid argument "${spec}" for "--mount" flag: invalid propagation mode: ${prop}`);
    m.propagation = prop;
  }
  const size = fields.get('tmpfs-size');
  if (size !== undefined) m.tmpfsSize = parseBytes(size, '--mount');
  const mode = fields.get('tmpfs-mode');
  if (mode !== undefined) m.tmpfsMode = parseInt(mode, 8);
  return m;
}

/** --tmpfs DST[:OPTIONS] */
export function parseTmpfs(spec: string): { destination: string; options: string[] } {
  const colon = spec.indexOf(':');
  const dst = colon < 0 ? spec : spec.slice(0, colon);
  const options = colon < 0 ? [] : spec.slice(colon + 1).split(',').filter(Boolean);
  return { destination: checkDestination(dst, 'tmpfs specification'), options };
}

const ULIMITS = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as'];

/** --ulimit NAME=SOFT[:HARD] */
export function parseUlimit(spec: string): { name: string; soft: number; hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m) throw bad(`invalid argument "${spec}" for "--ulimit" flag: invalid ulimit argument: ${spec}`);
  const name = m[1]!;
  if (!ULIMITS.includes(name)) throw bad(`invalid argument "${spec}" for "--ulimit" flag: invalid ulimit type: ${name}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft > hard && hard !== -1) throw bad(`invalid argument "${spec}" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { name, soft, hard };
}

export interface SecurityOpts {
  noNewPrivileges: boolean;
  /** "default", "unconfined", or the path of a profile */
  seccomp: string;
}

/** --security-opt no-new-privileges[:true|false] | seccomp=unconfined|PATH (seccomp:... too, as old Docker) */
export function parseSecurityOpts(opts: readonly string[]): SecurityOpts {
  const out: SecurityOpts = { noNewPrivileges: false, seccomp: 'default' };
  for (const o of opts) {
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(o);
    const key = m?.[1];
    const value = m?.[2];
    if (key === 'no-new-privileges') {
      if (value !== undefined && value !== 'true' && value !== 'false') throw bad(`invalid --security-opt: ${o}`);
      out.noNewPrivileges = value !== 'false';
    } else if (key === 'seccomp' && value) {
      out.seccomp = value;
    } else if (key === 'apparmor' || key === 'label') {
      continue; // neither LSM is enabled on these hosts; Docker ignores them there too
    } else {
      throw bad(`invalid --security-opt: ${JSON.stringify(o)}`, 'moby-dick knows no-new-privileges and seccomp=unconfined|PROFILE.json');
    }
  }
  return out;
}

export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /** on-failure:N, 0 for no limit */
  maximumRetryCount: number;
}

/** --restart no|on-failure[:N]|always|unless-stopped */
export function parseRestart(text: string): RestartPolicy {
  const [name, count] = text.split(':');
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw bad(`invalid restart policy: maximum retry count cannot be used with restart policy '${name}'`);
    return { name, maximumRetryCount: 0 };
  }
  if (name === 'on-failure') {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0) throw bad(`invalid restart policy: maximum retry count must be a positive integer`);
    return { name, maximumRetryCount: n };
  }
  throw bad(`invalid restart policy: unknown policy '${text}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
}

export interface LogOpts {
  /** bytes, 0 for no rotation */
  maxSize: number;
  maxFiles: number;
}

/** --log-opt max-size=10m --log-opt max-file=3 (json-file) */
export function parseLogOpts(opts: readonly string[]): LogOpts {
  const out: LogOpts = { maxSize: 0, maxFiles: 1 };
  for (const o of opts) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    const value = eq < 0 ? '' : o.slice(eq + 1);
    if (key === 'max-size') out.maxSize = value === '-1' ? 0 : parseBytes(value, '--log-opt');
    else if (key === 'max-file') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw bad(`invalid value for max-file: ${value}`, 'max-file must be a positive integer');
      out.maxFiles = n;
    } else throw bad(`unknown log opt '${key}' for json-file log driver`);
  }
  if (out.maxFiles > 1 && out.maxSize === 0) throw bad('max-file cannot be set without max-size');
  return out;
}

/** --label KEY=VALUE (a bare KEY has an empty value) */
export function parseLabels(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const eq = l.indexOf('=');
    const key = eq < 0 ? l : l.slice(0, eq);
    if (key === '') throw bad(`invalid label '${l}': empty name`);
    out[key] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

/** --since/--until/until=: RFC 3339, a Unix time, or a duration back from now (10m, 1h30m). */
export function parseTimeArg(text: string, now = Date.now()): number {
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (dur && text !== '') return now - ((Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60 + Number(dur[3] ?? 0)) * 1000;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new MobyDickError('USAGE', `invalid value for time: "${text}"`, { hint: 'give RFC 3339, a Unix timestamp, or a duration like 10m' });
  return t;
}

/**
 * A signal as Docker takes it: a number (1 to 64), KILL, or SIGKILL; any
 * other is Docker's "Invalid signal", before anything is sent or stopped.
 */
export function signalName(signal: string): string {
  if (/^\d+$/.test(signal)) {
    if (Number(signal) >= 1 && Number(signal) <= 64) return String(Number(signal));
  } else {
    const name = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
    if (Object.hasOwn(constants.signals, name)) return name;
  }
  throw new MobyDickError('USAGE', `Invalid signal: ${signal}`, { hint: "give a signal's name or number, e.g. SIGTERM, HUP or 9" });
}

/** A Go duration flag (--health-interval 30s) in nanoseconds, pflag's words when it is not one. */
export function parseDurationFlag(text: string, flag: string): number {
  try {
    return parseGoDuration(text);
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    throw bad(`invalid argument "${text}" for "${flag}" flag: ${e.message}`, 'give a duration such as 30s, 1m30s or 500ms');
  }
}

export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  retries?: string;
  startPeriod?: string;
  startInterval?: string;
  none?: boolean;
}

/**
 * --health-cmd, --health-interval, --health-timeout, --health-retries,
 * --health-start-period, --health-start-interval and --no-healthcheck as
 * the docker CLI reads them: a HealthConfig over the image's (an empty Test
 * keeps the image's command), ["NONE"] for --no-healthcheck, undefined when
 * none is given.
 */
export function parseHealthFlags(f: HealthFlags): HealthConfig | undefined {
  const d = (v: string | undefined, flag: string): number => (v === undefined ? 0 : parseDurationFlag(v, flag));
  const interval = d(f.interval, '--health-interval');
  const timeout = d(f.timeout, '--health-timeout');
  const startPeriod = d(f.startPeriod, '--health-start-period');
  const startInterval = d(f.startInterval, '--health-start-interval');
  const retries = f.retries === undefined ? 0 : parseInteger(f.retries, '--health-retries');
  const cmd = f.cmd ?? '';
  const some = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || startInterval !== 0 || retries !== 0;
  if (f.none) {
    if (some) throw bad('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!some) return undefined;
  for (const [v, flag] of [[interval, '--health-interval'], [timeout, '--health-timeout'], [retries, '--health-retries'], [startPeriod, '--health-start-period'], [startInterval, '--health-start-interval']] as const) {
    if (v < 0) throw bad(`${flag} cannot be negative`);
  }
  return {
    Test: cmd === '' ? [] : ['CMD-SHELL', cmd],
    ...(interval ? { Interval: interval } : {}),
    ...(timeout ? { Timeout: timeout } : {}),
    ...(startPeriod ? { StartPeriod: startPeriod } : {}),
    ...(startInterval ? { StartInterval: startInterval } : {}),
    ...(retries ? { Retries: retries } : {}),
  };
}

/** --pull always|missing|never */
export function parsePullPolicy(text: string): PullPolicy {
  if (text === 'always' || text === 'missing' || text === 'never') return text;
  throw bad(`invalid pull option: '${text}': must be one of "always", "missing" or "never"`);
}
