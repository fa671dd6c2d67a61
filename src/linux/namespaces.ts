/** Namespace kinds and their clone(2) flags, from <linux/sched.h>. */
export const NAMESPACE_FLAGS = {
  mount: 0x00020000,
  uts: 0x04000000,
  ipc: 0x08000000,
  pid: 0x20000000,
  network: 0x40000000,
  cgroup: 0x02000000,
  user: 0x10000000,
  time: 0x00000080,
} as const;

export type NamespaceKind = keyof typeof NAMESPACE_FLAGS;

export function cloneFlags(kinds: readonly NamespaceKind[]): number {
  // The flags exceed 2^31, so combine them arithmetically, not with `|`.
  return [...new Set(kinds)].reduce((acc, k) => acc + NAMESPACE_FLAGS[k], 0);
}
