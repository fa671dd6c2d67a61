/** `moby-dick build [OPTIONS] PATH|-`: an image from a Dockerfile (src/build/). */
import { closeSync, constants as fsc, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { constants as osc } from 'node:os';
import { Builder, CanceledError } from '../../build/builder.js';
import { IgnoreRules } from '../../build/dockerignore.js';
import { BuildProgress } from '../../build/progress.js';
import { processTreeMemo } from '../../build/sources.js';
import { TtyProgress } from '../../build/tty-progress.js';
import { extractTree } from '../../engine/archive-fs.js';
import { MobyDickError } from '../../errors.js';
import { decompressArchive, sniffArchiveCompression } from '../../images/decompress.js';
import { Readable } from 'node:stream';
import type { ForwardedBuildRunner } from '../../api/service.js';
import type { Engine } from '../../engine/engine.js';
import { parseCommandLine, type ParsedValues } from '../args.js';
import { defineCommand, outsideRun } from '../command.js';
import { withEngine } from '../engine-context.js';
import { formatError } from '../report-error.js';
import { isRootless } from '../../rootless/rootless.js';

const OPTIONS = {
  tag: { type: 'string', short: 't', multiple: true },
  file: { type: 'string', short: 'f' },
  'build-arg': { type: 'string', multiple: true },
  target: { type: 'string' },
  'no-cache': { type: 'boolean' },
  pull: { type: 'boolean' },
  label: { type: 'string', multiple: true },
  network: { type: 'string' },
  progress: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  iidfile: { type: 'string' },
} as const;

function pairs(values: readonly string[], flag: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const m = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq === 0) throw new MobyDickError('USAGE', `invalid ${flag}: ${v}: a name is needed before =`, { subject: v });
    // --build-arg NAME alone takes NAME from the environment, as Docker
    if (eq < 0) {
      if (flag === '--build-arg') {
        if (env[v] !== undefined) m.set(v, env[v]!);
      } else m.set(v, '');
    } else m.set(v.slice(0, eq), v.slice(eq + 1));
  }
  return m;
}

async function readAll(input: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of input) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function isTar(head: Buffer): boolean {
  return sniffArchiveCompression(head) !== 'none' || (head.length >= 263 && head.toString('latin1', 257, 262) === 'ustar');
}

/** `-`: a tar of the context (plain, gzip, zstd, xz or bzip2) on stdin, or a Dockerfile alone */
async function stdinContext(input: NodeJS.ReadableStream, dir: string): Promise<string | undefined> {
  const data = await readAll(input);
  if (!isTar(data.subarray(0, 512))) return data.toString('utf8');
  const fd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    // an ordinary user cannot give the files the tar's owners (COPY takes root's, or --chown's, anyway)
    const own = isRootless() ? { owner: { uid: process.geteuid!(), gid: process.getegid!() } } : {};
    await extractTree(decompressArchive((async function* () { yield data; })()), fd, { into: '/', label: 'the build context on stdin', ...own });
  } finally {
    closeSync(fd);
  }
  return undefined;
}

type BuildFlags = ParsedValues<typeof OPTIONS>;

interface TextSink {
  write(text: string): unknown;
}

/** Where a build reads and writes: this process's, or a client's of the API service (forwardedBuild). */
export interface BuildIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink & { readonly isTTY?: boolean; readonly columns?: number };
  readonly env: NodeJS.ProcessEnv;
  /** relative paths (the context, -f, --iidfile) are resolved from here */
  readonly cwd: string;
  readonly stdin: () => NodeJS.ReadableStream;
  withEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T>;
  /** calls CANCEL when the build is to stop (a signal, the client's going); returns what undoes that */
  onCancel(cancel: (why: NodeJS.Signals) => void): () => void;
}

function processIo(): BuildIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    stdin: () => process.stdin,
    withEngine: (fn) => withEngine(fn),
    onCancel(cancel) {
      process.on('SIGINT', cancel);
      process.on('SIGTERM', cancel);
      return () => {
        process.off('SIGINT', cancel);
        process.off('SIGTERM', cancel);
      };
    },
  };
}

