/**
 * moby-dick as a library:
 *
 *   import { runContainer } from 'moby-dick';
 *   const { exitCode } = await runContainer({ rootfs: '/srv/alpine', command: ['echo', 'hi'] });
 *
 * and the OCI runtime, as moby-dick-runtime drives it:
 *
 *   import { OciRuntime, StateStore } from 'moby-dick';
 *   const rt = new OciRuntime(new StateStore('/run/moby-dick'));
 *   await rt.create('web', { bundle: '/srv/bundles/web' });
 *   await rt.start('web');
 *
 * and the engine (openEngine, below), and image layers: unpackLayer (exact and safe, see src/images/unpack/unpack-layer.ts),
 * openTarReader and TarWriter.
 */
export { type ContainerConfig, type User, DEFAULT_HOSTNAME, defaultEnv } from './helper/config.js';
export { Container, type Detached, type ExitStatus, type StartOptions, type StepTiming } from './helper/container.js';
export { runContainer, startContainer } from './jail/start.js';
export { type ExitRecord, type MonitorLog, type MonitorOptions, parseExitRecord } from './helper/monitor-ops.js';
export { type ErrorCode, type ErrorDetails, MobyDickError } from './errors.js';
export type { Capability } from './linux/capabilities.js';
export { type CreateOptions, type LoadedSpec, OciRuntime } from './oci/lifecycle.js';
export { DEFAULT_ROOT, type OciState, type Status, StateStore } from './oci/state.js';
export type { Spec } from './spec/schema.js';
export { type Compression, compressionOfMediaType } from './images/decompress.js';
export {
  openTarReader,
  readBody,
  type TarEntry,
  type TarEntryType,
  type TarHeader,
  TarParser,
  type TarSink,
  type TarTime,
} from './images/tar/tar-reader.js';
export { TarWriter, type TarWriterEntry } from './images/tar/tar-writer.js';
export { type UnpackOptions, type UnpackResult, unpackLayer, unpackLayerFile } from './images/unpack/unpack-layer.js';

/**
 * Images: references, pulling and pushing, and the store.
 *
 *   import { ImageStore, layerUnpacker, pullImage } from 'moby-dick';
 *   const store = new ImageStore({ root: '/var/lib/moby-dick', unpacker: layerUnpacker });
 *   const { imageId } = await pullImage(store, 'localhost:5000/busybox');
 */
export {
  familiarString,
  parseNormalizedReference,
  type Reference,
  referenceString,
  withDefaultTag,
} from './images/reference.js';
export { pullImage, type PullOptions, type PullProgress, type PullResult } from './images/pull.js';
export { pushImage, type PushOptions, type PushResult } from './images/push.js';
export { findImage, getImage } from './images/lookup.js';
export { pruneImages, removeImage } from './images/remove.js';
export type { LayerFileUnpackOptions, LayerUnpacker, LayerUnpackOptions } from './images/store/layer-unpacker.js';
export { layerUnpacker } from './images/unpack/layer-unpacker.js';
export { DEFAULT_STORE_ROOT, type ImageRecord, ImageStore, type ImageStoreOptions, storeRoot } from './images/store/image-store.js';
export type { PlatformSpec } from './images/platform.js';

/**
 * The engine (the one `moby-dick run` and the Engine API service use), in-process:
 *
 *   import { openEngine } from 'moby-dick';
 *   const engine = await openEngine({ root: '/var/lib/moby-dick' });
 *   const c = await engine.run({ image: 'busybox', command: ['echo', 'hi'], network: 'none' });
 *   await c.wait(); // { exitCode: 0 }
 *   engine.remove(c.id);
 *   await engine.close();
 */
export {
  type AttachStreams,
  type CommitOptions,
  type ContainerExit,
  type ContainerOptions,
  type ContainerSummary,
  type CopyOptions,
  type EngineHandle,
  type ExecOptions,
  type ExecResult,
  type FileChange,
  type ImageSummary,
  type LogLine,
  type LogsOptions,
  type MountOptions,
  openEngine,
  type OpenEngineOptions,
  type PortOptions,
  type PublishedPort,
  type ResourceOptions,
  type RestartOptions,
  type StartedContainer,
  type UpdateOptions,
} from './library/engine-handle.js';
export type { ContainerStatus } from './engine/status.js';
