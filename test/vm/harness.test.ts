/** The VM harness's pure parts, without booting it: picking the kernel, its extraction, the modules, the command script, QEMU's arguments, TAP. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { extractVmlinux, moduleFiles, pickKernel } from './artifacts.js';
import { tapResults } from './tap.js';
import { commandScript, qemuArgs } from './vm.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdk-test-vm-harness-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the VM harness', () => {
  test('the newest kernel whose modules are installed; none: an error saying what to install', () => {
    const boot = join(dir, 'boot');
    const modules = join(dir, 'modules');
    mkdirSync(boot);
    assert.throws(() => pickKernel(boot, modules), /^Error: the test VM cannot boot: no kernel with its modules in .*; run scripts\/install-deps\.sh .*linux-image-amd64/);
    for (const v of ['6.1.0-9-amd64', '6.1.0-57-amd64', '6.12.0-1-amd64']) writeFileSync(join(boot, `vmlinuz-${v}`), '');
    for (const v of ['6.1.0-9-amd64', '6.1.0-57-amd64']) {
      mkdirSync(join(modules, v), { recursive: true });
      writeFileSync(join(modules, v, 'modules.dep'), '');
    }
    assert.equal(pickKernel(boot, modules), '6.1.0-57-amd64', '6.12 has no modules; 57 is newer than 9');
  });

  test('the vmlinux is the compressed ELF inside the bzImage, whatever comes after it', () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(4096, 7)]);
    const xz = spawnSync('xz', ['-c'], { input: elf }).stdout;
    const bzImage = Buffer.concat([Buffer.alloc(1000, 1), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 9, 9]), xz, Buffer.alloc(512, 3)]);
    assert.deepEqual(extractVmlinux(bzImage), elf, 'a false magic first, the stream after it');
    assert.throws(() => extractVmlinux(Buffer.alloc(4096)), /no compressed ELF kernel found/);
  });

  test('modules in modprobe --show-depends order, each once', () => {
    const out = 'insmod /m/virtio_ring.ko \ninsmod /m/virtio.ko \ninsmod /m/9pnet.ko \ninsmod /m/virtio_ring.ko \nbuiltin overlay\ninsmod /m/9p.ko\n';
    assert.deepEqual(moduleFiles(out), ['/m/virtio_ring.ko', '/m/virtio.ko', '/m/9pnet.ko', '/m/9p.ko']);
  });

  test('the command script: its environment, directory and arguments, quoted for sh', () => {
    const script = commandScript(['sh', '-c', "echo \"$A\" 'it''s'; pwd"], dir, { A: "a b'c" });
    writeFileSync(join(dir, 'cmd.sh'), script);
    assert.equal(execFileSync('sh', [join(dir, 'cmd.sh')], { encoding: 'utf8', env: {} }), `a b'c its\n${dir}\n`);
    assert.match(commandScript(['true'], '/nonexistent', {}), /^cd '\/nonexistent' \|\| exit 125$/m);
  });

  test("QEMU's arguments: the software CPU, v2 only, the host's / read-only, the results read-write; no comma or space in the results path", () => {
    const argv = qemuArgs('/k', '/i', '/tmp/r', 512, 2, '/tmp/checkout');
    const args = argv.join(' ');
    assert.match(args, /-accel tcg,thread=multi/);
    const append = argv[argv.indexOf('-append') + 1]!.split(' ');
    assert.ok(append.includes('cgroup_no_v1=all') && append.includes('mdk.results=/tmp/r'), append.join(' '));
    assert.ok(append.includes('mdk.show=/tmp/checkout'), 'the command\'s directory, shown though /tmp is a tmpfs inside');
    assert.match(args, /-virtfs local,path=\/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap/);
    assert.match(args, /-virtfs local,path=\/tmp\/r,mount_tag=results/);
    assert.match(args, /-no-reboot/);
    assert.throws(() => qemuArgs('/k', '/i', '/tmp/a,b', 512, 2), /has a space or comma/);
    assert.throws(() => qemuArgs('/k', '/i', '/tmp/r', 512, 2, '/a b'), /has a space/);
  });

  test("node's TAP: each test's result and its error block; suites' own lines left out", () => {
    const tap = [
      'TAP version 13',
      '# Subtest: suite',
      '    # Subtest: one',
      '    ok 1 - one',
      '      ---',
      '      duration_ms: 1',
      '      ...',
      '    # Subtest: two',
      '    not ok 2 - two',
      '      ---',
      "      error: 'boom'",
      '      ...',
      'not ok 1 - suite',
      '  ---',
    ].join('\n');
    assert.deepEqual(tapResults(tap), [
      { ok: true, name: 'one', details: '---\nduration_ms: 1\n...\n' },
      { ok: false, name: 'two', details: "---\nerror: 'boom'\n...\n" },
    ]);
  });
});
