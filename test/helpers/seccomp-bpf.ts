/** For unit tests of seccomp filters. */
/** A classic-BPF interpreter for seccomp filters: runs PROGRAM on one syscall. */
export function runSeccomp(hex: string, nr: number, args: number[] = [], arch = 0xc000003e): number {
  const buf = Buffer.from(hex, 'hex');
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((a, i) => {
    data.writeUInt32LE(a >>> 0, 16 + 8 * i);
    data.writeUInt32LE(Math.floor(a / 2 ** 32) >>> 0, 20 + 8 * i);
  });
  let A = 0;
  for (let pc = 0; pc < buf.length / 8; pc++) {
    const code = buf.readUInt16LE(pc * 8);
    const jt = buf.readUInt8(pc * 8 + 2);
    const jf = buf.readUInt8(pc * 8 + 3);
    const k = buf.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: A = data.readUInt32LE(k); break;
      case 0x54: A = (A & k) >>> 0; break;
      case 0x06: return k;
      case 0x05: pc += k; break;
      case 0x15: pc += A === k ? jt : jf; break;
      case 0x25: pc += A > k ? jt : jf; break;
      case 0x35: pc += A >= k ? jt : jf; break;
      default: throw new Error(`unknown insn ${code}`);
    }
  }
  throw new Error('fell off the end');
}

