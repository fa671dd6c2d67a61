/**
 * No module of src/cli imports itself back, statically or by import():
 * a cycle breaks whichever module is loaded first (the registry's loaders
 * are import()s of command files, which must not import the registry).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** src/cli, from build/tsc/src/cli/ */
const CLI = fileURLToPath(new URL('../../../../src/cli/', import.meta.url));

/** The modules of src/cli each file imports (import, export ... from, import()), by path relative to src/cli. */
export function importGraph(dir: string): Map<string, string[]> {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+)\.js'/gm)].map((m) => m[1]!);
    const targets = specs.map((s) => normalize(join(dirname(f), `${s}.ts`))).filter((t) => files.includes(t));
    graph.set(f, [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle's files, once each (the strongly connected components with more than one file, or a file importing itself). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('src/cli has no import cycles', () => {
  const graph = importGraph(CLI);
  assert.ok(graph.size > 40, `${graph.size} modules read`);
  assert.ok((graph.get('registry.ts') ?? []).includes('commands/run.ts'), "import() is read: the registry's loaders");
  assert.deepEqual(cycles(graph), []);
});

test('cycles() finds one', () => {
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
});
