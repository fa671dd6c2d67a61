/**
 * Runs the pure steps of `moby-dick run IMAGE` once, on made-up input, while
 * the CLI's startup snapshot is built (cli/snapshot.ts). V8 compiles a
 * function when it first runs and keeps that code in the snapshot, so the
 * first `run` of every process no longer compiles them: the options, the
 * image config's schema (zod), the run settings, the user lookup, the OCI
 * spec with the default seccomp profile, its compiled filter, the plan and
 * its encoding; and the jail's and the original form's (jail-warm-up.ts).
 *
 * Only pure functions, and nothing kept: whatever is left in a module's
 * state here would be in every process started from the snapshot. One
 * exception, on purpose: `ps`'s default table, parsed (a pure function of
 * a constant), stays in go-template.ts's memo.
 */
import { buildSpec, RUN_DEFAULTS } from '../spec/spec-builder.js';
import { parseImageConfig } from '../images/manifest.js';
import { imageEnv, runSettings } from '../images/run-settings.js';
import { resolveUser } from '../images/user-lookup.js';
import { compileOciPlan } from '../oci/compile.js';
import { compileSeccomp } from '../oci/seccomp.js';
import { monitorOps } from '../helper/monitor-ops.js';
import { encodePlan } from '../helper/plan-wire.js';
import { parseCommandLine } from './args.js';
import { CREATE_OPTIONS, createRequest } from './create-options.js';
import { warmUpJail } from './jail-warm-up.js';
import { warmUpPs } from './commands/container-ps.js';

const DIGEST = `sha256:${'0'.repeat(64)}`;
const DIR = '/mdk-warm-up';

export function warmUp(): void {
  const { values, operands } = parseCommandLine(['--rm', 'mdk-warm-up:latest', 'true'], CREATE_OPTIONS, 'moby-dick run --help');
  const req = createRequest(values, operands);
  const image = parseImageConfig(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '', Labels: { a: 'b' } },
        rootfs: { type: 'layers', diff_ids: [DIGEST] },
        history: [{ created_by: 'mdk-warm-up' }],
      }),
    ),
  );
  const config = image.config ?? {};
  const settings = runSettings(config, { command: req.command, entrypoint: req.entrypoint, workdir: req.workdir, user: req.user }, req.image);
  const user = resolveUser(settings.user, 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n', 'root:x:0:\nnogroup:x:65534:\n');
  const spec = buildSpec({
    id: 'mdk-warm-up',
    rootfs: `${DIR}/merged`,
    ...RUN_DEFAULTS,
    argv: settings.argv,
    env: imageEnv(config, 'mdk-warm-up', user.home, false),
    cwd: settings.cwd,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    hostname: 'mdk-warm-up',
    cgroupsPath: '/mdk-warm-up/mdk-warm-up',
  });
  JSON.stringify(spec);
  const plan = compileOciPlan(spec, {
    bundle: DIR,
    fifo: `${DIR}/exec.fifo`,
    cgroupPath: '/mdk-warm-up/mdk-warm-up',
    seccomp: compileSeccomp(spec.linux!.seccomp!),
    detach: false,
    syncCgroup: true,
    host: {
      kindOf: () => 'dir',
      cgroupV1: [{ name: 'memory', options: 'memory' }, { name: 'pids', options: 'pids' }],
      cgroupV2Only: false,
    },
    overlay: { lower: [`${DIR}/layer`], upper: `${DIR}/diff`, work: `${DIR}/work` },
  });
  plan.splice(1, 0, ...monitorOps({ log: { path: `${DIR}/log`, maxSize: 0, maxFiles: 1 }, exitFile: `${DIR}/exit.json`, attachSocket: `${DIR}/attach.sock`, stdinOpen: false, onExit: [`${DIR}/moby-dick`, 'container-exited'] }));
  encodePlan(plan);

  warmUpJail();
  warmUpPs();
}
