import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ZoneSnapshot } from '../../src/engine/types.ts';
import { buildZoneSnapshot, CORE_SHARE, coreBins, sideTotalUsd, strongestMagnet } from '../../src/engine/zones.ts';
import type { PositionSide } from '../../src/market/types.ts';
import { exampleSources, snapshotOf, source } from './synthetic.ts';

describe('zones', () => {
  it('clusters adjacent bins on each side with every field filled', () => {
    const snap = snapshotOf(exampleSources(), undefined, 1000, 5);
    expect(snap.binSize).toBe(0.5);
    const longs = snap.zones.filter((z) => z.side === 'long');
    const shorts = snap.zones.filter((z) => z.side === 'short');
    expect(longs.map((z) => [z.low, z.high])).toEqual([
      [990, 991.5],
      [980, 980.5],
    ]);
    const big = longs[0]!;
    expect(big.notionalUsd).toBe(11e6);
    expect(big.peak).toBe(990.75);
    expect(big.share).toBeCloseTo(11 / 12, 12);
    expect(big.rank).toBe(1);
    expect(longs[1]!.rank).toBe(2);
    expect(big.distancePct).toBeCloseTo(((991.5 - 1000) / 1000) * 100, 12);
    expect(big.distanceAtr).toBeCloseTo(1.7, 12);
    expect(big.leverage).toEqual({ '50': 1e6, '100': 10e6 });
    expect(big.venues).toEqual({ binance: 10e6, bybit: 1e6 });
    // the run 1020–1023 splits at its deep valley (the first valley bin stays on the left)
    expect(shorts.map((z) => [z.low, z.high])).toEqual([
      [1010, 1011],
      [1020, 1021.5],
      [1021.5, 1023],
    ]);
    expect(shorts.map((z) => z.notionalUsd)).toEqual([4e6, 8.2e6, 8.2e6]);
    expect(shorts[0]!.distancePct).toBeCloseTo(1, 12);
    expect(shorts.reduce((a, z) => a + z.share, 0)).toBeCloseTo(1, 12);
    expect(sideTotalUsd(snap, 'short')).toBeCloseTo(20.4e6, 6);
    // nearest first across both sides
    expect(snap.zones.map((z) => Math.abs(z.distancePct))).toEqual([...snap.zones.map((z) => Math.abs(z.distancePct))].sort((a, b) => a - b));
    expect(snap.venues).toEqual(['binance', 'bybit']);
  });

  it('names the venues in the house order even when none has levels yet (the data venues, as they arrived)', () => {
    const snap = buildZoneSnapshot({ symbol: 'ETH', t: 1000, price: 1000, atr: 5, dataAgeMs: 500, seq: 1, sources: [], leverages: [10, 20], dataVenues: ['okx', 'bybit', 'binance'] });
    expect(snap.venues).toEqual(['binance', 'bybit', 'okx']);
  });

  it('cuts a run wider than 1 % of price (or 1.5 ATR, if less) at its densest windows', () => {
    // 12 bins 980–986, denser in bins 3–9 (no valley deep enough to split on)
    const usd = [1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 1.5, 1.5].map((x) => x * 1e6);
    const ramp = source('binance', usd.map((u, i) => ['long', 0, 980.2 + i * 0.5, u] as ['long', number, number, number]));
    // ATR 2.5: bins of 0.5, 1.5 ATR = 3.75 < 1 % of 1000, so at most 7 bins per zone
    const snap = snapshotOf([ramp], undefined, 1000, 2.5);
    // the densest 7 (981.5–985) would leave a 2-bin crumb (985–986): under a third of 7 bins, it is folded
    // back and the two re-cut so the dense block keeps 6 of its 7 bins
    expect(snap.zones.map((z) => [z.low, z.high])).toEqual([
      [984.5, 986],
      [981.5, 984.5],
      [980, 981.5],
    ]);
    expect(snap.zones[1]!.notionalUsd).toBe(18e6);
    expect(snap.zones.reduce((a, z) => a + z.notionalUsd, 0)).toBeCloseTo(27e6, 3);
    // ATR 20: 1.5 ATR = 30, but 1 % of price = 10 caps it: bins of 2, at most 5 per zone
    const wide = source('binance', Array.from({ length: 30 }, (_, i) => ['long', 0, 941 + i * 2, i >= 10 && i < 15 ? 5e6 : 1e6] as ['long', number, number, number]));
    const capped = snapshotOf([wide], undefined, 1000, 20);
    expect(capped.binSize).toBe(2);
    for (const z of capped.zones) expect(z.high - z.low).toBeLessThanOrEqual(10);
    expect(capped.zones.find((z) => z.rank === 1)).toMatchObject({ low: 960, high: 970, notionalUsd: 25e6 });
    // ATR 5: up to 7.5 wide, so 10 bins of 0.5 (5 wide) stay one zone
    const ten = source('binance', Array.from({ length: 10 }, (_, i) => ['long', 0, 980.2 + i * 0.5, i === 5 ? 2.5e6 : 3e6] as ['long', number, number, number]));
    expect(snapshotOf([ten], undefined, 1000, 5).zones.map((z) => [z.low, z.high])).toEqual([[980, 985]]);
  });

  it('a smear cut to width leaves no crumbs: every piece at least a third of the widest (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 60 }), fc.array(fc.double({ min: 1, max: 1.9, noNaN: true }), { minLength: 60, maxLength: 60 }), fc.double({ min: 1, max: 4, noNaN: true }), (n, weights, atr) => {
        // n adjacent bins of 0.5 below 1000, no bin twice another (so no valley cuts): one run
        const smear = source('binance', weights.slice(0, n).map((w, i) => ['long', 0, 960.2 + i * 0.5, w * 1e6] as ['long', number, number, number]));
        const snap = snapshotOf([smear], undefined, 1000, atr);
        const maxBins = Math.max(1, Math.floor(Math.min(1.5 * atr, 10) / snap.binSize));
        const bins = (z: { low: number; high: number }) => Math.round((z.high - z.low) / snap.binSize);
        const longs = snap.zones.filter((z) => z.side === 'long');
        if (n <= maxBins) expect(longs).toHaveLength(1);
        for (const z of longs) {
          expect(bins(z)).toBeLessThanOrEqual(maxBins);
          if (longs.length > 1) expect(bins(z)).toBeGreaterThanOrEqual(Math.ceil(maxBins / 3));
        }
        // the pieces tile the smear: nothing lost, nothing counted twice (unless the zones per side cap cut some)
        if (longs.length >= 12) return;
        const total = weights.slice(0, n).reduce((a, w) => a + w * 1e6, 0);
        expect(Math.abs(longs.reduce((a, z) => a + z.notionalUsd, 0) - total)).toBeLessThanOrEqual(total * 1e-9);
      }),
      { numRuns: 300, seed: 20261205 },
    );
  });

  it('keeps the 12 largest zones per side and always the 3 nearest, ranked by size among all', () => {
    // 16 separate long clusters 1 % apart below 1000: the nearer, the smaller
    const levels = Array.from({ length: 16 }, (_, i) => ['long', 0, 990.2 - i * 10, (i + 1) * 1e6] as ['long', number, number, number]);
    const snap = snapshotOf([source('binance', levels)], undefined, 1000, 5);
    const longs = snap.zones.filter((z) => z.side === 'long');
    // 12 largest (ranks 1–12) plus the three nearest (ranks 16, 15, 14); rank 13 is the one dropped
    expect(longs.map((z) => z.rank).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16]);
    expect(longs.slice(0, 3).map((z) => z.rank)).toEqual([16, 15, 14]);
    expect(longs[0]!.notionalUsd).toBe(1e6);
  });

  it('ignores long levels at or above price and short levels below it', () => {
    const snap = snapshotOf([source('binance', [['long', 0, 1001, 5e6], ['short', 0, 999, 5e6], ['long', 0, 995.2, 1e6]])]);
    expect(snap.zones).toHaveLength(1);
    expect(snap.zones[0]!.side).toBe('long');
    expect(snap.bins.every((b) => (b.price >= 1000 ? b.longUsd === 0 : b.shortUsd === 0))).toBe(true);
  });

  it('keeps ids while a zone persists and mints new ones for new zones', () => {
    const a = snapshotOf(exampleSources());
    const b = snapshotOf(exampleSources(0.5), a);
    const idOf = (s: ZoneSnapshot, side: PositionSide, near: number) => s.zones.find((z) => z.side === side && z.low <= near && z.high >= near)!.id;
    expect(idOf(b, 'long', 991)).toBe(idOf(a, 'long', 991));
    expect(idOf(b, 'short', 1010.5)).toBe(idOf(a, 'short', 1010.5));
    expect(new Set(b.zones.map((z) => z.id)).size).toBe(b.zones.length);
    const c = snapshotOf([...exampleSources(), source('bybit', [['short', 0, 1050.2, 9e6]])], b);
    const fresh = c.zones.find((z) => z.low === 1050)!;
    expect(fresh.id).toMatch(/^ETH:S:1050\.[23]$/);
    expect(a.zones.some((z) => z.id === fresh.id)).toBe(false);
  });

  it('gives a wide smear a core: the densest band around its peak', () => {
    // 12 bins 980–986 on a grid of 0.5; most notional in 983–984
    const usd = [1, 1, 1, 1, 1, 1, 8, 9, 1, 1, 1, 1].map((x) => x * 1e6);
    const smear = source('binance', usd.map((u, i) => ['long', 0, 980.2 + i * 0.5, u] as ['long', number, number, number]));
    const [z] = snapshotOf([smear], undefined, 1000, 5).zones;
    expect([z!.low, z!.high]).toEqual([980, 986]);
    expect(z!.peak).toBe(983.75);
    expect(z!.core).toEqual({ low: 983, high: 984 });
    // a zone that is all core carries no core
    const tight = snapshotOf([source('binance', [['long', 0, 990.2, 5e6]])]).zones[0]!;
    expect(tight.core).toBeUndefined();
  });

  it('properties of the core bins: contain the peak, hold the share, and nothing narrower does', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0.05, max: 1, noNaN: true }), (v, share) => {
        const total = v.reduce((a, x) => a + x, 0);
        let peak = 0;
        for (let i = 1; i < v.length; i++) if (v[i]! > v[peak]!) peak = i;
        const [a, b] = coreBins(v, 0, v.length - 1, peak, share);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(v.length - 1);
        expect(a).toBeLessThanOrEqual(peak);
        expect(b).toBeGreaterThanOrEqual(peak);
        const sum = (x: number, y: number) => v.slice(x, y + 1).reduce((s, u) => s + u, 0);
        expect(sum(a, b)).toBeGreaterThanOrEqual(total * share * (1 - 1e-9));
        // brute force: no narrower window around the peak holds the share
        for (let x = 0; x <= peak; x++) for (let y = peak; y < v.length; y++) if (y - x < b - a) expect(sum(x, y)).toBeLessThan(total * share * (1 - 1e-12));
      }),
      { numRuns: 300 },
    );
  });

  it('freezes snapshots', () => {
    const snap = snapshotOf(exampleSources());
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.zones)).toBe(true);
    expect(Object.isFrozen(snap.zones[0])).toBe(true);
    expect(Object.isFrozen(snap.bins[0])).toBe(true);
    expect(() => {
      (snap.zones as unknown as unknown[]).push(1);
    }).toThrow();
  });

  it('picks the strongest magnet within 0.25–2.5 ATR', () => {
    // ATR 10: the 990–991.5 zone is 0.85 ATR away, 1010 is 1 ATR, 980 is 1.95 ATR
    const snap = snapshotOf(exampleSources(), undefined, 1000, 10);
    expect(strongestMagnet(snap)!.low).toBe(990);
    const empty = snapshotOf([]);
    expect(empty.zones).toEqual([]);
    expect(strongestMagnet(empty)).toBeUndefined();
  });

  it('properties: sides respected, no overlaps, ranks and ids unique, notionals add up', () => {
    const level = fc.tuple(fc.constantFrom('long' as const, 'short' as const), fc.integer({ min: 0, max: 2 }), fc.double({ min: 800, max: 1200, noNaN: true }), fc.double({ min: 1, max: 1e7, noNaN: true }));
    fc.assert(
      fc.property(fc.array(level, { maxLength: 80 }), fc.double({ min: 0, max: 40, noNaN: true }), (levels, atr) => {
        const snap = snapshotOf([source('binance', levels)], undefined, 1000, atr);
        const ids = new Set(snap.zones.map((z) => z.id));
        expect(ids.size).toBe(snap.zones.length);
        for (const side of ['long', 'short'] as const) {
          const zs = snap.zones.filter((z) => z.side === side).sort((a, b) => a.low - b.low);
          expect(zs.map((z) => z.rank).sort((a, b) => a - b)).toEqual(zs.map((_, i) => i + 1));
          expect(zs.reduce((a, z) => a + z.share, 0)).toBeLessThanOrEqual(1 + 1e-9);
          for (let i = 1; i < zs.length; i++) expect(zs[i]!.low).toBeGreaterThanOrEqual(zs[i - 1]!.high - 1e-9);
          for (const z of zs) {
            // never wider than 1 % of price or 1.5 ATR (one bin at least)
            expect(z.high - z.low).toBeLessThanOrEqual(Math.max(snap.binSize, Math.min(1.5 * snap.atr, 10)) + 1e-9);
            expect(side === 'long' ? z.high <= 1000 + snap.binSize / 2 && z.distancePct <= 0 : z.low >= 1000 - snap.binSize / 2 && z.distancePct >= 0).toBe(true);
            const inBand = snap.bins.filter((b) => b.price > z.low && b.price < z.high).reduce((a, b) => a + (side === 'long' ? b.longUsd : b.shortUsd), 0);
            expect(inBand).toBeCloseTo(z.notionalUsd, 3);
            expect(z.peak).toBeGreaterThan(z.low);
            expect(z.peak).toBeLessThan(z.high);
            // the core: strictly inside the band when present, around the peak, holding its share
            const core = z.core ?? { low: z.low, high: z.high };
            if (z.core) expect(z.core.high - z.core.low).toBeLessThan(z.high - z.low - 1e-9);
            expect(core.low).toBeGreaterThanOrEqual(z.low - 1e-9);
            expect(core.high).toBeLessThanOrEqual(z.high + 1e-9);
            expect(z.peak).toBeGreaterThan(core.low);
            expect(z.peak).toBeLessThan(core.high);
            const inCore = snap.bins.filter((b) => b.price > core.low && b.price < core.high).reduce((a, b) => a + (side === 'long' ? b.longUsd : b.shortUsd), 0);
            expect(inCore).toBeGreaterThanOrEqual(CORE_SHARE * z.notionalUsd * (1 - 1e-9));
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
