/**
 * What `moby-dick run IMAGE [COMMAND...]` runs, from the image's config and
 * the command line, with Docker's rules: `--entrypoint` replaces the image's
 * Entrypoint and drops its Cmd; a COMMAND replaces Cmd; the process is
 * Entrypoint + Cmd; `-w` replaces WorkingDir (default "/", relative ones are
 * taken from "/"); `-u` replaces User; Env is the image's with PATH, HOSTNAME
 * and HOME filled in when missing, then -e and --env-file. Pure.
 */
import { posix } from 'node:path';
import { MobyDickError } from '../errors.js';
import { DEFAULT_PATH } from '../helper/config.js';

/** The runtime part of an image's config (OCI image-spec "config"; Docker's is the same). */
export interface ImageRunConfig {
  User?: string | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string | null;
  StopSignal?: string | null;
}

export interface RunOverrides {
  /** COMMAND [ARG...] after the image */
  command: readonly string[];
  /** --entrypoint: "" clears it */
  entrypoint?: string;
  workdir?: string;
  user?: string;
}

export interface RunSettings {
  argv: string[];
  /** how many of argv's words are the entrypoint (inspect's Config.Entrypoint; the rest is Config.Cmd) */
  entrypointLength: number;
  cwd: string;
  /** the user as written (name or number, maybe :group); resolve with user-lookup.ts */
  user: string;
  stopSignal: string;
}

export function runSettings(image: ImageRunConfig, cli: RunOverrides, imageName: string): RunSettings {
  const entrypoint = cli.entrypoint !== undefined ? (cli.entrypoint === '' ? [] : [cli.entrypoint]) : (image.Entrypoint ?? []);
  // Docker: a new entrypoint resets the image's Cmd
  const cmd = cli.command.length > 0 ? [...cli.command] : cli.entrypoint !== undefined ? [] : (image.Cmd ?? []);
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) {
    throw new MobyDickError('USAGE', `no command specified for ${imageName}`, {
      subject: imageName,
      hint: 'the image has no Entrypoint or Cmd: give a command after the image name',
    });
  }
  const dir = cli.workdir ?? image.WorkingDir ?? '';
  return {
    argv,
    entrypointLength: entrypoint.length,
    cwd: dir === '' ? '/' : posix.resolve('/', dir),
    user: cli.user ?? image.User ?? '',
    stopSignal: image.StopSignal || 'SIGTERM',
  };
}

/** The image's Env with Docker's defaults for what it lacks; -e and --env-file go on top (mergeEnv). */
export function imageEnv(image: ImageRunConfig, hostname: string, home: string, tty: boolean): string[] {
  const env = [...(image.Env ?? [])];
  const has = (key: string) => env.some((e) => e.startsWith(`${key}=`));
  if (!has('PATH')) env.unshift(`PATH=${DEFAULT_PATH}`);
  env.push(`HOSTNAME=${hostname}`);
  if (tty && !has('TERM')) env.push('TERM=xterm');
  if (!has('HOME')) env.push(`HOME=${home}`);
  return env;
}
