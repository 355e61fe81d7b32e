import { describe, expect, it } from 'vitest';
import { BracketBook } from '../../src/engine/brackets.ts';
import { binanceLiquidationPrice } from '../../src/engine/liquidation.ts';
import { binSizeFor, DEFAULT_LEVERAGE_MIX, halfLifeHoursFor, hourlyAtr, LevelBook, normalizeMix, type VenueLevels } from '../../src/engine/levels.ts';
import type { Bar } from '../../src/market/state.ts';
import { MarketState } from '../../src/market/state.ts';
import type { MarketEvent, PositionSide } from '../../src/market/types.ts';
import { synthEvents, T0 } from './synthetic.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const brackets = new BracketBook();
const btcTable = brackets.get('binance', 'BTC').brackets;

/** Levels as { side, leverage, price, usd }. */
function levelsOf(v: VenueLevels, leverages: readonly number[]) {
  const out: { side: PositionSide; leverage: number; price: number; usd: number }[] = [];
  v.forEachLevel(0, Number.POSITIVE_INFINITY, (side, j, price, usd) => out.push({ side, leverage: leverages[j]!, price, usd }));
  return out;
}

function liq(side: PositionSide, entry: number, leverage: number): number {
  const r = binanceLiquidationPrice(btcTable, { side, entry, leverage, notionalUsd: 10_000 });
  if (!r.ok) throw new Error(r.error);
  return r.price;
}

/** Flat BTC at 100k; OI +1 BTC in minute 6 with all-buy taker flow. */
function scenario(extraMinutes = 0): MarketEvent[] {
  return synthEvents({
    symbol: 'BTC',
    start: T0,
    minutes: 10 + extraMinutes,
    price: () => 100_000,
    oi: (m) => (m >= 6 ? 11 : 10),
    buyFrac: (m) => (m === 6 ? 1 : 0.5),
  });
}

function build(events: MarketEvent[], now: number) {
  const state = new MarketState();
  for (const e of events) state.apply(e);
  const book = new LevelBook({ brackets });
  book.update(state, 'BTC', now);
  return { state, book, venue: book.venues('BTC')[0]! };
}

