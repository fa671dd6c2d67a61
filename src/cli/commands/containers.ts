/**
 * The container commands of the engine, as Docker's: run (from an image),
 * create, start, ps, logs, stop, kill, rm, wait, inspect, exec, and the
 * internal container-exited that a container's monitor runs when it ends.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { attach } from '../../engine/attach.js';
import { Engine, type ContainerView } from '../../engine/engine.js';
import { formatEntry, readLogs } from '../../engine/logs.js';
import { exposedPorts, type NetworkFacts, networkHostConfig, networkSettings } from '../../engine/network-inspect.js';
import { runRoot } from '../../engine/paths.js';
import { statusText } from '../../engine/status.js';
import { MobyDickError } from '../../errors.js';
import type { PublishedPort } from '../../network/network-table.js';
import { storeRoot } from '../../images/store/image-store.js';
import { parseCommandLine } from '../args.js';
import { CREATE_OPTIONS, CREATE_OPTIONS_HELP, type CreateFlags, createRequest } from '../create-options.js';
import { inspectOutput, renderTemplate } from '../go-template.js';
import { humanDuration, table } from '../../util/human-units.js';
import { openStore } from '../image-context.js';
import { progressView } from '../pull-progress.js';
import { RUN_OPTIONS_HELP } from '../run-options.js';
import { selfCommand } from '../self-command.js';
import { attach as attachCommand } from './container-attach.js';
import { containerGroup } from './container-group.js';
import { pause, unpause } from './container-pause.js';
import { containerPrune } from './container-prune.js';
import { rename } from './container-rename.js';
import { restart } from './container-restart.js';
import { stats } from './container-stats.js';
import { top } from './container-top.js';
import { volume } from './volume.js';
import { network } from './network.js';
import { port } from './container-port.js';
import { cp } from './container-cp.js';
import { exportCommand } from './container-export.js';

type Command = (argv: readonly string[]) => Promise<number>;

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

function usage(message: string, command: string): MobyDickError {
  return new MobyDickError('USAGE', message, { hint: `see 'moby-dick ${command} --help'` });
}

/** The engine on the store; the monitor of each container runs `container-exited` with the same roots. */
export async function withEngine<T>(fn: (engine: Engine) => Promise<T> | T, pulls = false): Promise<T> {
  const store = openStore();
  const view = pulls ? await progressView(process.stderr) : undefined;
  try {
    const engine = new Engine(store, {
      exitCommand: [...selfCommand(), 'container-exited', '--root', store.root, '--run-root', runRoot(store.root)],
      ...(view ? { progress: view } : {}),
      warn: (m) => process.stderr.write(`moby-dick: warning: ${m}\n`),
    });
    return await fn(engine);
  } finally {
    view?.stop();
    store.close();
  }
}

const CREATE_HELP = `Usage: moby-dick create [OPTIONS] IMAGE [COMMAND] [ARG...]

Create a new container (start it with \`moby-dick start\`)

Options:
${CREATE_OPTIONS_HELP}
${RUN_OPTIONS_HELP}
`;

export const create: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, CREATE_OPTIONS, 'moby-dick create --help');
  if (values.help) return help(CREATE_HELP);
  const record = await withEngine((e) => e.create(createRequest(values, operands)), true);
  process.stdout.write(`${record.id}\n`);
  return 0;
};

interface Attached {
  /** the container's exit code (0 when detached, 255 when the monitor let go of us) */
  code: Promise<number>;
  /** Engine.exited() in this process, then the monitor is told that its container-exited is not needed */
  exited(engine: Engine): Promise<void>;
}

/**
 * Attached to a container being started: its output here, our stdin there
 * when -i. We handle the exit (Engine.exited(): --rm, the restart policy)
 * and tell the monitor when it is done, so it starts no container-exited
 * process of its own; killed before that, we hang up and it does.
 */
async function attachTo(v: ContainerView, interactive: boolean): Promise<Attached> {
  const tty = v.record.engine.tty;
  const a = attach(v.paths.attachSocket, {
    stdin: interactive ? process.stdin : null,
    stdout: process.stdout,
    stderr: process.stderr,
    tty,
    detachKeys: tty && interactive ? undefined : null,
    closeStdin: interactive,
    handlesExit: true,
  });
  await a.connected;
  const code = a.done.then((end) => {
    if (end.kind === 'exited') return end.exit?.exitCode ?? 255;
    if (end.kind === 'detached') return 0;
    return 255;
  });
  return {
    code,
    async exited(engine) {
      try {
        // does nothing while it runs (detached); does the work when its monitor died without it
        await engine.exited(v.record.id);
        await a.exitHandled();
      } finally {
        a.close();
      }
    },
  };
}

