/**
 * `moby-dick inspect [-f FORMAT] [-s] [--type TYPE] NAME|ID...`: Docker's
 * inspect of any object: each name is looked up as a container, else an
 * image, else a network, else a volume (Docker's order), or only as TYPE.
 * The documents are those of `container inspect`, `image inspect`,
 * `network inspect` and `volume inspect`; a name found nowhere is Docker's
 * "No such object" on stderr, and exit status 1 once the rest is printed.
 */
import { containerSize } from '../../engine/disk-usage.js';
import type { Engine } from '../../engine/engine.js';
import { networkDocument } from '../../engine/network-inspect.js';
import { volumeDocument, VolumeStore } from '../../engine/volumes.js';
import { MobyDickError } from '../../errors.js';
import { inspectDocument } from '../../images/inspect.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { inspectOutput } from '../go-template.js';
import { formatError } from '../report-error.js';
import { inspectJson } from './container-inspect.js';

export const OBJECT_TYPES = ['container', 'image', 'network', 'volume'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Whether E says that the object does not exist (rather than another failure). */
const notFound = (e: unknown): boolean => e instanceof MobyDickError && /\bno such\b|\bnot found\b|does not exist/i.test(e.message);

/** The inspect document of REF as TYPE. */
export function inspectAs(e: Engine, type: ObjectType, ref: string, size: boolean): Record<string, unknown> {
  switch (type) {
    case 'container': {
      const v = e.inspect(ref);
      const doc = inspectJson(v, e.networkFacts(v));
      if (!size) return doc;
      const s = containerSize(e, v);
      return { ...doc, SizeRw: s.sizeRw, SizeRootFs: s.sizeRootFs };
    }
    case 'image':
      return inspectDocument(e.store, ref);
    case 'network': {
      const n = e.networks.find(ref);
      return networkDocument(n, e.networks.table.endpoints({ networkId: n.id }), (id) => {
        try {
          return e.containers.find(id).name;
        } catch {
          return ''; // removed meanwhile
        }
      });
    }
    case 'volume':
      return volumeDocument(new VolumeStore(e.store.root).get(ref));
  }
}

/** REF's document as the first of TYPES it is; Docker's "No such object" (or "No such TYPE") when none. */
export function inspectAny(e: Engine, ref: string, types: readonly ObjectType[], size: boolean): Record<string, unknown> {
  for (const t of types) {
    try {
      return inspectAs(e, t, ref, size);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  const what = types.length === 1 ? types[0]! : 'object';
  throw new MobyDickError('USAGE', `No such ${what}: ${ref}`, { subject: ref });
}

export const command = defineCommand({
  name: 'inspect',
  usage: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
  summary: 'Return low-level information on moby-dick objects',
  description: `Return low-level information on moby-dick objects: each NAME is looked up as a
container, else an image, else a network, else a volume

Options:
  -f, --format TEMPLATE   {{.Field}} or {{json .Field}} instead of the JSON
  -s, --size              a container's sizes too (SizeRw, SizeRootFs)
      --type TYPE         only objects of TYPE: container, image, network, volume`,
  options: { format: { type: 'string', short: 'f' }, size: { type: 'boolean', short: 's' }, type: { type: 'string' } },
  args: { min: 1 },
  async run(values, operands) {
    const type = values.type;
    if (type !== undefined && !(OBJECT_TYPES as readonly string[]).includes(type)) {
      throw new MobyDickError('USAGE', `"${type}" is not a valid value for --type`, { subject: type, hint: `--type takes ${OBJECT_TYPES.join(', ')}` });
    }
    const types: readonly ObjectType[] = type === undefined ? OBJECT_TYPES : [type as ObjectType];
    let failed = false;
    const docs = await withEngine(async (e) => {
      await e.releaseStaleNetworks();
      const out: Record<string, unknown>[] = [];
      for (const ref of operands) {
        try {
          out.push(inspectAny(e, ref, types, values.size === true));
        } catch (err) {
          if (!(err instanceof MobyDickError)) throw err;
          failed = true;
          process.stderr.write(`${formatError(err)}\n`);
        }
      }
      return out;
    });
    process.stdout.write(inspectOutput(docs, values.format));
    // Docker's exit status when a name is found nowhere
    return failed ? 1 : 0;
  },
});
