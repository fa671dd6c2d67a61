/**
 * A container's config as Docker keeps it (its Config): the image's config
 * with what `create` asked on top — Cmd, Entrypoint, Env, WorkingDir, User,
 * Labels, ExposedPorts, StopSignal; the rest (Volumes, Healthcheck,
 * OnBuild, Shell, ...) the image's. `commit` starts from it, as Docker's
 * does. Env holds the image's and -e's, not what the engine adds when the
 * process starts (HOSTNAME, HOME, a default PATH). Pure.
 */

export type ContainerConfig = Record<string, unknown> & {
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  Env: string[];
  WorkingDir: string;
  User: string;
  Labels: Record<string, string>;
  ExposedPorts: Record<string, Record<string, never>>;
};

const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? [...(v as string[])] : null);

/** ENV with OVER on top: a name already there keeps its place, new names come after. */
export function mergeEnv(env: readonly string[], over: readonly string[]): string[] {
  const key = (e: string): string => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);
  const out = [...env];
  for (const e of over) {
    const at = out.findIndex((x) => key(x) === key(e));
    if (at >= 0) out[at] = e;
    else out.push(e);
  }
  return out;
}

/** what of a create request (create-request.ts) the config takes */
export interface ConfigRequest {
  command: readonly string[];
  /** "" clears the image's */
  entrypoint?: string;
  env: readonly string[];
  workdir?: string;
  user?: string;
  labels: Record<string, string>;
  expose: readonly string[];
  stopSignal?: string;
}

export function containerConfig(image: Record<string, unknown>, req: ConfigRequest): ContainerConfig {
  const entrypoint = req.entrypoint === undefined ? strings(image.Entrypoint) : req.entrypoint === '' ? null : [req.entrypoint];
  // a new entrypoint drops the image's Cmd, as `run --entrypoint` does
  const cmd = req.command.length > 0 ? [...req.command] : req.entrypoint !== undefined ? null : strings(image.Cmd);
  const ports: Record<string, Record<string, never>> = {};
  for (const p of Object.keys((image.ExposedPorts as Record<string, unknown> | null | undefined) ?? {})) ports[p] = {};
  for (const p of req.expose) ports[p.includes('/') ? p : `${p}/tcp`] = {};
  const stopSignal = req.stopSignal ?? (typeof image.StopSignal === 'string' ? image.StopSignal : undefined);
  return {
    ...image,
    Cmd: cmd,
    Entrypoint: entrypoint,
    Env: mergeEnv(strings(image.Env) ?? [], req.env),
    WorkingDir: req.workdir ?? (typeof image.WorkingDir === 'string' ? image.WorkingDir : ''),
    User: req.user ?? (typeof image.User === 'string' ? image.User : ''),
    Labels: { ...((image.Labels as Record<string, string> | null | undefined) ?? {}), ...req.labels },
    ExposedPorts: ports,
    ...(stopSignal !== undefined ? { StopSignal: stopSignal } : {}),
  };
}
