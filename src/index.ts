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
 *   rt.start('web');
 */
export { type ContainerConfig, type User, DEFAULT_HOSTNAME, defaultEnv } from './runtime/config.js';
export {
  Container,
  type ExitStatus,
  runContainer,
  type StartOptions,
  startContainer,
  type StepTiming,
} from './runtime/container.js';
export { type ErrorCode, type ErrorDetails, MobyDickError } from './errors.js';
export type { Capability } from './linux/capabilities.js';
export { type CreateOptions, type LoadedSpec, OciRuntime } from './oci/lifecycle.js';
export { DEFAULT_ROOT, type OciState, type Status, StateStore } from './oci/state.js';
export type { Spec } from './oci/spec.js';

/**
 * Images: references, pulling and pushing, and the store.
 *
 *   import { ImageStore, gnuTarUnpacker, pullImage } from 'moby-dick';
 *   const store = new ImageStore({ root: '/var/lib/moby-dick', unpacker: gnuTarUnpacker });
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
export { gnuTarUnpacker, type LayerUnpacker, type UnpackOptions } from './images/layer-unpacker.js';
export { DEFAULT_STORE_ROOT, type ImageRecord, ImageStore, type ImageStoreOptions, storeRoot } from './images/store/image-store.js';
export type { PlatformSpec } from './images/platform.js';
