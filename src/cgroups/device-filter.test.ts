import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileDeviceFilter } from './device-filter.js';

/** An interpreter for the few eBPF instructions the filter uses. */
function run(prog: Buffer, type: 'b' | 'c', major: number, minor: number, access: string): number {
  const ctx = [(type === 'b' ? 1 : 2) | ([...access].reduce((m, ch) => m | ({ m: 1, r: 2, w: 4 } as Record<string, number>)[ch]!, 0) << 16), major, minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0; pc < prog.length / 8; pc++) {
    const code = prog.readUInt8(pc * 8);
    const dst = prog.readUInt8(pc * 8 + 1) & 0xf;
    const src = prog.readUInt8(pc * 8 + 1) >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x61: r[dst] = ctx[off / 4]!; break;
      case 0x54: r[dst] = (r[dst]! & imm) >>> 0; break;
      case 0x74: r[dst] = r[dst]! >>> imm; break;
      case 0xbf: r[dst] = r[src]!; break;
      case 0xb7: r[dst] = imm; break;
      case 0x55: if (r[dst] !== imm) pc += off; break;
      case 0x5d: if (r[dst] !== r[src]) pc += off; break;
      case 0x95: return r[0]!;
      default: throw new Error(`insn ${code}`);
    }
  }
  throw new Error('fell off the end');
}

test('the last matching rule wins; nothing matching is denied', () => {
  const p = compileDeviceFilter([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rw' },
    { allow: true, type: 'c', access: 'm' },
    { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
  ]);
  assert.equal(run(p, 'c', 1, 3, 'r'), 1, '/dev/null read');
  assert.equal(run(p, 'c', 1, 3, 'w'), 0, '/dev/null write: the later deny');
  assert.equal(run(p, 'c', 136, 7, 'rw'), 1, 'any pts');
  assert.equal(run(p, 'c', 136, 7, 'm'), 1, 'mknod of any char device');
  assert.equal(run(p, 'b', 8, 0, 'm'), 0, 'block devices: denied');
  assert.equal(run(p, 'c', 1, 5, 'r'), 0, '/dev/zero: not allowed');
});

test('an allow-all rule ends the program (no unreachable code for the verifier)', () => {
  const p = compileDeviceFilter([{ allow: true, access: 'rwm' }]);
  assert.equal(p.length / 8, 6 + 2);
  assert.equal(run(p, 'b', 8, 0, 'rwm'), 1);
});
