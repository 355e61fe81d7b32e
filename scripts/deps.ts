/**
 * The dependency rules of the house, checked on the import specifiers of the source tree (no
 * TypeScript API needed: every import here is a relative `.ts` specifier). Two checks:
 *  - no import cycles (type-only imports count: a contract lives with one owner);
 *  - layer rules: each area may import only the areas listed for it in LAYERS (data flows
 *    mappers → market state → engine → commands/notifier → platforms; nothing imports upward;
 *    nothing under src/, commands/, bench/ imports test/).
 * `node --import tsx scripts/deps.ts` prints violations and exits 1; test/architecture.test.ts
 * runs the same functions on the tree and on small synthetic graphs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** file (repository-relative, forward slashes) → files it imports. */
export type Graph = Map<string, string[]>;

const SPECIFIER = [
  /\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
  /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
  /^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm,
];

/** Relative import specifiers of one source text (static, dynamic, side-effect, re-exports). */
export function importSpecifiers(text: string): string[] {
  const out = new Set<string>();
  for (const re of SPECIFIER) for (const m of text.matchAll(re)) out.add(m[1] as string);
  return [...out];
}

function walk(dir: string, acc: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, acc);
    else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) acc.push(p);
  }
  return acc;
}

const posix = (p: string): string => p.split(sep).join('/');

/** Import graph of every source file under `dirs` (relative to `root`). */
export function buildGraph(root: string, dirs: readonly string[]): Graph {
  const graph: Graph = new Map();
  for (const d of dirs) {
    let files: string[];
    try {
      files = walk(join(root, d), []);
    } catch {
      continue;
    }
    for (const abs of files) {
      const file = posix(relative(root, abs));
      const deps = importSpecifiers(readFileSync(abs, 'utf8')).map((s) => posix(normalize(join(dirname(file), s))));
      graph.set(file, deps);
    }
  }
  return graph;
}

/** Every elementary cycle's strongly connected component with more than one file (or a self-import). */
export function findCycles(graph: Graph): string[][] {
  // Tarjan's strongly connected components, iterative.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const start of graph.keys()) {
    if (idx.has(start)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1] as { node: string; next: number };
      const deps = (graph.get(top.node) ?? []).filter((d) => graph.has(d));
      if (top.next < deps.length) {
        const d = deps[top.next++] as string;
        if (!idx.has(d)) {
          idx.set(d, index);
          low.set(d, index++);
          stack.push(d);
          onStack.add(d);
          work.push({ node: d, next: 0 });
        } else if (onStack.has(d)) {
          low.set(top.node, Math.min(low.get(top.node) as number, idx.get(d) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(top.node) as number));
      if (low.get(top.node) === idx.get(top.node)) {
        const comp: string[] = [];
        let n: string | undefined;
        do {
          n = stack.pop() as string;
          onStack.delete(n);
          comp.push(n);
        } while (n !== top.node);
        const selfLoop = comp.length === 1 && (graph.get(top.node) ?? []).includes(top.node);
        if (comp.length > 1 || selfLoop) out.push(comp.sort());
      }
    }
  }
  return out;
}

/**
 * Areas, most specific first: a file belongs to the first area whose prefix it starts with.
 * `allow` lists the areas it may import (its own area is always allowed).
 */
export interface Area {
  name: string;
  prefix: string;
  allow: readonly string[];
}

