/**
 * Device rules for cgroup v2: there is no devices.allow file, so the rules
 * become an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to
 * the container's cgroup (by the addon, src/helper/native-addon.ts). The
 * program checks the rules last to first and returns the first match, which
 * is v1's "the last rule that matches wins"; nothing matching is denied.
 */
import type { Resources } from '../spec/schema.js';

export type DeviceRule = NonNullable<Resources['devices']>[number];

/** struct bpf_cgroup_dev_ctx: access_type (type | access << 16), major, minor */
const TYPE = { b: 1, c: 2 } as const;
const ACCESS = { m: 1, r: 2, w: 4 } as const;

const OP = {
  LDX_W: 0x61, // r_dst = *(u32 *)(r_src + off)
  AND32_K: 0x54,
  RSH32_K: 0x74,
  MOV64_X: 0xbf,
  MOV64_K: 0xb7,
  JNE_K: 0x55,
  JNE_X: 0x5d,
  EXIT: 0x95,
} as const;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number | string; // a label for jumps
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number | string, imm: number): Insn => ({ code, dst, src, off, imm });

function accessMask(access: string | undefined): number {
  let m = 0;
  for (const ch of access || 'rwm') m |= ACCESS[ch as keyof typeof ACCESS] ?? 0;
  return m;
}

export function compileDeviceFilter(rules: readonly DeviceRule[]): Buffer {
  const prog: (Insn | { label: string })[] = [
    insn(OP.LDX_W, 2, 1, 0, 0), // r2 = access_type
    insn(OP.AND32_K, 2, 0, 0, 0xffff), // r2 = device type
    insn(OP.LDX_W, 3, 1, 0, 0),
    insn(OP.RSH32_K, 3, 0, 0, 16), // r3 = access asked for
    insn(OP.LDX_W, 4, 1, 4, 0), // r4 = major
    insn(OP.LDX_W, 5, 1, 8, 0), // r5 = minor
  ];
  let always = false; // a rule that matches everything ends the program: the verifier refuses dead code
  [...rules].reverse().forEach((rule, i) => {
    if (always) return;
    const next = `next-${i}`;
    const start = prog.length;
    const type = rule.type ?? 'a';
    if (type !== 'a') prog.push(insn(OP.JNE_K, 2, 0, next, TYPE[type]));
    const mask = accessMask(rule.access);
    if (mask !== 7) {
      // the access asked for must lie within the rule's: (r3 & mask) == r3
      prog.push(insn(OP.MOV64_X, 1, 3, 0, 0), insn(OP.AND32_K, 1, 0, 0, mask), insn(OP.JNE_X, 1, 3, next, 0));
    }
    if (type !== 'a' && rule.major !== undefined && rule.major >= 0) prog.push(insn(OP.JNE_K, 4, 0, next, rule.major));
    if (type !== 'a' && rule.minor !== undefined && rule.minor >= 0) prog.push(insn(OP.JNE_K, 5, 0, next, rule.minor));
    always = prog.length === start;
    prog.push(insn(OP.MOV64_K, 0, 0, 0, rule.allow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0));
    if (!always) prog.push({ label: next });
  });
  if (!always) prog.push(insn(OP.MOV64_K, 0, 0, 0, 0), insn(OP.EXIT, 0, 0, 0, 0));

  const at = new Map<string, number>();
  let n = 0;
  for (const p of prog) {
    if ('label' in p) at.set(p.label, n);
    else n++;
  }
  const code = prog.filter((p): p is Insn => !('label' in p));
  const buf = Buffer.alloc(code.length * 8);
  code.forEach((i, pc) => {
    const off = typeof i.off === 'string' ? at.get(i.off)! - pc - 1 : i.off;
    buf.writeUInt8(i.code, pc * 8);
    buf.writeUInt8((i.src << 4) | i.dst, pc * 8 + 1);
    buf.writeInt16LE(off, pc * 8 + 2);
    buf.writeInt32LE(i.imm | 0, pc * 8 + 4);
  });
  return buf;
}
