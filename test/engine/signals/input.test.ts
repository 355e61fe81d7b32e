import { describe, expect, it } from 'vitest';
import { buildCardInput, newInputMemory } from '../../../src/engine/signals/input.ts';
import { MarketState } from '../../../src/market/state.ts';
import type { MarketEvent, Venue } from '../../../src/market/types.ts';
import { mulberry32 } from '../../../testkit/random.ts';

const M = 60_000;
/** A minute boundary, so bucket edges are easy to reason about. */
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

function bar(venue: Venue, openTime: number, close: number, volume: number, buy: number): MarketEvent {
  return { kind: 'bar', venue, symbol: 'ETH', exchTime: openTime + M - 1, recvTime: openTime + M - 1, openTime, open: close, high: close + 1, low: close - 1, close, volume, takerBuyVolume: buy };
}

function mark(venue: Venue, t: number, markPrice: number, funding?: number): MarketEvent {
  return { kind: 'mark', venue, symbol: 'ETH', exchTime: t, recvTime: t, mark: markPrice, ...(funding !== undefined ? { fundingRateHourly: funding } : {}) };
}

describe('card input builder', () => {
  it('buckets bars per timeframe, sums volumes across venues and takes prices from the busier venue', () => {
    const s = new MarketState();
    // 30 minutes of bars on both venues; Binance trades more
    for (let i = 0; i < 30; i++) {
      const t = T0 - (30 - i) * M;
      s.apply(bar('binance', t, 100 + i, 10, 7));
      s.apply(bar('bybit', t, 200 + i, 4, 1));
    }
    s.apply(mark('binance', T0 - 1, 129));
    s.apply(mark('bybit', T0 - 1, 129.1));
    const input = buildCardInput(s, undefined, 'ETH', newInputMemory())!;
    expect(input.t).toBe(T0 - 1);
    expect(input.price).toBeCloseTo(129.05, 10);
    const m1 = input.tf['1m'];
    expect(m1.close.length).toBe(15);
    expect(m1.close[14]).toBe(129); // Binance's last close, not Bybit's
    expect(m1.buy[14]).toBe(8);
    expect(m1.sell[14]).toBe(6);
    expect(m1.filled).toBe(15);
    expect(m1.priceChange).toBeCloseTo(129 / 124 - 1, 12);
    // recent window = last 5 one-minute buckets
    expect(m1.venueFlow.binance).toEqual({ buy: 35, sell: 15 });
    expect(m1.venueFlow.bybit).toEqual({ buy: 5, sell: 15 });
    const m5 = input.tf['5m'];
    // 11:30…11:59 → six full 5-minute buckets (the 12:00 bucket has not started)
    expect(m5.close).toEqual([104, 109, 114, 119, 124, 129]);
    expect(m5.buy.reduce((a, b) => a + b, 0)).toBe(30 * 8);
    const h1 = input.tf['1h'];
    expect(h1.close).toEqual([129]);
    expect(h1.priceChange).toBeUndefined();
  });

  it('carries the last close through empty buckets and ignores bars beyond the longest lookback', () => {
    const s = new MarketState();
    s.apply(bar('binance', T0 - 20 * 60 * M, 5000, 1e9, 1e9)); // 20 h old: outside every view
    s.apply(bar('binance', T0 - 10 * M, 100, 10, 5));
    s.apply(bar('binance', T0 - 2 * M, 110, 10, 5));
    s.apply(mark('binance', T0 - 1, 110));
    const input = buildCardInput(s, undefined, 'ETH', newInputMemory())!;
    const m1 = input.tf['1m'];
    expect(m1.close).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 110, 110]);
    expect(m1.filled).toBe(2);
    expect(input.tf['1h'].buy).toEqual([10]);
  });

  it('measures OI change over the recent window and sums liquidations per window, with the last-minute burst', () => {
    const s = new MarketState();
    for (let i = 0; i <= 60; i++) {
      const t = T0 - (60 - i) * M;
      s.apply({ kind: 'oi', venue: 'binance', symbol: 'ETH', exchTime: t, recvTime: t, oiBase: 1000 + i, oiUsd: 0 });
      if (i < 60) s.apply(bar('binance', t, 100, 10, 5));
    }
    const liq = (t: number, side: 'long' | 'short', usd: number): MarketEvent => ({ kind: 'liquidation', venue: 'bybit', symbol: 'ETH', exchTime: t, recvTime: t, side, price: 100, qty: usd / 100, notionalUsd: usd });
    s.apply(liq(T0 - 3 * 60 * M, 'long', 500)); // only in the 1h window
    s.apply(liq(T0 - 20 * M, 'short', 300)); // in 5m and 1h windows
    s.apply(liq(T0 - 30_000, 'long', 1000)); // everywhere, and in the burst
    const input = buildCardInput(s, undefined, 'ETH', newInputMemory())!;
    expect(input.t).toBe(T0);
    expect(input.tf['1m'].oiChange).toBeCloseTo(1060 / 1055 - 1, 12);
    expect(input.tf['5m'].oiChange).toBeCloseTo(1060 / 1035 - 1, 12);
    expect(input.tf['1m'].liq).toEqual({ longUsd: 1000, shortUsd: 0, count: 1 });
    expect(input.tf['5m'].liq).toEqual({ longUsd: 1000, shortUsd: 300, count: 2 });
    expect(input.tf['1h'].liq).toEqual({ longUsd: 1500, shortUsd: 300, count: 3 });
    expect(input.liqBurst.longUsd).toBe(1000);
    expect(input.liqBurst.baselinePerMinUsd).toBeCloseTo(1800 / (5 * 60), 10); // over the longest recent window (5 h)
  });

  it('smooths book imbalance and the mark gap across cycles, and drops a stale book', () => {
    const s = new MarketState();
    const memory = newInputMemory();
    const book = (venue: Venue, t: number, imbalance: number): MarketEvent => ({ kind: 'book', venue, symbol: 'ETH', exchTime: t, recvTime: t, bid: 99, bidSize: 1, ask: 101, askSize: 1, imbalance });
    s.apply(bar('binance', T0 - M, 100, 10, 5));
    s.apply(book('binance', T0, 0.5));
    s.apply(mark('binance', T0, 100.01));
    s.apply(mark('bybit', T0, 100));
    const first = buildCardInput(s, undefined, 'ETH', memory)!;
    expect(first.tf['1m'].bookImbalance).toBeCloseTo(0.5, 12);
    expect(first.tf['1m'].markGap!.now).toBeCloseTo(1, 2);
    s.apply(book('binance', T0 + 10_000, -0.5));
    s.apply(mark('binance', T0 + 10_000, 100));
    s.apply(mark('bybit', T0 + 10_000, 100));
    const second = buildCardInput(s, undefined, 'ETH', memory)!;
    // moves toward the new value, faster on the short timeframe
    const m1 = second.tf['1m'].bookImbalance!;
    const h1 = second.tf['1h'].bookImbalance!;
    expect(m1).toBeLessThan(0.5);
    expect(m1).toBeGreaterThan(-0.5);
    expect(h1).toBeGreaterThan(m1);
    expect(second.tf['5m'].markGap!.now).toBeCloseTo(0, 10);
    expect(second.tf['5m'].markGap!.mean).toBeGreaterThan(0.9);
    // two minutes without a book update: no book reading at all
    s.apply(mark('binance', T0 + 130_000, 100));
    expect(buildCardInput(s, undefined, 'ETH', memory)!.tf['1m'].bookImbalance).toBeUndefined();
  });

  it('reads funding against the pooled history of both venues', () => {
    const s = new MarketState();
    s.apply(bar('binance', T0 - M, 100, 10, 5));
    for (let i = 0; i < 10; i++) {
      s.apply(mark('binance', T0 - (10 - i) * M, 100, i % 2 === 0 ? 0.0001 : 0.0003));
      s.apply(mark('bybit', T0 - (10 - i) * M, 100, 0.0002));
    }
    const input = buildCardInput(s, undefined, 'ETH', newInputMemory())!;
    expect(input.funding!.samples).toBe(20);
    expect(input.funding!.mean).toBeCloseTo(0.0002, 12);
    expect(input.funding!.std).toBeCloseTo(Math.sqrt(0.5) * 0.0001, 10);
    expect(input.funding!.rate).toBeCloseTo((0.0003 + 0.0002) / 2, 12);
  });

  it('returns nothing for a symbol without data', () => {
    expect(buildCardInput(new MarketState(), undefined, 'ETH', newInputMemory())).toBeUndefined();
  });
});

