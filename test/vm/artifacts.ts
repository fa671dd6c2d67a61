/**
 * The test VM's boot files, built once into a cache directory (build/vm/)
 * from what the host has installed: the decompressed vmlinux of Debian's
 * linux-image-amd64 (booted through its PVH note, much faster than the
 * bzImage under a software CPU) and a small initramfs of static busybox,
 * the 9p/virtio/overlay modules and the init script (guest-init.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GUEST_INIT, GUEST_STAGE2 } from './guest-init.js';

/** The project root (this file is compiled to build/tsc/test/vm/). */
const PROJECT = fileURLToPath(new URL('../../../../', import.meta.url));
export const VM_CACHE = join(PROJECT, 'build', 'vm');

/** The modules the initramfs loads, with what they depend on (modprobe --show-depends). */
const MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
const BUSYBOX = '/bin/busybox';
const INSTALL = 'run scripts/install-deps.sh (as root), which installs qemu-system-x86, linux-image-amd64 and busybox-static';

export interface VmArtifacts {
  kernelVersion: string;
  /** the ELF kernel, for `qemu -kernel` */
  vmlinux: string;
  /** an uncompressed newc cpio archive */
  initramfs: string;
}

/** Fails with what to install. */
function missing(what: string): Error {
  return new Error(`the test VM cannot boot: ${what}; ${INSTALL}`);
}

/** The newest kernel in /boot whose modules are installed too. */
export function pickKernel(boot = '/boot', modules = '/lib/modules'): string {
  const versions = (existsSync(boot) ? readdirSync(boot) : [])
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => existsSync(join(modules, v, 'modules.dep')))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const newest = versions.at(-1);
  if (!newest) throw missing(`no kernel with its modules in ${boot} and ${modules}`);
  return newest;
}

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
/** The compressed payload's magic numbers and the program that decompresses it. */
const COMPRESSORS: { magic: Buffer; argv: string[] }[] = [
  { magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), argv: ['xz', '-dc'] },
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), argv: ['zstd', '-dc'] },
  { magic: Buffer.from([0x1f, 0x8b, 0x08]), argv: ['gzip', '-dc'] },
];

/**
 * The vmlinux inside a bzImage: the first compressed stream that
 * decompresses to an ELF file (the decompressor complains of the data
 * after the stream; what it wrote before counts).
 */
export function extractVmlinux(bzImage: Buffer): Buffer {
  for (const { magic, argv } of COMPRESSORS) {
    for (let at = bzImage.indexOf(magic); at >= 0; at = bzImage.indexOf(magic, at + 1)) {
      const r = spawnSync(argv[0]!, argv.slice(1), { input: bzImage.subarray(at), maxBuffer: 512 << 20 });
      if (r.error) continue;
      if (r.stdout.length > 4 && r.stdout.subarray(0, 4).equals(ELF)) return r.stdout;
    }
  }
  throw new Error('no compressed ELF kernel found in the bzImage (xz, zstd and gzip tried)');
}

/** The module files to load, in order (each once), as modprobe lists them. */
export function moduleFiles(showDepends: string): string[] {
  const files: string[] = [];
  for (const line of showDepends.split('\n')) {
    const m = /^insmod (\S+)/.exec(line.trim());
    if (m && !files.includes(m[1]!)) files.push(m[1]!);
  }
  return files;
}

function sh(argv: string[], options: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = spawnSync(argv[0]!, argv.slice(1), { ...options, maxBuffer: 256 << 20 });
  if (r.error) throw missing(`${argv[0]}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.toString().trim()}`);
  return r.stdout;
}

/** Builds the initramfs's tree under DIR: busybox, the modules, /init and the second stage. */
function initramfsTree(dir: string, modules: string[]): void {
  for (const d of ['bin', 'dev', 'proc', 'sys', 'lower', 'rw', 'newroot', 'modules']) mkdirSync(join(dir, d));
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const m of modules) copyFileSync(m, join(dir, 'modules', basename(m)));
  writeFileSync(join(dir, 'modules/order'), `${modules.map((m) => basename(m)).join('\n')}\n`);
  writeFileSync(join(dir, 'init'), GUEST_INIT, { mode: 0o755 });
  writeFileSync(join(dir, 'stage2'), GUEST_STAGE2, { mode: 0o755 });
}

/**
 * The boot files for the newest installed kernel, from the cache, or built
 * now (a few seconds) into CACHE/<kernel>-<digest of the init scripts>.
 * Two processes building at once each build in a directory of their own
 * and the first rename wins.
 */
export function vmArtifacts(cache = VM_CACHE): VmArtifacts {
  const kernelVersion = pickKernel();
  const digest = createHash('sha256').update(GUEST_INIT).update(GUEST_STAGE2).update(MODULES.join(',')).digest('hex').slice(0, 12);
  const dir = join(cache, `${kernelVersion}-${digest}`);
  const artifacts = { kernelVersion, vmlinux: join(dir, 'vmlinux'), initramfs: join(dir, 'initramfs.cpio') };
  if (existsSync(artifacts.initramfs)) return artifacts;
  if (!existsSync(BUSYBOX)) throw missing(`no ${BUSYBOX}`);
  mkdirSync(cache, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    writeFileSync(join(tmp, 'vmlinux'), extractVmlinux(readFileSync(`/boot/vmlinuz-${kernelVersion}`)));
    const modules = moduleFiles(sh(['modprobe', '-a', '--show-depends', '-S', kernelVersion, ...MODULES]).toString());
    const tree = join(tmp, 'tree');
    mkdirSync(tree);
    initramfsTree(tree, modules);
    const list = sh(['find', '.', '-mindepth', '1'], { cwd: tree });
    writeFileSync(join(tmp, 'initramfs.cpio'), sh(['cpio', '--quiet', '-o', '-H', 'newc', '-R', '0:0'], { cwd: tree, input: list }));
    rmSync(tree, { recursive: true });
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!existsSync(artifacts.initramfs)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return artifacts;
}
