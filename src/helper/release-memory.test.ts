import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { nativeAddon } from './native-addon.js';
import { releasableMappings, releaseHeap, releaseMemory } from './release-memory.js';

/** a mapping of smaps: its head line and fields */
function mapping(head: string, fields: Record<string, string>): string {
  const all = { Size: '1024 kB', Rss: '400 kB', Anonymous: '0 kB', Locked: '0 kB', VmFlags: 'rd ex mr mw me sd', ...fields };
  return [head, ...Object.entries(all).map(([k, v]) => `${k}:${' '.repeat(Math.max(1, 16 - k.length))}${v}`)].join('\n');
}

test('releasable: read-only file mappings with resident pages and no private copy of one', () => {
  const smaps = [
    mapping('55d0c0a00000-55d0c0b00000 r-xp 00000000 fd:01 260689                     /usr/bin/node', {}),
    // a relocated (RELRO) section: its pages are private copies, lost if dropped
    mapping('55d0c0b00000-55d0c0b10000 r--p 00100000 fd:01 260689                     /usr/bin/node', { Anonymous: '64 kB' }),
    // .data: writable
    mapping('55d0c0b10000-55d0c0b20000 rw-p 00110000 fd:01 260689                     /usr/bin/node', { Anonymous: '0 kB' }),
    // anonymous memory and the kernel's own
    mapping('7f0000000000-7f0000100000 rw-p 00000000 00:00 0 ', {}),
    mapping('7f0000100000-7f0000200000 r--p 00000000 00:00 0 ', {}),
    mapping('7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]', {}),
    // nothing resident: nothing to do
    mapping('7f0000200000-7f0000300000 r--p 00000000 fd:01 1234                       /usr/lib/libc.so.6', { Rss: '0 kB' }),
    // locked, or a device's memory
    mapping('7f0000300000-7f0000400000 r--p 00000000 fd:01 1235                       /usr/lib/a.so', { Locked: '400 kB' }),
    mapping('7f0000400000-7f0000500000 r--s 00000000 00:05 77                         /dev/dri/card0', { VmFlags: 'rd sh mr io pf' }),
    // a read-only shared mapping of a file (a database read through mmap): its data is the file's
    mapping('7f0000500000-7f0000600000 r--s 00000000 fd:01 1236                       /var/lib/x/images.db', { Rss: '12 kB' }),
  ].join('\n');
  assert.deepEqual(releasableMappings(`${smaps}\n`), [
    { start: 0x55d0c0a00000, length: 0x100000, path: '/usr/bin/node', rssKiB: 400 },
    { start: 0x7f0000500000, length: 0x100000, path: '/var/lib/x/images.db', rssKiB: 12 },
  ]);
});

test('releasable: a mapping whose Anonymous line is missing is kept (it cannot be known to hold no private page)', () => {
  const smaps = '55d0c0a00000-55d0c0b00000 r-xp 00000000 fd:01 260689   /usr/bin/node\nRss:  400 kB\nVmFlags: rd ex\n';
  assert.deepEqual(releasableMappings(smaps), []);
});

test('releaseMemory: each releasable mapping once, a refusal counted and the rest still released, malloc trimmed', () => {
  const smaps = [
    mapping('1000-3000 r-xp 00000000 fd:01 1   /a', { Rss: '8 kB' }),
    mapping('3000-5000 r--p 00000000 fd:01 2   /b', { Rss: '4 kB' }),
    mapping('5000-6000 r--p 00000000 fd:01 3   /c', { Rss: '4 kB' }),
  ].join('\n');
  const calls: string[] = [];
  const result = releaseMemory(
    {
      releasePages(start, length) {
        calls.push(`${start.toString(16)}+${length.toString(16)}`);
        if (start === 0x3000) throw Object.assign(new Error('madvise: Invalid argument'), { code: 'EINVAL' });
      },
      trimMalloc() {
        calls.push('trim');
        return 1;
      },
    },
    () => smaps,
  );
  assert.deepEqual(calls, ['1000+2000', '3000+2000', '5000+1000', 'trim']);
  assert.deepEqual(result, { mappings: 2, kib: 12, failed: 1 });
});

/** resident KiB of this process's mappings of FILE */
function residentKiB(file: string): number {
  let kib = 0;
  let inFile = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inFile = line.endsWith(` ${file}`);
    else if (inFile && line.startsWith('Rss:')) kib += parseInt(line.slice(4), 10);
  }
  return kib;
}

test('releaseMemory with the addon: the node binary leaves this process\'s RSS, and Node runs on', () => {
  const node = process.execPath;
  const before = residentKiB(node);
  const result = releaseMemory(nativeAddon());
  const after = residentKiB(node);
  assert.equal(result.failed, 0);
  assert.ok(result.mappings > 0 && result.kib > 0, JSON.stringify(result));
  // reading smaps and this test touch a little of it again
  assert.ok(after < before / 2, `node's resident pages: ${before} KiB before, ${after} KiB after`);
  // what was dropped comes back from the page cache when touched
  assert.equal(JSON.parse(JSON.stringify({ a: [1, 2, 3] })).a.length, 3);
  assert.match(new Intl.DateTimeFormat('en', { month: 'long', timeZone: 'UTC' }).format(new Date(0)), /January/);
});

test('limitMallocArenas: glibc takes a limit, refuses none', () => {
  assert.equal(nativeAddon().limitMallocArenas(8), 1);
  assert.throws(() => nativeAddon().limitMallocArenas(0), { code: 'EINVAL' });
});

test('fixMallocTrimThreshold: glibc takes a threshold, refuses a negative one', () => {
  // what the service sets: this test process keeps its behaviour but for the threshold's following of freed blocks
  assert.equal(nativeAddon().fixMallocTrimThreshold(1024 * 1024), 1);
  assert.throws(() => nativeAddon().fixMallocTrimThreshold(-1), { code: 'EINVAL' });
});

test('releaseHeap: a full collection when gc is there, then malloc trimmed; only the trim without it', () => {
  const calls: string[] = [];
  const sys = { trimMalloc: () => (calls.push('trim'), 1) };
  assert.equal(
    releaseHeap(sys, () => calls.push('gc')),
    true,
  );
  assert.deepEqual(calls, ['gc', 'trim']);
  calls.length = 0;
  assert.equal(releaseHeap(sys, undefined), false);
  assert.deepEqual(calls, ['trim']);
});
