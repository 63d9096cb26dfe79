/**
 * The layering of src/ (README "Layout"; shared/notes code-review section 1.2), checked on the
 * relative-import graph, type-only imports included: data flows edge -> actions -> runtime ->
 * engine/store, and nothing flows back. A new edge against a rule, or a new import cycle, fails
 * here; the exceptions that exist are listed below with their reason, and one that is no longer
 * needed fails too, so the list only shrinks. Also: one error catalog (no ApiError built outside
 * src/protocol/errors.ts). Reads files only; no servers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** The layer of a file: its folder under src/, or its name for the files at the top (logger, service). */
const layerOf = (file: string) => file.split('/')[0].replace(/\.ts$/, '');

/** layer -> the layers it must not import (every import of its own layer is fine). */
const RULES: { layer: string; rule: string; forbids: (to: string) => boolean }[] = [
  { layer: 'engine', rule: 'the engine imports nothing but the logger and itself', forbids: (to) => to !== 'logger' },
  { layer: 'protocol', rule: 'the HTTP edge knows no actions, runtime, store or engine', forbids: (to) => ['actions', 'runtime', 'store', 'engine', 'cli', 'service'].includes(to) },
  { layer: 'domain', rule: 'the domain does not import runtime, actions or protocol', forbids: (to) => ['runtime', 'actions', 'protocol', 'cli', 'service'].includes(to) },
  { layer: 'runtime', rule: 'the runtime does not call back into the actions', forbids: (to) => ['actions', 'cli', 'service'].includes(to) },
  { layer: 'store', rule: 'the store does not import actions, runtime or protocol', forbids: (to) => ['actions', 'runtime', 'protocol', 'cli', 'service'].includes(to) },
  { layer: 'generated', rule: 'generated code imports nothing', forbids: () => true },
  { layer: 'cluster', rule: 'the cluster coordinator knows only the logger and the catalog port', forbids: (to) => !['logger', 'store', 'cluster'].includes(to) },
];

/** Edges that break a rule today, each with why it is there and what would remove it. */
const ALLOWED_EDGES: { from: string; to: string; reason: string }[] = [
  {
    from: 'engine/transform/created-table-shape.ts', to: 'domain/jdbc-url.ts',
    reason: 'type EngineKind only; it is declared in domain/jdbc-url.ts. Declaring it in the engine (ports.ts) and importing it into domain removes this.',
  },
  {
    from: 'engine/transform/target-naming.ts', to: 'domain/jdbc-url.ts',
    reason: 'type EngineKind only, as created-table-shape.ts.',
  },
];

/** Cycles that exist today (every file of the strongly connected set), with why they are harmless. */
const ALLOWED_CYCLES: { files: string[]; reason: string }[] = [
  {
    files: ['store/catalog-store.ts', 'store/monitoring-store.ts'],
    reason: 'type-only both ways (CatalogStore.monitoring: MonitoringStore; MonitoringStore uses Page); a shared store-types.ts would break it.',
  },
  {
    files: ['engine/engine-event.ts', 'engine/schema-rules.ts'],
    reason: 'type-only both ways (DdlMark, EngineEvent); moving DdlMark into engine-event.ts or a ddl-mark.ts would break it.',
  },
  {
    files: ['engine/sources/mysql/privileges.ts', 'engine/sources/mysql/table-info.ts'],
    reason: 'privileges.ts imports only the Queryable type back; moving Queryable into its own file would break it.',
  },
  {
    files: ['engine/sources/mysql/binlog-events.ts', 'engine/sources/mysql/table-map.ts'],
    reason: 'hoisted functions only (lenenc, parseTableMap), so harmless at load time; moving lenenc into a wire.ts breaks it (code review 1.2).',
  },
];

function sourceFiles(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path.relative(SRC, full).split(path.sep).join('/')] : [];
  });
}

/** file -> the src files it imports relatively (static, re-export and dynamic imports; types included). */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    const targets = ts.preProcessFile(text, true, true).importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => path.posix.normalize(path.posix.join(path.posix.dirname(file), name)))
      .filter((to) => !to.startsWith('..')); // outside src/ (spec/, package.json): not a layer
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one file (or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles();
const graph = importGraph(files);

test('the import graph is read: every relative import resolves to a file of src/', () => {
  assert.ok(files.length > 100, `only ${files.length} files found under ${SRC}`);
  const missing = [...graph].flatMap(([from, tos]) => tos.filter((to) => !graph.has(to)).map((to) => `${from} -> ${to}`));
  assert.deepEqual(missing, []);
  assert.ok(graph.get('service.ts')!.includes('actions/index.ts'), 'service.ts -> actions/index.ts not seen');
});

test('no import crosses a layer against its rule, except the listed ones', () => {
  const allowed = new Set(ALLOWED_EDGES.map((e) => `${e.from} -> ${e.to}`));
  const violations: string[] = [];
  const seenAllowed = new Set<string>();
  for (const [from, tos] of graph) {
    for (const to of tos) {
      const [a, b] = [layerOf(from), layerOf(to)];
      if (a === b) continue;
      const broken = RULES.find((r) => r.layer === a && r.forbids(b));
      if (!broken) continue;
      const edge = `${from} -> ${to}`;
      if (allowed.has(edge)) seenAllowed.add(edge);
      else violations.push(`${edge}: ${broken.rule}`);
    }
  }
  assert.deepEqual(violations, [], 'new layering violations (fix the import, or list the edge in ALLOWED_EDGES with its reason)');
  assert.deepEqual([...allowed].filter((e) => !seenAllowed.has(e)), [], 'listed exceptions that no longer exist: remove them from ALLOWED_EDGES');
});

test('nothing imports the composition roots (cli, service.ts) but the CLI', () => {
  const inward = [...graph].flatMap(([from, tos]) => tos
    .filter((to) => ['cli', 'service'].includes(layerOf(to)) && layerOf(from) !== 'cli' && layerOf(to) !== layerOf(from))
    .map((to) => `${from} -> ${to}`));
  assert.deepEqual(inward, []);
});

test('no import cycles, except the listed ones', () => {
  const key = (files: string[]) => [...files].sort().join(' <-> ');
  const allowed = new Set(ALLOWED_CYCLES.map((c) => key(c.files)));
  const found = cycles(graph).map(key);
  assert.deepEqual(found.filter((c) => !allowed.has(c)), [], 'new import cycles (break them, or list them in ALLOWED_CYCLES with the reason)');
  assert.deepEqual([...allowed].filter((c) => !found.includes(c)), [], 'listed cycles that no longer exist: remove them from ALLOWED_CYCLES');
});

test('the cycle finder finds a cycle and only a cycle', () => {
  const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts', 'd.ts']], ['d.ts', []], ['e.ts', ['e.ts']]]);
  assert.deepEqual(cycles(g).sort(), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
});

test('one error catalog: only src/protocol/errors.ts constructs an ApiError', () => {
  const inline = files.filter((f) => f !== 'protocol/errors.ts' && /\bnew ApiError\s*\(/.test(fs.readFileSync(path.join(SRC, f), 'utf8')));
  assert.deepEqual(inline, [], 'add the code to CATALOG in src/protocol/errors.ts with a factory, and throw that');
});
