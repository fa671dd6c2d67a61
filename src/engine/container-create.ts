/**
 * `create`: a container recorded from an image and a create request — its
 * name, the image (pulled when missing, or as --pull and --platform say),
 * its health check (the image's under the request's), the user looked up in the image's
 * files, its networking and mounts, and the engine's part of its OCI
 * config, checked by building the spec before anything is made — and its
 * writable layer's directories. Nothing runs yet.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { containerEvent } from './events.js';
import { MobyDickError } from '../errors.js';
import { readImageFile } from '../images/image-files.js';
import { findImage, noSuchImage } from '../images/lookup.js';
import { formatPlatform, hostPlatform, type PlatformSpec, platformMatches } from '../images/platform.js';
import { familiarString, parseNormalizedReference, withDefaultTag } from '../images/reference.js';
import { healthConfigError, imageHealthcheck, mergeHealthcheck } from './health.js';
import { pullImage } from '../images/pull.js';
import { imageEnv, runSettings } from '../images/run-settings.js';
import { resolveGroups, resolveUser } from '../images/user-lookup.js';
import { checkSpecRules } from '../oci/spec-rules.js';
import { containerConfig } from './container-config.js';
import { containerMounts, volumesFrom } from './container-mounts.js';
import { resolveNetworking } from './container-networking.js';
import type { ContainerRecord } from './container-table.js';
import type { CreateRequest } from './create-request.js';
import type { EngineCore } from './engine-core.js';
import { cgroupParent } from './leftovers.js';
import { buildSpec, DEFAULT_SHM_SIZE, limitsAndSecurity } from '../spec/spec-builder.js';
import { isRootless } from '../rootless/rootless.js';
import { refuseForRootlessContainer, userDelegation } from './rootless-container.js';
import { checkMemoryAndCpu } from './update-limits.js';
import { checkContainerSysctls } from '../spec/sysctls.js';
import { mappedDevices } from './host-devices.js';
import { ownNamespaces, parseNamespaceModes, resolveNamespaceModes } from './namespace-modes.js';
import { supportedResources } from './resource-support.js';
import { hostname as hostHostname } from 'node:os';

/** what a container's name may be (Docker's) */
export const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Docker-like names: adjective_noun, from small lists of our own. */
const ADJECTIVES = ['brave', 'calm', 'eager', 'fond', 'gentle', 'happy', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'sharp', 'steady', 'swift', 'tidy', 'vivid', 'wise', 'witty', 'zesty'];
const NOUNS = ['ahab', 'queequeg', 'starbuck', 'stubb', 'flask', 'ishmael', 'pequod', 'tashtego', 'daggoo', 'fedallah', 'pip', 'bildad', 'peleg', 'gabriel', 'bulkington', 'perth', 'fleece', 'elijah', 'mapple', 'rachel'];

function generatedName(): string {
  const b = randomBytes(3);
  return `${ADJECTIVES[b[0]! % ADJECTIVES.length]}_${NOUNS[b[1]! % NOUNS.length]}${b[2]! % 10 === 0 ? '' : b[2]! % 100}`;
}

/** A --platform this machine cannot run: refused before anything is pulled. */
function checkPlatform(wanted: PlatformSpec | undefined): void {
  if (wanted === undefined || platformMatches(wanted, hostPlatform())) return;
  throw new MobyDickError('USAGE', `platform ${formatPlatform(wanted)} cannot run here: this machine is ${formatPlatform(hostPlatform())}, and moby-dick does not emulate other platforms`, {
    subject: formatPlatform(wanted),
    hint: `leave --platform out, or give ${formatPlatform(hostPlatform())}`,
  });
}

/**
 * The image REQ names: the store's (unless --pull always), pulled when the
 * store does not have it (unless --pull never), or has it for another
 * platform than --platform asks; its ID.
 */
