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