/** `moby-dick build` of OPERAND with FLAGS (parsed), reading and writing through IO; the exit status. */
async function runBuild(flags: BuildFlags, operand: string, io: BuildIo): Promise<number> {
  const progressMode = flags.progress ?? 'auto';
  if (!['auto', 'plain', 'tty', 'quiet'].includes(progressMode)) {
    throw new MobyDickError('USAGE', `invalid --progress: ${progressMode}`, { hint: 'auto, plain or tty' });
  }
  if (/^(https?|git):\/\/|^git@/.test(operand)) {
    throw new MobyDickError('USAGE', `a remote build context is not supported: ${operand}`, { hint: 'clone or download it, then build the directory' });
  }
  let temp: string | undefined;
  try {
    let context: string;
    let dockerfileText: string | undefined;
    if (operand === '-') {
      temp = mkdtempSync(join(tmpdir(), 'moby-dick-context-'));
      context = temp;
      dockerfileText = await stdinContext(io.stdin(), temp);
    } else {
      context = resolve(io.cwd, operand);
      if (!existsSync(context) || !statSync(context).isDirectory()) {
        throw new MobyDickError('USAGE', `unable to prepare context: path "${operand}" not found`, { subject: operand, hint: 'the build context is a directory' });
      }
    }
    let name = 'Dockerfile';
    if (dockerfileText === undefined) {
      const file = flags.file === '-' ? undefined : flags.file !== undefined ? resolve(io.cwd, flags.file) : join(context, 'Dockerfile');
      if (file === undefined) dockerfileText = (await readAll(io.stdin())).toString('utf8');
      else {
        try {
          dockerfileText = readFileSync(file, 'utf8');
        } catch {
          throw new MobyDickError('USAGE', `failed to read dockerfile: open ${file}: no such file or directory`, { subject: file, hint: 'name it with -f FILE' });
        }
        name = flags.file ?? 'Dockerfile';
      }
    }
    const ignoreFile = join(context, '.dockerignore');
    const ignore = existsSync(ignoreFile) ? IgnoreRules.parse(readFileSync(ignoreFile, 'utf8')) : IgnoreRules.none();
    const quiet = flags.quiet === true || progressMode === 'quiet';
    const tty = !quiet && (progressMode === 'tty' || (progressMode === 'auto' && io.stderr.isTTY === true));
    const progress = tty ? new TtyProgress(io.stderr) : new BuildProgress(io.stderr, quiet);
    // Ctrl-C: the builder stops and cleans up; a second one while it does changes nothing
    let builder: Builder | undefined;
    let signalled: NodeJS.Signals | undefined;
    const stopCancel = io.onCancel((sig) => {
      signalled ??= sig;
      builder?.cancel(sig);
    });
    let result;
    try {
      result = await io.withEngine((engine) => {
        builder = new Builder(engine, {
          context,
          ignore,
          dockerfile: { text: dockerfileText!, name },
          tags: flags.tag ?? [],
          buildArgs: pairs(flags['build-arg'] ?? [], '--build-arg', io.env),
          ...(flags.target !== undefined ? { target: flags.target } : {}),
          noCache: flags['no-cache'] === true,
          pull: flags.pull === true,
          labels: Object.fromEntries(pairs(flags.label ?? [], '--label', io.env)),
          network: flags.network ?? 'bridge',
          progress,
          // a directory of the user's stays: a warm service keeps its trees for the next build
          ...(temp === undefined ? { trees: processTreeMemo() } : {}),
        });
        if (signalled) builder.cancel(signalled);
        return builder.build();
      });
    } catch (e) {
      if (!(e instanceof CanceledError) || !signalled) throw e;
      progress.close();
      io.stderr.write(`${formatError(e)}\n`);
      return 128 + osc.signals[signalled];
    } finally {
      stopCancel();
      progress.close();
    }
    if (flags.iidfile !== undefined) writeFileSync(resolve(io.cwd, flags.iidfile), result.id);
    if (quiet) io.stdout.write(`${result.id}\n`);
    return 0;
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * A build the API service runs for the launcher (native/launcher/forward-build.c;
 * api/forwarded-build.ts): ARGV as `moby-dick build` would parse it, run on
 * the service's ENGINE with the client's ENV and CWD. Undefined for a command
 * line the client is to run itself: one that does not parse, --help, a
 * context or Dockerfile on stdin, the TTY view (its errors and output are
 * then the CLI's own, as without a service).
 */
export const forwardedBuild: ForwardedBuildRunner = (argv) => {
  let parsed;
  try {
    parsed = parseCommandLine(argv, { ...OPTIONS, help: { type: 'boolean', short: 'h' } }, 'moby-dick build --help', 'interspersed');
  } catch {
    return undefined;
  }
  const { values, operands } = parsed;
  if (values.help || operands.length !== 1 || operands[0] === '-' || values.file === '-' || values.progress === 'tty') return undefined;
  const flags = values as BuildFlags;
  return async (client) => {
    const io: BuildIo = {
      stdout: client.stdout,
      stderr: client.stderr,
      env: client.env,
      cwd: client.cwd,
      stdin: () => Readable.from([]),
      withEngine: (fn) => fn(client.engine),
      onCancel(cancel) {
        let listening = true;
        // the client hung up: as a terminal's hangup
        void client.gone.then(() => listening && cancel('SIGHUP'));
        return () => void (listening = false);
      },
    };
    try {
      return await runBuild(flags, operands[0]!, io);
    } catch (e) {
      const err = outsideRun(e);
      if (err instanceof MobyDickError) {
        io.stderr.write(`${formatError(err)}\n`);
        return err.exitCode;
      }
      io.stderr.write(`moby-dick: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      return 125;
    }
  };
};

export const command = defineCommand({
  name: 'build',
  usage: 'build [OPTIONS] PATH | -',
  summary: 'Build an image from a Dockerfile',
  description: `Build an image from a Dockerfile

Options:
  -t, --tag NAME          name and optionally a tag (name:tag); more than once for more names
  -f, --file FILE         the Dockerfile (default: PATH/Dockerfile)
      --build-arg K=V     a build-time variable (ARG); K alone takes it from the environment
      --target STAGE      build up to this stage; the stages it does not need are skipped
      --no-cache          run every step, taking nothing from the layer cache
      --pull              pull the base images even when they are in the store
      --label K=V         a label of the image
      --network MODE      RUN's network: bridge (default), host, none, or a network's name
      --progress TYPE     auto (tty on a terminal, else plain), plain or tty
  -q, --quiet             print only the image ID
      --iidfile FILE      write the image ID to FILE

PATH is the build context, a directory; - reads a tar of it (plain, gzip,
zstd, xz or bzip2) or a Dockerfile alone from STDIN. .dockerignore in the context
leaves files out of it. The output is on STDERR: BuildKit's plain progress
(#N lines; the lines of stages built at the same time are told apart by
their step number), or on a terminal the running steps with their last
lines, redrawn in place. A failing step is one error naming its Dockerfile
line, exit status 1. SIGINT or SIGTERM (Ctrl-C) cancels the build: the
running step's container is killed and removed, nothing half-made is kept,
exit status 128+N.

With 'moby-dick system service' listening on its default socket (or
$MOBY_DICK_SERVICE_SOCKET) on the same store, the build runs in the service
(a warm process, as docker build runs in dockerd), with the same output
and exit status; $MOBY_DICK_BUILD_IN_PROCESS=1 builds in this process.

As an ordinary user (rootless) RUN steps are rootless containers (network:
the default (pasta), host or none, as 'run'), COPY, ADD and WORKDIR write
into the step's root in your user namespace with the owners the Dockerfile
names there (root inside is you on the host, other ids your /etc/subuid
range), and the image goes to your store. The build is forwarded to your own
service on $XDG_RUNTIME_DIR/moby-dick/moby-dick.sock when it runs.`,
  options: OPTIONS,
  args: { min: 1, max: 1 },
  async run(flags, operands) {
    return runBuild(flags, operands[0]!, processIo());
  },
});