/** `run IMAGE`: create and start; attached unless -d, then the command's exit status, as Docker. */
export async function runFromImage(flags: CreateFlags, operands: readonly string[]): Promise<number> {
  const req = createRequest(flags, operands);
  if (req.autoRemove && req.restart.name !== 'no') {
    throw new MobyDickError('USAGE', 'Conflicting options: --restart and --rm', { hint: "see 'moby-dick run --help'" });
  }
  return withEngine(async (engine) => {
    const record = await engine.create(req);
    let attached: Attached | undefined;
    try {
      await engine.start(record.id, async (v) => {
        if (!flags.detach) attached = await attachTo(v, flags.interactive === true);
      });
    } catch (e) {
      if (req.autoRemove) engine.remove(record.id, true, true);
      throw e;
    }
    if (flags.detach) {
      process.stdout.write(`${record.id}\n`);
      return 0;
    }
    const code = await attached!.code;
    // what the monitor's container-exited would do, done before we return (--rm is gone then)
    await attached!.exited(engine);
    return code;
  }, true);
}

const START_OPTIONS = {
  attach: { type: 'boolean', short: 'a' },
  interactive: { type: 'boolean', short: 'i' },
  help: { type: 'boolean' },
} as const;

export const start: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, START_OPTIONS, 'moby-dick start --help');
  if (values.help) return help('Usage: moby-dick start [-a] [-i] CONTAINER...\n\nStart one or more stopped containers\n');
  if (operands.length === 0) throw usage('"moby-dick start" requires at least 1 argument', 'start');
  return withEngine(async (engine) => {
    if (values.attach) {
      if (operands.length > 1) throw usage('you cannot start and attach multiple containers at once', 'start');
      let attached: Attached | undefined;
      await engine.start(operands[0]!, async (v) => {
        attached = await attachTo(v, values.interactive === true);
      });
      const code = await attached!.code;
      // as run: --rm and the restart policy done before we return
      await attached!.exited(engine);
      return code;
    }
    for (const ref of operands) {
      await engine.start(ref);
      process.stdout.write(`${ref}\n`);
    }
    return 0;
  });
};

const PS_OPTIONS = {
  all: { type: 'boolean', short: 'a' },
  quiet: { type: 'boolean', short: 'q' },
  'no-trunc': { type: 'boolean' },
  filter: { type: 'string', short: 'f', multiple: true },
  format: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** An argument as a shell would need it, as Docker shows commands. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function command(v: ContainerView, noTrunc: boolean): string {
  const cmd = v.record.engine.argv.map(shellQuote).join(' ');
  const shown = noTrunc || cmd.length <= 20 ? cmd : `${cmd.slice(0, 19)}…`;
  return `"${shown}"`;
}

/** Docker's filters for ps: name=, id=, status=, label=, exited=, ancestor=. */
function matches(v: ContainerView, filters: readonly string[]): boolean {
  for (const f of filters) {
    const eq = f.indexOf('=');
    const [key, value] = eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
    const r = v.record;
    const ok =
      key === 'name' ? r.name.includes(value) :
      key === 'id' ? r.id.startsWith(value) :
      key === 'status' ? v.state.Status === value :
      key === 'exited' ? v.state.Status === 'exited' && String(v.state.ExitCode) === value :
      key === 'ancestor' ? r.image === value || r.imageId === value :
      key === 'label' ? (value.includes('=') ? r.labels[value.slice(0, value.indexOf('='))] === value.slice(value.indexOf('=') + 1) : value in r.labels) :
      (() => { throw new MobyDickError('USAGE', `invalid filter '${key}'`); })();
    if (!ok) return false;
  }
  return true;
}

/** ps's fields, with Docker's names, for --format. */
function psFields(v: ContainerView, noTrunc: boolean, now: number, ports: readonly PublishedPort[] = []): Record<string, string> {
  const r = v.record;
  return {
    ID: noTrunc ? r.id : r.id.slice(0, 12),
    Image: r.image,
    Command: command(v, noTrunc),
    CreatedAt: new Date(r.created).toISOString(),
    RunningFor: `${humanDuration(now - Date.parse(r.created))} ago`,
    Status: statusText(v.state, r.state.startedAt, now),
    State: v.state.Status,
    Ports: ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', '),
    Names: r.name,
    Labels: Object.entries(r.labels).map(([k, x]) => `${k}=${x}`).join(','),
    Mounts: r.engine.binds.map((b) => b.source).join(','),
  };
}

