/**
 * `moby-dick volume create|ls|inspect|rm|prune`: named volumes of the
 * store (engine/volumes.ts), as Docker's "local" driver keeps them.
 */
import type { ContainerRecord } from '../../engine/container-table.js';
import { parseVolumeOptions, type Volume, VolumeStore } from '../../engine/volumes.js';
import { MobyDickError } from '../../errors.js';
import { parseCommandLine } from '../args.js';
import { parseLabels } from '../container-flags.js';
import { inspectOutput, renderTemplate } from '../go-template.js';
import { humanSize, table } from '../../util/human-units.js';
import { type Command, commandGroup, confirm, help, needArgs, usage, withEngine } from './engine-command.js';

const VOLUME_HELP = `Usage: moby-dick volume COMMAND

Manage volumes

Commands:
  create      Create a volume
  inspect     Display detailed information on one or more volumes
  ls          List volumes
  prune       Remove unused local volumes
  rm          Remove one or more volumes
`;

/** The volumes of the store, and every container record (a volume is in use while one names it). */
function withVolumes<T>(fn: (volumes: VolumeStore, containers: ContainerRecord[]) => T): Promise<T> {
  return withEngine((e) => fn(new VolumeStore(e.store.root), e.containers.all()));
}

function inspectJson(v: Volume): Record<string, unknown> {
  return {
    CreatedAt: `${v.createdAt.slice(0, 19)}Z`,
    Driver: 'local',
    Labels: Object.keys(v.labels).length ? v.labels : null,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: Object.keys(v.options).length ? v.options : null,
    Scope: 'local',
  };
}

const CREATE_OPTIONS = {
  name: { type: 'string' },
  driver: { type: 'string', short: 'd' },
  label: { type: 'string', multiple: true },
  opt: { type: 'string', short: 'o', multiple: true },
  help: { type: 'boolean' },
} as const;

const create: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, CREATE_OPTIONS, 'moby-dick volume create --help');
  if (values.help) {
    return help('Usage: moby-dick volume create [OPTIONS] [VOLUME]\n\nCreate a volume\n\nOptions:\n      --label KEY=VALUE   set metadata\n  -o, --opt KEY=VALUE     type=TYPE, device=DEVICE, o=OPTIONS: the filesystem each container mounts\n                          (e.g. -o type=tmpfs -o device=tmpfs -o o=size=64m; type=none o=bind device=DIR)\n');
  }
  if (operands.length > 1) throw usage('"moby-dick volume create" requires at most 1 argument', 'volume create');
  if (values.name !== undefined && operands[0] !== undefined && values.name !== operands[0]) {
    throw usage(`conflicting options: either specify --name or provide positional arg, not both`, 'volume create');
  }
  if (values.driver !== undefined && values.driver !== 'local') {
    throw new MobyDickError('USAGE', `plugin "${values.driver}" not found`, { hint: 'moby-dick has the local driver only' });
  }
  const options = parseVolumeOptions(values.opt ?? []);
  const name = values.name ?? operands[0];
  const labels = parseLabels(values.label ?? []);
  const v = await withVolumes((vs) => vs.create(name, labels, options));
  process.stdout.write(`${v.name}\n`);
  return 0;
};

const LS_OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  filter: { type: 'string', short: 'f', multiple: true },
  format: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** volume ls's filters: dangling=true|false, name=SUBSTRING, label=KEY[=VALUE]. */
function volumeMatches(v: Volume, inUse: boolean, filters: readonly string[]): boolean {
  for (const f of filters) {
    const eq = f.indexOf('=');
    const [key, value] = eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
    const ok =
      key === 'dangling' ? (value === 'true' || value === '1') !== inUse :
      key === 'name' ? v.name.includes(value) :
      key === 'driver' ? value === 'local' :
      key === 'label' ? (value.includes('=') ? v.labels[value.slice(0, value.indexOf('='))] === value.slice(value.indexOf('=') + 1) : Object.hasOwn(v.labels, value)) :
      (() => { throw new MobyDickError('USAGE', `invalid filter '${key}'`); })();
    if (!ok) return false;
  }
  return true;
}

