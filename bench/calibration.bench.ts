/**
 * Zone skill on varied simulated markets, prior mix vs calibrated mix (issue 14).
 *
 * For each seed the simulator draws every symbol's trader population (leverage mix, holding time,
 * opening rate) and regime schedule from wide ranges (`population: 'varied'`), records
 * BENCH_HOURS (default 6) of market time for BTC, ETH and SOL, and `compareCalibration` scores the
 * second half twice: with the prior mix, and with the mix learned on the first half. The measure is
 * peak-band coverage: the share of realized liquidation notional (in the band price reached) within
 * ±0.5 % of the top-3 zone peaks per side, and its advantage over distance-only bands of the same
 * width. Also times what calibration adds to one engine update per symbol.
 *
 * `npm run bench -- calibration`; BENCH_SEEDS (default 10), BENCH_HOURS (default 6).
 */
import { simulatedRecording } from '../src/demo/recording.ts';
import { compareCalibration, type EvaluationReport } from '../src/engine/evaluation.ts';
import { ZoneEngine } from '../src/engine/zone-engine.ts';
import { MarketState } from '../src/market/state.ts';
import type { MarketEvent } from '../src/market/types.ts';
import type { BenchRow } from './run.ts';

const SYMBOLS = ['BTC', 'ETH', 'SOL'];
const HOUR = 3_600_000;

interface SeedResult {
  seed: number;
  prior: { peak: number; dist: number; placebo: number };
  learned: { peak: number; dist: number; placebo: number };
  snapshots: number;
  calibrated: number;
}

const cover = (r: EvaluationReport) => ({ peak: r.total.peak.coverage.model, dist: r.total.peak.coverage.distanceOnly, placebo: r.total.peak.coverage.placebo });
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** What calibration adds to one engine update, per symbol: the same state, engines with and without it. */
function calibrationCost(events: MarketEvent[]): { withMs: number; withoutMs: number; updates: number } {
  const state = new MarketState();
  let clock = 0;
  const on = new ZoneEngine(state, { symbols: () => SYMBOLS, now: () => clock });
  const off = new ZoneEngine(state, { symbols: () => SYMBOLS, now: () => clock, calibration: false });
  const live = events.filter((e) => e.kind === 'mark');
  const start = live[0]!.exchTime;
  let i = 0;
  let withMs = 0;
  let withoutMs = 0;
  let updates = 0;
  // live cadence: an update every 3 s of market time over the recording's second hour
  for (let t = start + 3000; t < start + 2 * HOUR; t += 3000) {
    while (i < events.length && (events[i]!.exchTime <= t || !['trade', 'mark', 'liquidation'].includes(events[i]!.kind))) state.apply(events[i++]!);
    clock = t;
    if (t < start + HOUR) {
      on.update();
      off.update();
      continue;
    }
    const a = performance.now();
    on.update();
    const b = performance.now();
    off.update();
    const c = performance.now();
    withMs += b - a;
    withoutMs += c - b;
    updates++;
  }
  return { withMs, withoutMs, updates };
}

export default async function calibrationBench(): Promise<BenchRow[]> {
  const seeds = Number(process.env.BENCH_SEEDS ?? 10);
  const hours = Number(process.env.BENCH_HOURS ?? 6);
  const results: SeedResult[] = [];
  const opts = { horizonMs: HOUR, snapshotIntervalMs: 5 * 60_000, topK: 3 };
  let lastEvents: MarketEvent[] = [];
  console.log(`seed  snaps  prior peak  dist-only  adv      learned peak  dist-only  adv      placebo(prior/learned)  calibrated`);
  for (let seed = 1; seed <= seeds; seed++) {
    const events = [...simulatedRecording({ symbols: SYMBOLS, seed, durationMs: hours * HOUR, population: 'varied' })];
    const c = compareCalibration(events, opts);
    const r: SeedResult = {
      seed,
      prior: cover(c.prior),
      learned: cover(c.learned),
      snapshots: c.learned.total.snapshots,
      calibrated: c.learned.calibration.filter((s) => s.status === 'calibrated').length,
    };
    results.push(r);
    console.log(
      `${String(seed).padStart(4)}  ${String(r.snapshots).padStart(5)}  ${pct(r.prior.peak).padStart(10)}  ${pct(r.prior.dist).padStart(9)}  ${pct(r.prior.peak - r.prior.dist).padStart(6)}  ${pct(r.learned.peak).padStart(12)}  ${pct(r.learned.dist).padStart(9)}  ${pct(r.learned.peak - r.learned.dist).padStart(6)}  ${`${pct(r.prior.placebo)} / ${pct(r.learned.placebo)}`.padStart(22)}  ${r.calibrated}/${c.learned.calibration.length}`,
    );
    lastEvents = events;
  }
  const ok = results.filter((r) => Number.isFinite(r.prior.peak) && Number.isFinite(r.learned.peak));
  const col = (f: (r: SeedResult) => number) => ok.map(f);
  const priorPeak = col((r) => r.prior.peak);
  const learnedPeak = col((r) => r.learned.peak);
  const priorAdv = col((r) => r.prior.peak - r.prior.dist);
  const learnedAdv = col((r) => r.learned.peak - r.learned.dist);
  const wins = ok.filter((r) => r.learned.peak > r.prior.peak).length;
  const cost = calibrationCost(lastEvents);
  const addedMs = (cost.withMs - cost.withoutMs) / cost.updates / SYMBOLS.length;
  const ms = (x: number) => (x * 100).toFixed(1);
  return [
    { name: `peak-band coverage, prior mix (mean of ${ok.length} seeds)`, value: mean(priorPeak) * 100, unit: '%', note: `sd ${(sd(priorPeak) * 100).toFixed(1)}, range ${ms(Math.min(...priorPeak))}–${ms(Math.max(...priorPeak))}` },
    { name: 'peak-band coverage, calibrated mix', value: mean(learnedPeak) * 100, unit: '%', goal: '≥ 45 %', note: `sd ${(sd(learnedPeak) * 100).toFixed(1)}, range ${ms(Math.min(...learnedPeak))}–${ms(Math.max(...learnedPeak))}` },
    { name: 'advantage over distance-only, prior (points)', value: mean(priorAdv) * 100, unit: 'pts', note: `sd ${(sd(priorAdv) * 100).toFixed(1)}` },
    { name: 'advantage over distance-only, calibrated (points)', value: mean(learnedAdv) * 100, unit: 'pts', goal: '≥ +30', note: `sd ${(sd(learnedAdv) * 100).toFixed(1)}` },
    { name: 'seeds where calibrated beats prior', value: wins, unit: `of ${ok.length}`, goal: 'most seeds' },
    {
      name: 'calibration cost per symbol per update',
      value: addedMs * 1000,
      unit: 'µs',
      ratio: cost.withMs / cost.withoutMs,
      goal: '< 1000 µs',
      note: `update with calibration ${((cost.withMs / cost.updates) * 1000).toFixed(0)} µs vs without ${((cost.withoutMs / cost.updates) * 1000).toFixed(0)} µs for ${SYMBOLS.length} symbols, ${cost.updates} updates`,
    },
  ];
}
