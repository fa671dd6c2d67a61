/**
 * Layers as a rule. Every module under src/ belongs to a layer by its folder
 * (a file at the top of src/ by its name), and imports only from its own
 * folder or from a lower layer:
 *
 *   errors.ts                the error type everything throws
 *   linux, util              leaves: syscall tables, flags, errno,
 *                            capabilities; Docker's units and tables
 *   spec                     the OCI spec schema and types, Docker's
 *                            defaults, `runtime spec`'s config.json, the
 *                            spec builder and the default seccomp profile
 *   config, rootless         /etc/moby-dick/config.json, read in one
 *                            place; an ordinary user's containers: the
 *                            user namespace's maps, the user's directories
 *   helper                   the C helper's driver: the plan and its wire,
 *                            helper launch, the running Container, the
 *                            addon's typed interface, the container config
 *   cgroups, images, network siblings: none imports another
 *   oci                      the plan compiler, the OCI runtime's lifecycle
 *   engine, jail             containers from images; the jail's and the
 *                            original form's (ContainerConfig -> spec)
 *   build                    images from Dockerfiles (and commit, diff)
 *                            through the Engine; under the faces that
 *                            serve them (cli, and the Engine API)
 *   library                  openEngine: the Engine behind a typed facade
 *                            (its commit and changes build's), for index.ts
 *   cli, api, oci-cli,       the command lines, the Engine API and the
 *   index.ts, unpack.ts      library's entries
 *
 * Type-only imports count: a type names the layer it comes from. The test
 * also fails on an import cycle between folders, and between files (except
 * inside src/cli, below). CONTRIBUTING.md ("Layers") says the same in prose.
 *
 * Inside images/, the sub-folders are its parts (registry, archive, unpack,
 * tar, store): a part imports the model at images/'s top and only the
 * parts IMAGES_PART_EDGES lists, never the top's joins (pull.ts, push.ts, import-url.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** lowest first; a name is a folder of src/ or a file at its top */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts'],
  ['linux', 'util'],
  ['spec'],
  ['config', 'rootless'],
  ['helper'],
  ['cgroups', 'images', 'network'],
  ['oci'],
  ['explain'],
  ['engine', 'jail'],
  ['build'],
  ['library'],
  ['cli', 'api', 'oci-cli', 'index.ts', 'unpack.ts'],
];

/**
 * Imports between folders of the same layer that are allowed, as
 * "from -> to" with paths under src/. The OCI runtime's command line
 * parses its arguments with the CLI's parser; it could move to util/ once
 * the CLI's own rework (branch arch-cli) has landed. The CLI's `system
 * service` starts the Engine API's service (api/ never imports cli/).
 */
const SIDEWAYS_ALLOWED = new Set(['oci-cli/* -> cli/args.ts', 'cli/* -> api/service.ts']);

/**
 * images/'s parts, and the imports between them that are allowed, as
 * "from -> to" (acyclic: checked below). Archives are tar files of blobs
 * the store keeps; the layer unpacker reads tar; the store is handed a
 * layer unpacker whose type is its own (store/layer-unpacker.ts), so it
 * imports no other part, and its test gives it a stand-in.
 * The registry client imports no other part.
 */
const IMAGES_PART_EDGES = new Set(['archive -> store', 'archive -> tar', 'unpack -> tar']);

/** images/'s top files that join the parts: no part imports them */
const IMAGES_JOINS = new Set(['images/pull.ts', 'images/push.ts', 'images/commit.ts', 'images/import-url.ts']);

/** Folders whose files may import each other in a cycle: none (src/cli's cycle went with its registry, cli/registry.ts). */
const FILE_CYCLES_EXEMPT: string[] = [];

const rank = new Map<string, number>();
LAYERS.forEach((names, i) => {
  for (const n of names) rank.set(n, i);
});

/** the repository's root: the compiled test runs from build/tsc/src */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'src', 'index.ts')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository (src/index.ts) above this test');
    dir = up;
  }
}

interface Edge {
  from: string;
  to: string;
}

/** Every .ts file under src/ and the relative imports of each: import, export ... from, import(), import type. */
function importGraph(root: string): { files: string[]; edges: Edge[]; unresolved: string[] } {
  const src = join(root, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.split(sep).join('/'))
    .sort();
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(src, file), 'utf8');
    // the TypeScript scanner: comments and strings are not imports
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue; // a package or node:
      const target = resolve(dirname(join(src, file)), fileName).replace(/\.js$/, '.ts');
      const rel = relative(src, target).split(sep).join('/');
      if (rel.startsWith('../')) {
        // outside src/: only tests may use test/helpers
        if (!(file.endsWith('.test.ts') && rel.startsWith('../test/'))) unresolved.push(`src/${file} imports ${fileName} (outside src/)`);
        continue;
      }
      if (!existsSync(target)) {
        unresolved.push(`src/${file} imports ${fileName}, which is not a file under src/`);
        continue;
      }
      edges.push({ from: file, to: rel });
    }
  }
  return { files, edges, unresolved };
}

