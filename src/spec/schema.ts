/**
 * The OCI runtime spec (config.json, runtime-spec 1.2, Linux), as a schema:
 * validation with errors that name the field path, and the TypeScript types
 * inferred from it. Fields moby-dick cannot honour yet are accepted here and
 * refused by src/oci/unsupported.ts with a clear message, so the schema stays the
 * spec.
 */
import { z } from 'zod';

const uint32 = z.number().int().min(0).max(0xffffffff);
const int64 = z.number().int();
const absolute = z.string().refine((p) => p.startsWith('/'), 'must be an absolute path');

const IdMapping = z.object({ containerID: uint32, hostID: uint32, size: uint32 }).strict();

export const MountSchema = z
  .object({
    destination: z.string().min(1),
    source: z.string().optional(),
    type: z.string().optional(),
    options: z.array(z.string()).optional(),
    uidMappings: z.array(IdMapping).optional(),
    gidMappings: z.array(IdMapping).optional(),
  })
  .strict();

const Hook = z
  .object({
    path: absolute,
    args: z.array(z.string()).optional(),
    env: z.array(z.string()).optional(),
    timeout: z.number().int().positive().optional(),
  })
  .strict();

const Rlimit = z.object({ type: z.string().regex(/^RLIMIT_[A-Z]+$/, 'must be RLIMIT_<NAME>'), hard: z.number().int().min(0), soft: z.number().int().min(0) }).strict();

const capList = z.array(z.string().regex(/^CAP_[A-Z_]+$/, 'must be a capability name like CAP_CHOWN'));

export const ProcessSchema = z
  .object({
    terminal: z.boolean().optional(),
    consoleSize: z.object({ height: uint32, width: uint32 }).strict().optional(),
    user: z
      .object({
        uid: uint32,
        gid: uint32,
        umask: uint32.optional(),
        additionalGids: z.array(uint32).optional(),
        username: z.string().optional(),
      })
      .strict(),
    args: z.array(z.string()).min(1, 'must name the command to run'),
    commandLine: z.string().optional(),
    env: z.array(z.string().regex(/^[^=]+=/, 'must be KEY=VALUE')).optional(),
    cwd: absolute,
    capabilities: z
      .object({
        bounding: capList.optional(),
        effective: capList.optional(),
        inheritable: capList.optional(),
        permitted: capList.optional(),
        ambient: capList.optional(),
      })
      .strict()
      .optional(),
    rlimits: z.array(Rlimit).optional(),
    noNewPrivileges: z.boolean().optional(),
    apparmorProfile: z.string().optional(),
    oomScoreAdj: z.number().int().min(-1000).max(1000).optional(),
    selinuxLabel: z.string().optional(),
    scheduler: z.record(z.unknown()).optional(),
    ioPriority: z.object({ class: z.string(), priority: z.number().int() }).strict().optional(),
    execCPUAffinity: z.object({ initial: z.string().optional(), final: z.string().optional() }).strict().optional(),
  })
  .strict();

const NamespaceType = z.enum(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);

const Device = z
  .object({
    type: z.enum(['c', 'b', 'u', 'p']),
    path: absolute,
    major: int64.optional(),
    minor: int64.optional(),
    fileMode: uint32.optional(),
    uid: uint32.optional(),
    gid: uint32.optional(),
  })
  .strict();

const DeviceRule = z
  .object({
    allow: z.boolean(),
    type: z.enum(['a', 'c', 'b']).optional(),
    major: int64.optional(),
    minor: int64.optional(),
    access: z.string().regex(/^[rwm]*$/, 'must be made of r, w and m').optional(),
  })
  .strict();

const weightDevice = z.object({ major: int64, minor: int64, weight: z.number().int().optional(), leafWeight: z.number().int().optional() }).strict();
const throttleDevice = z.object({ major: int64, minor: int64, rate: z.number().int().min(0) }).strict();

export const ResourcesSchema = z
  .object({
    devices: z.array(DeviceRule).optional(),
    memory: z
      .object({
        limit: int64.optional(),
        reservation: int64.optional(),
        swap: int64.optional(),
        kernel: int64.optional(),
        kernelTCP: int64.optional(),
        swappiness: z.number().int().min(0).max(100).optional(),
        disableOOMKiller: z.boolean().optional(),
        useHierarchy: z.boolean().optional(),
        checkBeforeUpdate: z.boolean().optional(),
      })
      .strict()
      .optional(),
    cpu: z
      .object({
        shares: z.number().int().min(0).optional(),
        quota: int64.optional(),
        burst: z.number().int().min(0).optional(),
        period: z.number().int().min(0).optional(),
        realtimeRuntime: int64.optional(),
        realtimePeriod: z.number().int().min(0).optional(),
        cpus: z.string().optional(),
        mems: z.string().optional(),
        idle: int64.optional(),
      })
      .strict()
      .optional(),
    pids: z.object({ limit: int64 }).strict().optional(),
    blockIO: z
      .object({
        weight: z.number().int().min(0).optional(),
        leafWeight: z.number().int().min(0).optional(),
        weightDevice: z.array(weightDevice).optional(),
        throttleReadBpsDevice: z.array(throttleDevice).optional(),
        throttleWriteBpsDevice: z.array(throttleDevice).optional(),
        throttleReadIOPSDevice: z.array(throttleDevice).optional(),
        throttleWriteIOPSDevice: z.array(throttleDevice).optional(),
      })
      .strict()
      .optional(),
    hugepageLimits: z.array(z.object({ pageSize: z.string(), limit: z.number().int().min(0) }).strict()).optional(),
    network: z.object({ classID: uint32.optional(), priorities: z.array(z.object({ name: z.string(), priority: uint32 }).strict()).optional() }).strict().optional(),
    rdma: z.record(z.unknown()).optional(),
    unified: z.record(z.string()).optional(),
  })
  .strict();

