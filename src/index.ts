/**
 * moby-dick as a library:
 *
 *   import { runContainer } from 'moby-dick';
 *   const { exitCode } = await runContainer({ rootfs: '/srv/alpine', command: ['echo', 'hi'] });
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
