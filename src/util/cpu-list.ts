/**
 * The kernel's list format for CPUs and memory nodes ("0-2,4", cpuset(7)),
 * as --cpuset-cpus and --cpuset-mems take it. Pure.
 */

/** "0-2,4" -> [0, 1, 2, 4]; null when TEXT is not such a list. */
export function parseCpuList(text: string): number[] | null {
  const out = new Set<number>();
  if (text.trim() === '') return null;
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 8192) return null;
    for (let i = from; i <= to; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}