describe('hourly cache', () => {
  it('gives the same 1h view as a fresh build, and notices new bars in closed hours', () => {
    const s = new MarketState();
    for (let i = 0; i < 6 * 60; i++) s.apply(bar('binance', T0 - 6 * 60 * M + i * M, 100 + (i % 17), 10, 3 + (i % 5)));
    const memory = newInputMemory();
    const trade = (t: number, price: number): MarketEvent => ({ kind: 'trade', venue: 'binance', symbol: 'ETH', exchTime: t, recvTime: t, price, qty: 2, side: 'buy' });
    // 10 minutes into the hour: the closed hours get cached
    for (let i = 0; i <= 10; i++) s.apply(trade(T0 + i * M, 120 + i));
    buildCardInput(s, undefined, 'ETH', memory);
    expect(memory.hourly.size).toBe(1);
    s.apply(trade(T0 + 11 * M, 131)); // within the validation bound: a lone venue's bigger jump waits for trade confirmation
    const cached = buildCardInput(s, undefined, 'ETH', memory)!.tf['1h'];
    const fresh = buildCardInput(s, undefined, 'ETH', newInputMemory())!.tf['1h'];
    expect(cached).toEqual(fresh);
    // a REST bar landing in a closed hour invalidates the cache
    s.apply(bar('binance', T0 - 90 * M, 100, 1000, 1000));
    const after = buildCardInput(s, undefined, 'ETH', memory)!.tf['1h'];
    expect(after).toEqual(buildCardInput(s, undefined, 'ETH', newInputMemory())!.tf['1h']);
    expect(after.buy[after.buy.length - 3]).toBeGreaterThan(cached.buy[cached.buy.length - 3]!);
  });
});