export const ps: Command = async (argv) => {
  const { values } = parseCommandLine(argv, PS_OPTIONS, 'moby-dick ps --help');
  if (values.help) return help('Usage: moby-dick ps [-a] [-q] [--no-trunc] [-f FILTER] [--format table|json|TEMPLATE]\n\nList containers\n');
  const now = Date.now();
  const [views, published] = await withEngine(async (e) => {
    await e.releaseStaleNetworks();
    return [e.list(), e.networks.table.ports()] as const;
  });
  const portsOf = (v: ContainerView) => published.filter((p) => p.containerId === v.record.id);
  const shown = views.filter((v) => (values.all || v.state.Running) && matches(v, values.filter ?? []));
  const noTrunc = values['no-trunc'] === true;
  if (values.quiet) {
    for (const v of shown) process.stdout.write(`${noTrunc ? v.record.id : v.record.id.slice(0, 12)}\n`);
    return 0;
  }
  const format = values.format ?? 'table';
  if (format === 'json') {
    for (const v of shown) process.stdout.write(`${JSON.stringify(psFields(v, noTrunc, now, portsOf(v)))}\n`);
    return 0;
  }
  if (format !== 'table') {
    const template = format.startsWith('table ') ? format.slice(6) : format;
    for (const v of shown) process.stdout.write(`${renderTemplate(template, psFields(v, noTrunc, now, portsOf(v)))}\n`);
    return 0;
  }
  const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
  for (const v of shown) {
    const f = psFields(v, noTrunc, now, portsOf(v));
    rows.push([f.ID!, f.Image!, f.Command!, f.RunningFor!, f.Status!, f.Ports!, f.Names!]);
  }
  process.stdout.write(table(rows));
  return 0;
};

const LOGS_OPTIONS = {
  follow: { type: 'boolean', short: 'f' },
  tail: { type: 'string', short: 'n' },
  since: { type: 'string' },
  until: { type: 'string' },
  timestamps: { type: 'boolean', short: 't' },
  help: { type: 'boolean' },
} as const;

/** --since/--until: RFC 3339, a Unix time, or a duration back from now (10m, 1h30m). */
export function parseTimeArg(text: string, now = Date.now()): number {
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (dur && text !== '') return now - ((Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60 + Number(dur[3] ?? 0)) * 1000;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new MobyDickError('USAGE', `invalid value for time: "${text}"`, { hint: 'give RFC 3339, a Unix timestamp, or a duration like 10m' });
  return t;
}

export const logs: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, LOGS_OPTIONS, 'moby-dick logs --help');
  if (values.help) return help('Usage: moby-dick logs [-f] [-t] [--tail N] [--since T] [--until T] CONTAINER\n\nFetch the logs of a container\n');
  if (operands.length !== 1) throw usage('"moby-dick logs" requires exactly 1 argument', 'logs');
  const v = await withEngine((e) => e.inspect(operands[0]!));
  const tail = values.tail === undefined || values.tail === 'all' ? undefined : Number(values.tail);
  const entries = readLogs(v.paths.log, {
    ...(tail !== undefined && Number.isInteger(tail) && tail >= 0 ? { tail } : {}),
    ...(values.since ? { since: BigInt(parseTimeArg(values.since)) * 1_000_000n } : {}),
    ...(values.until ? { until: BigInt(parseTimeArg(values.until)) * 1_000_000n } : {}),
    // follows until the container ends (its exit file appears)
    ...(values.follow && v.state.Running ? { follow: true, exitFile: v.paths.exitFile } : {}),
  });
  for await (const entry of entries) {
    const out = entry.stream === 'stderr' ? process.stderr : process.stdout;
    out.write(formatEntry(entry, { timestamps: values.timestamps === true }));
  }
  return 0;
};

const STOP_OPTIONS = { time: { type: 'string', short: 't' }, signal: { type: 'string', short: 's' }, help: { type: 'boolean' } } as const;

/** A signal as Docker takes it: a number, KILL, or SIGKILL. */
export function signalName(signal: string): string {
  return /^\d+$/.test(signal) ? signal : signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
}

