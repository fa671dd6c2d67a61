/**
 * The steps that change only the image config (ENV, LABEL, WORKDIR's
 * config part, USER, EXPOSE, VOLUME, STOPSIGNAL, CMD, ENTRYPOINT, SHELL,
 * HEALTHCHECK, ONBUILD, MAINTAINER), applied to a config as Docker applies
 * them, with the stage's variables expanded where Docker expands them. Pure:
 * the builder commits the result.
 */
import { posix } from 'node:path';
import type { Step } from './plan.js';
import { expandPairs, expandWord, expandWords, splitWords, type Vars } from './words.js';
import { MobyDickError } from '../errors.js';

/** The runtime part of an image config, as the builder writes it (Docker's field names). */
export interface RunConfig {
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Shell?: string[];
  OnBuild?: string[] | null;
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  [key: string]: unknown;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Env as a map (the last of a name wins) */
export function envMap(env: readonly string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) m.set(e.slice(0, eq), e.slice(eq + 1));
    else m.set(e, '');
  }
  return m;
}

function setEnv(env: readonly string[] | undefined, key: string, value: string): string[] {
  const out = (env ?? []).filter((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')) !== key);
  out.push(`${key}=${value}`);
  return out;
}

/** a port spec of EXPOSE: 80, 80/tcp, 53/udp, 8000-8002 */
function exposedPorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new MobyDickError('BUILD', `invalid port: ${spec}`, { subject: spec, hint: 'write it as 80, 80/tcp or 53/udp' });
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (lo < 1 || hi > 65535 || hi < lo) throw new MobyDickError('BUILD', `invalid port range: ${spec}`, { subject: spec });
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

export interface ConfigStepResult {
  config: RunConfig;
  /** what the history entry's created_by says */
  createdBy: string;
  /** MAINTAINER: the image's author */
  author?: string;
}

/**
 * STEP applied to CONFIG with the variables VARS (the stage's ARG values
 * under its ENV). Throws a MobyDickError for a bad value (the builder adds
 * the line).
 */
export function applyConfigStep(config: RunConfig, step: Step, vars: Vars, escape: string): ConfigStepResult {
  const c: RunConfig = { ...config };
  const x = (w: string) => expandWord(w, vars, escape);
  switch (step.kind) {
    case 'ENV': {
      const pairs = expandPairs(step.text, vars, escape);
      for (const [k, v] of pairs) c.Env = setEnv(c.Env, k, v ?? '');
      return { config: c, createdBy: `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}` };
    }
    case 'LABEL': {
      const pairs = expandPairs(step.text, vars, escape);
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of pairs) c.Labels[k] = v ?? '';
      return { config: c, createdBy: `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}` };
    }
    case 'WORKDIR': {
      const dir = x(step.text);
      c.WorkingDir = posix.resolve(c.WorkingDir || '/', dir);
      return { config: c, createdBy: `WORKDIR ${c.WorkingDir}` };
    }
    case 'USER': {
      const user = x(step.text);
      if (user === '') throw new MobyDickError('BUILD', 'USER requires a user', {});
      c.User = user;
      return { config: c, createdBy: `USER ${user}` };
    }
    case 'STOPSIGNAL': {
      const sig = x(step.text);
      if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/i.test(sig)) throw new MobyDickError('BUILD', `invalid signal: ${sig}`, { subject: sig });
      c.StopSignal = sig;
      return { config: c, createdBy: `STOPSIGNAL ${sig}` };
    }
    case 'EXPOSE': {
      const ports = expandWords(step.text, vars, escape).flatMap(exposedPorts);
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ports) c.ExposedPorts[p] = {};
      return { config: c, createdBy: `EXPOSE map[${ports.map((p) => `${p}:{}`).join(' ')}]` };
    }
    case 'VOLUME': {
      const vols = step.json ? step.json.map(x) : splitWords(step.text, escape).map(x);
      if (vols.some((v) => v.trim() === '')) throw new MobyDickError('BUILD', 'VOLUME specified can not be an empty string', {});
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of vols) c.Volumes[v] = {};
      return { config: c, createdBy: `VOLUME [${vols.join(' ')}]` };
    }
    case 'CMD':
    case 'ENTRYPOINT': {
      const argv = step.command.form === 'exec' ? step.command.argv : [...(c.Shell ?? DEFAULT_SHELL), step.command.text];
      if (step.kind === 'CMD') c.Cmd = argv;
      else {
        c.Entrypoint = argv;
        // Docker: a new ENTRYPOINT drops an inherited CMD (unless this stage set one: the builder tracks that)
      }
      return { config: c, createdBy: `${step.kind} ${JSON.stringify(argv)}` };
    }
    case 'SHELL':
      c.Shell = [...step.argv];
      return { config: c, createdBy: `SHELL ${JSON.stringify(step.argv)}` };
    case 'HEALTHCHECK': {
      if (step.test === 'NONE') c.Healthcheck = { Test: ['NONE'] };
      else {
        const o = step.options;
        c.Healthcheck = {
          Test: step.test[0] === 'CMD-SHELL' ? step.test : ['CMD', ...step.test],
          ...(o.interval !== undefined ? { Interval: o.interval } : {}),
          ...(o.timeout !== undefined ? { Timeout: o.timeout } : {}),
          ...(o.startPeriod !== undefined ? { StartPeriod: o.startPeriod } : {}),
          ...(o.startInterval !== undefined ? { StartInterval: o.startInterval } : {}),
          ...(o.retries !== undefined ? { Retries: o.retries } : {}),
        };
      }
      return { config: c, createdBy: `HEALTHCHECK ${step.test === 'NONE' ? 'NONE' : `&{${JSON.stringify(c.Healthcheck.Test)}}`}` };
    }
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), step.text];
      return { config: c, createdBy: `ONBUILD ${step.text}` };
    case 'MAINTAINER': {
      const author = x(step.text);
      return { config: c, createdBy: `MAINTAINER ${author}`, author };
    }
    default:
      throw new Error(`${step.kind} is not a config step`);
  }
}

/** Whether STEP changes only the config (no layer). */
export function isConfigStep(step: Step): boolean {
  return !['RUN', 'COPY', 'ADD', 'ARG'].includes(step.kind);
}
