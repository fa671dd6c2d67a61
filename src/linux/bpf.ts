/**
 * A tiny classic-BPF assembler for seccomp filters: instructions with
 * symbolic jump targets, resolved into the 8-byte sock_filter layout the
 * kernel takes. Conditional jumps reach 255 instructions ahead; longer
 * jumps use JA, whose offset is 32 bits.
 */
export const BPF = {
  LD_W_ABS: 0x20,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JGE_K: 0x35,
  JA: 0x05,
  AND_K: 0x54,
  RET_K: 0x06,
} as const;

export type Target = string | 0; // a label, or 0: the next instruction

export type Insn =
  | { kind: 'stmt'; code: number; k: number }
  | { kind: 'jump'; code: number; k: number; jt: Target; jf: Target }
  | { kind: 'ja'; to: string }
  | { kind: 'label'; name: string };

export const ld = (offset: number): Insn => ({ kind: 'stmt', code: BPF.LD_W_ABS, k: offset });
export const and = (mask: number): Insn => ({ kind: 'stmt', code: BPF.AND_K, k: mask >>> 0 });
export const ret = (value: number): Insn => ({ kind: 'stmt', code: BPF.RET_K, k: value >>> 0 });
export const jeq = (k: number, jt: Target, jf: Target): Insn => ({ kind: 'jump', code: BPF.JEQ_K, k: k >>> 0, jt, jf });
export const jgt = (k: number, jt: Target, jf: Target): Insn => ({ kind: 'jump', code: BPF.JGT_K, k: k >>> 0, jt, jf });
export const jge = (k: number, jt: Target, jf: Target): Insn => ({ kind: 'jump', code: BPF.JGE_K, k: k >>> 0, jt, jf });
export const ja = (to: string): Insn => ({ kind: 'ja', to });
export const label = (name: string): Insn => ({ kind: 'label', name });

export const MAX_INSNS = 4096;

/** Resolves labels and encodes struct sock_filter[] (little-endian, as on x86_64 and arm64). */
export function assemble(program: readonly Insn[]): Buffer {
  const code = program.filter((i) => i.kind !== 'label');
  const at = new Map<string, number>();
  let n = 0;
  for (const i of program) {
    if (i.kind === 'label') at.set(i.name, n);
    else n++;
  }
  if (code.length > MAX_INSNS) throw new RangeError(`seccomp filter too long: ${code.length} instructions (at most ${MAX_INSNS})`);
  const buf = Buffer.alloc(code.length * 8);
  const offset = (from: number, to: Target): number => {
    if (to === 0) return 0;
    const dest = at.get(to);
    if (dest === undefined) throw new Error(`bpf: no label ${to}`);
    const off = dest - from - 1;
    if (off < 0) throw new Error(`bpf: backward jump to ${to}`);
    return off;
  };
  code.forEach((i, pc) => {
    let c = 0;
    let jt = 0;
    let jf = 0;
    let k = 0;
    if (i.kind === 'stmt') {
      c = i.code;
      k = i.k;
    } else if (i.kind === 'jump') {
      c = i.code;
      k = i.k;
      jt = offset(pc, i.jt);
      jf = offset(pc, i.jf);
      if (jt > 255 || jf > 255) throw new RangeError(`bpf: conditional jump too far at ${pc}`);
    } else if (i.kind === 'ja') {
      c = BPF.JA;
      k = offset(pc, i.to);
    }
    buf.writeUInt16LE(c, pc * 8);
    buf.writeUInt8(jt, pc * 8 + 2);
    buf.writeUInt8(jf, pc * 8 + 3);
    buf.writeUInt32LE(k, pc * 8 + 4);
  });
  return buf;
}