/** a file's unit: its folder under src/, or its own name at the top (X.test.ts: X.ts's) */
function unitOf(file: string): string {
  const i = file.indexOf('/');
  return i === -1 ? file.replace(/\.test\.ts$/, '.ts') : file.slice(0, i);
}

/** Upward and sideways imports, one line each. */
function layerViolations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = unitOf(from);
    const b = unitOf(to);
    if (a === b) continue;
    const ra = rank.get(a);
    const rb = rank.get(b);
    if (ra === undefined || rb === undefined) {
      out.push(`src/${from} -> src/${to}: ${ra === undefined ? a : b} has no layer (add it to LAYERS in src/architecture.test.ts)`);
      continue;
    }
    if (ra > rb) continue;
    if (ra === rb && SIDEWAYS_ALLOWED.has(`${a}/* -> ${to}`)) continue;
    out.push(`src/${from} -> src/${to}: ${a} (layer ${ra}) imports ${ra === rb ? 'its sibling' : 'the higher layer'} ${b} (layer ${rb})`);
  }
  return out;
}

/** a file's part of images/: its sub-folder; undefined at images/'s top or outside images/ */
function imagesPartOf(file: string): string | undefined {
  return /^images\/([^/]+)\//.exec(file)?.[1];
}

/** Imports from a part of images/ to another part not in IMAGES_PART_EDGES, or to a join, one line each. */
function imagesPartViolations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = imagesPartOf(from);
    if (a === undefined) continue;
    if (IMAGES_JOINS.has(to)) {
      out.push(`src/${from} -> src/${to}: the part images/${a} imports a join at images/'s top (IMAGES_JOINS)`);
      continue;
    }
    const b = imagesPartOf(to);
    if (b === undefined || b === a) continue;
    if (!IMAGES_PART_EDGES.has(`${a} -> ${b}`)) out.push(`src/${from} -> src/${to}: the part images/${a} imports the part images/${b} (not in IMAGES_PART_EDGES)`);
  }
  return out;
}

/** Strongly connected components of more than one node (Tarjan), each sorted. */
function cycles(nodes: readonly string[], edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const { from, to } of edges) if (from !== to) next.get(from)?.push(to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return found;
}

