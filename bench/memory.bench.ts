/**
 * Memory: RSS steady state of a MarketState holding 21 symbols × 2 venues (1m bars, OI and
 * funding history, liquidations, book) once every bounded buffer is full, and its growth over
 * one more simulated day. Goals: steady state well under 150 MB; growth < 2 %.
 *
 * RSS after a forced GC still holds pages V8 has not returned, and the accelerated feed
 * (~1M events/s, far above a live feed) grows the young generation; heap-used is the figure that
 * shows whether the state is bounded.
 *
 * Skeleton for the whole-app soak: the lead extends it with the engines, notifier and platforms.
 * Run: `npx tsx bench/run.ts memory`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchRow } from './run.ts';
import { MarketState } from '../src/market/state.ts';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import { VENUES, type MarketEvent, type Venue } from '../src/market/types.ts';
import { mulberry32 } from '../testkit/random.ts';

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;
const MB = 1024 * 1024;

/** Per venue and symbol, per simulated minute. Mark is 1/s on the wire; sampled here to keep the run short. */
const RATES = { trades: 20, marks: 6, books: 4, oi: 1, liquidationsPerMinute: 1.5 };


interface Sim {
  state: MarketState;
  rand: () => number;
  price: Map<string, number>;
  events: number;
}

function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function settle(gc: () => void): NodeJS.MemoryUsage {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
}

/** REST bootstrap: 24 h of closed 1m bars per venue and symbol ending at `end`. */
function seedBars(sim: Sim, end: number): void {
  for (const symbol of DEFAULT_SYMBOLS) {
    for (const venue of VENUES) {
      let p = sim.price.get(symbol)!;
      for (let t = end - DAY; t < end; t += MINUTE) {
        const open = p;
        p *= 1 + (sim.rand() - 0.5) * 0.002;
        const ev: MarketEvent = {
          kind: 'bar', venue, symbol, exchTime: t + MINUTE - 1, recvTime: end, openTime: t,
          open, high: Math.max(open, p) * 1.0005, low: Math.min(open, p) * 0.9995, close: p, volume: 100 + sim.rand() * 900, takerBuyVolume: 50 + sim.rand() * 400,
        };
        sim.state.apply(ev);
        sim.events++;
      }
    }
  }
}

/** Live feed: one simulated minute of every stream on every venue and symbol. */
function feedMinute(sim: Sim, t0: number): void {
  const { state, rand } = sim;
  for (const symbol of DEFAULT_SYMBOLS) {
    let p = sim.price.get(symbol)!;
    for (const venue of VENUES as readonly Venue[]) {
      for (let i = 0; i < RATES.trades; i++) {
        const t = t0 + Math.floor((i * MINUTE) / RATES.trades);
        p *= 1 + (rand() - 0.5) * 0.0004;
        state.apply({ kind: 'trade', venue, symbol, exchTime: t, recvTime: t + 20, price: p, qty: rand() * 5, side: rand() < 0.5 ? 'buy' : 'sell' });
      }
      for (let i = 0; i < RATES.marks; i++) {
        const t = t0 + Math.floor((i * MINUTE) / RATES.marks);
        state.apply({ kind: 'mark', venue, symbol, exchTime: t, recvTime: t + 20, mark: p, index: p * 0.9999, fundingRateHourly: 0.0000125 + (rand() - 0.5) * 1e-5, nextFundingTime: t0 + 8 * 3_600_000 });
      }
      for (let i = 0; i < RATES.books; i++) {
        const t = t0 + Math.floor((i * MINUTE) / RATES.books);
        const bidSize = rand() * 50;
        const askSize = rand() * 50;
        state.apply({ kind: 'book', venue, symbol, exchTime: t, recvTime: t + 5, bid: p * 0.9999, bidSize, ask: p * 1.0001, askSize, imbalance: (bidSize - askSize) / (bidSize + askSize || 1) });
      }
      const oiBase = 1e5 * (1 + rand() * 0.01);
      state.apply({ kind: 'oi', venue, symbol, exchTime: t0, recvTime: t0 + 100, oiBase, oiUsd: oiBase * p });
      // Poisson-ish liquidations around the configured mean
      const n = Math.floor(RATES.liquidationsPerMinute * 2 * rand());
      for (let i = 0; i < n; i++) {
        const t = t0 + Math.floor(rand() * MINUTE);
        const qty = rand() * 10;
        state.apply({ kind: 'liquidation', venue, symbol, exchTime: t, recvTime: t + 30, side: rand() < 0.5 ? 'long' : 'short', price: p, qty, notionalUsd: qty * p });
      }
      sim.events += RATES.trades + RATES.marks + RATES.books + 1 + n;
    }
    sim.price.set(symbol, p);
  }
}