async function imageFor(e: EngineCore, req: CreateRequest): Promise<string> {
  const ref = req.image;
  const policy = req.pull ?? 'missing';
  const found = policy === 'always' ? undefined : findImage(e.store, ref);
  const platformOf = (id: string): PlatformSpec => {
    const c = e.store.imageConfig(id);
    return { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) };
  };
  const mismatch = found && req.platform && !platformMatches(req.platform, platformOf(found.image.id));
  if (found && !mismatch) return found.image.id;
  if (policy === 'never') {
    if (found && req.platform) {
      throw new MobyDickError('IMAGE', `image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(req.platform)}, actual: ${formatPlatform(platformOf(found.image.id))}`, { image: ref, hint: 'pull it for this platform, or leave out --pull never' });
    }
    throw noSuchImage(familiarRef(ref));
  }
  if (!found) e.options.progress?.line(`Unable to find image '${ref}' locally`);
  const pulled = await pullImage(e.store, ref, { ...(e.options.progress ? { progress: e.options.progress } : {}), ...(req.platform ? { platform: req.platform } : {}) });
  return pulled.imageId;
}

/** REF as Docker's errors name it: busybox:latest. */
function familiarRef(ref: string): string {
  try {
    return familiarString(withDefaultTag(parseNormalizedReference(ref)));
  } catch {
    return ref;
  }
}

