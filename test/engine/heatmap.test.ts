import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEATMAP_ROWS, HEATMAP_SLICE_MS, HEATMAP_SLICES, HeatmapBook, HeatmapGrid, rowOf, rowPrice, type HeatmapInput } from '../../src/engine/heatmap.ts';

const SLICE = HEATMAP_SLICE_MS;
const T0 = Date.UTC(2026, 0, 5);

/** A snapshot with one band of `usd` centred at `band` (bins of 0.1 % of price). */
function snap(t: number, price: number, band: number, usd: number): HeatmapInput {
  const binSize = price * 0.001;
  const bins = [];
  for (let i = -60; i <= 60; i++) {
    const p = price + i * binSize;
    const inBand = Math.abs(p - band) < binSize / 2;
    bins.push({ price: p, longUsd: inBand && p < price ? usd : 0, shortUsd: inBand && p >= price ? usd : 0 });
  }
  return { t, price, binSize, bins };
}

const flat = (p: number) => ({ low: p, high: p });

describe('heatmap grid', () => {
  it('keeps the same preallocated memory whatever it records (3 days of 5-minute slices)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 6 * 3_600_000 }), move: fc.double({ min: -0.3, max: 0.3, noNaN: true }) }), { minLength: 1, maxLength: 60 }),
        (steps) => {
          const grid = new HeatmapGrid();
          const bytes = grid.bytes();
          let t = T0;
          let price = 3000;
          for (const s of steps) {
            t += s.dt;
            price = Math.max(1, price * (1 + s.move));
            grid.record(snap(t, price, price * 0.98, 1e6), flat(price));
          }
          expect(grid.bytes()).toBe(bytes);
          expect(grid.cells.length).toBe(HEATMAP_SLICES * HEATMAP_ROWS);
          expect(grid.filledSlices()).toBeLessThanOrEqual(HEATMAP_SLICES);
          // every held slice lies within the 3 days ending with the newest
          for (const s of grid.slotSlice) if (s >= 0) expect(grid.newestSlice - s).toBeLessThan(HEATMAP_SLICES);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('21 symbols stay under 7 MB', () => {
    const book = new HeatmapBook();
    for (let i = 0; i < 21; i++) book.record(`S${i}`, snap(T0, 100 + i, 99 + i, 1e5), flat(100 + i));
    expect(book.bytes() / 2 ** 20).toBeLessThan(7);
  });

  it('puts a band where it lies, spreading a bin over the rows it covers (total kept)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 2e5, noNaN: true }), fc.double({ min: 0.9, max: 1.1, noNaN: true }), (price, rel) => {
        const grid = new HeatmapGrid();
        const band = price * rel;
        const s = snap(T0, price, band, 5e6);
        grid.record(s, flat(price));
        const slot = Math.floor(T0 / SLICE) % HEATMAP_SLICES;
        const row = grid.cells.subarray(slot * HEATMAP_ROWS, (slot + 1) * HEATMAP_ROWS);
        const total = row.reduce((a, b) => a + b, 0) * grid.slotScale[slot]!;
        const expected = s.bins.reduce((a, b) => a + b.longUsd + b.shortUsd, 0);
        // 16-bit cells: each row within half a step (1/131070 of the slice's brightest row)
        expect(Math.abs(total - expected)).toBeLessThanOrEqual(expected * 1e-4 + 1e-9);
        if (expected > 0) expect(grid.at(T0, band)).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('rolls slices over: a new 5-minute slice starts empty, one older than 3 days is gone', () => {
    const grid = new HeatmapGrid();
    grid.record(snap(T0, 3000, 2950, 1e6), flat(3000));
    expect(grid.at(T0, 2950)).toBeGreaterThan(0);
    // the same slice takes the latest snapshot (the band moved)
    grid.record(snap(T0 + 60_000, 3000, 2900, 2e6), flat(3000));
    expect(grid.at(T0, 2950)).toBe(0);
    expect(grid.at(T0, 2900)).toBeGreaterThan(0);
    grid.record(snap(T0 + SLICE, 3000, 2950, 1e6), flat(3000));
    expect(grid.filledSlices()).toBe(2);
    expect(grid.at(T0, 2900)).toBeGreaterThan(0); // the previous slice is kept
    // a gap leaves the skipped slices empty
    grid.record(snap(T0 + 10 * SLICE, 3000, 2950, 1e6), flat(3000));
    expect(grid.filledSlices()).toBe(3);
    expect(grid.at(T0 + 5 * SLICE, 2950)).toBe(0);
    // 3 days later the first slices have been overwritten by the ring
    grid.record(snap(T0 + HEATMAP_SLICES * SLICE + SLICE, 3000, 2950, 1e6), flat(3000));
    expect(grid.at(T0, 2900)).toBe(0);
    expect(grid.at(T0 + SLICE, 2950)).toBe(0);
    expect(grid.filledSlices()).toBe(2);
    // late snapshots never rewrite the past
    grid.record(snap(T0 + 2 * SLICE, 3000, 2800, 1e6), flat(3000));
    expect(grid.at(T0 + 2 * SLICE, 2800)).toBe(0);
  });

  it('a swept band ends in the slice where price traded through it', () => {
    const grid = new HeatmapGrid();
    for (let i = 0; i < 6; i++) grid.record(snap(T0 + i * SLICE, 3000, 2940, 3e6), flat(3000));
    // price dips through 2940 during slice 6; the (stale) snapshot still carries the band
    grid.record(snap(T0 + 6 * SLICE, 3000, 2940, 3e6), { low: 2930, high: 3000 });
    for (let i = 0; i < 6; i++) expect(grid.at(T0 + i * SLICE, 2940)).toBeGreaterThan(0);
    expect(grid.at(T0 + 6 * SLICE, 2940)).toBe(0);
    // a band below the dip is untouched
    grid.record(snap(T0 + 7 * SLICE, 3000, 2850, 3e6), flat(3000));
    expect(grid.at(T0 + 7 * SLICE, 2850)).toBeGreaterThan(0);
  });

  it('re-anchors by whole rows when price drifts, keeping older slices at their prices', () => {
    const grid = new HeatmapGrid();
    grid.record(snap(T0, 3000, 2950, 1e6), flat(3000));
    const before = grid.at(T0, 2950);
    const base = grid.baseRow!;
    grid.record(snap(T0 + SLICE, 3600, 3550, 1e6), flat(3600)); // +20 %: outside the middle rows
    expect(grid.baseRow).not.toBe(base);
    expect(grid.at(T0, 2950)).toBe(before);
    expect(grid.at(T0 + SLICE, 3550)).toBeGreaterThan(0);
    expect(rowOf(rowPrice(rowOf(3000)) * 1.0001)).toBe(rowOf(3000));
  });

  it('a view copies the window: columns per slice, rows around the candles, the largest cell', () => {
    const grid = new HeatmapGrid();
    for (let i = 0; i < 12; i++) grid.record(snap(T0 + i * SLICE, 3000 + i, 2940, 1e6 * (i + 1)), { low: 2995, high: 3015 });
    const v = grid.view({ symbol: 'ETH', window: '6h', venues: ['binance'], dataAgeMs: 0 }, [])!;
    expect(v.columns).toBe(72);
    expect(v.filled.reduce((a, b) => a + b, 0)).toBe(12);
    expect(v.to).toBe((Math.floor(T0 / SLICE) + 12) * SLICE);
    expect(v.maxUsd).toBeGreaterThanOrEqual(12e6 * 0.3);
    expect(v.candles.length).toBe(12); // from the grid's own slice prices (no bars)
    expect(v.candles[0]).toMatchObject({ open: 3000, close: 3000, low: 2995, high: 3015 });
    expect(rowPrice(v.baseRow)).toBeLessThan(2940);
  });
});

describe('heatmap after a start', () => {
  it('opens with the bootstrapped hours: the level book is stepped through the history slice by slice', async () => {
    const { runSimulatedEngine } = await import('../../testkit/heatmap-run.ts');
    const t0 = performance.now();
    const run = runSimulatedEngine({ symbols: ['ETH'], hours: 0.25 });
    const ms = performance.now() - t0;
    const grid = run.engine.heatmaps.grid('ETH')!;
    // 6 h of bootstrapped OI history (72 five-minute points) plus 15 live minutes
    expect(grid.filledSlices()).toBeGreaterThanOrEqual(70);
    const view = run.engine.heatmap('ETH', '12h')!;
    const filled = [...view.filled].map((f, i) => (f ? i : -1)).filter((i) => i >= 0);
    // the backfilled slices carry estimated levels, growing as the history adds open interest
    const sumOf = (c: number) => view.cells.subarray(c * view.rows, (c + 1) * view.rows).reduce((a, b) => a + b, 0);
    expect(sumOf(filled[5]!)).toBeGreaterThan(0);
    expect(sumOf(filled[filled.length - 5]!)).toBeGreaterThan(0);
    // the level book ends where a plain start would have left it: same intervals processed
    expect(run.engine.levels.venues('ETH').every((b) => b.stats.intervals > 60)).toBe(true);
    expect(ms).toBeLessThan(60_000);
  }, 120_000);
});

describe('level book stepped through history', () => {
  it('ends where one plain update leaves it (the backfill changes the heatmap, not the zones)', async () => {
    const { runSimulatedEngine } = await import('../../testkit/heatmap-run.ts');
    const { LevelBook, DEFAULT_LEVERAGE_MIX } = await import('../../src/engine/levels.ts');
    const { BracketBook } = await import('../../src/engine/brackets.ts');
    const { state, now } = runSimulatedEngine({ symbols: ['ETH'], hours: 0.1 });
    const plain = new LevelBook({ brackets: new BracketBook(), leverageMix: DEFAULT_LEVERAGE_MIX });
    const stepped = new LevelBook({ brackets: new BracketBook(), leverageMix: DEFAULT_LEVERAGE_MIX });
    plain.update(state, 'ETH', now);
    const first = Math.min(...state.venues('ETH').map((v) => v.oiHistory[0]!.t));
    for (let t = first + SLICE; t < now; t += SLICE) stepped.update(state, 'ETH', t, t);
    stepped.update(state, 'ETH', now);
    const totals = (book: InstanceType<typeof LevelBook>) => {
      const out = { long: 0, short: 0 };
      for (const v of book.venues('ETH')) v.forEachLevel(0, Number.POSITIVE_INFINITY, (side, _j, _p, usd) => (out[side] += usd));
      return out;
    };
    const a = totals(plain);
    const b = totals(stepped);
    expect(a.long).toBeGreaterThan(0);
    expect(b.long / a.long).toBeCloseTo(1, 9);
    expect(b.short / a.short).toBeCloseTo(1, 9);
  }, 120_000);
});

describe('swept bands', () => {
  it('finds the band price traded through, in the slice it ended, with its size', async () => {
    const { sweptBands } = await import('../../src/engine/heatmap.ts');
    const grid = new HeatmapGrid();
    for (let i = 0; i < 6; i++) grid.record(snap(T0 + i * SLICE, 3000, 2940, 3e6), flat(3000));
    grid.record(snap(T0 + 6 * SLICE, 3000, 2940, 3e6), { low: 2930, high: 3000 });
    grid.record(snap(T0 + 7 * SLICE, 3000, 2850, 1e6), flat(3000));
    const view = grid.view({ symbol: 'ETH', window: '6h', venues: [], dataAgeMs: 0 }, [])!;
    const swept = sweptBands(view);
    expect(swept.length).toBeGreaterThanOrEqual(1);
    const [top] = swept;
    expect(top!.low).toBeLessThanOrEqual(2940);
    expect(top!.high).toBeGreaterThan(2940);
    expect(top!.t).toBe(Math.floor(T0 / SLICE) * SLICE + 6 * SLICE);
    expect(top!.usd).toBeCloseTo(3e6, -3);
    // a band that is still there is not reported
    expect(swept.some((b) => b.low <= 2850 && b.high > 2850)).toBe(false);
  });

  it('reports nothing when no band ended', async () => {
    const { sweptBands } = await import('../../src/engine/heatmap.ts');
    const grid = new HeatmapGrid();
    for (let i = 0; i < 6; i++) grid.record(snap(T0 + i * SLICE, 3000, 2940, 3e6), flat(3000));
    expect(sweptBands(grid.view({ symbol: 'ETH', window: '6h', venues: [], dataAgeMs: 0 }, [])!)).toEqual([]);
  });
});