export const stop: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, STOP_OPTIONS, 'moby-dick stop --help');
  if (values.help) return help('Usage: moby-dick stop [-t SECONDS] [-s SIGNAL] CONTAINER...\n\nStop one or more running containers (SIGNAL, default its stop signal, then SIGKILL after SECONDS)\n');
  if (operands.length === 0) throw usage('"moby-dick stop" requires at least 1 argument', 'stop');
  const timeout = values.time === undefined ? undefined : Number(values.time);
  const signal = values.signal === undefined ? undefined : signalName(values.signal);
  await withEngine(async (e) => {
    for (const ref of operands) {
      await e.stop(ref, timeout, signal);
      process.stdout.write(`${ref}\n`);
    }
  });
  return 0;
};

export const kill: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, STOP_OPTIONS, 'moby-dick kill --help');
  if (values.help) return help('Usage: moby-dick kill [-s SIGNAL] CONTAINER...\n\nKill one or more running containers\n');
  if (operands.length === 0) throw usage('"moby-dick kill" requires at least 1 argument', 'kill');
  const signal = signalName(values.signal ?? 'SIGKILL');
  await withEngine((e) => {
    for (const ref of operands) {
      e.kill(ref, signal);
      process.stdout.write(`${ref}\n`);
    }
  });
  return 0;
};

const RM_OPTIONS = { force: { type: 'boolean', short: 'f' }, volumes: { type: 'boolean', short: 'v' }, help: { type: 'boolean' } } as const;

export const rm: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, RM_OPTIONS, 'moby-dick rm --help');
  if (values.help) return help('Usage: moby-dick rm [-f] [-v] CONTAINER...\n\nRemove one or more containers\n');
  if (operands.length === 0) throw usage('"moby-dick rm" requires at least 1 argument', 'rm');
  await withEngine((e) => {
    for (const ref of operands) {
      e.remove(ref, values.force === true, values.volumes === true);
      process.stdout.write(`${ref}\n`);
    }
  });
  return 0;
};

export const wait: Command = async (argv) => {
  const { operands } = parseCommandLine(argv, { help: { type: 'boolean' } }, 'moby-dick wait --help');
  if (operands.length === 0) throw usage('"moby-dick wait" requires at least 1 argument', 'wait');
  await withEngine(async (e) => {
    for (const ref of operands) process.stdout.write(`${await e.wait(ref)}\n`);
  });
  return 0;
};

/** inspect's JSON, with Docker's field names for what exists. */
export function inspectJson(v: ContainerView, facts: NetworkFacts): Record<string, unknown> {
  const r = v.record;
  const e = r.engine;
  return {
    Id: r.id,
    Created: r.created,
    Path: e.argv[0],
    Args: e.argv.slice(1),
    State: {
      Status: v.state.Status,
      Running: v.state.Running,
      Paused: v.state.Paused,
      Restarting: false,
      OOMKilled: r.state.oomKilled === true,
      Dead: v.state.Dead,
      Pid: v.pid,
      ExitCode: v.state.ExitCode,
      Error: v.state.Error,
      StartedAt: r.state.startedAt ?? '0001-01-01T00:00:00Z',
      FinishedAt: v.state.FinishedAt ?? '0001-01-01T00:00:00Z',
    },
    Image: r.imageId,
    LogPath: v.paths.log,
    Name: `/${r.name}`,
    RestartCount: r.state.restartCount,
    Driver: 'overlay',
    HostConfig: {
      Binds: e.binds.map((b) => `${b.source}:${b.destination}${b.readOnly ? ':ro' : ''}`),
      AutoRemove: r.autoRemove,
      RestartPolicy: { Name: r.restart.name, MaximumRetryCount: r.restart.maximumRetryCount },
      LogConfig: { Type: 'json-file', Config: { ...(r.log.maxSize ? { 'max-size': String(r.log.maxSize), 'max-file': String(r.log.maxFiles) } : {}) } },
      ...networkHostConfig(r, facts),
      Privileged: e.privileged,
      ReadonlyRootfs: e.readOnly,
      CapAdd: e.capAdd,
      CapDrop: e.capDrop,
      Memory: e.memory ?? 0,
      MemorySwap: e.memorySwap ?? (e.memory ? e.memory * 2 : 0),
      NanoCpus: e.nanoCpus ?? 0,
      CpuShares: e.cpuShares ?? 0,
      PidsLimit: e.pidsLimit ?? null,
      Ulimits: e.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      ShmSize: e.shmSize,
      Tmpfs: Object.fromEntries(e.tmpfs.map((t) => [t.destination, t.options.join(',')])),
      SecurityOpt: [...(e.noNewPrivileges ? ['no-new-privileges'] : []), ...(e.seccomp === 'unconfined' ? ['seccomp=unconfined'] : [])],
      Init: r.init,
    },
    Mounts: [
      ...e.binds.map((b) => {
        const volume = Object.entries(r.volumes).find(([, dst]) => dst === b.destination);
        return volume
          ? { Type: 'volume', Name: volume[0], Source: b.source, Destination: b.destination, Driver: 'local', RW: !b.readOnly }
          : { Type: 'bind', Source: b.source, Destination: b.destination, RW: !b.readOnly, Propagation: b.propagation ?? 'rprivate' };
      }),
      ...(e.filesystems ?? []).map((f) => ({
        Type: 'volume', Name: Object.entries(r.volumes).find(([, dst]) => dst === f.destination)?.[0] ?? '', Source: f.source, Destination: f.destination, Driver: 'local', RW: !f.options.includes('ro'),
      })),
    ],
    Config: {
      Hostname: e.hostname,
      User: e.user.uid === 0 && e.user.gid === 0 ? '' : `${e.user.uid}:${e.user.gid}`,
      Tty: e.tty,
      OpenStdin: r.openStdin,
      Env: e.env,
      Cmd: e.argv,
      Image: r.image,
      WorkingDir: e.cwd,
      Labels: r.labels,
      StopSignal: r.stopSignal,
      StopTimeout: r.stopTimeout,
      ExposedPorts: exposedPorts(r),
    },
    NetworkSettings: networkSettings(r, facts),
  };
}

