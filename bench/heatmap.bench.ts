/**
 * Liquidation heatmap (issue 16 items 1 and 5): memory of the heatmap history for 21 symbols (3 days
 * of 5-minute slices each, full), the cost of recording one snapshot into a grid, and render time of
 * the heatmap PNG beside the liquidation map's in the same run (goals: heatmap p50 < 150 ms, map
 * p50 < 80 ms). The heatmap rendered is the real engine's, after BENCH_HEATMAP_HOURS (default 6) of
 * simulated ETH market on the market clock.
 *
 * `npm run bench -- heatmap`; HEATMAP_PNG=docs/heatmap-ETH.png also writes the 24h image there.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { heatmapChartOption } from '../src/bot/heatmap-chart.ts';
import { renderChartPng, renderChartSvg, zonesChartOption } from '../src/bot/charts.ts';
import { HEATMAP_SLICE_MS, HEATMAP_SLICES, HeatmapBook } from '../src/engine/heatmap.ts';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import { runSimulatedEngine } from '../testkit/heatmap-run.ts';
import { ZoneEngine } from '../src/engine/zone-engine.ts';
import type { BenchRow } from './run.ts';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

async function timeRuns(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<{ p50: number; p99: number; cpuP50: number }> {
  const times: number[] = [];
  const cpu: number[] = [];
  await fn(-1); // warm-up (fonts, JIT)
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), cpuP50: quantile(cpu, 0.5) };
}

export default async function heatmapBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // Memory: 21 symbols, every slice of 3 days written (the grids are preallocated; this shows it).
  const before = process.memoryUsage().arrayBuffers;
  const book = new HeatmapBook();
  const bins = Array.from({ length: 160 }, (_, i) => ({ price: 0.92 + i * 0.001, longUsd: i < 80 ? 1e5 : 0, shortUsd: i >= 80 ? 1e5 : 0 }));
  const t0 = Date.UTC(2026, 0, 5);
  let records = 0;
  const r0 = performance.now();
  for (let s = 0; s < HEATMAP_SLICES; s++) {
    for (const [k, symbol] of DEFAULT_SYMBOLS.entries()) {
      const scale = 10 ** ((k % 7) - 3);
      const price = scale * (1 + 0.05 * Math.sin(s / 50));
      book.record(symbol, { t: t0 + s * HEATMAP_SLICE_MS, price, binSize: scale * 0.001, bins: bins.map((b) => ({ ...b, price: b.price * scale * (1 + 0.05 * Math.sin(s / 50)) })) }, { low: price, high: price });
      records++;
    }
  }
  const recordMs = performance.now() - r0;
  const after = process.memoryUsage().arrayBuffers;
  rows.push({
    name: `heatmap history memory, ${DEFAULT_SYMBOLS.length} symbols × 3 days`,
    value: book.bytes() / 2 ** 20,
    unit: 'MB',
    note: `grids own ${(book.bytes() / DEFAULT_SYMBOLS.length / 1024).toFixed(0)} KB per symbol, preallocated; process array buffers grew ${((after - before) / 2 ** 20).toFixed(1)} MB`,
  });
  rows.push({ name: 'heatmap record one snapshot (160 bins)', value: (recordMs / records) * 1000, unit: 'µs', note: 'includes building the test bins' });

  const hours = Number(process.env.BENCH_HEATMAP_HOURS ?? 6);
  const run = runSimulatedEngine({ symbols: ['ETH'], hours });
  const snap = run.engine.snapshot('ETH')!;
  const view24 = run.engine.heatmap('ETH', '24h')!;
  const view3d = run.engine.heatmap('ETH', '3d')!;
  const view6 = run.engine.heatmap('ETH', '6h')!;
  const N = Number(process.env.BENCH_N ?? 20);
  const svg = await timeRuns(N, () => renderChartSvg(zonesChartOption(snap)));
  const map = await timeRuns(N, () => renderChartPng(zonesChartOption(snap)));
  rows.push({ name: 'map svg render p50 (baseline)', value: svg.p50, unit: 'ms' });
  rows.push({ name: 'map png render p50', value: map.p50, unit: 'ms', ratio: map.p50 / svg.p50, goal: '< 80 ms', note: `${map.cpuP50.toFixed(1)} ms cpu` });
  for (const [label, view] of [['6h', view6], ['24h', view24], ['3d', view3d]] as const) {
    const heat = await timeRuns(N, () => renderChartPng(heatmapChartOption(view)));
    rows.push({ name: `heatmap png render p50 (${label})`, value: heat.p50, unit: 'ms', ratio: heat.p50 / svg.p50, goal: '< 150 ms', note: `${heat.cpuP50.toFixed(1)} ms cpu, p99 ${heat.p99.toFixed(0)} ms, ${view.filled.reduce((a, b) => a + b, 0)} slices filled` });
  }
  // Native memory: resvg's pixmaps are invisible to V8; without the settler (src/bot/native-memory.ts)
  // RSS grew ~2 MB per chart until something else forced a major GC. 100 more /zones PNGs, then the
  // settler's delay: RSS should be back near where it started.
  await sleep(1500);
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 100; i++) await renderChartPng(zonesChartOption(snap));
  await sleep(1500);
  const rss1 = process.memoryUsage().rss;
  rows.push({ name: 'rss change over 100 more map PNGs (+1.5 s)', value: (rss1 - rss0) / 2 ** 20, unit: 'MB', goal: '< 20 MB', note: `${(rss0 / 2 ** 20).toFixed(0)} → ${(rss1 / 2 ** 20).toFixed(0)} MB; ~2 MB per chart without the settler's GC` });
  const viewMs = await timeRuns(N, () => run.engine.heatmap('ETH', '3d'));
  rows.push({ name: 'heatmap view (3d window copy + candles) p50', value: viewMs.p50 * 1000, unit: 'µs', ratio: viewMs.p50 / svg.p50 });
  // After a start: the first update steps the level book through the bootstrapped history (6 h of
  // 5-minute OI points) and records each slice; the update after it is the plain cost.
  const fresh = runSimulatedEngine({ symbols: ['ETH'], hours: 0.05 });
  const engine = new ZoneEngine(fresh.state, { symbols: () => ['ETH'], now: () => fresh.now, log: () => undefined });
  const f0 = performance.now();
  engine.update();
  const f1 = performance.now();
  engine.update();
  const f2 = performance.now();
  rows.push({
    name: 'first update after a start, with heatmap backfill (1 symbol)',
    value: f1 - f0,
    unit: 'ms',
    ratio: (f1 - f0) / (f2 - f1),
    note: `${engine.heatmaps.grid('ETH')!.filledSlices()} slices from the bootstrap; ratio vs the next update (${(f2 - f1).toFixed(2)} ms)`,
  });
  if (process.env.HEATMAP_PNG) {
    writeFileSync(process.env.HEATMAP_PNG, await renderChartPng(heatmapChartOption(view24)));
    rows.push({ name: `heatmap image written to ${process.env.HEATMAP_PNG}`, value: hours, unit: 'h market' });
  }
  return rows;
}
