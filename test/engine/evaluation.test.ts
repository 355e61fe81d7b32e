import { describe, expect, it } from 'vitest';
import { BracketBook } from '../../src/engine/brackets.ts';
import { compareCalibration, evaluate, formatCalibrationComparison, formatEvaluationTable, PricePath, scoreSnapshot, scoreSnapshotSides } from '../../src/engine/evaluation.ts';
import { binanceLiquidationPrice } from '../../src/engine/liquidation.ts';
import type { MarketEvent } from '../../src/market/types.ts';
import { exampleSources, liquidation, snapshotOf, synthEvents, T0 } from './synthetic.ts';

const MIN = 60_000;
const eth = new BracketBook().get('binance', 'ETH').brackets;
const liq25 = (() => {
  const r = binanceLiquidationPrice(eth, { side: 'long', entry: 1000, leverage: 25, notionalUsd: 10_000 });
  if (!r.ok) throw new Error(r.error);
  return r.price; // ≈ 963.86
})();

/**
 * One hour flat at 1000 while OI builds (all-buy flow), then an hour-long slide to 950, then flat.
 * Realized long liquidations print at `liqAt` when the slide passes it.
 */
function market(liqAt: number): MarketEvent[] {
  const price = (m: number) => (m <= 60 ? 1000 : m <= 120 ? 1000 - ((m - 60) * 50) / 60 : 950);
  const crossMinute = 60 + Math.ceil(((1000 - liqAt) * 60) / 50);
  return synthEvents({
    symbol: 'ETH',
    start: T0,
    minutes: 200,
    price,
    oi: (m) => 1000 + 10 * Math.min(m, 60),
    buyFrac: (m) => (m <= 60 ? 1 : 0.5),
    extra: (m, t) => (m === crossMinute ? [liquidation('ETH', 'bybit', t, 'long', liqAt, 50_000), liquidation('ETH', 'binance', t + 1000, 'long', liqAt, 25_000)] : []),
  });
}

const opts = { snapshotIntervalMs: 5 * MIN, horizonMs: 60 * MIN, topK: 3, bankruptcyShift: 0 };

