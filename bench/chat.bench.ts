/**
 * Chat benchmarks: chart render latency (PNG, against the SVG-only step measured in the same run)
 * and `/zones` end to end through the fake Discord, from INTERACTION_CREATE injection to the
 * edited reply being recorded by the fake.
 */
import { NO_LIMIT } from '../src/bot/fairness.ts';
import { CommandRegistry } from '../src/bot/registry.ts';
import { createChartService, exitChartLayout, exitChartOption, renderChartPng, renderChartSvg, zonesChartOption } from '../src/bot/charts.ts';
import { crowdedPlan, crowdedSnapshot } from '../testkit/chart-cases.ts';
import { startDiscord } from '../src/platforms/discord/index.ts';
import { allCommands } from '../commands/index.ts';
import { FakeDiscord } from '../testkit/discord.ts';
import { makeServices, makeSnapshot } from '../testkit/chat-services.ts';
import type { BenchRow } from './run.ts';

const WARMUP = 3;

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Wall-clock p50/p99, and the p50 of process CPU time (main thread + resvg's worker): on a shared,
 * loaded machine the CPU figure is the one comparable to the goal.
 */
async function timeRuns(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<{ p50: number; p99: number; cpuP50: number }> {
  for (let i = 0; i < WARMUP; i++) await fn(-1 - i);
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), cpuP50: quantile(cpu, 0.5) };
}

export default async function chatBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const N = 40;

  // Chart: SVG only (echarts SSR) is the in-run baseline; PNG adds resvg rasterisation.
  const svg = await timeRuns(N, (i) => renderChartSvg(zonesChartOption(makeSnapshot('ETH', 3150, 1000 + i))));
  const png = await timeRuns(N, (i) => renderChartPng(zonesChartOption(makeSnapshot('ETH', 3150, 2000 + i))));
  rows.push({ name: 'chart svg render p50 (baseline)', value: svg.p50, unit: 'ms' });
  rows.push({ name: 'chart png render p50', value: png.p50, unit: 'ms', ratio: png.p50 / svg.p50, goal: '< 80 ms' });
  rows.push({ name: 'chart png render p99', value: png.p99, unit: 'ms', ratio: png.p99 / svg.p50 });
  rows.push({ name: 'chart png render p50, CPU time (map)', value: png.cpuP50, unit: 'ms cpu', ratio: png.cpuP50 / svg.cpuP50, goal: '< 80 ms', note: `svg step ${svg.cpuP50.toFixed(1)} ms cpu` });
  // The crowded cases of the layout snapshot tests: 11 zones, six plan lines; ETH and PEPE scale.
  const crowdedEth = crowdedSnapshot('ETH', 3150);
  const crowdedPepe = crowdedSnapshot('PEPE', 0.00000996);
  const layout = await timeRuns(N * 5, () => exitChartLayout(crowdedEth, crowdedPlan(crowdedEth)));
  rows.push({ name: 'chart layout pass p50 (crowded plan)', value: layout.p50 * 1000, unit: 'µs', ratio: layout.p50 / svg.p50 });
  const crowded = await timeRuns(N, () => renderChartPng(zonesChartOption(crowdedEth)));
  rows.push({ name: 'chart png render p50 (crowded map)', value: crowded.p50, unit: 'ms', ratio: crowded.p50 / svg.p50, goal: '< 80 ms', note: `${crowded.cpuP50.toFixed(1)} ms cpu` });
  const pepe = await timeRuns(N, () => renderChartPng(exitChartOption(crowdedPepe, crowdedPlan(crowdedPepe))));
  rows.push({ name: 'chart png render p50 (PEPE crowded plan)', value: pepe.p50, unit: 'ms', ratio: pepe.p50 / svg.p50, goal: '< 80 ms', note: `${pepe.cpuP50.toFixed(1)} ms cpu` });
  const charts = createChartService();
  const cachedSnapshot = makeSnapshot('ETH', 3150, 1);
  await charts.zonesChart(cachedSnapshot).render();
  const cached = await timeRuns(N, () => charts.zonesChart(cachedSnapshot).render());
  rows.push({ name: 'chart cache hit p50', value: cached.p50 * 1000, unit: 'µs', ratio: cached.p50 / svg.p50 });

  // /zones through the fake Discord: a fresh snapshot each time so every run renders a chart.
  const fake = await FakeDiscord.start({ heartbeatIntervalMs: 5000 });
  const services = makeServices();
  const bot = await startDiscord({ token: 'bench', apiUrl: fake.apiUrl, registry: new CommandRegistry(allCommands()), services, rateLimit: NO_LIMIT });
  try {
    const origin = { user: { id: '1290000000000000501', username: 'bench' }, guildId: fake.guilds[0]!.id };
    let seq = 10_000;
    const zonesOnce = async (fresh: boolean) => {
      if (fresh) services.snapshots.set('ETH', makeSnapshot('ETH', 3150, seq++));
      const ix = fake.injectCommand('zones', { symbol: 'ETH' }, origin);
      await fake.waitFor(() => ix.calls().find((c) => c.method === 'PATCH' && c.path.endsWith('/messages/@original') && c.status === 200), 10_000);
    };
    const e2e = await timeRuns(20, () => zonesOnce(true));
    rows.push({ name: '/zones e2e via fake Discord p50 (chart rendered)', value: e2e.p50, unit: 'ms', ratio: e2e.p50 / png.p50, note: 'ratio vs chart png p50' });
    rows.push({ name: '/zones e2e via fake Discord p99 (chart rendered)', value: e2e.p99, unit: 'ms', ratio: e2e.p99 / png.p50 });
    const warm = await timeRuns(20, () => zonesOnce(false));
    rows.push({ name: '/zones e2e via fake Discord p50 (chart cached)', value: warm.p50, unit: 'ms', ratio: warm.p50 / png.p50 });
  } finally {
    await bot.stop();
    await fake.stop();
  }
  return rows;
}
