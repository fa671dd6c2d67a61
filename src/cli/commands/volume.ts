/**
 * `moby-dick volume create|ls|inspect|rm|prune`: named volumes of the
 * store (engine/volumes.ts), as Docker's "local" driver keeps them.
 */
import type { ContainerRecord } from '../../engine/container-table.js';
import { parseVolumeOptions, type Volume, VolumeStore } from '../../engine/volumes.js';
import { MobyDickError } from '../../errors.js';
import { parseLabels } from '../container-flags.js';
import { inspectOutput, renderTemplate } from '../go-template.js';
import { humanSize, table } from '../../util/human-units.js';
import { confirm, defineCommand, defineGroup, usage } from '../command.js';
import { withEngine } from '../engine-context.js';

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
} as const;

const create = defineCommand({
  name: 'volume create',
  usage: 'volume create [OPTIONS] [VOLUME]',
  summary: 'Create a volume',
  description: `Create a volume

Options:
      --label KEY=VALUE   set metadata
  -o, --opt KEY=VALUE     type=TYPE, device=DEVICE, o=OPTIONS: the filesystem each container mounts
                          (e.g. -o type=tmpfs -o device=tmpfs -o o=size=64m; type=none o=bind device=DIR)`,
  options: CREATE_OPTIONS,
  args: { min: 0, max: 1 },
  async run(values, operands) {
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
  },
});

const LS_OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  filter: { type: 'string', short: 'f', multiple: true },
  format: { type: 'string' },
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

const ls = defineCommand({
  name: 'volume ls',
  usage: 'volume ls [-q] [-f dangling=true|name=N|label=K[=V]] [--format table|json|TEMPLATE]',
  summary: 'List volumes',
  options: LS_OPTIONS,
  args: { min: 0 },
  async run(values) {
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
  },
});

const inspect = defineCommand({
  name: 'volume inspect',
  usage: 'volume inspect [-f FORMAT] VOLUME [VOLUME...]',
  summary: 'Display detailed information on one or more volumes',
  options: { format: { type: 'string', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    const docs = await withVolumes((vs) => operands.map((n) => inspectJson(vs.get(n))));
    process.stdout.write(inspectOutput(docs, values.format));
    return 0;
  },
});

const rm = defineCommand({
  name: 'volume rm',
  usage: 'volume rm [-f] VOLUME [VOLUME...]',
  summary: 'Remove one or more volumes',
  description: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
  options: { force: { type: 'boolean', short: 'f' } },
  args: { min: 1 },
  async run(values, operands) {
    await withVolumes((vs, containers) => {
      for (const n of operands) {
        vs.remove(n, containers, values.force === true);
        process.stdout.write(`${n}\n`);
      }
    });
    return 0;
  },
});

const PRUNE_OPTIONS = { all: { type: 'boolean', short: 'a' }, force: { type: 'boolean', short: 'f' }, filter: { type: 'string', multiple: true } } as const;

const prune = defineCommand({
  name: 'volume prune',
  usage: 'volume prune [OPTIONS]',
  summary: 'Remove unused local volumes',
  description: `Remove unused local volumes

Options:
  -a, --all             remove all unused volumes, not just anonymous ones
      --filter FILTER   label=KEY[=VALUE], label!=KEY[=VALUE]
  -f, --force           do not prompt for confirmation`,
  options: PRUNE_OPTIONS,
  args: { min: 0 },
  async run(values) {
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
  },
});

export const command = defineGroup({
  name: 'volume',
  summary: 'Manage volumes',
  commands: { create, inspect, ls, prune, rm },
  aliases: { list: 'ls', remove: 'rm' },
});
