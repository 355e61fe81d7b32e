/**
 * The house rules, checked on the real tree (scripts/deps.ts): no import cycles, no upward imports,
 * nothing outside test/ imports test/. The checker itself is tested on small synthetic graphs so a
 * broken checker cannot pass silently.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { areaOf, buildGraph, CHECKED_DIRS, checkTree, findCycles, importSpecifiers, layerViolations, type Graph } from '../scripts/deps.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const graph = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges));

describe('dependency rules on the tree', () => {
  it('has no import cycles and no layer violations in src/, commands/, bench/, testkit/, scripts/, bin/', () => {
    const { cycles, violations } = checkTree(root);
    expect(cycles).toEqual([]);
    expect(violations.map((v) => `${v.rule}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('sees the real imports (the check is not vacuous)', () => {
    const g = buildGraph(root, CHECKED_DIRS);
    expect(g.size).toBeGreaterThan(100);
    expect(g.get('src/app.ts')).toContain('src/venues/index.ts');
    expect(g.get('src/main.ts')).toContain('src/demo/demo-market.ts');
    for (const file of g.keys()) expect(areaOf(file), file).toBeDefined();
  });

  it('every product file has a layer: only the composition root (src/app.ts, src/app/, src/main.ts) may import everything', () => {
    const g = buildGraph(root, ['src']);
    const unlayered = [...g.keys()].filter((f) => areaOf(f)?.name === 'app' && !/^src\/(app\.ts|main\.ts|app\/)/.test(f));
    expect(unlayered, 'add the new directory to LAYERS in scripts/deps.ts').toEqual([]);
  });

  it('no file outside test/ imports test/', () => {
    const g = buildGraph(root, CHECKED_DIRS);
    const offenders = [...g].flatMap(([from, deps]) => deps.filter((d) => d.startsWith('test/')).map((d) => `${from} → ${d}`));
    expect(offenders).toEqual([]);
  });
});

describe('configuration is read in one place', () => {
  it('no product file reads process.env.<KEY> except src/config.ts (PATH lookups aside)', () => {
    const g = buildGraph(root, ['src', 'commands']);
    const readers = [...g.keys()].filter((f) => f !== 'src/config.ts' && /process\.env\.(?!PATH\b)[A-Z_]+/.test(readFileSync(join(root, f), 'utf8')));
    expect(readers).toEqual([]);
  });
});

describe('network access lives in venues/ and platforms/', () => {
  it('the engine never calls fetch itself (exchange tables come through the venue REST clients)', () => {
    const g = buildGraph(root, ['src/engine']);
    expect(g.size).toBeGreaterThan(10);
    expect([...g.keys()].filter((f) => /\bfetch\s*\(/.test(readFileSync(join(root, f), 'utf8')))).toEqual([]);
  });
});

describe('the checker', () => {
  it('reads static, type-only, re-export, side-effect and dynamic imports, and ignores packages', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "import './e.ts';",
      "const f = await import('./f.ts');",
      "import { z } from 'zod';",
      'import {\n  g,\n  h,\n} from "./gh.ts";',
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(['../b.ts', './a.ts', './c.ts', './d.ts', './e.ts', './f.ts', './gh.ts']);
  });

  it('finds a two-file cycle, a longer cycle and a self-import, and nothing in a DAG', () => {
    expect(findCycles(graph({ 'a.ts': ['b.ts'], 'b.ts': ['a.ts'] }))).toEqual([['a.ts', 'b.ts']]);
    const long = findCycles(graph({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': ['a.ts', 'd.ts'], 'd.ts': [] }));
    expect(long).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(findCycles(graph({ 'a.ts': ['a.ts'] }))).toEqual([['a.ts']]);
    expect(findCycles(graph({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['c.ts'], 'c.ts': [] }))).toEqual([]);
  });

  it('flags upward imports and imports of test/, and allows the data-flow direction', () => {
    const g = graph({
      'src/engine/zone-engine.ts': ['src/market/state.ts', 'src/bot/services.ts'],
      'src/venues/feed.ts': ['src/market/types.ts'],
      'src/main.ts': ['test/fakes/demo-market.ts'],
      'bench/x.bench.ts': ['testkit/random.ts', 'test/support/random.ts'],
      'commands/zones.ts': ['src/engine/types.ts', 'src/platforms/discord/bot.ts'],
    });
    const found = layerViolations(g).map((v) => `${v.from} → ${v.to}`);
    expect(found.sort()).toEqual(
      [
        'src/engine/zone-engine.ts → src/bot/services.ts',
        'src/main.ts → test/fakes/demo-market.ts',
        'bench/x.bench.ts → test/support/random.ts',
        'commands/zones.ts → src/platforms/discord/bot.ts',
      ].sort(),
    );
  });
});