const ls: Command = async (argv) => {
  const { values } = parseCommandLine(argv, LS_OPTIONS, 'moby-dick volume ls --help');
  if (values.help) return help('Usage: moby-dick volume ls [-q] [-f dangling=true|name=N|label=K[=V]] [--format table|json|TEMPLATE]\n\nList volumes\n');
  const shown = await withVolumes((vs, containers) =>
    vs.list().filter((v) => volumeMatches(v, VolumeStore.users(v.name, containers).length > 0, values.filter ?? [])),
  );
  if (values.quiet) {
    process.stdout.write(shown.map((v) => `${v.name}\n`).join(''));
    return 0;
  }
  const fields = (v: Volume): Record<string, string> => ({
    Driver: 'local', Name: v.name, Mountpoint: v.mountpoint, Scope: 'local', CreatedAt: v.createdAt,
    Labels: Object.entries(v.labels).map(([k, x]) => `${k}=${x}`).join(','),
  });
  const format = values.format ?? 'table';
  if (format === 'json') {
    process.stdout.write(shown.map((v) => `${JSON.stringify(fields(v))}\n`).join(''));
  } else if (format === 'table') {
    process.stdout.write(table([['DRIVER', 'VOLUME NAME'], ...shown.map((v) => ['local', v.name])]));
  } else {
    const template = format.startsWith('table ') ? format.slice(6) : format;
    process.stdout.write(shown.map((v) => `${renderTemplate(template, fields(v))}\n`).join(''));
  }
  return 0;
};

const inspect: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, { format: { type: 'string', short: 'f' }, help: { type: 'boolean' } }, 'moby-dick volume inspect --help');
  if (values.help) return help('Usage: moby-dick volume inspect [-f FORMAT] VOLUME [VOLUME...]\n\nDisplay detailed information on one or more volumes\n');
  needArgs('volume inspect', operands, 1);
  const docs = await withVolumes((vs) => operands.map((n) => inspectJson(vs.get(n))));
  process.stdout.write(inspectOutput(docs, values.format));
  return 0;
};

const rm: Command = async (argv) => {
  const { values, operands } = parseCommandLine(argv, { force: { type: 'boolean', short: 'f' }, help: { type: 'boolean' } }, 'moby-dick volume rm --help');
  if (values.help) return help('Usage: moby-dick volume rm [-f] VOLUME [VOLUME...]\n\nRemove one or more volumes. You cannot remove a volume that is in use by a container.\n');
  needArgs('volume rm', operands, 1);
  await withVolumes((vs, containers) => {
    for (const n of operands) {
      vs.remove(n, containers, values.force === true);
      process.stdout.write(`${n}\n`);
    }
  });
  return 0;
};

const PRUNE_OPTIONS = { all: { type: 'boolean', short: 'a' }, force: { type: 'boolean', short: 'f' }, filter: { type: 'string', multiple: true }, help: { type: 'boolean' } } as const;

const prune: Command = async (argv) => {
  const { values } = parseCommandLine(argv, PRUNE_OPTIONS, 'moby-dick volume prune --help');
  if (values.help) {
    return help('Usage: moby-dick volume prune [OPTIONS]\n\nRemove unused local volumes\n\nOptions:\n  -a, --all             remove all unused volumes, not just anonymous ones\n      --filter FILTER   label=KEY[=VALUE], label!=KEY[=VALUE]\n  -f, --force           do not prompt for confirmation\n');
  }
  const labels = (values.filter ?? []).map((f) => {
    const m = /^label(!?)=([^=]+)(?:=(.*))?$/.exec(f);
    if (!m) throw new MobyDickError('USAGE', `invalid filter '${f.split('=')[0]}'`, { hint: 'volume prune takes label=KEY[=VALUE] and label!=KEY[=VALUE]' });
    return { negate: m[1] === '!', key: m[2]!, value: m[3] };
  });
  const keep = (v: Volume): boolean => labels.some((l) => (Object.hasOwn(v.labels, l.key) && (l.value === undefined || v.labels[l.key] === l.value)) === l.negate);
  const what = values.all ? 'all local volumes not used by at least one container' : 'anonymous local volumes not used by at least one container';
  if (!values.force && !(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return 0;
  const { deleted, bytes } = await withVolumes((vs, containers) => vs.prune(containers, values.all === true, keep));
  if (deleted.length) process.stdout.write(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(bytes, 4)}\n`);
  return 0;
};

const SUBCOMMANDS: Record<string, Command> = { create, ls, list: ls, inspect, rm, remove: rm, prune };

export const volume: Command = commandGroup('volume', VOLUME_HELP, SUBCOMMANDS);
