/**
 * `npm run bench`: runs every bench/*.bench.ts in turn. Each exports `default` returning rows;
 * timings are printed as ratios against a baseline measured in the same run (machines are noisy).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** Ratio against the in-run baseline, when there is one. */
  ratio?: number;
  goal?: string;
  note?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only))).sort();
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: () => Promise<BenchRow[]> };
  console.log(`\n## ${f}`);
  const rows = await mod.default();
  for (const r of rows) {
    const v = r.value >= 100 ? r.value.toFixed(0) : r.value.toPrecision(3);
    console.log(`${r.name.padEnd(52)} ${v.padStart(12)} ${r.unit.padEnd(10)}${r.ratio !== undefined ? ` ratio ${r.ratio.toFixed(3)}` : ''}${r.goal ? `  goal: ${r.goal}` : ''}${r.note ? `  (${r.note})` : ''}`);
  }
}
process.exit(0);