const SeccompArg = z
  .object({
    index: z.number().int().min(0).max(5),
    value: z.number().int().min(0),
    valueTwo: z.number().int().min(0).optional(),
    op: z.enum(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']),
  })
  .strict();

const SeccompAction = z.enum([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);

/**
 * The architectures runc and libseccomp know (runc's libcontainer/seccomp). A
 * name outside them is refused; of these, seccomp.ts filters x86_64, x86 and
 * x32 and kills every other architecture, which a process on this host
 * cannot use anyway, as libseccomp does for a non-native one.
 */
export const SECCOMP_ARCHITECTURES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X',
  'SCMP_ARCH_LOONGARCH64',
] as const;

const SeccompArch = z.string().refine(
  (a) => (SECCOMP_ARCHITECTURES as readonly string[]).includes(a),
  (a) => ({ message: `unknown architecture ${JSON.stringify(a)}: give SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64, ... as runc names them` }),
);

export const SeccompSchema = z
  .object({
    defaultAction: SeccompAction,
    defaultErrnoRet: uint32.optional(),
    architectures: z.array(SeccompArch).optional(),
    flags: z.array(z.string()).optional(),
    listenerPath: z.string().optional(),
    listenerMetadata: z.string().optional(),
    syscalls: z
      .array(
        z
          .object({
            names: z.array(z.string()).min(1),
            action: SeccompAction,
            errnoRet: uint32.optional(),
            args: z.array(SeccompArg).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export const LinuxSchema = z
  .object({
    namespaces: z.array(z.object({ type: NamespaceType, path: absolute.optional() }).strict()).optional(),
    uidMappings: z.array(IdMapping).optional(),
    gidMappings: z.array(IdMapping).optional(),
    timeOffsets: z.record(z.object({ secs: int64.optional(), nanosecs: uint32.optional() }).strict()).optional(),
    devices: z.array(Device).optional(),
    cgroupsPath: z.string().optional(),
    resources: ResourcesSchema.optional(),
    rootfsPropagation: z.enum(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable']).optional(),
    seccomp: SeccompSchema.optional(),
    sysctl: z.record(z.string()).optional(),
    maskedPaths: z.array(absolute).optional(),
    readonlyPaths: z.array(absolute).optional(),
    mountLabel: z.string().optional(),
    personality: z.object({ domain: z.enum(['LINUX', 'LINUX32']), flags: z.array(z.string()).optional() }).strict().optional(),
    intelRdt: z.record(z.unknown()).optional(),
    memoryPolicy: z.record(z.unknown()).optional(),
  })
  .strict();

export const SpecSchema = z
  .object({
    ociVersion: z.string().regex(/^1\.\d+\.\d+/, 'must be a 1.x version'),
    root: z.object({ path: z.string().min(1), readonly: z.boolean().optional() }).strict().optional(),
    mounts: z.array(MountSchema).optional(),
    process: ProcessSchema.optional(),
    hostname: z.string().max(64).optional(),
    domainname: z.string().max(64).optional(),
    hooks: z
      .object({
        prestart: z.array(Hook).optional(),
        createRuntime: z.array(Hook).optional(),
        createContainer: z.array(Hook).optional(),
        startContainer: z.array(Hook).optional(),
        poststart: z.array(Hook).optional(),
        poststop: z.array(Hook).optional(),
      })
      .strict()
      .optional(),
    annotations: z.record(z.string()).optional(),
    linux: LinuxSchema.optional(),
  })
  // other platforms' sections (windows, solaris, vm) are not ours to judge
  .passthrough();

export type Spec = z.infer<typeof SpecSchema>;
export type Mount = z.infer<typeof MountSchema>;
export type Process = z.infer<typeof ProcessSchema>;
export type Linux = z.infer<typeof LinuxSchema>;
export type Resources = z.infer<typeof ResourcesSchema>;
export type Hooks = NonNullable<Spec['hooks']>;
export type HookEntry = z.infer<typeof Hook>;