export const LAYERS: readonly Area[] = [
  // leaves everyone may use: number formatting, logging
  { name: 'format', prefix: 'src/format/', allow: ['market'] },
  { name: 'log', prefix: 'src/ops/log.ts', allow: [] },
  { name: 'market', prefix: 'src/market/', allow: ['format', 'log'] },
  { name: 'venues', prefix: 'src/venues/', allow: ['market', 'format', 'log'] },
  { name: 'engine', prefix: 'src/engine/', allow: ['market', 'format', 'log'] },
  { name: 'demo', prefix: 'src/demo/', allow: ['market', 'format', 'log'] },
  { name: 'store', prefix: 'src/store/', allow: ['market', 'engine', 'format', 'log'] },
  { name: 'bot', prefix: 'src/bot/', allow: ['market', 'venues', 'engine', 'format', 'log'] },
  { name: 'notify', prefix: 'src/notify/', allow: ['market', 'engine', 'store', 'bot', 'format', 'log'] },
  { name: 'positions', prefix: 'src/positions/', allow: ['market', 'engine', 'store', 'bot', 'notify', 'format', 'log'] },
  { name: 'commands', prefix: 'commands/', allow: ['market', 'engine', 'store', 'bot', 'notify', 'positions', 'format', 'log'] },
  { name: 'platforms', prefix: 'src/platforms/', allow: ['market', 'engine', 'store', 'bot', 'notify', 'format', 'log'] },
  { name: 'config', prefix: 'src/config.ts', allow: ['market', 'format', 'log'] },
  { name: 'cli', prefix: 'src/cli-args.ts', allow: [] },
  // ops wires processes together (metrics, health, recorder, Redis bus, sharding)
  { name: 'ops', prefix: 'src/ops/', allow: ['market', 'venues', 'engine', 'store', 'bot', 'notify', 'config', 'format', 'log'] },
  // the composition root and the CLI: src/app.ts, src/main.ts
  { name: 'app', prefix: 'src/', allow: ['*', '!test', '!testkit', '!bench', '!scripts'] },
  { name: 'bin', prefix: 'bin/', allow: ['app', 'scripts'] },
  { name: 'testkit', prefix: 'testkit/', allow: ['*', '!test', '!bench'] },
  { name: 'bench', prefix: 'bench/', allow: ['*', '!test'] },
  { name: 'scripts', prefix: 'scripts/', allow: ['*', '!test', '!testkit', '!bench'] },
  { name: 'test', prefix: 'test/', allow: ['*'] },
];

export function areaOf(file: string, layers: readonly Area[] = LAYERS): Area | undefined {
  return layers.find((a) => file === a.prefix || file.startsWith(a.prefix));
}

function allowed(from: Area, to: Area): boolean {
  if (from.name === to.name) return true;
  if (from.allow.includes(`!${to.name}`)) return false;
  return from.allow.includes('*') || from.allow.includes(to.name);
}

export interface Violation {
  from: string;
  to: string;
  rule: string;
}

/** Imports that break the layer rules (unknown targets outside every area are violations too). */
export function layerViolations(graph: Graph, layers: readonly Area[] = LAYERS): Violation[] {
  const out: Violation[] = [];
  for (const [from, deps] of graph) {
    const a = areaOf(from, layers);
    if (!a) continue;
    for (const to of deps) {
      const b = areaOf(to, layers);
      if (!b) {
        if (!to.startsWith('node_modules/') && !to.startsWith('package.json')) out.push({ from, to, rule: `${a.name} imports a file outside every area` });
        continue;
      }
      if (!allowed(a, b)) out.push({ from, to, rule: `${a.name} must not import ${b.name}` });
    }
  }
  return out;
}

export const CHECKED_DIRS = ['src', 'commands', 'bench', 'testkit', 'scripts', 'bin'] as const;

/** Files of the composition root; any other file that falls into the catch-all `app` area has no layer yet. */
const COMPOSITION_ROOT = /^src\/(app\.ts|main\.ts|app\/)/;

export function checkTree(root: string): { cycles: string[][]; violations: Violation[] } {
  const graph = buildGraph(root, CHECKED_DIRS);
  const unlayered: Violation[] = [...graph.keys()]
    .filter((f) => areaOf(f)?.name === 'app' && !COMPOSITION_ROOT.test(f))
    .map((f) => ({ from: f, to: f, rule: 'file has no layer (add its directory to LAYERS in scripts/deps.ts)' }));
  return { cycles: findCycles(graph), violations: [...layerViolations(graph), ...unlayered] };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const { cycles, violations } = checkTree(root);
  for (const c of cycles) console.error(`cycle: ${c.join(' ↔ ')}`);
  for (const v of violations) console.error(`${v.rule}: ${v.from} → ${v.to}`);
  if (cycles.length + violations.length > 0) {
    console.error(`deps: ${cycles.length} cycle(s), ${violations.length} layer violation(s)`);
    process.exit(1);
  }
  console.log('deps: no cycles, no layer violations');
}