describe('level book', () => {
  it('places new OI at the exact liquidation price of each leverage, split by taker flow', () => {
    const now = T0 + 10 * MIN;
    const { book, venue } = build(scenario(), now);
    const levels = levelsOf(venue, book.leverages);
    expect(levels).toHaveLength(10);
    const ageH = (now - (T0 + 6 * MIN)) / HOUR;
    for (const { leverage, weight } of DEFAULT_LEVERAGE_MIX) {
      const decay = Math.pow(0.5, ageH / halfLifeHoursFor(leverage));
      const long = levels.find((l) => l.side === 'long' && l.leverage === leverage)!;
      const short = levels.find((l) => l.side === 'short' && l.leverage === leverage)!;
      // 1 BTC × 100k VWAP; all-buy flow → 75 % long (takers only half-way the leveraged side)
      expect(long.usd).toBeCloseTo(100_000 * weight * 0.75 * decay, 6);
      expect(short.usd).toBeCloseTo(100_000 * weight * 0.25 * decay, 6);
      expect(Math.abs(long.price / liq('long', 100_000, leverage) - 1)).toBeLessThan(6e-5);
      expect(Math.abs(short.price / liq('short', 100_000, leverage) - 1)).toBeLessThan(6e-5);
    }
    expect(venue.stats.addedUsd).toBeCloseTo(100_000, 6);
  });

  it('is incremental: re-running adds nothing, new OI adds only itself', () => {
    const events = scenario(5);
    const state = new MarketState();
    const cut = events.findIndex((e) => e.exchTime > T0 + 10 * MIN);
    for (const e of events.slice(0, cut)) state.apply(e);
    const book = new LevelBook({ brackets });
    book.update(state, 'BTC', T0 + 10 * MIN);
    book.update(state, 'BTC', T0 + 10 * MIN);
    const v = book.venues('BTC')[0]!;
    expect(v.stats.addedUsd).toBeCloseTo(100_000, 6);
    expect(v.stats.intervals).toBe(10);
    for (const e of events.slice(cut)) state.apply(e);
    state.apply({ venue: 'binance', symbol: 'BTC', kind: 'oi', exchTime: T0 + 16 * MIN, recvTime: T0 + 16 * MIN, oiBase: 12, oiUsd: 1_200_000 });
    book.update(state, 'BTC', T0 + 16 * MIN);
    expect(v.stats.intervals).toBe(16);
    expect(v.stats.addedUsd).toBeCloseTo(200_000, 6);
  });

  it('removes exposure proportionally when OI falls', () => {
    const events = scenario();
    events.push({ venue: 'binance', symbol: 'BTC', kind: 'oi', exchTime: T0 + 11 * MIN, recvTime: T0 + 11 * MIN, oiBase: 5.5, oiUsd: 550_000 });
    const before = build(scenario(), T0 + 11 * MIN).venue;
    const after = build(events, T0 + 11 * MIN).venue;
    for (const side of ['long', 'short'] as const) expect(after.totalUsd(side)).toBeCloseTo(before.totalUsd(side) * 0.5, 6);
  });

  it('decays each leverage with its own half-life', () => {
    const { state, book, venue } = build(scenario(), T0 + 10 * MIN);
    const at = (lev: number) => levelsOf(venue, book.leverages).find((l) => l.side === 'short' && l.leverage === lev)!.usd;
    const [u100, u5] = [at(100), at(5)];
    book.update(state, 'BTC', T0 + 10 * MIN + 18 * HOUR);
    expect(at(100) / u100).toBeCloseTo(0.5, 9);
    expect(at(5) / u5).toBeCloseTo(Math.pow(0.5, 18 / 168), 9);
    expect(halfLifeHoursFor(100)).toBe(18);
    expect(halfLifeHoursFor(3)).toBe(168);
    expect(halfLifeHoursFor(20)).toBeGreaterThan(72);
    expect(halfLifeHoursFor(20)).toBeLessThan(120);
  });

  it('consumes a level when the mark crosses it, and only those', () => {
    const { state, book, venue } = build(scenario(), T0 + 10 * MIN);
    state.apply({ venue: 'binance', symbol: 'BTC', kind: 'mark', exchTime: T0 + 10 * MIN + 1000, recvTime: T0 + 10 * MIN + 1000, mark: 99_300 });
    book.update(state, 'BTC', T0 + 10 * MIN + 1000);
    const levels = levelsOf(venue, book.leverages);
    expect(levels.filter((l) => l.side === 'long').map((l) => l.leverage)).toEqual([5, 10, 25, 50]);
    expect(levels.filter((l) => l.side === 'short')).toHaveLength(5);
    expect(venue.stats.consumedUsd).toBeGreaterThan(0);
  });

  it('consumes levels with bar wicks during the bootstrapped history', () => {
    // minute 8 wicks to 98,000: 100x and 50x longs (99,398 / 98,394) die, 25x (96,386) survives
    const events = scenario().map((e) => (e.kind === 'bar' && e.openTime === T0 + 7 * MIN ? { ...e, low: 98_000 } : e));
    const { book, venue } = build(events, T0 + 10 * MIN);
    expect(levelsOf(venue, book.leverages).filter((l) => l.side === 'long').map((l) => l.leverage)).toEqual([5, 10, 25]);
  });

  it('rebuilds once when older history arrives after live points', () => {
    const events = scenario();
    const late = events.filter((e) => e.kind === 'oi' && e.exchTime < T0 + 8 * MIN);
    const rest = events.filter((e) => !late.includes(e));
    const state = new MarketState();
    for (const e of rest) state.apply(e);
    const book = new LevelBook({ brackets });
    book.update(state, 'BTC', T0 + 10 * MIN);
    expect(book.venues('BTC')[0]!.stats.addedUsd).toBe(0);
    for (const e of late) state.apply(e);
    book.update(state, 'BTC', T0 + 10 * MIN);
    const v = book.venues('BTC')[0]!;
    expect(v.stats.addedUsd).toBeCloseTo(100_000, 6);
    expect(v.totalUsd('long') + v.totalUsd('short')).toBeCloseTo(build(scenario(), T0 + 10 * MIN).venue.totalUsd('long') + build(scenario(), T0 + 10 * MIN).venue.totalUsd('short'), 6);
  });

  it('tilts the split towards longs when funding is positive', () => {
    const events = scenario();
    events.splice(1, 0, { venue: 'binance', symbol: 'BTC', kind: 'mark', exchTime: T0 + 1, recvTime: T0 + 1, mark: 100_000, fundingRateHourly: 0.0001 });
    const v = build(events, T0 + 10 * MIN).venue;
    const plain = build(scenario(), T0 + 10 * MIN).venue;
    expect(v.totalUsd('long') / (v.totalUsd('long') + v.totalUsd('short'))).toBeCloseTo(0.8, 3);
    expect(plain.totalUsd('long') / (plain.totalUsd('long') + plain.totalUsd('short'))).toBeCloseTo(0.75, 3);
  });

  it('caps leverage at the venue maximum for the representative size and normalizes the mix', () => {
    const book = new LevelBook({ brackets, leverageMix: [{ leverage: 100, weight: 2 }, { leverage: 10, weight: 2 }] });
    expect(book.mix).toEqual([{ leverage: 10, weight: 0.5 }, { leverage: 100, weight: 0.5 }]);
    // generic table allows 75x at 10k: a 100x entry is placed at the 75x price
    const generic = book.ratios('binance', 'SOL');
    const capped = new LevelBook({ brackets, leverageMix: [{ leverage: 75, weight: 1 }] }).ratios('binance', 'SOL');
    expect(generic.long[1]).toBeCloseTo(capped.long[0]!, 12);
    expect(normalizeMix([{ leverage: 0, weight: 1 }])).toEqual(DEFAULT_LEVERAGE_MIX);
  });
});

describe('bins and ATR', () => {
  it('sizes bins at about max(0.05 % of price, 0.1 × ATR) on a stable grid', () => {
    expect(binSizeFor(100_000, 0)).toBe(50);
    expect(binSizeFor(3000, 40)).toBe(5);
    expect(binSizeFor(3000, 16)).toBe(2);
    expect(binSizeFor(0.00001234, 0)).toBeCloseTo(0.00000001, 15);
  });

  it('computes an hourly ATR from 1m bars', () => {
    const bars: Bar[] = [];
    for (let m = 0; m < 5 * 60; m++) {
      const hour = Math.floor(m / 60);
      // each hour ranges 100..110 (+hour), closes at its top
      const base = 100 + hour;
      bars.push({ t: T0 + m * MIN, open: base, high: base + 10, low: base, close: base + 10, volume: 1, buyVolume: 0.5, sellVolume: 0.5, notional: base });
    }
    expect(hourlyAtr(bars)).toBeCloseTo(10, 9);
    const short = bars.slice(0, 30);
    expect(hourlyAtr(short)).toBeCloseTo(10 * Math.sqrt(60), 9);
    expect(hourlyAtr([])).toBeUndefined();
  });
});
