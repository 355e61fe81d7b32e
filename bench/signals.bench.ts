/**
 * Signal engine: one full 10-second cycle (21 symbols × 3 timeframes × every card, the composites
 * of all three modes, conflict/transition/fading tracking and events) on realistic state — 24 h of
 * 1-minute bars per symbol and venue, 48 h of OI and funding, a day of liquidations, a zone map
 * per symbol. Baseline in the same run: one plain pass over the same bars.
 */
import { SignalEngine } from '../src/engine/signals/engine.ts';
import type { LiquidationBin, Zone, ZoneSnapshot } from '../src/engine/types.ts';
import { MarketState } from '../src/market/state.ts';
import { DEFAULT_SYMBOLS } from '../src/market/symbols.ts';
import { VENUES, type MarketEvent } from '../src/market/types.ts';
import type { BenchRow } from './run.ts';
import { mulberry32 } from '../testkit/random.ts';

const MINUTE = 60_000;
const BARS = 1440;
const START = Date.UTC(2026, 0, 5);

const rng = mulberry32;

function buildState(): { state: MarketState; prices: Map<string, number>; end: number } {
  const random = rng(42);
  const state = new MarketState();
  const prices = new Map<string, number>();
  const end = START + 48 * 60 * MINUTE;
  for (const [k, symbol] of DEFAULT_SYMBOLS.entries()) {
    let p = 10 + k * 37;
    for (let m = 0; m < 48 * 60; m++) {
      const t = START + m * MINUTE;
      p *= 1 + 0.0008 * (random() - 0.5);
      for (const venue of VENUES) {
        const apply = (ev: MarketEvent) => state.apply(ev);
        apply({ kind: 'oi', venue, symbol, exchTime: t, recvTime: t, oiBase: 1e6 * (1 + 0.1 * Math.sin(m / 300)), oiUsd: 1e6 * p });
        apply({ kind: 'mark', venue, symbol, exchTime: t, recvTime: t, mark: p, index: p, fundingRateHourly: 1.25e-5 * (1 + random()) });
        if (m >= 48 * 60 - BARS) {
          const volume = 100 + 50 * random();
          apply({ kind: 'bar', venue, symbol, exchTime: t + MINUTE - 1, recvTime: t + MINUTE - 1, openTime: t, open: p, high: p * 1.0005, low: p * 0.9995, close: p, volume, takerBuyVolume: volume * random() });
          // a few liquidations a minute on Bybit, occasional ones on Binance
          const n = venue === 'bybit' ? 3 : random() < 0.3 ? 1 : 0;
          for (let i = 0; i < n; i++) {
            const usd = 5000 * random();
            apply({ kind: 'liquidation', venue, symbol, exchTime: t + i * 1000, recvTime: t + i * 1000, side: random() < 0.5 ? 'long' : 'short', price: p, qty: usd / p, notionalUsd: usd });
          }
          apply({ kind: 'book', venue, symbol, exchTime: t, recvTime: t, bid: p * 0.9999, bidSize: 10, ask: p * 1.0001, askSize: 8, imbalance: 0.11 });
        }
      }
      prices.set(symbol, p);
    }
  }
  return { state, prices, end };
}

function zoneMap(symbol: string, price: number, t: number): ZoneSnapshot {
  const atr = price * 0.008;
  const binSize = atr / 10;
  const bins: LiquidationBin[] = [];
  for (let i = -100; i <= 100; i++) {
    const at = price + i * binSize;
    const mass = 1e5 * (1 + Math.cos(i / 7) ** 2);
    bins.push({ price: at, longUsd: i < 0 ? mass : 0, shortUsd: i > 0 ? mass : 0 });
  }
  const zones: Zone[] = [];
  for (let r = 1; r <= 5; r++) {
    for (const side of ['long', 'short'] as const) {
      const edge = side === 'short' ? price + r * atr : price - r * atr;
      zones.push({
        id: `${symbol}:${side}:${r}`,
        side,
        low: side === 'short' ? edge : edge - binSize * 3,
        high: side === 'short' ? edge + binSize * 3 : edge,
        peak: edge,
        notionalUsd: 1e6 / r,
        share: 0.2,
        distancePct: ((edge - price) / price) * 100,
        distanceAtr: r,
        rank: r,
        leverage: {},
        venues: {},
      });
    }
  }
  return { symbol, t, price, atr, binSize, bins, zones, venues: ['binance', 'bybit'], dataAgeMs: 1000, seq: 1 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export default async function signalsBench(): Promise<BenchRow[]> {
  const { state, prices, end } = buildState();
  const symbols: string[] = [...DEFAULT_SYMBOLS];
  const maps = new Map(symbols.map((s) => [s, zoneMap(s, prices.get(s)!, end)]));
  let wall = end;
  let eventCount = 0;
  const engine = new SignalEngine({
    state,
    zones: { snapshot: (s) => maps.get(s) },
    symbols: () => symbols,
    now: () => wall,
  });
  engine.onEvent(() => eventCount++);

  // Between cycles the market moves on by 10 s: a trade and a mark per symbol and venue.
  let market = end;
  const advance = () => {
    market += 10_000;
    for (const symbol of symbols) {
      const p = prices.get(symbol)! * (1 + 0.0004 * Math.sin(market / 600_000));
      for (const venue of VENUES) {
        state.apply({ kind: 'trade', venue, symbol, exchTime: market, recvTime: market, price: p, qty: 1, side: 'buy' });
        state.apply({ kind: 'mark', venue, symbol, exchTime: market, recvTime: market, mark: p, fundingRateHourly: 1.25e-5 });
      }
    }
  };

  const RUNS = 200;
  // Full cycle: the wall clock jumps 5 min per cycle so every mode is due every time (the worst case).
  const full: number[] = [];
  const cardsOnly: number[] = [];
  const baseline: number[] = [];
  let sink = 0;
  for (let i = 0; i < RUNS + 20; i++) {
    advance();
    wall += 300_000;
    let t0 = performance.now();
    engine.cycle();
    const tFull = performance.now() - t0;

    advance();
    wall += 10_000; // no mode due: the every-10-s card pass alone
    t0 = performance.now();
    engine.cycle();
    const tCards = performance.now() - t0;

    t0 = performance.now();
    for (const symbol of symbols) {
      for (const vs of state.venues(symbol)) {
        for (const b of vs.bars) sink += b.close * b.volume + b.buyVolume - b.sellVolume;
      }
    }
    const tBase = performance.now() - t0;
    if (i >= 20) {
      full.push(tFull);
      cardsOnly.push(tCards);
      baseline.push(tBase);
    }
  }
  if (sink === 42) console.log(sink); // keep the baseline loop from being optimized away

  const base = median(baseline);
  const f = median(full);
  const c = median(cardsOnly);
  const bars = symbols.reduce((n, s) => n + state.venues(s).reduce((m, v) => m + v.bars.length, 0), 0);
  return [
    { name: `plain pass over all bars (baseline, ${bars} bars)`, value: base, unit: 'ms' },
    { name: 'signal cycle, all modes due (21 sym × 3 tf × 8 cards)', value: f, unit: 'ms', ratio: f / base, goal: '< 5 ms', note: `p90 ${quantile(full, 0.9).toFixed(2)} ms; ${eventCount} events over the run` },
    { name: 'signal cycle, cards only (no mode due)', value: c, unit: 'ms', ratio: c / base },
  ];
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
