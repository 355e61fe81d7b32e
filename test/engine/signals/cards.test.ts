import { describe, expect, it } from 'vitest';
import {
  approachDeceleration,
  bookImbalance,
  DEFAULT_CARDS,
  fundingExtremes,
  liquidationFlow,
  openInterestPrice,
  takerFlow,
  venueDivergence,
  zoneMagnet,
} from '../../../src/engine/signals/cards/index.ts';
import type { CardInput, TimeframeView } from '../../../src/engine/signals/input.ts';
import { TIMEFRAMES, type Timeframe, type Zone, type ZoneSnapshot } from '../../../src/engine/types.ts';

const T = Date.UTC(2026, 0, 5, 12, 0, 0);

function view(tf: Timeframe, over: Partial<TimeframeView> = {}): TimeframeView {
  const n = 12;
  return {
    tf,
    bucketMs: 60_000,
    t: Array.from({ length: n }, (_, i) => T - (n - 1 - i) * 60_000),
    close: new Array(n).fill(100),
    high: new Array(n).fill(100),
    low: new Array(n).fill(100),
    buy: new Array(n).fill(50),
    sell: new Array(n).fill(50),
    filled: n,
    returnRms: 0.001,
    priceChange: 0,
    oiChange: 0,
    liq: { longUsd: 0, shortUsd: 0, count: 0 },
    notionalUsd: 1_000_000,
    venueFlow: {},
    bookImbalance: undefined,
    markGap: undefined,
    ...over,
  };
}

function input(over: Partial<CardInput> = {}, views: Partial<Record<Timeframe, Partial<TimeframeView>>> = {}): CardInput {
  const tf = {} as Record<Timeframe, TimeframeView>;
  for (const x of TIMEFRAMES) tf[x] = view(x, views[x]);
  return {
    symbol: 'ETH',
    t: T,
    price: 100,
    venues: ['binance', 'bybit'],
    tf,
    zones: undefined,
    funding: undefined,
    liqBurst: { longUsd: 0, shortUsd: 0, count: 0, baselinePerMinUsd: 0 },
    ...over,
  };
}

function zoneSnapshot(bins: { price: number; longUsd: number; shortUsd: number }[], zones: Partial<Zone>[] = []): ZoneSnapshot {
  return {
    symbol: 'ETH',
    t: T,
    price: 100,
    atr: 1,
    binSize: 0.1,
    bins,
    zones: zones.map((z, i) => ({
      id: `ETH:${i}`,
      side: 'short',
      low: 101,
      high: 101.5,
      peak: 101.2,
      notionalUsd: 1e6,
      share: 0.5,
      distancePct: 1,
      distanceAtr: 1,
      rank: 1,
      leverage: {},
      venues: {},
      ...z,
    })),
    venues: ['binance', 'bybit'],
    dataAgeMs: 1000,
    seq: 1,
  };
}

