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
 *
 * and image layers: unpackLayer (exact and safe, see src/images/unpack-layer.ts),
 * openTarReader and TarWriter.
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
} from './images/tar-reader.js';
export { TarWriter, type TarWriterEntry } from './images/tar-writer.js';
export { type UnpackOptions, type UnpackResult, unpackLayer } from './images/unpack-layer.js';
