/**
 * The image store of an ordinary user ($XDG_DATA_HOME/moby-dick): its
 * layers hold the image's owners shifted into the user's subordinate ids,
 * as rootless Podman's store does. Only root of the user's user namespace
 * can write such owners or remove such files, so both are done in a
 * process there (userns-run.ts): SELF is how to run this CLI again, whose
 * hidden commands `rootless-unpack` and `rootless-remove` do the work.
 */
import { rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { MobyDickError } from '../errors.js';
import { runInUserNamespace } from './userns-run.js';

/** what the CLI prints before a warning */
const WARNING = /^moby-dick: warning: /;

/** The last line of a failed command's stderr, without the CLI's "moby-dick: " in front. */
function failure(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => l && !WARNING.test(l));
  return (lines[lines.length - 1] ?? 'failed without a message').replace(/^moby-dick: /, '');
}

export interface RootlessStoreParts {
  unpacker: (tar: Readable, destDir: string, opts: { diffId: string }) => Promise<void>;
  removeTree: (path: string) => void;
}

/** The unpacker and remover of a rootless store; WARN gets each warning of an unpack (a device node skipped). */
export function rootlessStoreParts(self: readonly string[], warn: (message: string) => void): RootlessStoreParts {
  return {
    async unpacker(tar, destDir, opts) {
      const r = await runInUserNamespace([...self, 'rootless-unpack', '--layer', opts.diffId, destDir], tar);
      for (const line of r.stderr.split('\n')) if (WARNING.test(line)) warn(line.replace(WARNING, ''));
      if (r.code !== 0) {
        throw new MobyDickError('ARCHIVE', failure(r.stderr), { subject: opts.diffId, step: 'unpack (rootless)' });
      }
    },
    removeTree(path) {
      try {
        rmSync(path, { recursive: true, force: true });
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EACCES' && code !== 'EPERM') throw e;
      }
      // files of the user's subordinate ids: removed by root of the user namespace
      // child_process is taken when needed: it may not be in the CLI's startup snapshot
      const r = process.getBuiltinModule('node:child_process').spawnSync(self[0]!, [...self.slice(1), 'rootless-remove', path], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (r.status !== 0) {
        throw new MobyDickError('STORE', `cannot remove ${path}: ${failure(r.stderr ?? '')}`, {
          subject: path,
          hint: 'remove it with `podman unshare rm -rf` or as root',
        });
      }
    },
  };
}
