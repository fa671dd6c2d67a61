/**
 * What cgroup v1's devices.list shows for a container's device writes, so
 * that a cgroup which inherited its rules from its parent (v1 copies the
 * parent's list at mkdir) can be told apart from one that needs them
 * written. Pure.
 */
import type { CgroupWrite } from './resources.js';

/** "c 1:3 rw" -> type, "major:minor", and the access letters in the kernel's order (r, w, m) */
function entry(value: string): { key: string; access: Set<string> } | null {
  const m = /^([cb]) (\S+:\S+) ([rwm]+)$/.exec(value);
  return m ? { key: `${m[1]} ${m[2]}`, access: new Set(m[3]) } : null;
}

/**
 * The lines of devices.list after WRITES (the devices.deny and
 * devices.allow writes of planV1, in order), sorted; null unless they are
 * a deny of everything followed by allows, the only shape a container's
 * rules take here (resources.ts deviceRules). As the kernel does, an allow
 * of a device already listed adds its access letters to that line.
 */
export function v1DeviceList(writes: readonly CgroupWrite[]): string[] | null {
  const [first, ...rest] = writes;
  if (!first || first.file !== 'devices.deny' || first.value !== 'a') return null;
  const list = new Map<string, Set<string>>();
  for (const w of rest) {
    const e = w.file === 'devices.allow' ? entry(w.value) : null;
    if (!e) return null;
    const had = list.get(e.key);
    list.set(e.key, new Set([...(had ?? []), ...e.access]));
  }
  const letters = (a: Set<string>): string => ['r', 'w', 'm'].filter((l) => a.has(l)).join('');
  return [...list].map(([key, access]) => `${key} ${letters(access)}`).sort();
}

/** Whether a devices.list TEXT holds exactly the lines EXPECTED (v1DeviceList's). */
export function sameDeviceList(text: string, expected: readonly string[]): boolean {
  const lines = text.split('\n').filter(Boolean).sort();
  return lines.length === expected.length && lines.every((l, i) => l === expected[i]);
}