export const inspect: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, { format: { type: 'string', short: 'f' }, help: { type: 'boolean' } }, 'moby-dick inspect --help');
  if (operands.length === 0) throw usage('"moby-dick inspect" requires at least 1 argument', 'inspect');
  const docs = await withEngine((e) => operands.map((ref) => {
    const v = e.inspect(ref);
    return inspectJson(v, e.networkFacts(v));
  }));
  process.stdout.write(inspectOutput(docs, values.format));
  return 0;
};

const EXEC_OPTIONS = {
  detach: { type: 'boolean', short: 'd' },
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  env: { type: 'string', short: 'e', multiple: true },
  user: { type: 'string', short: 'u' },
  workdir: { type: 'string', short: 'w' },
  help: { type: 'boolean' },
} as const;

export const exec: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, EXEC_OPTIONS, 'moby-dick exec --help');
  if (values.help) return help('Usage: moby-dick exec [-d] [-i] [-t] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]\n\nRun a command in a running container\n');
  const [ref, ...cmd] = operands;
  if (ref === undefined || cmd.length === 0) throw usage('"moby-dick exec" requires at least 2 arguments', 'exec');
  return withEngine(async (e) => {
    const v = e.inspect(ref);
    if (!v.state.Running) throw new MobyDickError('USAGE', `container ${v.record.id} is not running`, { container: ref });
    if (v.state.Paused) throw new MobyDickError('USAGE', `container ${v.record.id} is paused, unpause the container before exec`, { container: ref });
    const user = values.user === undefined ? undefined : (await import('../../engine/exec-user.js')).execUser(v, values.user);
    return e.runtime.exec(v.record.id, {
      args: cmd,
      ...(values.env ? { env: values.env } : {}),
      ...(values.workdir ? { cwd: values.workdir } : {}),
      ...(user ? { user } : {}),
      tty: values.tty === true,
      detach: values.detach === true,
    });
  });
};

/** Run by a container's monitor when the container has ended (not for users). */
export const containerExited: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, { root: { type: 'string' }, 'run-root': { type: 'string' } }, 'moby-dick container-exited');
  if (values.root) process.env.MOBY_DICK_ROOT = values.root;
  if (values['run-root']) process.env.MOBY_DICK_RUN_ROOT = values['run-root'];
  const id = operands[0];
  if (!id) throw usage('container-exited needs a container ID', 'container-exited');
  // removed meanwhile (run --rm attached, rm -f): open nothing, make nothing
  if (!existsSync(join(values.root ?? storeRoot(), 'containers', id))) return 0;
  await withEngine((e) => e.exited(id));
  return 0;
};

export const CONTAINER_COMMANDS: Record<string, Command> = {
  create, start, ps, logs, stop, kill, rm, wait, inspect, exec, 'container-exited': containerExited,
  attach: attachCommand, restart, pause, unpause, top, stats, rename, volume,
  container: (argv) => containerGroup({ ...CONTAINER_COMMANDS, prune: containerPrune })(argv),
  cp, export: exportCommand, port, network,
};