describe('signal cards', () => {
  it('every card returns bounded values and a reason on an empty input', () => {
    for (const card of DEFAULT_CARDS) {
      for (const tf of TIMEFRAMES) {
        const out = card.read(input({}, { [tf]: { close: [], high: [], low: [], buy: [], sell: [], filled: 0, priceChange: undefined, oiChange: undefined } }), tf);
        expect(Math.abs(out.score), card.id).toBeLessThanOrEqual(1);
        expect(out.strength).toBeGreaterThanOrEqual(0);
        expect(out.confidence).toBeGreaterThanOrEqual(0);
        expect(out.confidence).toBeLessThanOrEqual(1);
        expect(out.reason.length).toBeGreaterThan(5);
        expect(out.reason).not.toMatch(/\n/);
      }
    }
  });

  it('zone magnet leans toward the heavier side within reach, nearer mass weighing more', () => {
    const heavyAbove = zoneSnapshot([
      { price: 99.5, longUsd: 1e6, shortUsd: 0 },
      { price: 100.5, longUsd: 0, shortUsd: 4e6 },
      { price: 130, longUsd: 0, shortUsd: 0 },
    ]);
    const up = zoneMagnet.read(input({ zones: heavyAbove }), '5m');
    expect(up.score).toBeGreaterThan(0.3);
    expect(up.reason).toMatch(/short-liq mass above/);
    // the same mass below but far out of reach on 1m does not count there
    const farBelow = zoneSnapshot([
      { price: 99.8, longUsd: 1e6, shortUsd: 0 },
      { price: 100.2, longUsd: 0, shortUsd: 1e6 },
      { price: 97, longUsd: 50e6, shortUsd: 0 },
    ]);
    expect(Math.abs(zoneMagnet.read(input({ zones: farBelow }), '1m').score)).toBeLessThan(0.05);
    expect(zoneMagnet.read(input({ zones: farBelow }), '1h').score).toBeLessThan(-0.3);
    // a stale map is trusted less
    const stale = zoneMagnet.read(input({ zones: { ...heavyAbove, t: T - 20 * 60_000 } }), '5m');
    expect(stale.confidence).toBeLessThan(up.confidence);
    expect(zoneMagnet.read(input(), '5m')).toMatchObject({ score: 0, confidence: 0 });
  });

  it('liquidation flow: shorts liquidated lean up, longs down; a burst is a cascade', () => {
    const shorts = liquidationFlow.read(input({}, { '5m': { liq: { shortUsd: 8000, longUsd: 1000, count: 10 } } }), '5m');
    expect(shorts.score).toBeGreaterThan(0.3);
    expect(shorts.reason).toMatch(/shorts liquidated.*lower bound/);
    const longs = liquidationFlow.read(input({}, { '5m': { liq: { shortUsd: 0, longUsd: 9000, count: 10 } } }), '5m');
    expect(longs.score).toBeLessThan(-0.3);
    const cascade = liquidationFlow.read(
      input({ liqBurst: { longUsd: 2e6, shortUsd: 0, count: 40, baselinePerMinUsd: 20_000 } }, { '1m': { liq: { shortUsd: 0, longUsd: 2e6, count: 40 } } }),
      '1m',
    );
    expect(cascade.score).toBeLessThanOrEqual(-0.8);
    expect(cascade.reason).toMatch(/cascade: \$2M of longs liquidated in the last minute, 100× the usual rate/);
    // both sides in the burst: each side's own amount, never the sum under one side's name
    const mixed = liquidationFlow.read(input({ liqBurst: { longUsd: 1.5e6, shortUsd: 5e5, count: 40, baselinePerMinUsd: 20_000 } }, { '1m': { liq: { shortUsd: 5e5, longUsd: 1.5e6, count: 40 } } }), '1m');
    expect(mixed.reason).toMatch(/^cascade: \$1\.5M of longs \(and \$500k of shorts\) liquidated in the last minute, 100× the usual rate/);
    expect(liquidationFlow.read(input(), '5m').score).toBe(0);
  });

  it('open interest vs price: the four quadrants', () => {
    const read = (dp: number, doi: number) => openInterestPrice.read(input({}, { '5m': { priceChange: dp, oiChange: doi } }), '5m');
    const newLongs = read(0.01, 0.01);
    const newShorts = read(-0.01, 0.01);
    const covering = read(0.01, -0.01);
    const unwinding = read(-0.01, -0.01);
    expect(newLongs.score).toBeGreaterThan(0.8);
    expect(newShorts.score).toBeLessThan(-0.8);
    expect(covering.score).toBeGreaterThan(0);
    expect(covering.score).toBeLessThan(newLongs.score / 2);
    expect(unwinding.score).toBeLessThan(0);
    expect(unwinding.score).toBeGreaterThan(newShorts.score / 2);
    expect(newShorts.reason).toMatch(/new shorts/);
    expect(covering.reason).toMatch(/short covering/);
    // a flat OI says nothing about who is behind the move
    expect(Math.abs(read(0.01, 0).score)).toBeLessThan(0.01);
    expect(read(0.01, undefined as unknown as number).reason).toMatch(/no open-interest history/);
  });

  it('funding is contrarian against the symbol\'s own history, and slower timeframes trust it more', () => {
    const hot = input({ funding: { rate: 0.0001, mean: 0.00001, std: 0.00002, samples: 500 } });
    const out = fundingExtremes.read(hot, '1h');
    expect(out.score).toBeLessThan(-0.9);
    expect(out.reason).toMatch(/crowded longs/);
    expect(fundingExtremes.read(hot, '1m').confidence).toBeLessThan(out.confidence);
    const cold = fundingExtremes.read(input({ funding: { rate: -0.00005, mean: 0.00001, std: 0.00002, samples: 500 } }), '1h');
    expect(cold.score).toBeGreaterThan(0.5);
    const usual = fundingExtremes.read(input({ funding: { rate: 0.000012, mean: 0.00001, std: 0.00002, samples: 500 } }), '1h');
    expect(usual.score).toBe(0);
    expect(fundingExtremes.read(input({ funding: { rate: 0.001, mean: 0, std: 0, samples: 5 } }), '1h').score).toBe(0);
  });

  it('taker flow follows the sign of the cumulative delta slope', () => {
    const buying = takerFlow.read(input({}, { '1m': { buy: new Array(12).fill(70), sell: new Array(12).fill(30) } }), '1m');
    expect(buying.score).toBeGreaterThan(0.5);
    expect(buying.reason).toMatch(/taker buying: net \+40%/);
    const selling = takerFlow.read(input({}, { '1m': { buy: new Array(12).fill(30), sell: new Array(12).fill(70) } }), '1m');
    expect(selling.score).toBeCloseTo(-buying.score, 10);
    expect(takerFlow.read(input(), '1m').score).toBeCloseTo(0, 10);
  });

  it('book imbalance leans with the heavier side, mostly on the short timeframe', () => {
    const bids = input({}, { '1m': { bookImbalance: 0.4 }, '1h': { bookImbalance: 0.4 } });
    expect(bookImbalance.read(bids, '1m').score).toBeCloseTo(0.6, 10);
    expect(bookImbalance.read(bids, '1h').confidence).toBeLessThan(bookImbalance.read(bids, '1m').confidence);
    expect(bookImbalance.read(input(), '1m').reason).toMatch(/no fresh order book/);
  });

  it('cross-venue divergence follows the leading venue', () => {
    const flows = { binance: { buy: 700, sell: 300 }, bybit: { buy: 100, sell: 100 } };
    const richBinance = venueDivergence.read(input({}, { '5m': { venueFlow: flows, markGap: { now: 4, mean: 0, std: 1, samples: 30 } } }), '5m');
    expect(richBinance.score).toBeGreaterThan(0.5);
    expect(richBinance.reason).toMatch(/^Binance leads/);
    const cheapBinance = venueDivergence.read(
      input({}, { '5m': { venueFlow: { binance: { buy: 300, sell: 700 }, bybit: { buy: 100, sell: 100 } }, markGap: { now: -4, mean: 0, std: 1, samples: 30 } } }),
      '5m',
    );
    expect(cheapBinance.score).toBeLessThan(-0.5);
    expect(venueDivergence.read(input({}, { '5m': { venueFlow: { binance: flows.binance } } }), '5m').reason).toMatch(/needs both/);
  });

  it('approach: slowing into a zone leans away from it, accelerating leans into it', () => {
    const zones = zoneSnapshot([], [{ side: 'short', low: 101, high: 101.5 }]);
    // rising toward 101 fast, then stalling
    const slowing = [97, 97, 97, 97, 97, 97, 97, 98, 99, 100.05, 100.1, 100.1];
    const out = approachDeceleration.read(input({ zones, price: 100.1 }, { '5m': { close: slowing } }), '5m');
    expect(out.score).toBeLessThan(-0.2);
    expect(out.reason).toMatch(/approaching short zone 101 .* slowing/);
    // the same stall nearer the zone weighs more
    const nearer = approachDeceleration.read(input({ zones, price: 100.6 }, { '5m': { close: slowing.map((c) => c + 0.5) } }), '5m');
    expect(nearer.score).toBeLessThan(out.score);
    const accelerating = [98, 98, 98, 98, 98, 98, 98, 98.2, 98.4, 98.7, 99.4, 100.2];
    const into = approachDeceleration.read(input({ zones, price: 100.2 }, { '5m': { close: accelerating } }), '5m');
    expect(into.score).toBeGreaterThan(0.1);
    expect(into.reason).toMatch(/accelerating into/);
    // moving away from the only zone in reach is no approach
    const away = approachDeceleration.read(input({ zones, price: 97 }, { '5m': { close: [...slowing].reverse() } }), '5m');
    expect(away.score).toBe(0);
  });
});
