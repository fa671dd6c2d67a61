/** `moby-dick build [OPTIONS] PATH|-`: an image from a Dockerfile (src/build/). */
import { closeSync, constants as fsc, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { constants as osc } from 'node:os';
import { Builder, CanceledError } from '../../build/builder.js';
import { IgnoreRules } from '../../build/dockerignore.js';
import { BuildProgress } from '../../build/progress.js';
import { TtyProgress } from '../../build/tty-progress.js';
import { extractTree } from '../../engine/archive-fs.js';
import { MobyDickError } from '../../errors.js';
import { decompressArchive, sniffArchiveCompression } from '../../images/decompress.js';
import { defineCommand } from '../command.js';
import { withEngine } from '../engine-context.js';
import { formatError } from '../report-error.js';

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
async function stdinContext(dir: string): Promise<string | undefined> {
  const data = await readAll(process.stdin);
  if (!isTar(data.subarray(0, 512))) return data.toString('utf8');
  const fd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await extractTree(decompressArchive((async function* () { yield data; })()), fd, { into: '/', label: 'the build context on stdin' });
  } finally {
    closeSync(fd);
  }
  return undefined;
}

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
exit status 128+N.`,
  options: OPTIONS,
  args: { min: 1, max: 1 },
  async run(flags, operands) {
    const progressMode = flags.progress ?? 'auto';
    if (!['auto', 'plain', 'tty', 'quiet'].includes(progressMode)) {
      throw new MobyDickError('USAGE', `invalid --progress: ${progressMode}`, { hint: 'auto, plain or tty' });
    }
    const operand = operands[0]!;
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
        dockerfileText = await stdinContext(temp);
      } else {
        context = resolve(operand);
        if (!existsSync(context) || !statSync(context).isDirectory()) {
          throw new MobyDickError('USAGE', `unable to prepare context: path "${operand}" not found`, { subject: operand, hint: 'the build context is a directory' });
        }
      }
      let name = 'Dockerfile';
      if (dockerfileText === undefined) {
        const file = flags.file === '-' ? undefined : flags.file !== undefined ? resolve(flags.file) : join(context, 'Dockerfile');
        if (file === undefined) dockerfileText = (await readAll(process.stdin)).toString('utf8');
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
      const tty = !quiet && (progressMode === 'tty' || (progressMode === 'auto' && process.stderr.isTTY === true));
      const progress = tty ? new TtyProgress(process.stderr) : new BuildProgress(process.stderr, quiet);
      // Ctrl-C: the builder stops and cleans up; a second one while it does changes nothing
      let builder: Builder | undefined;
      let signalled: NodeJS.Signals | undefined;
      const onSignal = (sig: NodeJS.Signals): void => {
        signalled ??= sig;
        builder?.cancel(sig);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let result;
      try {
        result = await withEngine((engine) => {
          builder = new Builder(engine, {
            context,
            ignore,
            dockerfile: { text: dockerfileText!, name },
            tags: flags.tag ?? [],
            buildArgs: pairs(flags['build-arg'] ?? [], '--build-arg', process.env),
            ...(flags.target !== undefined ? { target: flags.target } : {}),
            noCache: flags['no-cache'] === true,
            pull: flags.pull === true,
            labels: Object.fromEntries(pairs(flags.label ?? [], '--label', process.env)),
            network: flags.network ?? 'bridge',
            progress,
          });
          if (signalled) builder.cancel(signalled);
          return builder.build();
        });
      } catch (e) {
        if (!(e instanceof CanceledError) || !signalled) throw e;
        progress.close();
        process.stderr.write(`${formatError(e)}\n`);
        return 128 + osc.signals[signalled];
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        progress.close();
      }
      if (flags.iidfile !== undefined) writeFileSync(flags.iidfile, result.id);
      if (quiet) process.stdout.write(`${result.id}\n`);
      return 0;
    } finally {
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  },
});