function feedDays(sim: Sim, from: number, days: number): number {
  let t = from;
  for (const end = from + days * DAY; t < end; t += MINUTE) feedMinute(sim, t);
  return t;
}

function retained(state: MarketState): { bars: number; oi: number; funding: number; liquidations: number } {
  const r = { bars: 0, oi: 0, funding: 0, liquidations: 0 };
  for (const symbol of state.symbols()) {
    for (const v of state.venues(symbol)) {
      r.bars += v.bars.length;
      r.oi += v.oiHistory.length;
      r.funding += v.fundingHistory.length;
      r.liquidations += v.liquidations.length;
    }
  }
  return r;
}

export default async function memoryBench(): Promise<BenchRow[]> {
  const gc = getGc();
  const baseline = settle(gc);

  const start = Date.UTC(2026, 0, 1);
  const rand = mulberry32(42);
  const sim: Sim = { state: new MarketState(), rand, price: new Map(DEFAULT_SYMBOLS.map((s, i) => [s, 10 ** ((i % 5) + 0) * (1 + rand())])), events: 0 };

  // Fill every bound: 24 h of bars from REST, then two live days (OI and funding keep 48 h).
  seedBars(sim, start);
  let t = feedDays(sim, start, 2);
  const steady = settle(gc);
  const fullAt = retained(sim.state);
  const eventsWarm = sim.events;

  const t0 = performance.now();
  t = feedDays(sim, t, 1);
  const feedMs = performance.now() - t0;
  const after = settle(gc);
  const fullAfter = retained(sim.state);

  const rssGrowthPct = ((after.rss - steady.rss) / steady.rss) * 100;
  const heapGrowthPct = ((after.heapUsed - steady.heapUsed) / steady.heapUsed) * 100;
  const oneDayEvents = sim.events - eventsWarm;
  const pairs = DEFAULT_SYMBOLS.length * VENUES.length;
  const note = `${DEFAULT_SYMBOLS.length} symbols × ${VENUES.length} venues`;

  return [
    { name: 'rss: empty process (baseline)', value: baseline.rss / MB, unit: 'MB' },
    { name: 'rss: steady state, buffers full', value: steady.rss / MB, unit: 'MB', ratio: steady.rss / baseline.rss, goal: '< 150 MB', note },
    { name: 'heap used: steady state', value: steady.heapUsed / MB, unit: 'MB', note: 'the reliable figure; RSS keeps freed pages' },
    { name: 'heap total: steady state', value: steady.heapTotal / MB, unit: 'MB', note: 'incl. young generation grown by the accelerated feed' },
    { name: 'market state share of heap (steady − baseline)', value: (steady.heapUsed - baseline.heapUsed) / MB, unit: 'MB' },
    { name: 'rss: after one more simulated day', value: after.rss / MB, unit: 'MB' },
    { name: 'rss growth over the extra day', value: rssGrowthPct, unit: '%', goal: '< 2 %' },
    { name: 'heap-used growth over the extra day', value: heapGrowthPct, unit: '%', goal: '< 2 %' },
    { name: 'bars kept per venue·symbol', value: fullAfter.bars / pairs, unit: 'bars', note: `before the day: ${fullAt.bars / pairs}` },
    { name: 'OI points kept per venue·symbol', value: fullAfter.oi / pairs, unit: 'points', note: `before the day: ${fullAt.oi / pairs}` },
    { name: 'funding points kept per venue·symbol', value: fullAfter.funding / pairs, unit: 'points', note: `before the day: ${fullAt.funding / pairs}` },
    { name: 'liquidations kept per venue·symbol', value: fullAfter.liquidations / pairs, unit: 'events', note: `before the day: ${(fullAt.liquidations / pairs).toFixed(0)}` },
    { name: 'events fed in the extra day', value: oneDayEvents, unit: 'events' },
    { name: 'ingest rate while feeding it', value: oneDayEvents / (feedMs / 1000), unit: 'events/s', note: 'MarketState.apply incl. event allocation' },
  ];
}
