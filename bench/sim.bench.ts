/**
 * Market simulator cost:
 * - warm-up: constructing 21 symbols × 2 venues with 3 simulated hours of history;
 * - real time: `advance(100)` for one simulated minute; ratio = wall time / simulated time, i.e. the
 *   share of one core the demo's simulator needs at speed 1.
 */
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import type { BenchRow } from './run.ts';
import { MarketSimulator } from '../src/demo/simulator.ts';

export default async function simulatorBench(): Promise<BenchRow[]> {
  const symbols = [...DEFAULT_SYMBOLS];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const sim = new MarketSimulator({ symbols, seed: 7 });
  const cpu = process.cpuUsage(cpu0);
  const warmupMs = performance.now() - t0;

  sim.advance(10_000); // warm the JIT on the live path
  const simulatedMs = 60_000;
  let events = 0;
  const t1 = performance.now();
  for (let t = 0; t < simulatedMs; t += 100) events += sim.advance(100).length;
  const liveMs = performance.now() - t1;

  return [
    { name: 'sim warm-up, 21 symbols x 2 venues, 3 h simulated', value: warmupMs, unit: 'ms', goal: '< 2000 ms' },
    { name: 'sim warm-up CPU time (process, all threads)', value: (cpu.user + cpu.system) / 1000, unit: 'ms', note: 'robust to a busy machine' },
    { name: 'sim real time, advance(100) x 600, 21 x 2', value: liveMs, unit: 'ms', ratio: liveMs / simulatedMs, goal: 'ratio << 1 (share of a core)' },
    { name: 'sim events per simulated second', value: events / (simulatedMs / 1000), unit: 'events/s' },
  ];
}
