import { describe, expect, it } from 'vitest';
import { formatSweep, SweepTracker } from '../../src/engine/sweeps.ts';
import { TrackRecord } from '../../src/engine/track-record.ts';
import type { LiquidationEvent } from '../../src/market/types.ts';
import { exampleSources, liquidation, snapshotOf } from './synthetic.ts';

const MIN = 60_000;

describe('sweeps', () => {
  const snap = snapshotOf(exampleSources()); // t = 1000, long zones 990–991.5 and 980–980.5
  const liqs = [
    liquidation('ETH', 'bybit', 1500, 'long', 990.5, 200_000),
    liquidation('ETH', 'binance', 2500, 'long', 988, 50_000), // inside the band widened by 0.5 %
    liquidation('ETH', 'bybit', 1600, 'short', 990.5, 70_000), // wrong side
    liquidation('ETH', 'bybit', 1700, 'long', 970, 30_000), // outside the band
    liquidation('ETH', 'bybit', 2000 + 6 * MIN, 'long', 990.5, 40_000), // after the window
  ] as LiquidationEvent[];

  it('records a sweep when price trades through a zone, then sums realized liquidations after the window', () => {
    const tracker = new SweepTracker();
    const swept = tracker.observe(snap, 989.5, 1000, 2000);
    expect(swept.map((z) => [z.low, z.high])).toEqual([[990, 991.5]]);
    expect(tracker.observe(snap, 989.5, 1000, 2100)).toEqual([]); // no double counting
    expect(tracker.resolve(2000 + 4 * MIN, () => liqs)).toEqual([]);
    const [ev, ...rest] = tracker.resolve(2000 + 5 * MIN, () => liqs);
    expect(rest).toEqual([]);
    expect(ev).toMatchObject({ symbol: 'ETH', side: 'long', low: 990, high: 991.5, t: 2000, modeledUsd: 11e6, realizedUsd: 250_000 });
    expect(ev!.windowMs).toBe(2000 + 5 * MIN - 1000);
    expect(ev!.zoneId).toBe(snap.zones.find((z) => z.low === 990)!.id);
    expect(formatSweep(ev!)).toMatch(/lower bound: Binance reports only a sample/);
  });

  it('does not sweep a zone price only entered', () => {
    const tracker = new SweepTracker();
    expect(tracker.observe(snap, 991, 1009, 2000)).toEqual([]);
    expect(tracker.observe(snap, 999, 1011, 2000).map((z) => z.side)).toEqual(['short']);
  });
});

describe('live track record', () => {
  it('counts top-zone touches against mirrored placebo levels after the horizon', () => {
    const rec = new TrackRecord({ sampleEveryMs: MIN, horizonMs: 10 * MIN, topK: 1 });
    const snap = snapshotOf(exampleSources()); // rank-1 zones: long 990–991.5, short 1020–1021
    rec.observe(snap, 1000, 1000, 0);
    expect(rec.line()).toMatch(/collecting/);
    rec.observe(snap, 991, 1000, 5 * MIN); // reaches the long zone's near edge (991.5); its placebo 1008.5 untouched
    rec.observe(snap, 995, 1000, 10 * MIN);
    const s = rec.stats();
    expect(s).toMatchObject({ zones: 2, zoneTouches: 1, placeboTouches: 0 });
    rec.recordSweep({ symbol: 'ETH', zoneId: 'x', side: 'long', low: 990, high: 991.5, t: 10 * MIN, modeledUsd: 11e6, realizedUsd: 250_000, windowMs: 5 * MIN });
    expect(rec.line()).toBe('Track record: top zone cores touched within 10 min: 1/2 (50 %) vs placebo 0/2 (0 %); 1 sweep, realized ≥ $250k of ~$11M modeled.');
  });
});
