/**
 * What a long-lived process (the API service) gives back to the kernel
 * once it is idle: the pages of its files that it touched only while
 * starting, and glibc's free heap.
 *
 * Most of an idle Node process's RSS is the `node` binary's own pages
 * (about 39 MiB of the service's 61 here): file-backed, shared through the
 * page cache, but counted in each process's RSS once it has touched them,
 * and starting touches much more of V8, ICU and the builtins than serving
 * requests does. madvise(MADV_DONTNEED) of a file mapping without private
 * pages unmaps them from this process only (native/addon/memory.c): they
 * stay in the page cache, and a later touch maps them again with a minor
 * fault, as after the kernel's own reclaim. Measured: the service's RSS
 * after 1,000 requests about 20 MiB lower, the same CPU
 * (bench/README.md, "The API service's memory").
 *
 * Only mappings that cannot lose data are released: file-backed, not
 * writable, no anonymous (copied-on-write) page in them (so never a
 * relocated read-only section), not locked, not device or huge-page
 * memory. The choice is pure (releasableMappings, unit-tested); the
 * syscalls are the addon's.
 *
 * releaseHeap is the cheaper step, taken sooner: a full collection of the
 * JavaScript heap (V8's memory reducer would collect only ~8 s after the
 * last busy spell, or not at all while a little is still allocated) and
 * malloc's free memory trimmed. It costs about 5 ms of CPU at the
 * service's size, and the next request no page fault.
 */
import { readFileSync } from 'node:fs';

/** A mapping of /proc/self/smaps that releaseMemory may drop from RSS. */
export interface FileMapping {
  start: number;
  /** bytes, a multiple of the page size */
  length: number;
  path: string;
  /** its resident KiB when read */
  rssKiB: number;
}

/** The mappings of SMAPS (the text of /proc/PID/smaps) whose resident pages can be dropped without losing data. */
export function releasableMappings(smaps: string): FileMapping[] {
  const found: FileMapping[] = [];
  let current: { start: number; end: number; path: string; ok: boolean; rss: number; anon: number } | undefined;
  const finish = (): void => {
    if (current?.ok && current.anon === 0 && current.rss > 0) found.push({ start: current.start, length: current.end - current.start, path: current.path, rssKiB: current.rss });
    current = undefined;
  };
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ (\d+)(?:\s+(.*))?$/.exec(line);
    if (head) {
      finish();
      const [, from, to, perms, inode, path = ''] = head;
      const start = parseInt(from!, 16);
      const end = parseInt(to!, 16);
      // a file of its own (inode), read-only here; [vdso], [heap] and anonymous memory have no inode
      const ok = inode !== '0' && path.startsWith('/') && perms![1] === '-' && Number.isSafeInteger(end) && end > start;
      current = { start, end, path, ok, rss: 0, anon: -1 };
      continue;
    }
    if (!current) continue;
    const field = /^(\w+):\s+(.*)$/.exec(line);
    if (!field) continue;
    const [, key, value] = field;
    if (key === 'Rss') current.rss = parseInt(value!, 10);
    else if (key === 'Anonymous') current.anon = parseInt(value!, 10);
    else if (key === 'Locked' && parseInt(value!, 10) !== 0) current.ok = false;
    // locked, I/O or PFN-mapped memory, huge pages: not pages of a file in the page cache
    else if (key === 'VmFlags' && value!.split(/\s+/).some((f) => f === 'lo' || f === 'io' || f === 'pf' || f === 'ht')) current.ok = false;
  }
  finish();
  return found;
}

/** The syscalls releaseMemory makes (the addon's, native/addon/memory.c). */
export interface MemorySyscalls {
  releasePages(start: number, length: number): void;
  trimMalloc(): number;
}

export interface Released {
  /** mappings released, and their resident KiB before */
  mappings: number;
  kib: number;
  /** mappings madvise refused (left as they were) */
  failed: number;
}

/** Drops the releasable mappings' pages from this process's RSS and trims malloc's free memory. */
export function releaseMemory(sys: MemorySyscalls, readSmaps: () => string = () => readFileSync('/proc/self/smaps', 'utf8')): Released {
  const result: Released = { mappings: 0, kib: 0, failed: 0 };
  for (const m of releasableMappings(readSmaps())) {
    try {
      sys.releasePages(m.start, m.length);
      result.mappings++;
      result.kib += m.rssKiB;
    } catch {
      result.failed++;
    }
  }
  sys.trimMalloc();
  return result;
}

/** A full collection of the JavaScript heap: Node's `gc` with --expose-gc (the service's Node option, src/cli/command-names.ts). */
export type CollectGarbage = () => void;

/** The JavaScript heap's garbage collected (when GC is there) and malloc's free memory trimmed; whether a collection ran. */
export function releaseHeap(sys: Pick<MemorySyscalls, 'trimMalloc'>, gc: CollectGarbage | undefined = (globalThis as { gc?: CollectGarbage }).gc): boolean {
  gc?.();
  sys.trimMalloc();
  return gc !== undefined;
}