describe('architecture: layers', () => {
  const { files, edges, unresolved } = importGraph(repoRoot());

  test('the scan sees the source tree and resolves every import', () => {
    assert.ok(files.length > 100 && files.includes('index.ts'), `only ${files.length} files found`);
    assert.ok(edges.length > 500, `only ${edges.length} imports found`);
    assert.deepEqual(unresolved, []);
  });

  test('no import goes up a layer, or sideways to a sibling', () => {
    const bad = layerViolations(edges);
    assert.deepEqual(bad, [], `imports against the layer order:\n  ${bad.join('\n  ')}`);
  });

  test('no import cycle between folders', () => {
    const units = [...new Set(files.map(unitOf))];
    const between = edges.map(({ from, to }) => ({ from: unitOf(from), to: unitOf(to) })).filter((e) => e.from !== e.to);
    const found = cycles(units, between);
    assert.deepEqual(found, [], `folders in a cycle:\n  ${found.map((c) => c.join(' <-> ')).join('\n  ')}`);
  });

  test("images/'s parts import only the model, and each other only as IMAGES_PART_EDGES allows", () => {
    const bad = imagesPartViolations(edges);
    assert.deepEqual(bad, [], `imports between images/'s parts:\n  ${bad.join('\n  ')}`);
    const parts = new Set(files.map(imagesPartOf).filter((p): p is string => p !== undefined));
    const allowed = [...IMAGES_PART_EDGES].map((e) => {
      const [from = '', to = ''] = e.split(' -> ');
      return { from, to };
    });
    for (const { from, to } of allowed) assert.ok(parts.has(from) && parts.has(to), `IMAGES_PART_EDGES names a part that is not a folder of images/: ${from} -> ${to}`);
    assert.deepEqual(cycles([...parts], allowed), [], 'IMAGES_PART_EDGES has a cycle');
  });

  test('no import cycle between files', (t) => {
    const found = cycles(files, edges);
    const exempt = found.filter((c) => c.every((f) => FILE_CYCLES_EXEMPT.includes(unitOf(f))));
    for (const c of exempt) t.diagnostic(`exempt file cycle in src/${unitOf(c[0] ?? '')}: ${c.length} files (${c.join(', ')})`);
    const bad = found.filter((c) => !exempt.includes(c));
    assert.deepEqual(bad, [], `files in a cycle:\n  ${bad.map((c) => c.join(' <-> ')).join('\n  ')}`);
  });

  test('the check itself: an upward, a sideways import and a cycle are caught', () => {
    assert.deepEqual(layerViolations([{ from: 'linux/x.ts', to: 'oci/y.ts' }]), [
      'src/linux/x.ts -> src/oci/y.ts: linux (layer 1) imports the higher layer oci (layer 6)',
    ]);
    assert.equal(layerViolations([{ from: 'network/x.ts', to: 'images/y.ts' }]).length, 1);
    assert.equal(layerViolations([{ from: 'oci-cli/x.ts', to: 'cli/args.ts' }]).length, 0);
    assert.equal(layerViolations([{ from: 'nowhere/x.ts', to: 'linux/y.ts' }]).length, 1);
    assert.deepEqual(imagesPartViolations([{ from: 'images/registry/x.ts', to: 'images/tar/y.ts' }]), [
      'src/images/registry/x.ts -> src/images/tar/y.ts: the part images/registry imports the part images/tar (not in IMAGES_PART_EDGES)',
    ]);
    assert.equal(imagesPartViolations([{ from: 'images/archive/x.ts', to: 'images/pull.ts' }]).length, 1);
    assert.equal(imagesPartViolations([{ from: 'images/archive/x.ts', to: 'images/tar/y.ts' }]).length, 0);
    assert.equal(imagesPartViolations([{ from: 'images/pull.ts', to: 'images/registry/y.ts' }]).length, 0);
    assert.deepEqual(cycles(['a', 'b', 'c'], [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }, { from: 'b', to: 'c' }]), [['a', 'b']]);
  });
});

/**
 * The addon as a collaborator (issue 14, item 4): a module takes the
 * addon, or the calls it needs, as a parameter, so that its unit tests give
 * a stand-in and run without root or the addon. `nativeAddon()`, the
 * global, is called only by a composition root, which hands it to what it
 * builds, or as the default value of such a parameter (a constructor's or
 * a function's, as StateStore's lock), never in a module's own code.
 */
const COMPOSITION_ROOTS = new Set([
  // the definition itself
  'helper/native-addon.ts',
  // the Engine: its `syscalls` (EngineOptions.syscalls, else the addon) for every engine module
  'engine/engine.ts',
  // the API service's command: the process-wide malloc and page settings of the long-lived service
  'cli/commands/system-service.ts',
]);

/** Where TEXT (the file FILE) calls nativeAddon() other than as a parameter's default value: "file:line". */
function globalAddonCalls(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const inDefault = (node: ts.Node): boolean => {
    for (let n: ts.Node = node; n.parent; n = n.parent) {
      if (ts.isParameter(n.parent) && n.parent.initializer === n) return true;
    }
    return false;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'nativeAddon' && !inDefault(node)) {
      out.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('architecture: the addon is a collaborator', () => {
  const src = join(repoRoot(), 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .map((f) => f.split(sep).join('/'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .sort();
  const calls = new Map(files.map((f) => [f, globalAddonCalls(f, readFileSync(join(src, f), 'utf8'))]));

  test('nativeAddon() only in the composition roots, or as a default value of a parameter', () => {
    const bad = files.filter((f) => !COMPOSITION_ROOTS.has(f)).flatMap((f) => calls.get(f)!);
    assert.deepEqual(bad, [], `nativeAddon() called in a module's own code (take the addon, or the calls needed, as a parameter; its default may be nativeAddon()):\n  ${bad.join('\n  ')}`);
  });

  test('each composition root is a file under src/', () => {
    for (const f of COMPOSITION_ROOTS) assert.ok(calls.has(f), `${f} is not a file under src/`);
  });

  test('the check itself: a call in code is found, a default value is not', () => {
    assert.deepEqual(globalAddonCalls('x.ts', 'function f() { return nativeAddon().lock("p"); }'), ['x.ts:1']);
    assert.deepEqual(globalAddonCalls('x.ts', 'const a = nativeAddon();'), ['x.ts:1']);
    assert.deepEqual(globalAddonCalls('x.ts', 'function f(sys = nativeAddon()) {}\nclass C { constructor(private readonly lock: L = (p) => nativeAddon().lock(p)) {} }'), []);
  });
});
