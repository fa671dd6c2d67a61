/** state, list, ps, spec, features: what the runtime tells its callers. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MobyDickError } from '../../errors.js';
import { CAPABILITIES } from '../../linux/capabilities.js';
import { defaultSpec } from '../../spec/default-spec.js';
import { rootlessDefaultSpec } from '../../rootless/rootless-spec.js';
import { OCI_VERSION } from '../../oci/state.js';
import { stateJson, stateLine } from '../../oci/fast-state.js';
import { type Command, parseFlags } from '../context.js';

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export const state: Command = (ctx, argv) => {
  const { positionals } = parseFlags('state', argv, {}, { min: 1, max: 1, names: 'exactly one container id' });
  process.stdout.write(stateJson(ctx.runtime.state(positionals[0]!)));
  return 0;
};

export const list: Command = (ctx, argv) => {
  const { values } = parseFlags('list', argv, { format: { type: 'string', short: 'f' }, quiet: { type: 'boolean', short: 'q' } }, { min: 0, max: 0, names: 'no arguments' });
  const states = ctx.runtime.list();
  if (values.quiet) {
    process.stdout.write(states.map((s) => `${s.id}\n`).join(''));
  } else if (values.format === 'json') {
    process.stdout.write(`[${states.map(stateLine).join(',')}]\n`);
  } else if (values.format === undefined || values.format === 'table') {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]! + 3)).join('').trimEnd() + '\n').join(''));
  } else {
    throw new MobyDickError('USAGE', `invalid format option ${JSON.stringify(values.format)}`, { hint: 'use table or json' });
  }
  return 0;
};

export const ps: Command = (ctx, argv) => {
  const { values, positionals } = parseFlags('ps', argv, { format: { type: 'string', short: 'f' } }, { min: 1, names: 'a container id' });
  const pids = ctx.runtime.ps(positionals[0]!);
  if (values.format === 'json') process.stdout.write(`${JSON.stringify(pids)}\n`);
  else process.stdout.write(['PID', ...pids.map(String)].join('\n') + '\n');
  return 0;
};

export const spec: Command = (_ctx, argv) => {
  const { values } = parseFlags('spec', argv, { bundle: { type: 'string', short: 'b' }, rootless: { type: 'boolean' } }, { min: 0, max: 0, names: 'no arguments' });
  const file = join(values.bundle ?? '.', 'config.json');
  if (existsSync(file)) throw new MobyDickError('USAGE', `File ${file} exists. Remove it first`, { subject: file });
  writeFileSync(file, json(values.rootless ? rootlessDefaultSpec(process.geteuid!(), process.getegid!()) : defaultSpec()));
  return 0;
};

/** What this runtime supports, in the shape of runc's `features` (runtime-spec features.md). */
export const features: Command = () => {
  process.stdout.write(
    json({
      ociVersionMin: '1.0.0',
      ociVersionMax: OCI_VERSION,
      hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
      mountOptions: [
        'async', 'atime', 'bind', 'dev', 'diratime', 'dirsync', 'exec', 'lazytime', 'mand', 'noatime', 'nodev',
        'nodiratime', 'noexec', 'nolazytime', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'private', 'rbind',
        'relatime', 'remount', 'ro', 'rprivate', 'rshared', 'rslave', 'runbindable', 'rw', 'shared', 'slave',
        'strictatime', 'suid', 'sync', 'unbindable',
      ],
      linux: {
        namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'uts'],
        capabilities: [...CAPABILITIES],
        cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
        seccomp: {
          enabled: true,
          actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
          operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
          archs: ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
          knownFlags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
          supportedFlags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
        },
        apparmor: { enabled: false },
        selinux: { enabled: false },
        intelRdt: { enabled: false },
        mountExtensions: { idmap: { enabled: false } },
      },
      annotations: { 'org.moby-dick.version': typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev' },
    }),
  );
  return 0;
};

declare const MOBY_DICK_VERSION: string;