/** `create`: records the container and makes its writable layer; nothing runs yet. */
export async function create(e: EngineCore, req: CreateRequest): Promise<ContainerRecord> {
  if (e.options.rootless ?? isRootless()) refuseForRootlessContainer(req, userDelegation());
  const name = req.name ?? (e.options.names ?? generatedName)();
  if (!NAME.test(name)) throw new MobyDickError('USAGE', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { container: name });
  // Docker's daemon's checks (below 6MB the container dies as it starts, of the OOM killer)
  checkMemoryAndCpu(req);
  checkPlatform(req.platform);
  const healthError = req.healthcheck && healthConfigError(req.healthcheck);
  if (healthError) throw new MobyDickError('USAGE', healthError, { hint: 'durations are 0 (the default) or at least 1ms; retries 0 (the default) or more' });
  const imageId = await imageFor(e, req);
  const config = e.store.imageConfig(imageId).config ?? {};
  const healthcheck = mergeHealthcheck(imageHealthcheck(config.Healthcheck), req.healthcheck);
  const shell = Array.isArray(config.Shell) && config.Shell.every((w) => typeof w === 'string') && config.Shell.length ? (config.Shell as string[]) : undefined;
  const layers = e.store.layerPaths(imageId).reverse();
  const settings = runSettings(config, { command: req.command, entrypoint: req.entrypoint, workdir: req.workdir, user: req.user }, req.image);
  const read = (path: string) => readImageFile(layers, path, e.syscalls, e.options.rootless ?? isRootless())?.toString('utf8') ?? null;
  const groupFile = read('/etc/group');
  const user = resolveUser(settings.user, read('/etc/passwd'), groupFile);
  const additionalGids = [...user.additionalGids];
  for (const g of resolveGroups(req.groupAdd ?? [], groupFile)) if (g !== user.gid && !additionalGids.includes(g)) additionalGids.push(g);
  const id = randomBytes(32).toString('hex');
  const exposedPorts = [...Object.keys(config.ExposedPorts ?? {}), ...req.expose.map((e) => (e.includes('/') ? e : `${e}/tcp`))];
  const modes = resolveNamespaceModes(e, parseNamespaceModes(req));
  if (modes.uts === 'host' && req.hostname !== undefined) throw new MobyDickError('USAGE', 'Conflicting options: hostname and the UTS mode', { subject: req.hostname, hint: 'drop --hostname or --uts host' });
  const net = resolveNetworking(e, req, exposedPorts);
  checkContainerSysctls(req.sysctls ?? {}, { network: net.mode === 'host', ipc: modes.ipc === 'host', uts: modes.uts === 'host' });
  const hostname = modes.uts === 'host' ? hostHostname() : req.hostname ?? (net.mode === 'container' ? e.containers.find(net.container!).engine.hostname : id.slice(0, 12));
  const devices = req.devices?.length ? { deviceMappings: [...req.devices], ...mappedDevices(req.devices) } : {};
  const limits = supportedResources(limitsAndSecurity(req), (m) => e.options.warn?.(m));
  const env = new Map<string, string>();
  for (const e of [...imageEnv(config, hostname, user.home, req.tty), ...req.env]) env.set(e.slice(0, e.indexOf('=')), e);
  const paths = e.paths(id);
  const volumes: Record<string, string> = {};
  const { binds, tmpfs, filesystems } = containerMounts(e.store.root, req, volumes, e.store.events.recorder);
  if (req.volumesFrom?.length) volumesFrom(e.containers, req.volumesFrom, { binds, filesystems, tmpfs, volumes });
  const record: ContainerRecord = {
    id,
    name,
    image: req.image,
    imageId,
    entrypointLength: settings.entrypointLength,
    created: new Date().toISOString(),
    layers,
    ...(req.volatileUpper ? { volatileUpper: true } : {}),
    openStdin: req.openStdin,
    ...(req.stdinOnce && req.openStdin ? { stdinOnce: true } : {}),
    stopSignal: req.stopSignal ?? settings.stopSignal,
    stopTimeout: req.stopTimeout ?? 10,
    restart: req.restart,
    autoRemove: req.autoRemove,
    init: req.init,
    log: { ...req.log, ...(req.logDriver === 'none' ? { driver: 'none' as const } : {}) },
    namespaceModes: modes,
    ...(req.volumesFrom?.length ? { volumesFrom: [...req.volumesFrom] } : {}),
    ...(req.groupAdd?.length ? { groupAdd: [...req.groupAdd] } : {}),
    labels: req.labels,
    volumes,
    net,
    exposedPorts,
    ...(healthcheck ? { healthcheck } : {}),
    ...(shell ? { shell } : {}),
    config: containerConfig(config as Record<string, unknown>, req),
    state: { restartCount: 0 },
    engine: {
      id,
      rootfs: paths.merged,
      readOnly: req.readOnly,
      argv: settings.argv,
      env: [...env.values()],
      cwd: settings.cwd,
      user: { uid: user.uid, gid: user.gid, additionalGids },
      tty: req.tty,
      hostname,
      binds,
      tmpfs,
      ...(filesystems.length ? { filesystems } : {}),
      ...limits,
      ...devices,
      ...(req.sysctls && Object.keys(req.sysctls).length ? { sysctls: { ...req.sysctls } } : {}),
      ...ownNamespaces(modes),
      shmSize: req.shmSize ?? DEFAULT_SHM_SIZE,
      network: { mode: net.mode === 'host' ? 'host' : 'none' },
      cgroupsPath: `/${cgroupParent()}/${id}`,
      labels: req.labels,
    },
  };
  // refuses what it cannot build, and what the runtime would refuse at every start, before anything is made
  checkSpecRules(buildSpec(record.engine));
  addRecord(e, record, req.name === undefined);
  try {
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    // the upper dir is the container's "/": every user must be able to enter it
    mkdirSync(paths.upper, { mode: 0o755 });
    mkdirSync(paths.work, { mode: 0o700 });
    mkdirSync(paths.merged, { mode: 0o700 });
  } catch (err) {
    e.containers.remove(id);
    rmSync(paths.dir, { recursive: true, force: true });
    throw err;
  }
  return record;
}

/**
 * Records RECORD; a GENERATED name that is taken (about 40,000 of them:
 * a hundred containers collide now and then) is drawn again, as Docker does.
 */
function addRecord(e: EngineCore, record: ContainerRecord, generated: boolean): void {
  for (let attempt = 0; ; attempt++) {
    try {
      e.containers.add(record);
      containerEvent(e, record, 'create');
      return;
    } catch (err) {
      if (!generated || attempt >= 20 || !(err instanceof MobyDickError) || !err.message.startsWith('Conflict.')) throw err;
      record.name = (e.options.names ?? generatedName)();
    }
  }
}