/** First difference between two inputs, letting floating-point sums differ by rounding only. */
function inputDifference(actual: unknown, expected: unknown, path = 'input'): string | undefined {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected)) + 1e-15;
    return Math.abs(actual - expected) <= tolerance ? undefined : `${path}: ${actual} ≠ ${expected}`;
  }
  if (expected === null || typeof expected !== 'object' || actual === null || typeof actual !== 'object') {
    return Object.is(actual, expected) ? undefined : `${path}: ${String(actual)} ≠ ${String(expected)}`;
  }
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const keys = Object.keys(e);
  if (Object.keys(a).length !== keys.length) return `${path}: keys ${Object.keys(a).join(',')} ≠ ${keys.join(',')}`;
  for (const k of keys) {
    const d = inputDifference(a[k], e[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** Liquidation sums straight from the state's events: the reference the bucketed sums must reproduce. */
function naiveLiquidations(s: MarketState, t: number) {
  const H = 60 * M;
  const from = (bucket: number) => Math.floor(t / bucket) * bucket - 4 * bucket;
  const starts = { '1m': from(M), '5m': from(5 * M), '1h': from(H) };
  const windows = { '1m': { longUsd: 0, shortUsd: 0, count: 0 }, '5m': { longUsd: 0, shortUsd: 0, count: 0 }, '1h': { longUsd: 0, shortUsd: 0, count: 0 } };
  const burst = { longUsd: 0, shortUsd: 0, count: 0 };
  let total = 0;
  const add = (w: { longUsd: number; shortUsd: number; count: number }, side: string, usd: number) => {
    w.count++;
    if (side === 'long') w.longUsd += usd;
    else w.shortUsd += usd;
  };
  for (const vs of s.venues('ETH')) {
    for (const l of vs.liquidations) {
      if (l.exchTime > t || l.exchTime < t - 5 * H) continue;
      total += l.notionalUsd;
      if (l.exchTime > t - M) add(burst, l.side, l.notionalUsd);
      for (const tf of ['1m', '5m', '1h'] as const) if (l.exchTime >= starts[tf]) add(windows[tf], l.side, l.notionalUsd);
    }
  }
  return { windows, burst: { ...burst, baselinePerMinUsd: total / 300 } };
}

describe('incremental liquidation and funding state', () => {
  for (const [label, limits] of [
    ['retention longer than the lookback', { liquidationMs: 6 * 60 * M, historyMs: 2 * 60 * M }],
    ['retention cutting into the lookback', { liquidationMs: 2 * 60 * M, historyMs: 30 * M }],
  ] as const) {
    it(`matches a from-scratch build cycle after cycle (${label})`, () => {
      const random = mulberry32(7);
      const s = new MarketState(limits);
      const venues: Venue[] = ['binance', 'bybit'];
      let t = T0 - 6 * 60 * M;
      let price = 100;
      const liq = (venue: Venue, at: number, usd: number): MarketEvent => ({ kind: 'liquidation', venue, symbol: 'ETH', exchTime: at, recvTime: at, side: random() < 0.5 ? 'long' : 'short', price, qty: usd / price, notionalUsd: usd });
      const step = (): void => {
        t += 10_000;
        price *= 1 + 0.002 * (random() - 0.5);
        for (const venue of venues) {
          s.apply({ kind: 'trade', venue, symbol: 'ETH', exchTime: t, recvTime: t, price, qty: 1 + random(), side: random() < 0.5 ? 'buy' : 'sell' });
          s.apply(mark(venue, t, price, 1e-5 * (1 + random())));
          const n = Math.floor(random() * 3);
          for (let i = 0; i < n; i++) s.apply(liq(venue, t - Math.floor(random() * 10_000), 1000 * random()));
          // same-millisecond liquidations, as a cascade delivers them
          if (random() < 0.05) for (let i = 0; i < 3; i++) s.apply(liq(venue, t, 500 + i));
        }
      };
      // history before the first cycle: the first build starts from a full state
      for (let i = 0; i < 6 * 60 * 6; i++) step();
      const memory = newInputMemory();
      let compared = 0;
      // eight more hours, one cycle every 10 s (two quiet hours in the middle: windows move on without new events)
      for (let i = 0; i < 8 * 60 * 6; i++) {
        if (i >= 2 * 60 * 6 && i < 4 * 60 * 6) {
          t += 10_000;
          s.apply(mark('binance', t, price, 1e-5));
        } else step();
        const incremental = buildCardInput(s, undefined, 'ETH', memory)!;
        const fresh = buildCardInput(s, undefined, 'ETH', newInputMemory())!;
        // smoothing (book, mark gap) is history by design; everything else must match
        for (const tf of ['1m', '5m', '1h'] as const) {
          expect(incremental.tf[tf].liq.count).toBe(fresh.tf[tf].liq.count);
          for (const view of [incremental.tf[tf], fresh.tf[tf]]) {
            view.markGap = undefined;
            view.bookImbalance = undefined;
          }
        }
        const reference = naiveLiquidations(s, incremental.t);
        const liqDifference =
          inputDifference(incremental.liqBurst, reference.burst, 'liqBurst') ??
          inputDifference({ '1m': incremental.tf['1m'].liq, '5m': incremental.tf['5m'].liq, '1h': incremental.tf['1h'].liq }, reference.windows, 'liq');
        if (liqDifference) expect.fail(`cycle ${i}: ${liqDifference}`);
        const difference = inputDifference(incremental, fresh);
        if (difference) expect.fail(`cycle ${i}: ${difference}`);
        compared++;
      }
      expect(compared).toBe(8 * 60 * 6);
      // the run did exercise pruning of both histories and folding into buckets
      const bybit = s.venues('ETH').find((v) => v.venue === 'bybit')!;
      expect(bybit.liquidations.time(0)).toBeGreaterThan(T0);
      expect(bybit.fundingHistory[0]!.t).toBeGreaterThan(T0);
      expect(memory.liq.size).toBeGreaterThan(0);
      expect(memory.funding.size).toBe(2);
    });
  }
});