describe('evaluation on constructed data', () => {
  it('credits the model when liquidations print inside a predicted top-k zone', () => {
    const report = evaluate(market(liq25), opts);
    const row = report.total;
    expect(report.rows.map((r) => r.symbol)).toEqual(['ETH']);
    expect(row.snapshots).toBeGreaterThan(5);
    expect(row.realizedUsd).toBeGreaterThan(0);
    // every realized dollar sat in the 25x zone, which is top-3 on the long side
    expect(row.coverage.model).toBeCloseTo(1, 12);
    expect(row.coverage.distanceOnly).toBeLessThan(0.5);
    expect(row.coverage.uniform).toBeLessThan(0.3);
    // a falling market: long zones below get reached, their placebos above do not, while the short
    // zones' placebos (below) are reached only when the slide gets that far
    expect(row.placeboTouches).toBeGreaterThan(0);
    expect(row.zoneTouches).toBeGreaterThan(row.placeboTouches);
    expect(row.lift).toBeGreaterThan(1);
    // hits: the touched 25x zone with prints inside; 5x/10x and the short zones are never touched
    expect(row.hits).toBe(row.zoneTouches);
    expect(row.precision).toBeCloseTo(row.hits / row.zones, 12);
    expect(row.precision).toBeLessThan(0.5);
  });

  it('gives the model nothing when liquidations print between zones', () => {
    const report = evaluate(market(975), opts);
    expect(report.total.realizedUsd).toBeGreaterThan(0);
    expect(report.total.coverage.model).toBe(0);
    expect(report.total.hits).toBe(0);
  });

  it('says when the recording is too short and prints a table either way', () => {
    const short = evaluate(market(liq25).slice(0, 150), opts);
    expect(short.total.snapshots).toBe(0);
    const table = formatEvaluationTable(short);
    expect(table).toMatch(/too short/);
    const report = evaluate(market(liq25), opts);
    const full = formatEvaluationTable(report);
    expect(full).toMatch(/peak ±0\.5%/);
    // the long side saw every print; zone coverage (whole bands) is 100 %
    expect(full).toMatch(/^ETH\s+long\s+\d+\s+\$75k\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d%\s+[+−]\d+\.\d\s+100\.0%/m);
    expect(full).toMatch(/lower bound/);
    // one count of snapshots: taken in the header, scored in the header and the ALL row alike
    const scored = report.total.snapshots;
    expect(full).toContain(`${report.snapshotsTaken} snapshots taken (1 symbol, every 300 s), ${scored} scored`);
    expect(full).toMatch(new RegExp(`^ALL\\s+both\\s+${scored}\\s`, 'm'));
    expect(report.sideRows.map((r) => [r.side, r.snapshots])).toEqual([
      ['long', scored],
      ['short', scored],
    ]);
  });

  it('runs on the market clock: a demo recorded at 30× speed is scored over market minutes', () => {
    const events = market(liq25);
    // wall-clock receive times run 30 times slower than the exchange's market clock
    const fast = events.map((e) => ({ ...e, recvTime: T0 + Math.round((e.exchTime - T0) / 30) }));
    const a = evaluate(events, opts);
    const b = evaluate(fast, opts);
    expect(b.total.snapshots).toBe(a.total.snapshots);
    expect(b.total.snapshots).toBeGreaterThan(5);
    expect(b.total.peak.coverage.model).toBeCloseTo(a.total.peak.coverage.model, 12);
    expect(b.toT - b.fromT).toBe(a.toT - a.fromT);
  });

  it('compares the prior with the mix learned on the first half on the same second half', () => {
    const c = compareCalibration(market(liq25), opts);
    expect(c.prior.scoreFrom).toBe(c.splitT);
    expect(c.learned.total.snapshots).toBe(c.prior.total.snapshots);
    // two prints are not enough to learn from: the learned mix is the prior, and the scores agree
    expect(c.learned.calibration.every((s) => s.status === 'prior')).toBe(true);
    expect(c.learned.total.peak.coverage.model).toBe(c.prior.total.peak.coverage.model);
    expect(c.prior.calibration).toEqual([]);
    expect(formatCalibrationComparison(c)).toMatch(/^Calibration \(learn on the first half, score the second; \d+ snapshots\): peak-band coverage prior .* → learned .*\n  \(not enough liquidations in the first half/);
  });
});

describe('scoreSnapshot', () => {
  const snap = snapshotOf(exampleSources()); // t 1000; long 990–991.5 (rank 1), 980–980.5; short 1010–1011, 1020–1021 (rank 1), 1021–1021.5
  const path = new PricePath();
  path.add(1500, 995);
  path.add(3000, 989); // down to 989: long rank-1 zone touched
  path.add(5000, 1001);
  const o = { horizonMs: 4000, topK: 1, bankruptcyShift: 0 };

  it('scores touches against mirrored placebos and coverage in the reached band', () => {
    const liqs = [
      { t: 3000, side: 'long' as const, price: 990.5, notionalUsd: 300 },
      { t: 3000, side: 'long' as const, price: 995, notionalUsd: 100 },
      { t: 3000, side: 'short' as const, price: 1030, notionalUsd: 999 }, // never reached: not counted
    ];
    const row = scoreSnapshot(snap, path, liqs, o)!;
    expect(row.realizedUsd).toBe(400);
    expect(row.covered.model).toBe(300);
    // distance-only: 1.5 wide nearest band 998.5–1000 holds none; uniform: 400 × 1.5 / 11
    expect(row.covered.distanceOnly).toBe(0);
    expect(row.covered.uniform).toBeCloseTo((400 * 1.5) / 11, 12);
    expect(row).toMatchObject({ zones: 2, zoneTouches: 1, placeboTouches: 0, hits: 1 });
  });

  it('matches a print near the bankruptcy price through its span back towards the trigger', () => {
    const print = [{ t: 3000, side: 'long' as const, price: 990 * (1 - 0.003), notionalUsd: 500 }];
    expect(scoreSnapshot(snap, path, print, o)!.realizedUsd).toBe(0); // 987.03 lies below the reached band
    const shifted = scoreSnapshot(snap, path, print, { ...o, bankruptcyShift: 0.004 })!;
    expect(shifted.realizedUsd).toBe(500);
    expect(shifted.covered.model).toBe(500);
    expect(shifted.hits).toBe(1);
  });

  it('scores fixed ±0.5 % bands around the peaks against distance-only bands of the same width and mirrored placebos', () => {
    const liqs = [
      { t: 3000, side: 'long' as const, price: 990.5, notionalUsd: 300 },
      { t: 3000, side: 'long' as const, price: 999, notionalUsd: 100 },
    ];
    const [long, short] = scoreSnapshotSides(snap, path, liqs, o)!;
    expect(short.realizedUsd).toBe(0);
    expect(long.realizedUsd).toBe(400);
    const peak = snap.zones.find((z) => z.side === 'long' && z.rank === 1)!.peak;
    const lo = Math.max(peak * 0.995, 989); // clipped to the band price reached (989…1000)
    const hi = Math.min(peak * 1.005, 1000);
    expect(999 > hi).toBe(true); // the print near price lies outside the peak band
    expect(long.peak.covered.model).toBe(300);
    // distance-only: the same width (hi − lo) nearest to price
    expect(long.peak.covered.distanceOnly).toBe(1000 - (hi - lo) <= 999 ? 100 : 0);
    // placebo: the short side's rank-1 peak mirrored through price lies below the reached band
    const mirrored = 2000 - snap.zones.find((z) => z.side === 'short' && z.rank === 1)!.peak;
    expect(mirrored * 1.005 < 989).toBe(true);
    expect(long.peak.covered.placebo).toBe(0);
    expect(long.peak.widthPct).toBeCloseTo(((hi - lo) / 1000) * 100, 12);
    expect(scoreSnapshot(snap, path, liqs, o)!.peak.covered.model).toBe(300);
    // peaks farther from price than the reach window are not scored (the 990.75 peak is 0.9 % away)
    const near = scoreSnapshotSides(snap, path, liqs, { ...o, peakWindow: 0.005 })!;
    expect(near[0].peak.covered.model).toBe(0);
    expect(near[0].peak.widthPct).toBe(0);
  });

  it('skips snapshots whose horizon runs past the data', () => {
    expect(scoreSnapshot(snap, path, [], { ...o, horizonMs: 10_000 })).toBeUndefined();
  });
});
